"""The one way out to HTTP. Every outbound call gets the same policy from here:
User-Agent, timeouts, connection limits, retries with backoff, logging, metrics, proxy and auth.

It is built on httpx2, the maintained continuation of httpx (same API) that FastAPI's TestClient
now uses; plain httpx makes the current Starlette test client warn.
ruff bans importing any HTTP library anywhere else, so the policy cannot be bypassed by accident.
"""

import itertools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
import httpx2 as httpx
from httpx2 import HTTPStatusError, Response
from pydantic import BaseModel, SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.wait import wait_exponential_jitter

__all__ = [
    "HTTPStatusError",
    "HttpClient",
    "HttpPolicy",
    "RequestRecord",
    "Response",
    "get",
    "open_shared_client",
    "post",
    "request",
    "shared_client",
]

logger = logging.getLogger(__name__)
# httpx2 logs every full URL at INFO, query-string tokens included; our own record replaces it.
logging.getLogger("httpx2").setLevel(logging.WARNING)

# Worth another try: the server says it is overloaded or a gateway failed.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# RFC 9110 9.2.2: sending these twice has the same effect as once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class HttpPolicy(BaseModel):
    """The outbound HTTP policy; core/config.py reads it from the environment (…_HTTP__<NAME>)."""

    user_agent: str = "python-service/0.1.0"
    # When set, requests rotate through these instead of sending user_agent.
    user_agents: list[str] = []
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_timeout: float = 5.0
    # Upper bound for one whole request, retries and waits included.
    total_timeout: float = 60.0
    max_connections: int = 100
    max_keepalive_connections: int = 20
    attempts: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    # A server asking to wait longer than this gets no retry: the error is raised at once.
    retry_after_max: float = 30.0
    # Secrets: pydantic never prints them, and neither do our logs. The proxy comes from here only,
    # never from HTTP_PROXY and the like in the environment.
    proxy: SecretStr | None = None
    # Authorization header values by host, so a token is only ever sent to the host it belongs to,
    # and only over https.
    auth: dict[str, SecretStr] = {}


@dataclass(frozen=True)
class RequestRecord:
    """One attempt, as handed to the metrics hook."""

    method: str
    host: str
    status: int | None
    duration_s: float
    attempt: int
    error: str | None


MetricsHook = Callable[[RequestRecord], None]
Sleep = Callable[[float], Awaitable[None]]


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        # An HTTP date is always GMT, whether or not the server wrote the zone.
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _redacted(url: httpx.URL | str) -> str:
    """The URL as logs may show it: tokens travel in query strings and user info, so neither."""
    return str(httpx.URL(url).copy_with(username=None, password=None, query=None, fragment=None))


def _retry_after(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, HTTPStatusError):
        return retry_after_seconds(exc.response.headers.get("Retry-After"))
    return None


def _never_sent(exc: BaseException) -> bool:
    # The request did not reach the server, so sending it again is safe for any method.
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


_MAYBE_PROCESSED = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
)


def _maybe_transient(exc: BaseException) -> bool:
    # The server may have acted on the request: only safe to resend if it is idempotent.
    if isinstance(exc, HTTPStatusError):
        return exc.response.status_code in RETRYABLE_STATUSES
    return isinstance(exc, _MAYBE_PROCESSED)


