"""``/sparql`` (SPARQL 1.1 Protocol, read-only, scoped), ``/sparql/update`` (operators) and ``/store`` (Graph
Store HTTP Protocol). Thin: parse with :mod:`connector.sparql`, run, stream the answer back."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pyoxigraph as ox
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connector.api.deps import check_roles, current_principal, require_role
from connector.api.problems import Problem
from connector.api.routers.sparql_openapi import describe_query
from connector.auth import Principal
from connector.datasets.void import void_description_query
from connector.namespaces import DCT, SD, VOID
from connector.sparql.description import service_description
from connector.sparql.errors import SparqlError
from connector.sparql.examples import load_examples
from connector.sparql.graph_store import GRAPH_TYPES, GraphTarget, check_read, resolve_target, upload_media_type
from connector.sparql.negotiation import RDF_TYPES, best, choose
from connector.sparql.protocol import parse_query_request, parse_update_request
from connector.sparql.runners import Answer
from connector.sparql.service import SparqlService
from connector.store import GraphStore, RdfSyntaxError
from connector.store.formats import rdf_format

router = APIRouter(tags=["sparql"])
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def _every_method(path: str, documented: set[str], **kwargs: Any) -> Callable[[Callable], Callable]:
    """Register ``fn`` for every method, one route each, so that a wrong method gets the protocol's own 405 problem
    document: the ``documented`` methods are in OpenAPI with an operation id of their own (one route for several
    methods would give every method the same id), the others are hidden."""

    def register(fn: Callable) -> Callable:
        for method in ALL_METHODS:
            router.add_api_route(
                path,
                fn,
                methods=[method],
                operation_id=f"{fn.__name__}_{method.lower()}",
                include_in_schema=method in documented,
                **kwargs,
            )
        return fn

    return register


async def get_sparql(request: Request) -> SparqlService:
    """The app's one SPARQL service (its worker processes live as long as the app)."""
    service = getattr(request.app.state, "sparql", None)
    if service is None:
        service = request.app.state.sparql = SparqlService(request.app.state.ctx)
    return service


