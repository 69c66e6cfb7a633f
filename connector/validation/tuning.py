"""Behaviour-preserving speed-ups for pyshacl, used by the fast engine path, and the graph that enforces deadlines.

Profiling pyshacl 0.40 on ELM data (hundreds of property shapes evaluated once per value node) shows three hot
spots that do not depend on the data: every shape evaluation re-reads its own triples from the shapes graph and
tests each of them for membership in a *list* of ~30 constraint parameters, and every SPARQL constraint re-parses
its query text for each focus node (~50 ms each with rdflib's parser). The shapes graph does not change while
validating, so its lookups can be memoised; the parameter list can answer ``in`` from a set; a parsed query can be
reused. None of this changes a result (the W3C core suite runs through both engine paths to show it).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import pyshacl.shape
from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
from rdflib import Graph
from rdflib.paths import Path
from rdflib.plugins.sparql import prepareQuery

from connector.validation.errors import ValidationTimeout
from connector.validation.shapes_cache import per_shapes_graph


class _ParameterList(list):
    """pyshacl's list of constraint parameters, same items and order, with O(1) membership tests."""

    def __init__(self, items: list) -> None:
        super().__init__(items)
        self._members = frozenset(items)

    def __contains__(self, item: object) -> bool:
        return item in self._members


_tuned = False


def tune_pyshacl() -> None:
    """Pre-fill pyshacl's lazily built parameter cache with a fast-membership list (idempotent)."""
    global _tuned
    if not _tuned:
        pyshacl.shape.CONSTRAINT_PARAMS = (_ParameterList(ALL_CONSTRAINT_PARAMETERS), CONSTRAINT_PARAMETERS_MAP)
        _tuned = True


class MemoGraph(Graph):
    """A shapes graph that remembers the answer to each triple pattern until it is modified."""

    def __init__(self, source: Graph | None = None) -> None:
        super().__init__()
        self._memo: dict = {}
        if source is not None:
            for prefix, namespace in source.namespaces():
                self.bind(prefix, namespace, override=False)
            self += source

    def triples(self, triple, *args, **kwargs):  # type: ignore[override]
        if args or kwargs or isinstance(triple[1], Path):
            yield from super().triples(triple, *args, **kwargs)
            return
        found = self._memo.get(triple)
        if found is None:
            found = self._memo[triple] = list(super().triples(triple))
        yield from found

    def add(self, triple):  # type: ignore[override]
        if triple not in self:  # pyshacl re-adds its system triples on every call: keep the memo then
            self._memo.clear()
            super().add(triple)
        return self

    def addN(self, quads):  # type: ignore[override]  # noqa: N802 - rdflib's name
        self._memo.clear()
        return super().addN(quads)

    def remove(self, triple):  # type: ignore[override]
        self._memo.clear()
        return super().remove(triple)


_memo_copy = per_shapes_graph(MemoGraph)
_lock = threading.Lock()


def memo_shapes(shapes: Graph) -> MemoGraph:
    """The memoising copy of a (cached, unchanging) shapes graph, made once per graph."""
    return shapes if isinstance(shapes, MemoGraph) else _memo_copy(shapes)


_prepared: OrderedDict[tuple, object] = OrderedDict()
_PREPARED_MAX = 256


def _prepare(text: str, namespaces: dict) -> object:
    """A parsed SPARQL query, cached by text and prefix table (what rdflib's parse depends on)."""
    key = (text, tuple(sorted((k, str(v)) for k, v in namespaces.items())))
    with _lock:
        found = _prepared.get(key)
        if found is not None:
            _prepared.move_to_end(key)
            return found
    query = prepareQuery(text, initNs=namespaces)
    with _lock:
        _prepared[key] = query
        if len(_prepared) > _PREPARED_MAX:
            _prepared.popitem(last=False)
    return query


class ValidationGraph(Graph):
    """The data graph pyshacl walks: optionally stops at a deadline (pyshacl reads data only through ``triples``
    and ``query``, so checking the clock there stops the work itself), optionally reuses parsed SPARQL queries."""

    def __init__(self, deadline: float | None = None, reuse_queries: bool = False) -> None:
        super().__init__()
        self._deadline = deadline
        self._reuse_queries = reuse_queries
        self._calls = 0

    def _check_deadline(self) -> None:
        self._calls += 1
        if self._deadline is not None and self._calls % 256 == 0 and time.monotonic() > self._deadline:
            raise ValidationTimeout("validation exceeded its time limit and was stopped")

    def triples(self, triple, *args, **kwargs):  # type: ignore[override]
        self._check_deadline()
        return super().triples(triple, *args, **kwargs)

    def query(  # type: ignore[override]
        self,
        query_object,
        processor="sparql",
        result="sparql",
        initNs=None,  # noqa: N803 - rdflib's names
        initBindings=None,  # noqa: N803
        use_store_provided=True,
        **kwargs,
    ):
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise ValidationTimeout("validation exceeded its time limit and was stopped")
        if self._reuse_queries and isinstance(query_object, str) and processor == "sparql":
            query_object = _prepare(query_object, initNs or dict(self.namespaces()))
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)