class HttpClient:
    """A pooled async client with the policy applied. One per process: see open_shared_client."""

    def __init__(
        self,
        policy: HttpPolicy,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: MetricsHook | None = None,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.policy = policy
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=policy.connect_timeout,
                read=policy.read_timeout,
                write=policy.write_timeout,
                pool=policy.pool_timeout,
            ),
            limits=httpx.Limits(
                max_connections=policy.max_connections,
                max_keepalive_connections=policy.max_keepalive_connections,
            ),
            proxy=policy.proxy.get_secret_value() if policy.proxy else None,
            trust_env=False,
            transport=transport,
        )
        self._user_agents = itertools.cycle(policy.user_agents or [policy.user_agent])
        self._on_request = on_request
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(
            multiplier=policy.backoff_initial, max=policy.backoff_max
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> Response:
        """Sends with retries; raises HTTPStatusError for 4xx/5xx once retries are spent.

        `idempotent=True` lets a POST be retried after a timeout or a 503, e.g. when it carries
        an idempotency key.
        """
        method = method.upper()
        may_resend = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        retrying = AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception(
                lambda exc: _never_sent(exc) or (may_resend and _maybe_transient(exc))
            ),
            before_sleep=self._log_retry,
            sleep=self._sleep,
            reraise=True,
        )
        with anyio.fail_after(self.policy.total_timeout):
            async for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    return await self._send(method, url, number, **kwargs)
        raise AssertionError("unreachable: tenacity either returns or reraises")  # pragma: no cover

    async def _send(self, method: str, url: str, attempt: int, **kwargs: Any) -> Response:
        headers = httpx.Headers(kwargs.pop("headers", None))
        headers.setdefault("User-Agent", next(self._user_agents))
        target = httpx.URL(url)
        host = target.host
        if host in self.policy.auth and target.scheme == "https":
            headers.setdefault("Authorization", self.policy.auth[host].get_secret_value())
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.request(method, url, headers=headers, **kwargs)
            status = response.status_code
            response.raise_for_status()
            return response
        except httpx.HTTPError as exc:
            error = type(exc).__name__
            raise
        finally:
            duration = time.perf_counter() - started
            record = RequestRecord(method, host, status, duration, attempt, error)
            logger.info(
                "http request",
                extra={
                    "http_method": record.method,
                    "http_url": _redacted(url),
                    "http_status": record.status,
                    "duration_ms": round(record.duration_s * 1000, 1),
                    "attempt": record.attempt,
                    "error": record.error,
                },
            )
            if self._on_request:
                self._on_request(record)

    def _wait(self, state: RetryCallState) -> float:
        # The server's Retry-After, but never less than the backoff: a "0" or a date already past
        # (a skewed clock) would otherwise send every caller back at once, as it asks for relief.
        backoff = float(self._backoff(state))
        delay = _retry_after(state)
        return backoff if delay is None else max(delay, backoff)

    def _stop(self, state: RetryCallState) -> bool:
        # Out of attempts, or the server asks for a longer wait than the policy allows.
        delay = _retry_after(state)
        too_long = delay is not None and delay > self.policy.retry_after_max
        return state.attempt_number >= self.policy.attempts or too_long

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        status = exc.response.status_code if isinstance(exc, HTTPStatusError) else None
        # The error's type and status, never its text: httpx puts the full URL in it.
        logger.warning(
            "http retry",
            extra={
                "attempt": state.attempt_number,
                "wait_s": round(wait, 2),
                "error": type(exc).__name__,
                "http_status": status,
            },
        )


_shared: HttpClient | None = None


@asynccontextmanager
async def open_shared_client(
    policy: HttpPolicy,
    *,
    on_request: MetricsHook | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[HttpClient]:
    """Opens the process-wide client: in the app lifespan, or where a crawler or job starts.

    `transport` is for tests, which answer from a mock instead of the network.
    """
    # Module state on purpose: one connection pool per process is the point of this module.
    global _shared
    client = HttpClient(policy, on_request=on_request, transport=transport)
    _shared = client
    try:
        yield client
    finally:
        _shared = None
        await client.aclose()


def shared_client() -> HttpClient:
    if _shared is None:
        msg = "no HTTP client is open: wrap the caller in `async with open_shared_client(policy)`"
        raise RuntimeError(msg)
    return _shared


async def request(method: str, url: str, **kwargs: Any) -> Response:
    return await shared_client().request(method, url, **kwargs)


async def get(url: str, **kwargs: Any) -> Response:
    return await shared_client().request("GET", url, **kwargs)


async def post(url: str, **kwargs: Any) -> Response:
    return await shared_client().request("POST", url, **kwargs)
