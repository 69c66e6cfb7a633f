"""SPARQL 1.1 Graph Store HTTP Protocol: which graph a request names, who may touch it, what it may carry."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from connector.sparql.errors import SparqlError
from connector.sparql.protocol import graph_iri, media_type
from connector.sparql.scope import Scope
from connector.store.formats import RDF_MEDIA_TYPES

GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
"""Formats a graph is read and written in (dataset formats such as TriG have no place in a single graph)."""


@dataclass(frozen=True)
class GraphTarget:
    """The graph a Graph Store request is about; ``iri is None`` for the default graph."""

    iri: str | None

    @property
    def label(self) -> str:
        return "the default graph" if self.iri is None else f"graph <{self.iri}>"


def resolve_target(url_query: str, direct_iri: str | None) -> GraphTarget | None:
    """The graph named by ``?graph=``, ``?default`` or the request URL itself (direct identification).

    Returns None for a request on the service itself (no graph named), which only POST accepts (graph creation).
    """
    try:
        params = parse_qsl(url_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise SparqlError(400, "Invalid UTF-8", "the graph IRI is not valid percent-encoded UTF-8") from None
    graphs = [v for k, v in params if k == "graph"]
    default = any(k == "default" for k, _ in params)
    named = len(graphs) + int(default) + int(direct_iri is not None)
    if named > 1:
        raise SparqlError(400, "Ambiguous graph", "name one graph: ?graph=<IRI>, ?default, or the graph's own URL")
    if graphs:
        return GraphTarget(graph_iri(graphs[0], "graph"))
    if default:
        return GraphTarget(None)
    if direct_iri is not None:
        return GraphTarget(graph_iri(direct_iri, "graph"))
    return None


def check_read(scope: Scope, target: GraphTarget) -> None:
    if target.iri is None and not scope.unrestricted:
        raise SparqlError(
            403, "Graph not accessible", "the default graph is not published; read a dataset graph with ?graph=<IRI>"
        )
    if target.iri is not None and not scope.allows(target.iri):
        raise SparqlError(403, "Graph not accessible", f"your credentials do not give access to {target.label}")


def upload_media_type(content_type: str | None) -> str:
    """The RDF media type of an uploaded graph (415 for anything else, including non-UTF-8 charsets)."""
    kind, params = media_type(content_type)
    if not kind:
        raise SparqlError(400, "Missing Content-Type", f"send the graph as one of {', '.join(GRAPH_TYPES)}")
    if kind not in RDF_MEDIA_TYPES or kind in ("application/n-quads", "application/trig"):
        raise SparqlError(
            415, "Unsupported Media Type", f"send the graph as one of {', '.join(GRAPH_TYPES)}, not {kind}"
        )
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise SparqlError(415, "Unsupported charset", f"RDF must be sent in UTF-8, not {charset}")
    return kind
