"""Operations set-up of the HTTP app: limits, metrics, readiness of the DSP state database, in the right order."""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connector import metrics as metric_objects
from connector.api.limits import limits_of
from connector.api.middleware import RequestMiddleware
from connector.api.observability import RequestMetrics
from connector.api.problems import problem_response
from connector.api.routers import metrics
from connector.config import Settings
from connector.dsp.postgres import StateDatabaseUnavailable
from connector.dsp.states import Kind

if TYPE_CHECKING:
    from connector.api.app import ConnectorApp


def install_operations(app: ConnectorApp, settings: Settings) -> None:
    """Request ids, limits, metrics and access log (the request layer in front of the framework);
    ``app.state.direct_endpoints`` (path -> ASGI app) takes the endpoints that layer calls itself."""
    body_limits, rate_limiter = limits_of(app, settings)
    app.state.readiness_checks = {}
    app.state.direct_endpoints = {}
    app.request_layer = RequestMiddleware(
        partial(FastAPI.__call__, app),
        body_limits=body_limits,
        rate_limiter=rate_limiter,
        metrics=RequestMetrics() if settings.metrics_enabled else None,
        direct=app.state.direct_endpoints,
    )

    @app.exception_handler(StateDatabaseUnavailable)
    async def _state_db_down(request: Request, exc: StateDatabaseUnavailable) -> JSONResponse:
        return problem_response(request, 503, "State database unavailable", str(exc), headers={"Retry-After": "10"})

    if settings.metrics_enabled:
        app.include_router(metrics.router)


def watch_dsp(app: FastAPI) -> None:
    """After the DSP service is installed: readiness checks its state database, /metrics counts its processes."""
    repo = app.state.dsp.repo

    def state_db() -> tuple[bool, str]:
        ping = getattr(repo, "ping", None)
        if ping is None:  # SQLite lives in <home>/state, which the "state" check already writes to
            return True, "ok"
        try:
            ping()
        except StateDatabaseUnavailable as exc:
            return False, str(exc)
        except Exception as exc:  # any other driver error also means "not ready": its class name, never the DSN
            return False, f"unavailable: {type(exc).__name__}"
        return True, "ok"

    app.state.readiness_checks["state_db"] = state_db
    for kind in Kind:
        metric_objects.register_state_counts(kind.value, lambda kind=kind: _state_counts(repo, kind))


def _state_counts(repo: object, kind: Kind) -> dict[str, int]:
    counts = getattr(repo, "state_counts", None)
    if counts is not None:
        return counts(kind)
    return dict(Counter(p.state for p in repo.recent(kind, limit=100_000)))  # type: ignore[attr-defined]
