"""HTTP metrics middleware: requests by route template and status, and their latency.

Labels use the route template (``/dsp/negotiations/{pid}``), never the raw path, so the number of series stays
bounded whatever clients send; requests that match no route are counted under ``<unmatched>``.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector import metrics


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics.HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_recording)
        finally:
            metrics.HTTP_IN_PROGRESS.dec()
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            method = scope["method"]
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.HTTP_SECONDS.labels(method=method, route=route).observe(time.perf_counter() - started)
            if status in (401, 403):
                metrics.AUTH_FAILURES.labels(status=str(status)).inc()
