"""Protective limits on the HTTP face: body size per route, per-client rate limiting, a cap on concurrent queries.

All three are configured in :mod:`connector.config` (``max_body_bytes``, ``body_limits``, ``rate_limit_*``,
``max_concurrent_queries``, ``query_queue_timeout_s``); docs/operations.md has the table of defaults. Limits hold
per process: behind a load balancer with N replicas a client may reach N times the per-process rate.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector import metrics
from connector.api.problems import Problem, problem_response
from connector.config import Settings

_BODY_METHODS = {"POST", "PUT", "PATCH"}


async def _send_problem(
    scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str, **hdr: str
) -> None:
    response = problem_response(StarletteRequest(scope), status, title, detail, headers=hdr or None)
    await response(scope, receive, send)


class BodyLimitMiddleware:
    """413 for a body over the route's limit: at once from Content-Length, or while reading a chunked body."""

    def __init__(self, app: ASGIApp, *, default: int, per_prefix: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_prefix = sorted(per_prefix.items(), key=lambda kv: len(kv[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_prefix:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        detail = f"request bodies on this route are limited to {limit} bytes"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            metrics.BODY_TOO_LARGE.inc()
            await _send_problem(scope, receive, send, 413, "Content Too Large", detail)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    metrics.BODY_TOO_LARGE.inc()
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counting_receive, send)


class _Buckets:
    """Token buckets per client key, least recently used evicted beyond ``max_clients`` (memory stays bounded)."""

    def __init__(self, per_minute: int, burst: int, max_clients: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(max(burst, 1))
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """Take one token; return 0 when allowed, else the seconds until a token is available."""
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    """429 + Retry-After per client: a credential (hashed, never kept in clear) or, without one, the client IP.

    Runs in the event loop thread only, so the buckets need no lock. Client IPs come from the ASGI scope; behind a
    proxy, start uvicorn with ``--forwarded-allow-ips`` so the scope carries the real client address.
    """

    def __init__(
        self, app: ASGIApp, *, anonymous_per_minute: int, authenticated_per_minute: int, burst: int, exempt: list[str]
    ) -> None:
        self.app = app
        self.exempt = tuple(exempt)
        self.anonymous = _Buckets(anonymous_per_minute, burst) if anonymous_per_minute else None
        self.authenticated = _Buckets(authenticated_per_minute, burst) if authenticated_per_minute else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        credential = headers.get(b"authorization") or headers.get(b"x-api-key")
        if credential:
            buckets, kind = self.authenticated, "credential"
            key = hashlib.sha256(credential).hexdigest()
        else:
            buckets, kind = self.anonymous, "ip"
            key = (scope.get("client") or ("unknown", 0))[0]
        wait = buckets.take(key, time.monotonic()) if buckets else 0.0
        if wait > 0:
            metrics.RATE_LIMITED.labels(client=kind).inc()
            retry = str(max(1, math.ceil(wait)))
            detail = f"rate limit exceeded; retry in {retry} s"
            await _send_problem(scope, receive, send, 429, "Too Many Requests", detail, **{"Retry-After": retry})
            return
        await self.app(scope, receive, send)


class QuerySlots:
    """At most ``limit`` queries evaluated at once per process; others wait up to ``wait_s``, then get 503.

    Use ``async with request.app.state.query_slots.slot(): ...`` around the evaluation, or the :func:`query_slot`
    dependency (which holds the slot until the response is sent, so streamed results count too).
    """

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit, self.wait_s = limit, wait_s
        self._semaphore = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            if self._semaphore.locked():  # a free slot is taken at once, without arming a timer
                async with asyncio.timeout(self.wait_s):
                    await self._semaphore.acquire()
            else:
                await self._semaphore.acquire()
        except TimeoutError:
            metrics.SPARQL_REJECTED.labels(reason="slots").inc()
            raise Problem(
                503,
                "Too many queries",
                f"{self.limit} queries are running; try again shortly",
                headers={"Retry-After": "2"},
            ) from None
        try:
            yield
        finally:
            self._semaphore.release()


async def query_slot(request: Request) -> AsyncIterator[None]:
    """FastAPI dependency: hold one query slot for the request."""
    async with request.app.state.query_slots.slot():
        yield


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limit middlewares to the app and put its :class:`QuerySlots` on ``app.state``."""
    app.state.query_slots = QuerySlots(settings.max_concurrent_queries, settings.query_queue_timeout_s)
    app.add_middleware(BodyLimitMiddleware, default=settings.max_body_bytes, per_prefix=settings.body_limits)
    app.add_middleware(
        RateLimitMiddleware,
        anonymous_per_minute=settings.rate_limit_anonymous_per_minute,
        authenticated_per_minute=settings.rate_limit_authenticated_per_minute,
        burst=settings.rate_limit_burst,
        exempt=settings.rate_limit_exempt,
    )
