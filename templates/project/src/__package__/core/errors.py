"""Domain errors raised by services, and the handlers that turn every error into one JSON shape."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. Services raise these; they never know about HTTP status codes."""

    status_code = 400
    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"


class RuleViolationError(DomainError):
    status_code = 422
    code = "rule_violation"


class ErrorBody(BaseModel):
    """The one error shape every endpoint returns."""

    code: str
    message: str
    request_id: str | None = None
    details: list[dict[str, Any]] | None = None


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Turns any exception into the one error shape; main.py registers it for each kind."""
    headers: Mapping[str, str] | None = None
    if isinstance(exc, DomainError):
        status_code, body = exc.status_code, ErrorBody(code=exc.code, message=exc.message)
    elif isinstance(exc, RequestValidationError):
        details = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]
        status_code = 422
        body = ErrorBody(code="validation_error", message="Invalid request", details=details)
    elif isinstance(exc, HTTPException):
        status_code, headers = exc.status_code, exc.headers
        body = ErrorBody(code="http_error", message=str(exc.detail))
    else:
        # The trace goes to the log, tagged with the request id; the client learns nothing internal.
        logger.exception("unhandled error", exc_info=exc)
        status_code = 500
        body = ErrorBody(code="internal_error", message="Internal server error")
    body.request_id = getattr(request.state, "request_id", None)
    if status_code == 500 and body.request_id:
        # Answered outside the middleware stack, which would otherwise add this header.
        headers = {"X-Request-ID": body.request_id}
    content = body.model_dump(exclude_none=True)
    return JSONResponse(content, status_code=status_code, headers=headers)
