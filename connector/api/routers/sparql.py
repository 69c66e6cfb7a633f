"""``/sparql``: SPARQL 1.1 Protocol query endpoint, read-only, scoped to what the caller may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from connector.api.deps import current_principal, get_context
from connector.api.problems import Problem
from connector.auth import Principal
from connector.context import Context

router = APIRouter(tags=["sparql"])


def visible_graphs(ctx: Context, principal: Principal) -> list[str]:
    """Open datasets for everyone, plus the contract graphs the caller's transfer token grants."""
    return ctx.datasets.graphs("open") + sorted(principal.graphs - set(ctx.datasets.graphs("open")))


async def _answer(ctx: Context, principal: Principal, query: str | None) -> Response:
    if not query:
        raise Problem(400, "Missing query", "send the SPARQL query in the 'query' parameter")
    if len(query.encode()) > ctx.settings.max_query_bytes:
        raise Problem(413, "Query too large", f"queries are limited to {ctx.settings.max_query_bytes} bytes")
    graphs = visible_graphs(ctx, principal)
    result = await run_in_threadpool(
        ctx.store.query,
        query,
        named_graphs=graphs,
        union_default_graph=True,
        result_media_type="application/sparql-results+json",
        timeout_s=ctx.settings.query_timeout_s,
    )
    if result.kind == "construct":
        raise Problem(406, "Not Acceptable", "this endpoint answers SELECT and ASK queries")
    body = await run_in_threadpool(result.read)
    return Response(body, media_type="application/sparql-results+json")


@router.get("/sparql", summary="SPARQL query (GET)")
async def sparql_get(
    request: Request,
    ctx: Context = Depends(get_context),
    principal: Principal = Depends(current_principal),
) -> Response:
    return await _answer(ctx, principal, request.query_params.get("query"))


@router.post("/sparql", summary="SPARQL query (POST form or direct)")
async def sparql_post(
    request: Request,
    ctx: Context = Depends(get_context),
    principal: Principal = Depends(current_principal),
) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        query = (await request.form()).get("query")
        return await _answer(ctx, principal, query if isinstance(query, str) else None)
    if content_type == "application/sparql-query":
        raw = await request.body()
        try:
            return await _answer(ctx, principal, raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise Problem(400, "Bad encoding", "the query must be UTF-8") from None
    raise Problem(415, "Unsupported Media Type", "use application/x-www-form-urlencoded or application/sparql-query")
