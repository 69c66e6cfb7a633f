"""The app's one request middleware: request id, rate limit, body limit, metrics and access log in a single ASGI
layer (each layer costs a call and a wrapped ``send`` on every request), and the dispatch of direct endpoints."""

from __future__ import annotations

import inspect
import logging
import secrets
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector import metrics
from connector.api.limits import BodyLimits, RateLimiter
from connector.api.observability import RequestMetrics
from connector.api.problems import problem_response

log = logging.getLogger("connector.access")


class RequestMiddleware:
    """The app's request layer, in front of the framework (:class:`~connector.api.app.ConnectorApp`), for HTTP.

    * takes ``X-Request-Id`` from the caller (if sane) or makes one, echoes it, logs one access event per response;
    * refuses with 429 (rate limit) or 413 (declared body size), and guards chunked bodies;
    * counts requests by route template and status (when ``metrics`` is given);
    * calls an endpoint of ``direct`` (path -> ASGI app) itself, without the router and the per-request exception
      and exit-stack layers: for the hottest endpoint (``/sparql``). Its errors become the app's problem documents,
      through the same exception handlers.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        body_limits: BodyLimits,
        rate_limiter: RateLimiter,
        metrics: RequestMetrics | None,
        direct: dict[str, ASGIApp],
    ) -> None:
        self.app = app
        self.body_limits, self.rate_limiter, self.metrics, self.direct = body_limits, rate_limiter, metrics, direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0
        request_id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(request_id_header)
            await send(message)

        route = _route_path(scope)
        endpoint = self.direct.get(route)
        if self.metrics is not None:
            metrics.HTTP_IN_PROGRESS.inc()
        try:
            retry_after = self.rate_limiter.retry_after(scope, headers)
            if retry_after is not None:
                detail = f"rate limit exceeded; retry in {retry_after} s"
                await _problem(
                    scope, receive, send_with_id, 429, "Too Many Requests", detail, {"Retry-After": retry_after}
                )
                return
            too_large, receive = self.body_limits.check(scope, headers, receive)
            if too_large is not None:
                await _problem(scope, receive, send_with_id, 413, "Content Too Large", too_large)
                return
            if endpoint is None:
                await self.app(scope, receive, send_with_id)
                return
            try:
                await endpoint(scope, receive, send_with_id)
            except Exception as exc:
                handler = _handler_for(scope["app"].exception_handlers, exc)
                if handler is None or status:  # no handler, or the answer has begun: only the server can cut it
                    raise
                response = handler(Request(scope, receive), exc)
                if inspect.isawaitable(response):
                    response = await response
                await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            answered = status or 500
            if self.metrics is not None:
                metrics.HTTP_IN_PROGRESS.dec()
                self.metrics.record(scope, route if endpoint is not None else None, answered, elapsed)
            if log.isEnabledFor(logging.INFO):  # the event is built only when it will be written
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    answered,
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": answered,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )


def _route_path(scope: Scope) -> str:
    """The path below the app's mount point (``--root-path``), as routes see it."""
    path, root = scope["path"], scope.get("root_path")
    return path[len(root) :] if root and path.startswith(root + "/") else path


def _handler_for(handlers: dict, exc: Exception) -> Callable | None:
    """The app's handler for ``exc``: the one registered for its nearest class, as Starlette looks it up."""
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]  # type: ignore[no-any-return]
    return None


async def _problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    await problem_response(Request(scope), status, title, detail, headers=headers)(scope, receive, send)
