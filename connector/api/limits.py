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

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope

from connector import metrics
from connector.api.problems import Problem
from connector.config import Settings

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyLimits:
    """413 for a body over the route's limit: at once from Content-Length, or while reading a chunked body."""

    def __init__(self, *, default: int, per_prefix: dict[str, int]) -> None:
        self.default = default
        self.per_prefix = sorted(per_prefix.items(), key=lambda kv: len(kv[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_prefix:
            if path.startswith(prefix):
                return limit
        return self.default

    def check(self, scope: Scope, headers: dict[bytes, bytes], receive: Receive) -> tuple[str | None, Receive]:
        """(the 413 detail when the declared size is over the limit, else None; ``receive`` guarded when needed)."""
        if scope["method"] not in _BODY_METHODS:
            return None, receive
        limit = self.limit_for(scope["path"])
        detail = f"request bodies on this route are limited to {limit} bytes"
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            metrics.BODY_TOO_LARGE.inc()
            return detail, receive
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

        return None, counting_receive


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


class RateLimiter:
    """429 + Retry-After per client: a credential (hashed, never kept in clear) or, without one, the client IP.

    Runs in the event loop thread only, so the buckets need no lock. Client IPs come from the ASGI scope; behind a
    proxy, start uvicorn with ``--forwarded-allow-ips`` so the scope carries the real client address.
    """

    def __init__(
        self, *, anonymous_per_minute: int, authenticated_per_minute: int, burst: int, exempt: list[str]
    ) -> None:
        self.exempt = tuple(exempt)
        self.anonymous = _Buckets(anonymous_per_minute, burst) if anonymous_per_minute else None
        self.authenticated = _Buckets(authenticated_per_minute, burst) if authenticated_per_minute else None

    def retry_after(self, scope: Scope, headers: dict[bytes, bytes]) -> str | None:
        """Seconds to wait (as the Retry-After value) when this request is over its client's rate, else None."""
        if scope["path"].startswith(self.exempt):
            return None
        credential = headers.get(b"authorization") or headers.get(b"x-api-key")
        if credential:
            buckets, kind = self.authenticated, "credential"
            if buckets is None:
                return None
            key = hashlib.sha256(credential).hexdigest()
        else:
            buckets, kind = self.anonymous, "ip"
            if buckets is None:
                return None
            key = (scope.get("client") or ("unknown", 0))[0]
        wait = buckets.take(key, time.monotonic())
        if wait <= 0:
            return None
        metrics.RATE_LIMITED.labels(client=kind).inc()
        return str(max(1, math.ceil(wait)))


class QuerySlots:
    """At most ``limit`` queries evaluated at once per process; others wait up to ``wait_s``, then get 503.

    Use ``async with request.app.state.query_slots.slot(): ...`` around the evaluation, or the :func:`query_slot`
    dependency (which holds the slot until the response is sent, so streamed results count too).
    """

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit, self.wait_s = limit, wait_s
        self._semaphore = asyncio.Semaphore(limit)

    def slot(self) -> QuerySlots:
        """``async with slots.slot():`` holds one slot (a plain async context manager: no generator per query)."""
        return self

    async def __aenter__(self) -> None:
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

    async def __aexit__(self, *exc_info: object) -> None:
        self._semaphore.release()


async def query_slot(request: Request) -> AsyncIterator[None]:
    """FastAPI dependency: hold one query slot for the request."""
    async with request.app.state.query_slots.slot():
        yield


def limits_of(app: FastAPI, settings: Settings) -> tuple[BodyLimits, RateLimiter]:
    """The request limits of ``settings`` (applied by the request middleware); puts :class:`QuerySlots` on
    ``app.state``."""
    app.state.query_slots = QuerySlots(settings.max_concurrent_queries, settings.query_queue_timeout_s)
    body = BodyLimits(default=settings.max_body_bytes, per_prefix=settings.body_limits)
    rate = RateLimiter(
        anonymous_per_minute=settings.rate_limit_anonymous_per_minute,
        authenticated_per_minute=settings.rate_limit_authenticated_per_minute,
        burst=settings.rate_limit_burst,
        exempt=settings.rate_limit_exempt,
    )
    return body, rate
