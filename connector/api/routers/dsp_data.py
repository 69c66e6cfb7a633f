"""The pull data plane besides ``/sparql``: a dataset dump for holders of a transfer token (or anyone, if open)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from connector.api.deps import current_principal, get_context
from connector.api.problems import Problem
from connector.auth import Principal
from connector.context import Context

router = APIRouter(prefix="/dsp/data", tags=["dataspace protocol"])
DUMP_TYPES = ("application/n-triples", "text/turtle")


@router.get("/{dataset_id}", summary="Dump of a dataset's graph (N-Triples or Turtle)")
async def dump(
    request: Request,
    dataset_id: str,
    ctx: Context = Depends(get_context),
    principal: Principal = Depends(current_principal),
) -> StreamingResponse:
    graphs = request.app.state.dsp.graphs_of_dataset(dataset_id)
    if not graphs:
        raise Problem(404, "Not Found", f"no dataset {dataset_id}")
    open_graphs = set(ctx.datasets.graphs("open"))
    if not graphs <= open_graphs | principal.graphs:
        raise Problem(401 if principal.anonymous else 403, "Transfer token required",
                      "start a transfer for an agreement on this dataset and send its token as a bearer token",
                      headers={"WWW-Authenticate": "Bearer"} if principal.anonymous else None)  # fmt: skip
    accept = request.headers.get("accept", "")
    media_type = next((t for t in DUMP_TYPES if t in accept), DUMP_TYPES[0])
    (graph,) = graphs
    return StreamingResponse(ctx.store.export(graph, media_type), media_type=media_type)
