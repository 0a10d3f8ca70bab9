"""Domain errors raised by services, and the handlers that turn every error into one JSON shape."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)


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
