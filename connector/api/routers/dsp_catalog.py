"""DSP catalog protocol: ``POST /catalog/request`` (paginated with Link headers) and ``GET /catalog/datasets/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from connector.api.routers.dsp_common import CATALOG_ERROR, Outcome, answer, service
from connector.dsp import messages as m
from connector.dsp.service import DspError

router = APIRouter(tags=["dataspace protocol"])


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise DspError(400, f"query parameter {name} must be an integer in [{lo}, {hi}]")
    return int(raw)


@router.post("/catalog/request", summary="CatalogRequestMessage -> Catalog (Link rel=next/previous pages)")
async def catalog_request(request: Request) -> Response:
    svc = service(request)
    size = svc.settings.dsp_catalog_page_size

    def work(participant: str, raw: bytes, digest: str) -> Outcome:
        msg = m.parse(m.decode(raw), m.CatalogRequestMessage)
        offset = _int(request, "offset", 0, 0, 10**9)
        limit = _int(request, "limit", size, 1, 1000)
        doc, more = svc.catalog.page(msg.filter, offset, limit)
        url = f"{svc.dsp_url}/catalog/request"
        links = []
        if more:
            links.append(f'<{url}?offset={offset + limit}&limit={limit}>; rel="next"')
        if offset > 0:
            links.append(f'<{url}?offset={max(0, offset - limit)}&limit={limit}>; rel="previous"')
        return Outcome(doc, headers={"Link": ", ".join(links)} if links else None)

    return await answer(request, CATALOG_ERROR, work)


@router.get("/catalog/datasets/{dataset_id:path}", summary="Dataset by id (IRI or short id)")
async def dataset(request: Request, dataset_id: str) -> Response:
    svc = service(request)

    def work(participant: str, raw: bytes, digest: str) -> Outcome:
        entry = svc.catalog.find(dataset_id)
        if entry is None:
            raise DspError(404, f"dataset {dataset_id} not found")
        return Outcome(svc.catalog.dataset_document(entry))

    return await answer(request, CATALOG_ERROR, work)
