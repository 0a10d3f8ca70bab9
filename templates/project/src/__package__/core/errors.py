"""Domain errors raised by services, and the handlers that turn every error into one JSON shape."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)

# What a database that is down, unreachable or too slow raises (core.db bounds each wait): a 503
# the client may retry, not a 500 that reads as a bug. asyncpg raises the built-in errors itself;
# SQLite says so in an error code, where its other errors (no such table) are bugs.
UNAVAILABLE_ERRORS = (TimeoutError, ConnectionError, PoolTimeoutError)
SQLITE_UNAVAILABLE = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN"}
UNAVAILABLE_RETRY_AFTER_S = 5


class DomainError(Exception):
    """A business rule said no. Services raise these; they never know about HTTP status codes."""

    status_code = 400
    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The request field the error is about, so a client can point at it.
        self.field = field


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


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of the error statuses a route can answer, each with ErrorBody.

    Declaring 422 also replaces FastAPI's default validation body, which this app never sends.
    """
    return {
        status: {"model": ErrorBody, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


def _allowed_methods(request: Request) -> str:
    # Starlette's 405 names the methods of the first route on the path only, while GET and PATCH
    # of /items/{id} are two routes: ask every route about every method instead.
    return ", ".join(
        method
        for method in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    )


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, DBAPIError):
        # A connection lost on the way, or SQLite's file busy, locked or not there to open.
        sqlite_error = getattr(exc.orig, "sqlite_errorname", None)
        return exc.connection_invalidated or sqlite_error in SQLITE_UNAVAILABLE
    return isinstance(exc, UNAVAILABLE_ERRORS)


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Turns any exception into the one error shape.

    main.py registers it for the kinds the app raises; the request-id middleware calls it for
    anything else, so that an unexpected error is logged once, with the request id.
    """
    headers: Mapping[str, str] | None = None
    if isinstance(exc, DomainError):
        details = None if exc.field is None else [{"loc": ["body", exc.field], "msg": exc.message}]
        status_code = exc.status_code
        body = ErrorBody(code=exc.code, message=exc.message, details=details)
    elif isinstance(exc, RequestValidationError):
        details = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]
        status_code = 422
        body = ErrorBody(code="validation_error", message="Invalid request", details=details)
    elif _unavailable(exc):
        # One line each, no trace: an outage would bury the log in identical ones.
        logger.warning("dependency unavailable: %r", exc)
        status_code, headers = 503, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)}
        body = ErrorBody(code="unavailable", message="Service unavailable; try again shortly")
    elif isinstance(exc, HTTPException):
        status_code, headers = exc.status_code, exc.headers
        if status_code == 405:
            headers = {"Allow": _allowed_methods(request)}
        body = ErrorBody(code="http_error", message=str(exc.detail))
    else:
        # The trace goes to the log, tagged with the request id; the client learns nothing internal.
        logger.exception("unhandled error", exc_info=exc)
        status_code = 500
        body = ErrorBody(code="internal_error", message="Internal server error")
    body.request_id = getattr(request.state, "request_id", None)
    content = body.model_dump(exclude_none=True)
    return JSONResponse(content, status_code=status_code, headers=headers)
