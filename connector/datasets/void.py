"""VoID descriptions of the published datasets: size, classes, properties and links to the other datasets.

A job that publishes a dataset calls :func:`refresh_published_void` afterwards; it measures the dataset's graph (or
takes the figures the job counted as it wrote the graph, :mod:`connector.datasets.void_counts`) and replaces the
dataset's VoID statements in the catalog graph in one update, so the catalog counts, the SPARQL service description
and ``/.well-known/void`` never show stale or half-written figures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from connector.datasets.metadata import dataset_iri
from connector.datasets.registry import DatasetRegistry
from connector.namespaces import ESCO_DATA, RDF, VOID, XSD, Minted
from connector.store import GraphStore

if TYPE_CHECKING:
    from connector.context import Context


def uri_spaces(minted: Minted) -> dict[str, str]:
    """Namespace of the resources each dataset describes (``void:uriSpace``), used to count links between them."""
    gen = minted.gen
    return {
        "esco": ESCO_DATA,
        "rome": minted.rome,
        "trainings": f"{gen}training/",
        "job-sheets": f"{gen}job-sheet/",
    }


@dataclass
class VoidStatistics:
    dataset: str
    triples: int = 0
    entities: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    properties: dict[str, int] = field(default_factory=dict)
    """Property IRI -> triples using it."""
    classes: dict[str, int] = field(default_factory=dict)
    """Class IRI -> instances."""
    links: dict[tuple[str, str], int] = field(default_factory=dict)
    """(target dataset id, link predicate) -> triples whose object lies in the target's URI space."""


def _int(rows: list[dict], key: str) -> int:
    return int(rows[0][key]) if rows else 0


def compute_statistics(store: GraphStore, registry: DatasetRegistry, dataset_id: str) -> VoidStatistics:
    """Measure one dataset's graph (a few aggregate queries; seconds for a million triples)."""
    graph = registry.get(dataset_id).graph
    stats = VoidStatistics(dataset_id)
    totals = store.select(
        "SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?s_) (COUNT(DISTINCT ?o) AS ?o_) "
        f"WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    )
    stats.triples, stats.distinct_subjects, stats.distinct_objects = (
        _int(totals, "t"),
        _int(totals, "s_"),
        _int(totals, "o_"),
    )
    stats.entities = _int(
        store.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(isIRI(?s)) }} }}"),
        "n",
    )
    stats.properties = {
        r["p"]: int(r["n"])
        for r in store.select(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} GROUP BY ?p")
    }
    stats.classes = {
        r["c"]: int(r["n"])
        for r in store.select(
            f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s a ?c FILTER(isIRI(?c)) }} }} "
            "GROUP BY ?c"
        )
    }
    targets = [(t, space) for t, space in uri_spaces(registry.minted).items() if t != dataset_id]
    if targets:  # one scan for all targets (the URI spaces do not overlap), not one per target
        target = '""'
        for t, space in reversed(targets):
            target = f'IF(STRSTARTS(STR(?o), "{space}"), "{t}", {target})'
        # IRIs are classified once per distinct (predicate, object), not once per triple: half the time
        for row in store.select(
            f"SELECT ?target ?p (SUM(?c) AS ?n) WHERE {{ "
            f"{{ SELECT ?p ?o (COUNT(*) AS ?c) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} GROUP BY ?p ?o }} "
            f'FILTER(isIRI(?o)) BIND({target} AS ?target) FILTER(?target != "") }} GROUP BY ?target ?p'
        ):
            stats.links[(row["target"], row["p"])] = int(row["n"])
    return stats


