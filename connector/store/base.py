"""The store interface: the only way the rest of the connector reaches the triple store.

Everything outside ``connector.store`` asks for "replace graph G atomically", "query over graphs {G1..Gn}", "export
G"; it never sees whether the store is embedded (pyoxigraph on disk) or remote (SPARQL 1.1 Protocol + Graph Store
Protocol).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox

STAGING_PREFIX = "urn:gsc:staging:"
"""Graphs being written before an atomic swap. Never published; dropped when found stale."""


@dataclass(frozen=True)
class Parts:
    """Several files of one format loaded as one source, read at the same time (``GraphStore.concurrent_parts``)."""

    paths: tuple[Path, ...]
    ended: Callable[[int], None] | None = None
    """Called with a part's index as soon as its load ended, well or not (a producer filling pipes closes that pipe's
    read end: its writes then fail instead of waiting for a reader that is gone)."""


RdfSource = Path | Parts | bytes | Iterable[ox.Triple]
"""What can be loaded into a graph: a file (format from its extension unless given), parts of one (only into a store
whose ``concurrent_parts`` is more than 1), bytes in a given format, or triples produced by a mapping job (streamed,
never materialised as a list by the store)."""

QueryKind = Literal["select", "ask", "construct"]

RawAnswer = ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]
"""What :meth:`GraphStore.evaluate` returns: the engine's own answer objects, consumed once."""


class StoreError(Exception):
    """A store operation failed for a reason that is not the caller's fault."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (remote store down, embedded store locked by another process)."""


class QuerySyntaxError(ValueError):
    """The SPARQL text does not parse; the message is the parser's."""


class QueryTimeout(StoreError):
    """The query ran longer than its time limit and was stopped."""


class RdfSyntaxError(ValueError):
    """Loaded RDF does not parse; the message is the parser's, with the position where known."""


@dataclass
class QueryResult:
    """A query answer, already serialised in ``media_type``; ``chunks`` is consumed once."""

    kind: QueryKind
    media_type: str
    chunks: Iterator[bytes]
    headers: dict[str, str] = field(default_factory=dict)

    def read(self) -> bytes:
        return b"".join(self.chunks)


class GraphStore(ABC):
    """Named-graph store the connector needs. Implementations: ``EmbeddedStore`` and ``RemoteStore``."""

    concurrent_parts = 1
    """How many files of a :class:`Parts` source the store loads at the same time (1: it takes no ``Parts``)."""

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @abstractmethod
    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store answers."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (files, connections)."""

    # -- graphs ------------------------------------------------------------------------------------------------
    @abstractmethod
    def graphs(self) -> list[str]:
        """IRIs of the named graphs that hold at least one triple (staging graphs excluded)."""

    @abstractmethod
    def count(self, graph: str | None = None) -> int:
        """Triples in ``graph``, or in all named graphs when ``graph`` is None."""

    def count_default(self) -> int:
        """Triples in the default graph."""
        return int(self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"])

    @abstractmethod
    def replace_graph(
        self,
        graph: str | None,
        source: RdfSource,
        media_type: str | None = None,
        *,
        trusted_syntax: bool = False,
        count: bool = True,
    ) -> int | None:
        """Replace the content of ``graph`` (None: the default graph) atomically; return its new triple count (None
        when not ``count``: a caller that knows it spares a count of the whole graph, a second on millions of triples).

        Readers see either the old or the new graph, never a mixture; when loading fails the old graph stays.
        ``trusted_syntax``: the text already went through a strict parser (a mapping job's SHACL gate), so the store
        may skip re-validating IRIs and language tags (the embedded bulk loader's lenient mode: ~5 % less CPU).
        """

    @abstractmethod
    def add_to_graph(self, graph: str | None, source: RdfSource, media_type: str | None = None) -> int:
        """Add triples to ``graph`` (None: the default graph); return how many triples it has afterwards."""

    @abstractmethod
    def drop_graph(self, graph: str | None) -> None:
        """Remove ``graph`` (None: empty the default graph); no error when it does not exist."""

    @abstractmethod
    def export(self, graph: str | None, media_type: str = "application/n-triples") -> Iterator[bytes]:
        """Serialise ``graph`` (the default graph when None) in ``media_type``, in chunks."""

    # -- SPARQL ------------------------------------------------------------------------------------------------
    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        union_default_graph: bool = False,
        result_media_type: str | None = None,
        timeout_s: float | None = None,
    ) -> QueryResult:
        """Run a SPARQL query over a restricted dataset.

        ``default_graphs``/``named_graphs`` set the RDF dataset exactly as the protocol's ``default-graph-uri`` and
        ``named-graph-uri`` do; ``union_default_graph`` makes the default graph the union of ``named_graphs`` (or of
        all graphs when they are None). The default result media type is SPARQL JSON for SELECT/ASK and N-Triples
        for CONSTRUCT/DESCRIBE.
        """

    @abstractmethod
    def evaluate(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        union_default_graph: bool = False,
        base_iri: str | None = None,
        timeout_s: float | None = None,
    ) -> RawAnswer:
        """Run a query and return the engine's answer objects, not yet serialised (same dataset rules as
        :meth:`query`).

        The SPARQL endpoint needs the solutions themselves to cap rows and negotiate formats; SELECT answers are
        ``pyoxigraph.QuerySolutions`` iterated lazily, ASK a ``pyoxigraph.QueryBoolean``, CONSTRUCT/DESCRIBE an
        iterator of ``pyoxigraph.Triple``. A remote store streams them from the server's response.
        """

    @abstractmethod
    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update request as one transaction."""

    def has_graph(self, graph: str) -> bool:
        """True when the named graph holds at least one triple."""
        return self.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")

    # -- conveniences built on the primitives --------------------------------------------------------------------
    def select(self, sparql: str, **dataset: Any) -> list[dict[str, Any]]:
        """SELECT rows as ``{variable: python value}`` (IRIs and literals as ``str``; numbers as numbers)."""
        body = json.loads(self.query(sparql, result_media_type="application/sparql-results+json", **dataset).read())
        return [{k: _json_term_value(v) for k, v in row.items()} for row in body["results"]["bindings"]]

    def ask(self, sparql: str, **dataset: Any) -> bool:
        body = json.loads(self.query(sparql, result_media_type="application/sparql-results+json", **dataset).read())
        return bool(body["boolean"])


_NUMERIC = {
    "http://www.w3.org/2001/XMLSchema#integer": int,
    "http://www.w3.org/2001/XMLSchema#long": int,
    "http://www.w3.org/2001/XMLSchema#int": int,
    "http://www.w3.org/2001/XMLSchema#decimal": float,
    "http://www.w3.org/2001/XMLSchema#double": float,
    "http://www.w3.org/2001/XMLSchema#float": float,
}


def _json_term_value(term: dict[str, str]) -> Any:
    return term_value(term["value"], term.get("datatype"))


def term_value(value: str, datatype: str | None) -> Any:
    """What :meth:`GraphStore.select` gives for a term: numbers as numbers, anything else as its lexical value."""
    convert = _NUMERIC.get(datatype or "")
    if convert is not None:
        try:
            return convert(value)
        except ValueError:
            return value
    return value