def _with_charset(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


async def _body(request: Request, limit: int, what: str) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"{what.capitalize()} too large", f"the {what} is limited to {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"{what.capitalize()} too large", f"the {what} is limited to {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class AnswerResponse(StreamingResponse):
    """Streams an :class:`Answer` and always releases its worker, even when the client leaves early."""

    def __init__(self, answer: Answer, headers: dict[str, str]) -> None:
        assert answer.body is not None
        super().__init__(answer.body, media_type=_with_charset(answer.head.media_type), headers=headers)
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.answer.release()


# -- query ---------------------------------------------------------------------------------------------------------
class SparqlQueryEndpoint:
    """``/sparql`` as a plain ASGI endpoint called by the request middleware: the hottest path of the app skips the
    router, FastAPI's dependency resolution and response machinery (about a fifth of the server's own time on a
    small query). Its errors still become problem documents through the app's handlers, and it is described in the
    OpenAPI document by :func:`describe_query`.

    Without a query, GET answers with the SPARQL Service Description of what the caller may read.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        service = await get_sparql(request)
        principal = await current_principal(request)
        method = scope["method"]
        body = b"" if method in ("GET", "HEAD") else await _body(request, service.settings.max_query_bytes * 4, "query")
        parsed = parse_query_request(
            method,
            scope["query_string"],  # the raw bytes: invalid UTF-8 becomes a 400 there (and no URL object)
            request.headers.get("content-type"),
            body,
            max_bytes=service.settings.max_query_bytes,
        )
        if parsed is None:
            response = await _service_description(request, service, principal)
            await response(scope, receive, send)
            return
        async with request.app.state.query_slots.slot():  # the per-process cap on queries evaluated at once
            answer = await service.query(principal, parsed, request.headers.get("accept"))
        headers = {"Vary": "Accept, Authorization", "X-SPARQL-Row-Cap": str(service.settings.sparql_row_cap)}
        if answer.head.complete:
            headers["X-SPARQL-Truncated"] = "true" if answer.head.truncated else "false"
        media_type = _with_charset(answer.head.media_type)
        if answer.content is not None and method != "HEAD":  # complete (at most ~1 MiB): sent as it is
            await _send_complete(send, answer.content, media_type, headers)
            return
        if method == "HEAD":
            answer.release()
            response: Response = Response(media_type=media_type, headers=headers)
        else:
            response = AnswerResponse(answer, headers)
        await response(scope, receive, send)


async def _send_complete(send: Send, content: bytes, media_type: str, headers: dict[str, str]) -> None:
    """A whole answer in two ASGI messages, without a response object (what it would send, at a fraction of the
    cost on the hottest path)."""
    raw = [(b"content-type", media_type.encode()), (b"content-length", str(len(content)).encode())]
    raw += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": 200, "headers": raw})
    await send({"type": "http.response.body", "body": content})


def install_query_endpoint(app: FastAPI) -> None:
    """Serve ``/sparql`` (any method: the protocol parser answers 405 itself) and describe it in the OpenAPI document.

    The request middleware calls it directly; the same endpoint is also a route of the router, so that what the
    router does for its routes (``/sparql/`` redirected, ``url_path_for("sparql_query")``) holds for it too.
    """
    endpoint = SparqlQueryEndpoint()
    app.state.direct_endpoints["/sparql"] = endpoint
    app.router.routes.insert(0, Route("/sparql", endpoint, name="sparql_query"))
    describe_query(app)


async def _service_description(request: Request, service: SparqlService, principal: Principal) -> Response:
    media = choose(request.headers.get("accept"), "construct")
    if media is None:
        raise SparqlError(406, "Not Acceptable", f"the service description is sent as {', '.join(RDF_TYPES)}")
    graphs = await run_in_threadpool(service.ctx.store.graphs)
    triples = service_description(service.endpoint, service.scope(principal), service.ctx.datasets, graphs)
    body = ox.serialize(triples, format=rdf_format(media), prefixes=_SD_PREFIXES)
    return Response(
        b"" if request.method == "HEAD" else body, media_type=_with_charset(media), headers={"Vary": "Accept"}
    )


_SD_PREFIXES = {"sd": SD, "void": VOID, "dct": DCT}


# -- update --------------------------------------------------------------------------------------------------------
@_every_method("/sparql/update", {"POST"}, summary="SPARQL 1.1 update (operators)", status_code=204)
async def sparql_update(
    request: Request,
    service: SparqlService = Depends(get_sparql),
    _: Principal = Depends(require_role("operator")),
) -> Response:
    body = (
        b""
        if request.method in ("GET", "HEAD")
        else await _body(request, service.settings.max_update_bytes * 4, "update")
    )
    parsed = parse_update_request(
        request.method,
        request.url.query,
        request.headers.get("content-type"),
        body,
        max_bytes=service.settings.max_update_bytes,
    )
    await service.update(parsed)
    return Response(status_code=204)


# -- graph store ---------------------------------------------------------------------------------------------------
@_every_method(
    "/store", {"GET", "HEAD", "PUT", "POST", "DELETE"}, summary="Graph Store HTTP Protocol (?graph=IRI or ?default)"
)
async def graph_store(
    request: Request,
    service: SparqlService = Depends(get_sparql),
    principal: Principal = Depends(current_principal),
) -> Response:
    return await _graph_store(request, service, principal, direct_iri=None)


@_every_method(
    "/store/{path:path}",
    {"GET", "HEAD", "PUT", "POST", "DELETE"},
    summary="Graph Store HTTP Protocol (direct graph URL)",
)
async def graph_store_direct(
    path: str,
    request: Request,
    service: SparqlService = Depends(get_sparql),
    principal: Principal = Depends(current_principal),
) -> Response:
    return await _graph_store(request, service, principal, direct_iri=f"{service.settings.base_url}/store/{path}")


async def _graph_store(
    request: Request, service: SparqlService, principal: Principal, direct_iri: str | None
) -> Response:
    store = service.ctx.store
    target = resolve_target(request.url.query, direct_iri)
    method = request.method
    if method in ("GET", "HEAD"):
        if target is None:
            raise SparqlError(400, "No graph named", "name the graph: ?graph=<IRI> or ?default")
        check_read(service.scope(principal), target)
        return await _read_graph(request, store, target)
    if method not in ("PUT", "POST", "DELETE"):
        raise SparqlError(
            405,
            "Method Not Allowed",
            "use GET, HEAD, PUT, POST or DELETE",
            headers={"Allow": "GET, HEAD, PUT, POST, DELETE"},
        )
    check_roles(principal, ("operator",))
    if method == "POST" and target is None:
        target = GraphTarget(f"{service.settings.base_url}/store/{uuid.uuid4()}")
        await _write_graph(request, service, target, replace=False)
        return Response(status_code=201, headers={"Location": target.iri or ""})
    if target is None:
        raise SparqlError(400, "No graph named", "name the graph: ?graph=<IRI> or ?default")
    existed = target.iri is None or await run_in_threadpool(store.has_graph, target.iri)
    if method == "DELETE":
        if not existed:
            raise SparqlError(404, "Not Found", f"{target.label} does not exist")
        await run_in_threadpool(store.drop_graph, target.iri)
        return Response(status_code=204)
    await _write_graph(request, service, target, replace=method == "PUT")
    return Response(status_code=204 if existed else 201)


async def _read_graph(request: Request, store: GraphStore, target: GraphTarget) -> Response:
    media = best(request.headers.get("accept"), GRAPH_TYPES + ("text/plain",))
    if media is None:
        raise SparqlError(406, "Not Acceptable", f"a graph is sent as {', '.join(GRAPH_TYPES)}")
    if target.iri is not None and not await run_in_threadpool(store.has_graph, target.iri):
        raise SparqlError(404, "Not Found", f"{target.label} does not exist")
    headers = {"Vary": "Accept, Authorization"}
    if request.method == "HEAD":
        return Response(media_type=_with_charset(media), headers=headers)
    chunks = store.export(target.iri, media)
    return StreamingResponse(_iterate_in_thread(chunks), media_type=_with_charset(media), headers=headers)


async def _iterate_in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    while True:
        chunk = await run_in_threadpool(next, chunks, None)
        if chunk is None:
            return
        yield chunk


async def _write_graph(request: Request, service: SparqlService, target: GraphTarget, *, replace: bool) -> None:
    store = service.ctx.store
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        if replace:
            raise SparqlError(415, "Unsupported Media Type", "multipart/form-data is accepted by POST only")
        triples = await _multipart_triples(request, service.settings.max_upload_bytes)
        await run_in_threadpool(store.add_to_graph, target.iri, iter(triples))
        return
    media = upload_media_type(content_type)
    with tempfile.TemporaryDirectory(prefix="gsp-") as tmp:
        path = Path(tmp) / "upload"
        size = 0
        with path.open("wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > service.settings.max_upload_bytes:
                    raise SparqlError(
                        413, "Upload too large", f"uploads are limited to {service.settings.max_upload_bytes} bytes"
                    )
                fh.write(chunk)
        try:
            if replace:
                await run_in_threadpool(store.replace_graph, target.iri, path, media)
            else:
                await run_in_threadpool(store.add_to_graph, target.iri, path, media)
        except RdfSyntaxError as exc:
            raise SparqlError(400, "Malformed RDF", str(exc)) from None
        except ValueError as exc:  # invalid UTF-8 and other decoding failures surface as ValueError
            raise SparqlError(400, "Malformed RDF", str(exc)) from None


async def _multipart_triples(request: Request, limit: int) -> list[ox.Triple]:
    """Parse every part of a multipart/form-data upload first, so that a bad part adds nothing."""
    form = await request.form(max_part_size=limit)
    triples: list[ox.Triple] = []
    for name, part in form.multi_items():
        if isinstance(part, str):
            raise SparqlError(400, "Bad multipart part", f"part {name!r} is not a file upload")
        media = upload_media_type(part.content_type)
        data = await part.read()
        try:
            triples += [q.triple for q in ox.parse(data, rdf_format(media), base_iri=None)]
        except (SyntaxError, ValueError) as exc:
            raise SparqlError(400, "Malformed RDF", f"part {name!r}: {exc}") from None
    return triples


# -- VoID ----------------------------------------------------------------------------------------------------------
@router.get("/.well-known/void", summary="VoID description of the datasets (size, classes, properties, links)")
@router.get("/void", summary="VoID description of the datasets (size, classes, properties, links)")
async def void(request: Request, service: SparqlService = Depends(get_sparql)) -> Response:
    media = choose(request.headers.get("accept"), "construct")
    if media is None:
        raise Problem(406, "Not Acceptable", f"VoID is sent as {', '.join(RDF_TYPES)}")
    query = void_description_query(service.ctx.datasets)
    result = await run_in_threadpool(service.ctx.store.query, query, result_media_type=media)
    body = await run_in_threadpool(result.read)
    return Response(body, media_type=_with_charset(media), headers={"Vary": "Accept"})


# -- console -------------------------------------------------------------------------------------------------------
_STATIC = Path(__file__).resolve().parent.parent / "static"
_ASSETS = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}


@router.get("/", summary="SPARQL console (YASGUI) with the example queries", include_in_schema=False)
def console() -> HTMLResponse:
    examples = [{"name": e.name, "title": e.title, "query": e.query} for e in load_examples()]
    template = jinja2.Template((_STATIC / "console.html").read_text(encoding="utf-8"), autoescape=True)
    # JSON inside <script>: only "</" could end the element early.
    examples_json = markupsafe.Markup(json.dumps(examples).replace("</", "<\\/"))
    return HTMLResponse(template.render(base="", examples_json=examples_json))


@router.get("/console/{asset}", include_in_schema=False)
def console_asset(asset: str) -> FileResponse:
    if asset not in _ASSETS:
        raise Problem(404, "Not Found", f"no console asset {asset!r}")
    return FileResponse(
        _STATIC / "vendor" / "yasgui" / asset,
        media_type=_ASSETS[asset],
        headers={"Cache-Control": "public, max-age=86400"},
    )
