"""Structured logs: one JSON object per line, with the request id, for our loggers and uvicorn's."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

# Set by the request-id middleware; every record logged while handling the request carries it.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged too,
# except uvicorn's color_message (the same message again, with terminal colour codes) and the
# text format's own extra_fields.
_STANDARD_ATTRIBUTES = {
    *vars(logging.makeLogRecord({})),
    "message",
    "asctime",
    "request_id",
    "color_message",
    "extra_fields",
}
_HANDLER_NAME = "app"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def _extra(record: logging.LogRecord) -> dict[str, object]:
    """What the call passed as `extra=` (a request's method, path, status, duration)."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        payload.update(_extra(record))
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    """One line for a terminal, with the `extra=` fields after the message as key=value."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s%(extra_fields)s"
        )

    def format(self, record: logging.LogRecord) -> str:
        record.extra_fields = "".join(f" {k}={v}" for k, v in _extra(record).items())
        return super().format(record)


def configure_logging(level: str, *, as_json: bool) -> None:
    """Installs our handler on the root logger (replacing only a previous one of ours)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if as_json else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn brings its own handlers and format; send its records through ours instead.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # The request-id middleware already logs every request, with its id and duration.
    logging.getLogger("uvicorn.access").disabled = True
