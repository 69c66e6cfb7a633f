"""Dereferencing of minted ROME IRIs: ``GET /rome/<kind>/<code>`` is ``<base>rome/<kind>/<code>``.

HTML for browsers, Turtle / JSON-LD / N-Triples / RDF/XML by content negotiation (or ``?format=``), 404
problem+json for codes that are not in the rome graph.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from connector.api.deps import get_context
from connector.api.problems import Problem
from connector.context import Context
from connector.vocab.describe import describe, rome_iri, view

router = APIRouter(tags=["linked data"])

RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
FORMAT_PARAM = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "html": "text/html",
}
OFFERED = ["text/html", *RDF_TYPES]
TURTLE_PREFIXES = {"skos", "gsc", "esco", "dct", "owl", "rdfs", "xsd", "sssom", "semapv"}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)


def negotiate(accept: str | None) -> str | None:
    """The offered media type the Accept header prefers (Turtle for */*), or None when none is acceptable."""
    if not accept:
        return "text/turtle"
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        ranked.append((q, -i, fields[0].lower()))
    for q, _, mt in sorted(ranked, reverse=True):
        if q <= 0:
            continue
        if mt in OFFERED:
            return mt
        if mt in ("*/*", "text/*"):
            return "text/turtle" if mt == "*/*" else "text/html"
        if mt == "application/*":
            return "application/ld+json"
    return None


@router.get("/rome/{kind}/{code}", summary="Dereference a ROME 4.0 concept IRI")
async def rome_concept(
    kind: str, code: str, request: Request, format: str | None = None, ctx: Context = Depends(get_context)
) -> Response:
    iri = rome_iri(ctx, kind, code)
    if iri is None:
        raise Problem(404, "Not Found", f"/rome/{kind}/{code} is not a ROME concept IRI of this connector")
    media_type = FORMAT_PARAM.get(format or "") if format else negotiate(request.headers.get("accept"))
    if media_type is None:
        raise Problem(406, "Not Acceptable", f"available: {', '.join(OFFERED)}")
    triples = await run_in_threadpool(describe, ctx, iri)
    if not triples:
        raise Problem(404, "Not Found", f"no ROME concept {kind}/{code} is published here", iri=iri)
    headers = {"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'}
    if media_type == "text/html":
        page = _templates.get_template("rome_concept.html")
        base = ctx.settings.base_iri

        def local(value: str) -> str:
            """Minted IRIs link to this connector's own pages; others (ESCO) stay as they are."""
            return "/" + value[len(base) :] if value.startswith(base) else value

        html = page.render(c=view(iri, triples, ctx.minted.ontology), path=request.url.path, local=local)
        return HTMLResponse(html, headers=headers)
    prefixes = {p: ns for p, ns in ctx.minted.prefixes().items() if p in TURTLE_PREFIXES}
    body = ox.serialize(triples, format=RDF_TYPES[media_type], prefixes=prefixes)
    return Response(body, media_type=media_type, headers=headers)
