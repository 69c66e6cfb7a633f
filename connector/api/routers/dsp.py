"""The Dataspace Protocol 2025-1 face: ``/.well-known/dspace-version``, the HTTPS binding under ``/dsp/2025-1``,
the dump data plane and, in TCK mode, the TCK's trigger endpoints. :func:`install` wires it into the app."""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, FastAPI, Request

from connector.api.problems import Problem
from connector.api.routers import dsp_admin, dsp_catalog, dsp_data, dsp_negotiations, dsp_tck, dsp_transfers
from connector.api.routers.dsp_common import tolerate_trailing_slash
from connector.context import Context
from connector.dsp.messages import DSP_PATH
from connector.dsp.service import DspService
from connector.dsp.setup import build_service
from connector.dsp.tokens import TransferTokenResolver

RESUME_DELAY_S = 1.0
log = logging.getLogger("connector.dsp")
router = APIRouter()
protocol = APIRouter(prefix=DSP_PATH)
for sub in (dsp_catalog.router, dsp_negotiations.router, dsp_transfers.router):
    tolerate_trailing_slash(sub)
    protocol.include_router(sub)
router.include_router(protocol)
router.include_router(dsp_data.router)
router.include_router(dsp_admin.router)


@router.get("/.well-known/dspace-version", tags=["dataspace protocol"], summary="Supported DSP versions")
def dspace_version(request: Request) -> dict:
    settings = request.app.state.ctx.settings
    version = {
        "version": "2025-1",
        "path": DSP_PATH,
        "binding": "HTTPS",
        "serviceId": settings.participant_id,
        "auth": {"protocol": "bearer", "version": "1.0", "profile": ["static-token", "jwt-es256", "jwt-eddsa"]},
    }
    if settings.participant_id.startswith("did:web:"):
        version["identifierType"] = "did:web"
    return {"protocolVersions": [version]}


@router.get("/.well-known/did.json", tags=["dataspace protocol"], summary="did:web document (DSP discovery, keys)")
def did_document(request: Request) -> dict:
    svc: DspService = request.app.state.dsp
    doc = svc.participants.did_document(svc.settings.base_url)
    if doc is None:
        raise Problem(404, "Not Found", "this connector's participant id is not a did:web identifier")
    return doc


def _resume(svc: DspService) -> None:
    try:
        resumed = svc.resume_pending()
    except Exception:  # a background job: log, never kill the thread silently
        log.exception("DSP: resuming pending processes failed")
        return
    if resumed:
        log.info("DSP: resumed %d pending process(es)", resumed)


def install(app: FastAPI, ctx: Context) -> None:
    """Build the DSP service, register the transfer-token resolver and mount the routes."""
    svc = build_service(ctx)
    app.state.dsp = svc
    app.state.resolvers.append(TransferTokenResolver(svc.repo, svc.graphs_of_dataset))
    app.include_router(router)
    # Follow-ups that a previous run acknowledged but never sent: once the server is listening, send them.
    timer = threading.Timer(RESUME_DELAY_S, _resume, (svc,))
    timer.daemon = True
    timer.start()
    if ctx.settings.dsp_tck_mode:
        app.include_router(dsp_tck.router)
