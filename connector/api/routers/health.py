"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from connector import metrics
from connector.api.deps import get_context
from connector.context import Context
from connector.health import readiness

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "live"}


@router.get(
    "/ready",
    summary="Store reachable, vocabularies loaded, state writable, initial load done",
    responses={503: {"description": "Not ready; the body says which check failed"}},
)
async def ready(request: Request, ctx: Context = Depends(get_context)) -> JSONResponse:
    results = await run_in_threadpool(readiness, ctx, getattr(request.app.state, "readiness_checks", None))
    checks = {name: detail for name, (_, detail) in results.items()}
    checks["initial_load"] = "done" if request.app.state.initial_load_done else "pending"
    ok = all(passed for passed, _ in results.values()) and request.app.state.initial_load_done
    metrics.STORE_UP.set(1 if results["store"][0] else 0)
    metrics.READY.set(1 if ok else 0)
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
        headers=None if ok else {"Retry-After": "5"},
    )
