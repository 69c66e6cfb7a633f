"""HTTP metrics: requests by route template and status, and their latency (recorded by the request middleware).

Labels use the route template (``/dsp/2025-1/negotiations/{pid}``), never the raw path, so the number of series stays
bounded whatever clients send; requests that match no route are counted under ``<unmatched>``. The template is the
route's full path, prefixes of nested routers included (recent FastAPI keeps included routers unexpanded, so the
matched route object alone only knows its own part).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import compile_path
from starlette.types import Scope

from connector import metrics

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI copies included routes into app.routes
    iter_route_contexts = None


def _route_templates(app: Any) -> list[tuple[re.Pattern[str], frozenset[str] | None, str]]:
    """(path regex, methods or None for any, template) of every route, in the router's matching order."""
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    templates = []
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str) and path:
            methods = getattr(route, "methods", None)
            templates.append((compile_path(path)[0], frozenset(methods) if methods else None, path))
    return templates


class RequestMetrics:
    def __init__(self) -> None:
        self._templates: list[tuple[re.Pattern[str], frozenset[str] | None, str]] | None = None
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        """(method, route template, status) -> its request counter and latency histogram: ``labels()`` costs more
        than counting, and the keys are bounded (parsed methods, route templates, statuses)."""

    def _template(self, scope: Scope) -> str:
        matched = scope.get("route") or scope.get("endpoint")  # a FastAPI route, or a plain Starlette one
        if matched is None:
            return "<unmatched>"
        if self._templates is None and "app" in scope:
            self._templates = _route_templates(scope["app"])
        for regex, methods, template in self._templates or ():
            if (methods is None or scope["method"] in methods) and regex.match(scope["path"]):
                return template
        return getattr(matched, "path", None) or "<unmatched>"

    def _series_of(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
                metrics.HTTP_SECONDS.labels(method=method, route=route),
            )
        return series

    def record(self, scope: Scope, route: str | None, status: int, seconds: float) -> None:
        """Count one answered request; ``route`` is its template when known without matching (direct endpoints)."""
        counter, histogram = self._series_of(scope["method"], route or self._template(scope), status)
        counter.inc()
        histogram.observe(seconds)
        if status in (401, 403):
            metrics.AUTH_FAILURES.labels(status=str(status)).inc()
