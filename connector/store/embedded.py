"""Embedded store: a pyoxigraph ``Store`` on disk (RocksDB), in this process."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import queue
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from connector.store.base import (
    STAGING_PREFIX,
    GraphStore,
    Parts,
    QueryKind,
    QueryResult,
    QuerySyntaxError,
    RawAnswer,
    RdfSource,
    RdfSyntaxError,
    StoreUnavailable,
    term_value,
)
from connector.store.formats import media_type_for_path, rdf_format, results_format


class EmbeddedStore(GraphStore):
    """pyoxigraph on disk. One process owns the directory (RocksDB lock); open it with :meth:`open`."""

    concurrent_parts = 2
    """Two parts at once keep both cores of a small machine busy to the end of a bulk load."""

    def __init__(self, store: ox.Store, path: Path | None, *, read_only: bool = False) -> None:
        self._store = store
        self.path = path
        self.read_only = read_only
        self.generation = 0
        """Incremented by every write made through this object; readers of snapshots compare it. Not while a first
        load is half done (a snapshot would show its graph half loaded): writes made meanwhile count once it ends."""
        self._first_loads = 0
        self._generation_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | None) -> EmbeddedStore:
        """Open (creating if needed) the store at ``path``; ``None`` gives an in-memory store for tests."""
        if path is None:
            return cls(ox.Store(), None)
        path.mkdir(parents=True, exist_ok=True)
        try:
            store = ox.Store(str(path))
        except OSError as exc:
            raise StoreUnavailable(f"cannot open the embedded store at {path}: {exc}") from exc
        self = cls(store, path)
        self._drop_stale_staging()
        self._undo_interrupted_first_loads()
        return self

    @classmethod
    def open_snapshot(cls, path: Path) -> EmbeddedStore:
        """Open a snapshot made by :meth:`snapshot` for reading (any number of processes may)."""
        try:
            return cls(ox.Store.read_only(str(path)), path, read_only=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot open the store snapshot at {path}: {exc}") from exc

    def snapshot(self, target: Path) -> None:
        """Write a consistent point-in-time copy to ``target`` (a RocksDB checkpoint: hard links, so cheap).

        Other processes open it with :meth:`open_snapshot`, which is how the SPARQL endpoint runs queries in
        worker processes it can kill. Only for on-disk stores.
        """
        if self.path is None:
            raise StoreUnavailable("an in-memory store cannot be snapshotted")
        self._store.backup(str(target))

    def _written(self) -> None:
        with self._generation_lock:
            if not self._first_loads:
                self.generation += 1

    @property
    def raw(self) -> ox.Store:
        """The underlying pyoxigraph store, for engine-specific fast paths (SPARQL endpoint, validation)."""
        return self._store

    def ping(self) -> None:
        try:
            self._store.query("ASK {}")
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def close(self) -> None:
        if not self.read_only:
            self._store.flush()

    # -- graphs ------------------------------------------------------------------------------------------------
    def graphs(self) -> list[str]:
        return sorted(
            g.value
            for g in self._store.named_graphs()
            if isinstance(g, ox.NamedNode) and not g.value.startswith(STAGING_PREFIX) and self._non_empty(g)
        )

    def _non_empty(self, graph: ox.NamedNode) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, graph)), None) is not None

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
            return int(next(iter(self._store.query(query)))["n"].value)
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        solutions = self._store.query(query, default_graph=[ox.NamedNode(graph)])
        return int(next(iter(solutions))["n"].value)

    def replace_graph(
        self,
        graph: str | None,
        source: RdfSource,
        media_type: str | None = None,
        *,
        trusted_syntax: bool = False,
        count: bool = True,
    ) -> int | None:
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        try:
            if graph and not self._non_empty(target):
                self._first_load(target, source, media_type, trusted_syntax)
                return self.count(graph) if count else None
            # Stage in memory, then apply only the difference in one update: readers see the old or the new graph,
            # and reloading the same content costs a comparison, not a rewrite.
            staged = ox.Store()
            self._load(staged, target, source, media_type, trusted_syntax)
            adds = [q for q in staged if q not in self._store]
            removes = [q for q in self._store.quads_for_pattern(None, None, None, target) if q not in staged]
            if len(adds) + len(removes) <= DIFF_LIMIT and not any(_has_blank(q) for q in (*adds, *removes)):
                if adds or removes:
                    self._store.update(_data_update(graph, removes, adds))
            else:
                self._swap(target, staged)
        finally:
            self._written()
        if not count:
            return None
        return self.count(graph) if graph else self.count_default()

    def _first_load(self, target: ox.NamedNode, source: RdfSource, media_type: str | None, lenient: bool) -> None:
        """Bulk-load straight into an empty graph: a SPARQL MOVE of a large graph costs minutes and gigabytes.

        Still all or nothing for readers: SPARQL workers read snapshots, renewed only after the load
        (:attr:`generation`, which writes from other threads do not move meanwhile); a failed load empties the graph
        again; a killed one leaves a marker file, and the next :meth:`open` empties the graph before anyone reads it.
        """
        marker = self._pending_marker(target.value)
        if marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(target.value, encoding="utf-8")
        with self._generation_lock:
            self._first_loads += 1  # other threads' writes meanwhile must not renew the readers' snapshots
        try:
            self._load(self._store, target, source, media_type, lenient)
            self._store.flush()
        except BaseException:
            self._store.remove_graph(target)
            raise
        finally:
            with self._generation_lock:
                self._first_loads -= 1
            if marker is not None:
                marker.unlink(missing_ok=True)

    def _pending_marker(self, graph: str) -> Path | None:
        if self.path is None:
            return None
        return self.path.parent / f"{self.path.name}.pending" / hashlib.sha256(graph.encode()).hexdigest()

    def _undo_interrupted_first_loads(self) -> None:
        """A process killed during :meth:`_first_load` left a half-loaded graph that was empty before: empty it."""
        assert self.path is not None
        for marker in (self.path.parent / f"{self.path.name}.pending").glob("*"):
            self._store.remove_graph(ox.NamedNode(marker.read_text(encoding="utf-8")))
            marker.unlink()

    def _swap(self, target: ox.NamedNode | ox.DefaultGraph, staged: ox.Store) -> None:
        """Atomic whole-graph replacement through a staging graph and one MOVE transaction."""
        staging = ox.NamedNode(f"{STAGING_PREFIX}{uuid.uuid4()}")
        where = f"GRAPH <{target.value}>" if isinstance(target, ox.NamedNode) else "DEFAULT"
        try:
            self._store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, staging) for q in staged)
            # One update request is one transaction: readers see the old graph or the new one.
            self._store.update(f"DROP SILENT {where} ; MOVE SILENT GRAPH <{staging.value}> TO {where}")
        finally:
            if self._store.contains_named_graph(staging):
                self._store.remove_graph(staging)

    def add_to_graph(self, graph: str | None, source: RdfSource, media_type: str | None = None) -> int:
        try:
            self._load(self._store, ox.NamedNode(graph) if graph else ox.DefaultGraph(), source, media_type)
        finally:
            self._written()
        return self.count(graph) if graph else self.count_default()

    def drop_graph(self, graph: str | None) -> None:
        self._store.update(f"DROP SILENT GRAPH <{graph}>" if graph else "DROP SILENT DEFAULT")
        self._written()

    def export(self, graph: str | None, media_type: str = "application/n-triples") -> Iterator[bytes]:
        """Streams the serialisation: pyoxigraph writes into a bounded queue from a thread, chunks flow out as they
        are produced, so a big graph is never held in memory whole."""
        fmt = rdf_format(media_type)
        from_graph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
        stop = threading.Event()

        def produce() -> None:
            writer = _QueueWriter(chunks, stop)
            try:
                self._store.dump(writer, format=fmt, from_graph=from_graph)
                writer.flush()
                writer.put(None)
            except BaseException as exc:  # handed to the consumer, which raises it (unless it left)
                with contextlib.suppress(_Stopped):
                    writer.put(exc)

        threading.Thread(target=produce, name="store-export", daemon=True).start()
        try:
            while (item := chunks.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while not chunks.empty():  # unblock a producer waiting on a full queue
                chunks.get_nowait()

    @classmethod
    def _load(
        cls,
        store: ox.Store,
        target: ox.NamedNode | ox.DefaultGraph,
        source: RdfSource,
        media_type: str | None,
        lenient: bool = False,
    ) -> None:
        try:
            if isinstance(source, Parts):
                cls._load_parts(store, target, source, media_type, lenient)
            elif isinstance(source, Path):
                fmt = rdf_format(media_type or media_type_for_path(source))
                if source.suffix == ".gz":
                    with gzip.open(source, "rb") as fh:
                        store.bulk_load(fh, fmt, to_graph=target, lenient=lenient)
                else:  # read by the store itself: a Python file is read 2 KB at a time, each read taking the GIL
                    store.bulk_load(path=str(source), format=fmt, to_graph=target, lenient=lenient)
            elif isinstance(source, bytes | bytearray):
                if media_type is None:
                    raise ValueError("media_type is required when loading bytes")
                store.bulk_load(bytes(source), rdf_format(media_type), to_graph=target, lenient=lenient)
            else:
                store.bulk_extend(_as_quads(source, target))
        except SyntaxError as exc:
            raise RdfSyntaxError(str(exc)) from exc

    @classmethod
    def _load_parts(
        cls,
        store: ox.Store,
        target: ox.NamedNode | ox.DefaultGraph,
        parts: Parts,
        media_type: str | None,
        lenient: bool,
    ) -> None:
        """Bulk-load every part at the same time, one thread each: pyoxigraph sorts and writes a batch only once it is
        whole, so a single load ends on one core; parts fed in turn (pipes) must be read together anyway. The first
        failure is raised once every part has ended (the caller then undoes the whole load)."""
        failures: list[BaseException] = []

        def load(index: int, path: Path) -> None:
            try:
                cls._load(store, target, path, media_type, lenient)
            except BaseException as exc:
                failures.append(exc)
            finally:
                if parts.ended is not None:
                    parts.ended(index)

        threads = [
            threading.Thread(target=load, args=(i, p), name="store-load-part") for i, p in enumerate(parts.paths)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]

    def _drop_stale_staging(self) -> None:
        """A process killed while loading leaves its staging graph behind; nobody else can be using it."""
        for g in list(self._store.named_graphs()):
            if isinstance(g, ox.NamedNode) and g.value.startswith(STAGING_PREFIX):
                self._store.remove_graph(g)

    # -- SPARQL ------------------------------------------------------------------------------------------------
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
        results = self.evaluate(
            sparql, default_graphs=default_graphs, named_graphs=named_graphs, union_default_graph=union_default_graph
        )
        return _serialise(results, result_media_type)

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
        kwargs: dict[str, object] = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        elif union_default_graph and named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in named_graphs]
        elif union_default_graph:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return self._store.query(sparql, base_iri=base_iri, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc

    def select(self, sparql: str, **dataset: Any) -> list[dict[str, Any]]:
        """Rows taken from the engine's solutions (the base class parses their SPARQL JSON text: several times
        slower on the tens of thousands of rows a mapping job reads from the vocabularies)."""
        solutions = self.evaluate(sparql, **dataset)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QuerySyntaxError("select() takes a SELECT query")
        names = [v.value for v in solutions.variables]
        return [
            {
                name: term_value(term.value, term.datatype.value if isinstance(term, ox.Literal) else None)
                for name, term in zip(names, solution, strict=True)
                if term is not None
            }
            for solution in solutions
        ]

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        try:
            self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        finally:
            self._written()


def _serialise(results: object, media_type: str | None) -> QueryResult:
    kind: QueryKind
    if isinstance(results, ox.QueryTriples):
        kind, media_type = "construct", media_type or "application/n-triples"
        body = results.serialize(format=rdf_format(media_type))
    else:
        kind = "ask" if isinstance(results, ox.QueryBoolean) else "select"
        media_type = media_type or "application/sparql-results+json"
        body = results.serialize(format=results_format(media_type))  # type: ignore[attr-defined]
    return QueryResult(kind=kind, media_type=media_type, chunks=iter([body]))


class _Stopped(Exception):
    """The consumer of an export went away."""


class _QueueWriter(io.RawIOBase):
    """A binary file whose writes become 64 KiB chunks in a queue (blocking while the queue is full)."""

    def __init__(self, chunks: queue.Queue, stop: threading.Event) -> None:
        self._chunks, self._stop, self._buffer = chunks, stop, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        if len(self._buffer) >= 1 << 16:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self.put(bytes(self._buffer))
            self._buffer.clear()

    def put(self, item: bytes | BaseException | None) -> None:
        """Queue ``item``, waiting while the queue is full; :class:`_Stopped` once the consumer has left."""
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


def _as_quads(triples: Iterable[ox.Triple], graph: ox.NamedNode | ox.DefaultGraph) -> Iterator[ox.Quad]:
    for t in triples:
        yield ox.Quad(t.subject, t.predicate, t.object, graph)


DIFF_LIMIT = 200_000
"""Largest difference applied as one DELETE DATA / INSERT DATA update; beyond it the graph is swapped whole."""


def _has_blank(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def _data_update(graph: str | None, removes: list[ox.Quad], adds: list[ox.Quad]) -> str:
    def block(quads: list[ox.Quad]) -> str:
        triples = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
        return f"GRAPH <{graph}> {{ {triples} }}" if graph else triples

    parts = []
    if removes:
        parts.append(f"DELETE DATA {{ {block(removes)} }}")
    if adds:
        parts.append(f"INSERT DATA {{ {block(adds)} }}")
    return " ;\n".join(parts)
