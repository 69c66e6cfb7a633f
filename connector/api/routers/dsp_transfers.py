"""DSP transfer process, HTTPS binding: provider endpoints and consumer callbacks on the same base path."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from connector.api.routers.dsp_common import TRANSFER_ERROR, Outcome, answer, service
from connector.dsp import messages as m
from connector.dsp.states import Kind

router = APIRouter(prefix="/transfers", tags=["dataspace protocol"])
T = Kind.TRANSFER


@router.get("/{pid}", summary="TransferProcess (provider: by providerPid; consumer: by consumerPid)")
async def get_transfer(request: Request, pid: str) -> Response:
    svc = service(request)
    return await answer(request, TRANSFER_ERROR, lambda who, raw, d: Outcome(svc.ack(svc.process_for(T, pid, who))))


@router.post("/request", status_code=201, summary="Provider: TransferRequestMessage")
async def transfer_request(request: Request) -> Response:
    svc = service(request)

    def work(who: str, raw: bytes, digest: str) -> Outcome:
        p, created = svc.transfer_requested(who, m.parse(m.decode(raw), m.TransferRequestMessage))
        return Outcome(svc.ack(p), 201, (T, p.local_pid) if created else None)

    return await answer(request, TRANSFER_ERROR, work)


def _on_process(model: type[m.Message]):
    async def endpoint(request: Request, pid: str) -> Response:
        svc = service(request)

        def work(who: str, raw: bytes, digest: str) -> Outcome:
            p = svc.handle(who, pid, m.parse(m.decode(raw), model), digest)
            return Outcome(svc.ack(p), 200, (T, p.local_pid))

        return await answer(request, TRANSFER_ERROR, work)

    return endpoint


for suffix, model in (
    ("start", m.TransferStartMessage),
    ("completion", m.TransferCompletionMessage),
    ("suspension", m.TransferSuspensionMessage),
    ("termination", m.TransferTerminationMessage),
):
    router.add_api_route(
        f"/{{pid}}/{suffix}", _on_process(model), methods=["POST"], summary=f"Either side: {model.TYPE}"
    )
