"""Vocabularies (ROME, ESCO...) consulted by "referenced concept exists" checks, loaded once and reused.

They are kept in an in-memory pyoxigraph store, not in the data graph: validating a record adds to its data graph
only the vocabulary *slice* it references, i.e. every triple whose subject is an IRI the data uses as an object,
plus the ``rdf:type`` of the IRIs those triples point to (the concept schemes). Vocabulary nodes are therefore
checked only where the data references them, and one record validates in milliseconds next to 100k+ vocabulary
triples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import Graph, URIRef

from connector.store import GraphStore
from connector.validation.data import DataInput, parse_triples

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class Vocabularies:
    """A read-only set of vocabulary triples with fast lookup by subject."""

    def __init__(self, store: ox.Store | None = None, graphs: Iterable[str] | None = None) -> None:
        self.store = store or ox.Store()
        self.graphs = [ox.NamedNode(g) for g in graphs] if graphs else [ox.DefaultGraph()]

    @classmethod
    def load(cls, sources: Iterable[DataInput], media_type: str | None = None) -> Vocabularies:
        """Load files, bytes (with ``media_type``) or rdflib graphs into a fresh in-memory store."""
        store = ox.Store()
        for source in sources:
            if isinstance(source, Graph):
                store.bulk_extend(ox.Quad(*(_from_rdflib(t) for t in triple), ox.DefaultGraph()) for triple in source)
            else:
                triples = parse_triples(source if not isinstance(source, str) else source.encode(), media_type)
                store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
        return cls(store)

    @classmethod
    def from_store(cls, store: GraphStore, graphs: Iterable[str]) -> Vocabularies:
        """The given graphs of the connector's store: read in place from the embedded store, copied once from a
        remote one."""
        from connector.store.embedded import EmbeddedStore

        graphs = list(graphs)
        if isinstance(store, EmbeddedStore):
            return cls(store.raw, graphs)
        memory = ox.Store()
        for graph in graphs:
            data = b"".join(store.export(graph, "application/n-triples"))
            memory.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        return cls(memory, graphs)

    def __len__(self) -> int:
        return sum(len(list(self.store.quads_for_pattern(None, None, None, g))) for g in self.graphs)

    def describe(self, subject: ox.NamedNode) -> Iterator[ox.Triple]:
        for g in self.graphs:
            for q in self.store.quads_for_pattern(subject, None, None, g):
                yield ox.Triple(q.subject, q.predicate, q.object)

    def slice_for(self, iris: Iterable[ox.NamedNode]) -> list[ox.Triple]:
        """Vocabulary triples about ``iris`` plus the types of the IRIs they point to."""
        out: list[ox.Triple] = []
        second: set[ox.NamedNode] = set()
        for iri in iris:
            for t in self.describe(iri):
                out.append(t)
                if isinstance(t.object, ox.NamedNode) and t.predicate != RDF_TYPE:
                    second.add(t.object)
        for iri in second:
            for g in self.graphs:
                out.extend(
                    ox.Triple(q.subject, q.predicate, q.object)
                    for q in self.store.quads_for_pattern(iri, RDF_TYPE, None, g)
                )
        return out


def _from_rdflib(term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if term.__class__.__name__ == "BNode":
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))
