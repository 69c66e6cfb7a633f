"""The DCAT description of the catalog as RDF in the catalog graph, so that partners can query it with SPARQL.

It is produced from the very document the DSP catalog endpoint serves (all datasets, one page), expanded with the
official DSP 2025-1 context (bundled, offline) and converted to RDF, so both always say the same. Two corrections
make it DCAT-AP 3.0: the context maps ``endpointURL`` to a plain literal, which here becomes the IRI DCAT-AP wants,
and blank nodes (publishers, distributions, offers) get stable IRIs so that a new publication replaces the old one.
Dataset statements that jobs record (version, dates, VoID) are already in the graph and are left to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from connector.dsp.catalog import Catalog
from connector.dsp.messages import CONTEXT
from connector.namespaces import DCAT, DCT, ODRL, RDF
from connector.store import GraphStore

_CONTEXTS = {
    CONTEXT: Path(__file__).with_name("contexts") / "dspace.jsonld",
    "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": Path(__file__).with_name("contexts") / "odrl.jsonld",
}
PUBLISHED = frozenset(
    f"{ns}{term}"
    for ns, terms in (
        (DCT, ("identifier", "title", "description", "publisher", "license", "spatial")),
        (DCAT, ("keyword", "theme", "distribution")),
        (ODRL, ("hasPolicy",)),
        (RDF, ("type",)),
    )
    for term in terms
)
"""Dataset predicates this publication owns (the DSP catalog renders them from the registry, not from jobs)."""
_ENDPOINT_URL = f"{DCAT}endpointURL"


def _load_context(url: str, options: dict | None = None) -> dict[str, Any]:
    """Only the two bundled DSP contexts: the catalog document references nothing else, and nothing is fetched."""
    if url not in _CONTEXTS:
        raise jsonld.JsonLdError(f"unknown remote context {url}", "jsonld.LoadDocumentError")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(_CONTEXTS[url].read_text())}


def genid_prefix(catalog: Catalog) -> str:
    """Namespace of the IRIs given to the document's blank nodes (skolem IRIs, RDF 1.1 section 3.5)."""
    return f"{catalog.base_iri}catalog/.well-known/genid/"


def catalog_triples(catalog: Catalog) -> list[ox.Triple]:
    """The whole catalog (every dataset with offers and distributions, the service, the publisher) as DCAT-AP RDF."""
    document, _ = catalog.page([], 0, max(1, len(catalog.entries())))
    options = {"documentLoader": _load_context, "format": "application/n-quads", "base": f"{document['@id']}/request"}
    nquads = jsonld.to_rdf(document, options)
    prefix = genid_prefix(catalog)

    def term(node: Any) -> Any:
        return ox.NamedNode(prefix + node.value) if isinstance(node, ox.BlankNode) else node

    triples = []
    for quad in ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS):
        obj = quad.object
        if quad.predicate.value == _ENDPOINT_URL and isinstance(obj, ox.Literal):
            obj = ox.NamedNode(obj.value)  # DCAT-AP: dcat:endpointURL is an IRI (the DSP context says literal)
        triples.append(ox.Triple(term(quad.subject), quad.predicate, term(obj)))
    return triples


def publish_catalog(store: GraphStore, graph: str, catalog: Catalog) -> int:
    """Replace the catalog's DCAT description in ``graph`` in one update; returns the number of triples written."""
    datasets = {e.id for e in catalog.entries()}
    owned = [t for t in catalog_triples(catalog) if t.subject.value not in datasets or t.predicate.value in PUBLISHED]
    predicates = ", ".join(f"<{p}>" for p in sorted(PUBLISHED - {f"{RDF}type"}))
    dataset, typed = f"<{DCAT}Dataset>", f"<{RDF}type>"
    store.update(  # the previous publication: skolem nodes, catalog and service nodes, the datasets' owned statements
        f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> {{ "
        f'{{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{genid_prefix(catalog)}")) }} '
        f"UNION {{ ?s {typed} ?c ; ?p ?o FILTER(?c IN (<{DCAT}Catalog>, <{DCAT}DataService>)) }} "
        f"UNION {{ ?s {typed} {dataset} ; ?p ?o FILTER(?p IN ({predicates}) || (?p = {typed} && ?o = {dataset})) }} "
        f"}} }} ; INSERT DATA {{ GRAPH <{graph}> {{ {_ntriples(owned)} }} }}"
    )
    return len(owned)


def _ntriples(triples: Iterable[ox.Triple]) -> str:
    return " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
