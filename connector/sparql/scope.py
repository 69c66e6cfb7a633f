"""Which graphs a caller may read, and the exact RDF dataset a query runs over.

Anonymous callers read the datasets whose access rule is ``open``; a transfer token adds the graphs of its
agreement (``Principal.graphs``); operators read everything. The dataset handed to the engine is always an explicit
list of allowed graphs, so nothing in the query text (FROM, FROM NAMED, GRAPH ?g, paths, sub-queries) can reach
another graph: the engine simply has no other graph in the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.auth import Principal
from connector.datasets.registry import DatasetRegistry
from connector.sparql.errors import SparqlError
from connector.sparql.lexer import DeclaredDataset


@dataclass(frozen=True)
class Scope:
    """Graphs a caller may read; ``graphs is None`` means every graph of the store (operators)."""

    graphs: frozenset[str] | None

    @property
    def unrestricted(self) -> bool:
        return self.graphs is None

    def allows(self, graph: str) -> bool:
        return self.graphs is None or graph in self.graphs


def scope_for(principal: Principal, registry: DatasetRegistry) -> Scope:
    if principal.has_role("operator"):
        return Scope(None)
    return Scope(frozenset(registry.graphs("open")) | principal.graphs)


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset of one query, in the terms of :meth:`GraphStore.evaluate`."""

    default_graphs: list[str] | None
    named_graphs: list[str] | None
    union_default_graph: bool


def resolve_dataset(
    scope: Scope,
    protocol_default: list[str],
    protocol_named: list[str],
    declared: DeclaredDataset,
    existing: frozenset[str] | None = None,
) -> QueryDataset:
    """The dataset a query runs over.

    Protocol parameters win over the query's own FROM / FROM NAMED (SPARQL 1.1 Protocol §2.1.4); with neither,
    the default graph is the union of the graphs the caller may read (those holding data, when ``existing`` says
    which) and those are the named graphs. Naming a
    graph outside the caller's scope is refused with 403 rather than silently answered from an empty graph.
    """
    if protocol_default or protocol_named:
        default, named = protocol_default, protocol_named
    elif not declared.empty:
        default, named = declared.default, declared.named
    else:
        if scope.graphs is None:
            return QueryDataset(None, None, True)
        visible = sorted(scope.graphs if existing is None else scope.graphs & existing)
        return QueryDataset(visible, visible, False)
    denied = sorted({g for g in (*default, *named) if not scope.allows(g)})
    if denied:
        raise SparqlError(
            403,
            "Graph not accessible",
            f"your credentials do not give access to {', '.join(f'<{g}>' for g in denied)}; "
            "an agreement for the dataset gives a token that does",
        )
    return QueryDataset(list(default), list(named), False)
