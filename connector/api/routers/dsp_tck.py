"""TCK mode only: the trigger endpoints through which the Eclipse Dataspace TCK makes this connector act as consumer.

``POST /tck/negotiations/requests`` ``{providerId, offerId, datasetId, connectorAddress}`` starts a negotiation and
``POST /tck/transfers/requests`` ``{providerId, agreementId, format, connectorAddress}`` a transfer; both answer 202
at once and send the request in the background (the TCK waits for it on its callback server). The counter-party is
always the TCK participant (``providerId`` is whatever the TCK's configuration says).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.background import BackgroundTask

from connector.api.routers.dsp_common import service
from connector.dsp.client import PeerError
from connector.dsp.identity import CallbackRefused
from connector.dsp.service import DspError, DspService
from connector.dsp.states import Kind

router = APIRouter(prefix="/tck", tags=["dataspace protocol (TCK mode)"])
log = logging.getLogger("connector.dsp")


class NegotiationTrigger(BaseModel):
    providerId: str
    offerId: str
    datasetId: str
    connectorAddress: str


class TransferTrigger(BaseModel):
    providerId: str
    agreementId: str
    format: str
    connectorAddress: str


def _negotiate(svc: DspService, t: NegotiationTrigger) -> None:
    offer = {"@id": t.offerId, "@type": "Offer", "target": t.datasetId, "permission": [{"action": "use"}]}
    try:
        p = svc.request_negotiation(t.connectorAddress, svc.settings.dsp_tck_participant, offer, peer_address=True)
        svc.react(Kind.NEGOTIATION, p.local_pid)
    except (DspError, PeerError) as exc:
        log.warning("TCK negotiation trigger failed: %s", exc)


def _transfer(svc: DspService, t: TransferTrigger) -> None:
    try:
        tck = svc.settings.dsp_tck_participant
        p = svc.request_transfer(t.connectorAddress, tck, t.agreementId, t.format, peer_address=True)
        svc.react(Kind.TRANSFER, p.local_pid)
    except (DspError, PeerError) as exc:
        log.warning("TCK transfer trigger failed: %s", exc)


async def _trigger(request: Request, model: type[BaseModel], run) -> Response:
    svc = service(request)
    try:
        trigger = model.model_validate_json(await request.body())
        svc.participants.check_callback(svc.settings.dsp_tck_participant, trigger.connectorAddress)  # type: ignore[attr-defined]
    except (ValidationError, CallbackRefused) as exc:
        return JSONResponse({"error": str(exc).splitlines()[0]}, status_code=400)
    return Response(status_code=202, background=BackgroundTask(run, svc, trigger))


@router.post("/negotiations/requests", summary="Start a negotiation as consumer")
async def negotiation_trigger(request: Request) -> Response:
    return await _trigger(request, NegotiationTrigger, _negotiate)


@router.post("/transfers/requests", summary="Start a transfer as consumer")
async def transfer_trigger(request: Request) -> Response:
    return await _trigger(request, TransferTrigger, _transfer)
