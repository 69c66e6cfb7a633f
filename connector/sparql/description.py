"""SPARQL 1.1 Service Description of the endpoint, as the caller sees it (only the graphs it may read)."""

from __future__ import annotations

import pyoxigraph as ox

from connector.datasets.registry import DatasetRegistry
from connector.namespaces import DCT, RDF, SD, VOID
from connector.sparql.scope import Scope

_FORMATS = "http://www.w3.org/ns/formats/"
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV")
RDF_FORMATS = ("Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG")


def service_description(
    endpoint: str, scope: Scope, registry: DatasetRegistry, store_graphs: list[str]
) -> list[ox.Triple]:
    """Triples describing the service at ``endpoint``; named graphs are the visible ones that hold data."""
    service = ox.NamedNode(endpoint)
    dataset = ox.BlankNode()
    default_graph = ox.BlankNode()

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    triples = [
        ox.Triple(service, iri(f"{RDF}type"), iri(f"{SD}Service")),
        ox.Triple(service, iri(f"{SD}endpoint"), service),
        ox.Triple(service, iri(f"{SD}supportedLanguage"), iri(f"{SD}SPARQL11Query")),
        ox.Triple(service, iri(f"{SD}feature"), iri(f"{SD}UnionDefaultGraph")),
        ox.Triple(service, iri(f"{DCT}description"), ox.Literal(_SCOPE_NOTE, language="en")),
        ox.Triple(service, iri(f"{SD}defaultDataset"), dataset),
        ox.Triple(dataset, iri(f"{RDF}type"), iri(f"{SD}Dataset")),
        ox.Triple(dataset, iri(f"{SD}defaultGraph"), default_graph),
        ox.Triple(default_graph, iri(f"{RDF}type"), iri(f"{SD}Graph")),
    ]
    triples += [ox.Triple(service, iri(f"{SD}resultFormat"), iri(_FORMATS + f)) for f in RESULT_FORMATS + RDF_FORMATS]
    for graph in store_graphs:
        if not scope.allows(graph):
            continue
        named = ox.BlankNode()
        triples += [
            ox.Triple(dataset, iri(f"{SD}namedGraph"), named),
            ox.Triple(named, iri(f"{RDF}type"), iri(f"{SD}NamedGraph")),
            ox.Triple(named, iri(f"{SD}name"), iri(graph)),
        ]
        known = registry.by_graph(graph)
        if known is not None:
            triples.append(ox.Triple(named, iri(f"{VOID}inDataset"), iri(f"{registry.minted.dataset}{known.id}")))
            triples.append(ox.Triple(named, iri(f"{DCT}title"), ox.Literal(known.title["en"], language="en")))
    return triples


_SCOPE_NOTE = (
    "The default graph is the union of the graphs you may read: open datasets for everyone, plus the datasets of "
    "your agreements when you send the transfer token as a bearer token. SERVICE and updates are not available here."
)
