"""Operations set-up of the HTTP app: limits, metrics middleware and ``/metrics``, in the right order."""

from __future__ import annotations

from fastapi import FastAPI

from connector.api.limits import install_limits
from connector.api.observability import MetricsMiddleware
from connector.api.routers import metrics
from connector.config import Settings


def install_operations(app: FastAPI, settings: Settings) -> None:
    """Call before adding the request-id middleware, so that it stays outermost (every answer carries an id).

    Resulting order, outermost first: request id, metrics, rate limit, body limit, the app.
    """
    install_limits(app, settings)
    if settings.metrics_enabled:
        app.add_middleware(MetricsMiddleware)
        app.include_router(metrics.router)
