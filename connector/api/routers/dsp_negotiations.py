"""DSP contract negotiation, HTTPS binding: provider endpoints and consumer callbacks on the same base path.

A path names the local pid of one of our processes; whether it is a provider or a consumer process decides which
messages the state machine accepts (a consumer-only message on a provider process is a 400).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from connector.api.routers.dsp_common import NEGOTIATION_ERROR, Outcome, answer, service
from connector.dsp import messages as m
from connector.dsp.states import Kind

router = APIRouter(prefix="/negotiations", tags=["dataspace protocol"])
N = Kind.NEGOTIATION


@router.get("/{pid}", summary="ContractNegotiation (provider: by providerPid; consumer: by consumerPid)")
async def get_negotiation(request: Request, pid: str) -> Response:
    svc = service(request)
    return await answer(request, NEGOTIATION_ERROR, lambda who, raw, d: Outcome(svc.ack(svc.process_for(N, pid, who))))


@router.post("/request", status_code=201, summary="Provider: initial ContractRequestMessage")
async def initial_request(request: Request) -> Response:
    svc = service(request)

    def work(who: str, raw: bytes, digest: str) -> Outcome:
        msg = m.parse(m.decode(raw), m.ContractRequestMessage)
        if msg.providerPid is not None:
            raise m.MessageError(["an initial request has no providerPid; counter-offers go to /{providerPid}/request"])
        p, created = svc.negotiation_requested(who, msg)
        return Outcome(svc.ack(p), 201, (N, p.local_pid) if created else None)

    return await answer(request, NEGOTIATION_ERROR, work)


@router.post("/offers", status_code=201, summary="Consumer: initial ContractOfferMessage (provider-initiated)")
async def initial_offer(request: Request) -> Response:
    svc = service(request)

    def work(who: str, raw: bytes, digest: str) -> Outcome:
        msg = m.parse(m.decode(raw), m.ContractOfferMessage)
        if msg.consumerPid is not None:
            raise m.MessageError(["an initial offer has no consumerPid; later offers go to /{consumerPid}/offers"])
        p, created = svc.offer_received(who, msg)
        return Outcome(svc.ack(p), 201, (N, p.local_pid) if created else None)

    return await answer(request, NEGOTIATION_ERROR, work)


def _on_process(*models: type[m.Message]):
    async def endpoint(request: Request, pid: str) -> Response:
        svc = service(request)

        def work(who: str, raw: bytes, digest: str) -> Outcome:
            msg = m.parse(m.decode(raw), *models)
            p = svc.handle(who, pid, msg, digest)
            return Outcome(svc.ack(p), 200, (N, p.local_pid))

        return await answer(request, NEGOTIATION_ERROR, work)

    return endpoint


router.add_api_route(
    "/{pid}/request", _on_process(m.ContractRequestMessage), methods=["POST"], summary="Provider: counter-offer"
)
router.add_api_route(
    "/{pid}/events",
    _on_process(m.ContractNegotiationEventMessage),
    methods=["POST"],
    summary="ACCEPTED (to the provider) or FINALIZED (to the consumer)",
)
router.add_api_route(
    "/{pid}/agreement/verification",
    _on_process(m.ContractAgreementVerificationMessage),
    methods=["POST"],
    summary="Provider: ContractAgreementVerificationMessage",
)
router.add_api_route(
    "/{pid}/termination",
    _on_process(m.ContractNegotiationTerminationMessage),
    methods=["POST"],
    summary="Either side: ContractNegotiationTerminationMessage",
)
router.add_api_route(
    "/{pid}/offers", _on_process(m.ContractOfferMessage), methods=["POST"], summary="Consumer: ContractOfferMessage"
)
router.add_api_route(
    "/{pid}/agreement",
    _on_process(m.ContractAgreementMessage),
    methods=["POST"],
    summary="Consumer: ContractAgreementMessage",
)
