"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from connector.api.deps import get_context
from connector.context import Context
from connector.store import StoreError

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", summary="The process is up")
def live() -> dict[str, str]:
    return {"status": "live"}


@router.get("/ready", summary="The store answers and the initial load is done")
async def ready(request: Request, ctx: Context = Depends(get_context)) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await run_in_threadpool(ctx.store.ping)
        checks["store"] = "ok"
    except StoreError as exc:
        checks["store"] = f"unavailable: {exc}"
    checks["initial_load"] = "done" if request.app.state.initial_load_done else "pending"
    ok = checks["store"] == "ok" and checks["initial_load"] == "done"
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
        headers=None if ok else {"Retry-After": "5"},
    )
