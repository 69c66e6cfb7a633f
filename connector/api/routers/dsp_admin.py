"""Operator view of the DSP state: list negotiations and transfers, end or pause them (the `dsp` CLI's HTTP twin)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from connector.api.deps import require_role
from connector.api.problems import Problem
from connector.dsp.client import PeerError
from connector.dsp.repository import Process
from connector.dsp.service import Action, DspError, DspService
from connector.dsp.states import Kind, TransitionError

router = APIRouter(prefix="/dsp/admin", tags=["dataspace protocol (operators)"])
ACTIONS = {
    "terminate": Action.TERMINATE,
    "suspend": Action.SUSPEND,
    "resume": Action.START,
    "complete": Action.COMPLETE,
}


def _view(p: Process) -> dict[str, Any]:
    return {
        "kind": p.kind.value,
        "role": p.role.value,
        "state": p.state,
        "pid": p.local_pid,
        "peer_pid": p.remote_pid,
        "peer": p.counterparty_id,
        "dataset": p.data.get("dataset"),
        "agreement": p.data.get("agreement") if p.kind is Kind.TRANSFER else (p.data.get("agreement") or {}).get("@id"),
        "error": p.data.get("error"),
        "updated_at": p.updated_at,
    }


@router.get(
    "/{kind}", summary="Negotiations or transfers, newest first", dependencies=[Depends(require_role("operator"))]
)
def list_processes(
    request: Request, kind: Literal["negotiations", "transfers"], limit: int = Query(100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    svc: DspService = request.app.state.dsp
    return [_view(p) for p in svc.repo.recent(Kind.NEGOTIATION if kind == "negotiations" else Kind.TRANSFER, limit)]


@router.post(
    "/{kind}/{pid}/{action}",
    summary="Terminate, suspend, resume or complete a process (the peer is told)",
    dependencies=[Depends(require_role("operator"))],
)
async def act(
    request: Request,
    kind: Literal["negotiations", "transfers"],
    pid: str,
    action: Literal["terminate", "suspend", "resume", "complete"],
    reason: str | None = Body(None, embed=True, max_length=1000),
) -> dict[str, Any]:
    svc: DspService = request.app.state.dsp
    k = Kind.NEGOTIATION if kind == "negotiations" else Kind.TRANSFER
    process = svc.repo.get(k, pid)
    if process is None:
        raise Problem(404, "Not Found", f"no {k.value} {pid}")
    try:
        done = await run_in_threadpool(svc.act, process, ACTIONS[action], reason)
    except TransitionError as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    except (PeerError, DspError) as exc:
        raise Problem(502, "Peer not told", f"{exc}; the process was ended locally") from None
    return _view(done)
