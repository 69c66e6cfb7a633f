"""What every DSP endpoint shares: identify the peer, read a bounded JSON body, answer errors with typed DSP bodies.

DSP errors are not problem+json: the protocol wants ``CatalogError`` / ``ContractNegotiationError`` /
``TransferError`` objects (``code`` + ``reason``) with a 4xx status, never a 5xx for a peer's mistake.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask

from connector.dsp.catalog import FilterError
from connector.dsp.identity import IdentityError
from connector.dsp.messages import MessageError, error_body
from connector.dsp.service import DspError, DspService
from connector.dsp.states import Kind

log = logging.getLogger("connector.dsp")

CATALOG_ERROR, NEGOTIATION_ERROR, TRANSFER_ERROR = "CatalogError", "ContractNegotiationError", "TransferError"
JSON_TYPES = ("application/json", "application/ld+json")


@dataclass
class Outcome:
    body: dict[str, Any] | None
    status: int = 200
    react: tuple[Kind, str] | None = None
    """A process whose next steps run once the reply is sent."""
    headers: dict[str, str] | None = None


def service(request: Request) -> DspService:
    return request.app.state.dsp


def typed_error(kind: str, status: int, reasons: list[str], consumer_pid: str = "", provider_pid: str = "") -> Response:
    return JSONResponse(error_body(kind, str(status), reasons, consumer_pid, provider_pid), status_code=status)


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise DspError(413, f"the message is larger than {limit} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise DspError(415, f"send JSON ({' or '.join(JSON_TYPES)}), not {content_type}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise DspError(413, f"the message is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def answer(request: Request, error_kind: str, work: Callable[[str, bytes, str], Outcome]) -> Response:
    """Identify the caller, read the body, run ``work(participant, body, digest)`` off the event loop, reply;
    then run the process's next steps in the background."""
    svc = service(request)
    try:
        participant = svc.identify(request.headers.get("authorization"))
        raw = await _body(request, svc.settings.dsp_max_body_bytes) if request.method == "POST" else b""
        outcome = await run_in_threadpool(work, participant, raw, hashlib.sha256(raw).hexdigest())
    except IdentityError as exc:
        return typed_error(error_kind, 401, [str(exc)])
    except MessageError as exc:
        return typed_error(error_kind, 400, exc.reasons, exc.consumer_pid, exc.provider_pid)
    except FilterError as exc:
        return typed_error(error_kind, 400, [str(exc)])
    except DspError as exc:
        return typed_error(error_kind, exc.status, exc.reasons, exc.consumer_pid, exc.provider_pid)
    response: Response = (
        JSONResponse(outcome.body, status_code=outcome.status, headers=outcome.headers)
        if outcome.body is not None
        else Response(status_code=outcome.status, headers=outcome.headers)
    )
    if outcome.react:
        response.background = BackgroundTask(svc.react, *outcome.react)
    return response


def tolerate_trailing_slash(router: APIRouter) -> None:
    """Serve every route also with a trailing slash (peers add one; a 307 redirect would make them re-send POSTs)."""
    for route in list(router.routes):
        if isinstance(route, APIRoute) and ":path}" not in route.path and not route.path.endswith("/"):
            path = route.path.removeprefix(router.prefix) + "/"
            router.add_api_route(path, route.endpoint, methods=list(route.methods), include_in_schema=False)