def _key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def void_triples(registry: DatasetRegistry, stats: VoidStatistics, sparql_endpoint: str | None) -> list[ox.Triple]:
    """The VoID statements for ``stats``: the dataset, its class and property partitions and its linksets."""
    ds = ox.NamedNode(dataset_iri(registry, stats.dataset))

    def v(term: str) -> ox.NamedNode:
        return ox.NamedNode(f"{VOID}{term}")

    def count(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=ox.NamedNode(f"{XSD}integer"))

    a = ox.NamedNode(f"{RDF}type")
    triples = [
        ox.Triple(ds, a, v("Dataset")),
        ox.Triple(ds, v("triples"), count(stats.triples)),
        ox.Triple(ds, v("entities"), count(stats.entities)),
        ox.Triple(ds, v("distinctSubjects"), count(stats.distinct_subjects)),
        ox.Triple(ds, v("distinctObjects"), count(stats.distinct_objects)),
        ox.Triple(ds, v("properties"), count(len(stats.properties))),
        ox.Triple(ds, v("classes"), count(len(stats.classes))),
    ]
    if sparql_endpoint:
        triples.append(ox.Triple(ds, v("sparqlEndpoint"), ox.NamedNode(sparql_endpoint)))
    space = uri_spaces(registry.minted).get(stats.dataset)
    if space:
        triples.append(ox.Triple(ds, v("uriSpace"), ox.Literal(space)))
    for cls, n in sorted(stats.classes.items()):
        part = ox.NamedNode(f"{ds.value}/void/class/{_key(cls)}")
        triples += [
            ox.Triple(ds, v("classPartition"), part),
            ox.Triple(part, v("class"), ox.NamedNode(cls)),
            ox.Triple(part, v("entities"), count(n)),
        ]
    for prop, n in sorted(stats.properties.items()):
        part = ox.NamedNode(f"{ds.value}/void/property/{_key(prop)}")
        triples += [
            ox.Triple(ds, v("propertyPartition"), part),
            ox.Triple(part, v("property"), ox.NamedNode(prop)),
            ox.Triple(part, v("triples"), count(n)),
        ]
    for (target, prop), n in sorted(stats.links.items()):
        linkset = ox.NamedNode(f"{ds.value}/void/links/{target}/{_key(prop)}")
        triples += [
            ox.Triple(ds, v("subset"), linkset),
            ox.Triple(linkset, a, v("Linkset")),
            ox.Triple(linkset, v("subjectsTarget"), ds),
            ox.Triple(linkset, v("objectsTarget"), ox.NamedNode(dataset_iri(registry, target))),
            ox.Triple(linkset, v("linkPredicate"), ox.NamedNode(prop)),
            ox.Triple(linkset, v("triples"), count(n)),
        ]
    return triples


def refresh_void(
    store: GraphStore,
    registry: DatasetRegistry,
    dataset_id: str,
    *,
    sparql_endpoint: str | None = None,
    stats: VoidStatistics | None = None,
) -> VoidStatistics:
    """Replace the VoID description of ``dataset_id`` in the catalog graph (one atomic update) with ``stats``, or
    with what measuring its graph gives when the caller did not count it."""
    stats = stats or compute_statistics(store, registry, dataset_id)
    ds = dataset_iri(registry, dataset_id)
    catalog = registry.get("catalog").graph
    data = " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in void_triples(registry, stats, sparql_endpoint))
    store.update(
        f"DELETE {{ GRAPH <{catalog}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{catalog}> {{ ?s ?p ?o "
        f'FILTER(STRSTARTS(STR(?s), "{ds}/void/") || (?s = <{ds}> && STRSTARTS(STR(?p), "{VOID}"))) }} }} ; '
        f"INSERT DATA {{ GRAPH <{catalog}> {{ {data} }} }}"
    )
    return stats


def refresh_published_void(ctx: Context, dataset_id: str, stats: VoidStatistics | None = None) -> VoidStatistics:
    """:func:`refresh_void` as the jobs call it once they published ``dataset_id``: open datasets name the public
    SPARQL endpoint (the others are reached through a dataspace transfer)."""
    open_ = ctx.datasets.get(dataset_id).access == "open"
    endpoint = f"{ctx.settings.base_url}/sparql" if open_ else None
    return refresh_void(ctx.store, ctx.datasets, dataset_id, sparql_endpoint=endpoint, stats=stats)


def void_description_query(registry: DatasetRegistry) -> str:
    """A CONSTRUCT query returning every VoID statement of the catalog graph (what ``/.well-known/void`` serves)."""
    catalog = registry.get("catalog").graph
    prefix = registry.minted.dataset
    return (
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{catalog}> {{ ?s ?p ?o "
        f'FILTER(STRSTARTS(STR(?s), "{prefix}") && (STRSTARTS(STR(?p), "{VOID}") || '
        f'CONTAINS(STR(?s), "/void/") || (?p = <{RDF}type> && ?o = <{VOID}Dataset>))) }} }}'
    )
