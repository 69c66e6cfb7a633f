"""The app's API routes with their effective path and dependency tree, whatever the FastAPI routing internals.

Recent FastAPI keeps included routers as one entry in ``app.routes``; ``iter_route_contexts`` expands them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI: included routes are copied into app.routes
    iter_route_contexts = None


def api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Any]]:
    """(path template, methods, dependant) of every route that has a FastAPI dependency tree."""
    items = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    for route in items:
        dependant = getattr(route, "dependant", None)
        if dependant is not None:
            yield route.path, set(route.methods or ()), dependant


def route_paths(app: FastAPI) -> set[str]:
    return {path for path, _, _ in api_routes(app)}
