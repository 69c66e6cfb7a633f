"""Dataset metadata that jobs measure (version loaded, counts, coverage), kept in the catalog graph.

A job records what it knows about its dataset with :func:`set_dataset_properties`; the DCAT catalog, VoID
descriptions and linked-data pages read it back from the catalog graph. Each call replaces the values of the
predicates it names for that dataset, in one update (so readers never see half of it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from connector.datasets.registry import DatasetRegistry
from connector.store import GraphStore

Value = ox.NamedNode | ox.Literal


def dataset_iri(registry: DatasetRegistry, dataset_id: str) -> str:
    """The DCAT dataset IRI of a registered dataset."""
    registry.get(dataset_id)  # KeyError for unknown ids
    return f"{registry.minted.dataset}{dataset_id}"


def set_dataset_properties(
    store: GraphStore,
    registry: DatasetRegistry,
    dataset_id: str,
    properties: Mapping[str, Value | Sequence[Value]],
) -> None:
    """Replace the values of each given predicate (IRI -> value or values) of the dataset, atomically."""
    subject = f"<{dataset_iri(registry, dataset_id)}>"
    graph = f"<{registry.get('catalog').graph}>"
    deletes, inserts = [], []
    for i, (predicate, values) in enumerate(properties.items()):
        deletes.append(f"{subject} <{predicate}> ?o{i} .")
        for value in [values] if isinstance(values, Value) else values:
            inserts.append(f"{subject} <{predicate}> {value} .")
    patterns = " ".join(f"OPTIONAL {{ {d} }}" for d in deletes)
    store.update(
        f"DELETE {{ GRAPH {graph} {{ {' '.join(deletes)} }} }} "
        f"INSERT {{ GRAPH {graph} {{ {' '.join(inserts)} }} }} "
        f"WHERE {{ OPTIONAL {{ GRAPH {graph} {{ {patterns} }} }} }}"
    )


def get_dataset_properties(store: GraphStore, registry: DatasetRegistry, dataset_id: str) -> dict[str, list[str]]:
    """All recorded predicate -> values (lexical forms) of the dataset."""
    subject = dataset_iri(registry, dataset_id)
    rows = store.select(f"SELECT ?p ?o WHERE {{ GRAPH <{registry.get('catalog').graph}> {{ <{subject}> ?p ?o }} }}")
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["p"], []).append(row["o"])
    return found
