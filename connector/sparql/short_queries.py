"""Known-short queries, answered in the endpoint's own process.

A query's first run always goes to a killable worker process (:class:`~connector.sparql.runners.ProcessPoolRunner`).
The same plan (query text, dataset, format, cap) over the same store snapshot does the same work, so once a worker
has answered it whole within a short time, its repeats can run on a thread of the endpoint's process, over the
process's own read-only handle of that snapshot: no process hop, no pickling, no cold worker (about 0.4 ms less per
small query, see docs/benchmarks.md). Only measured plans run here, so a long or runaway query never can: it never
finishes short in a worker. Repeats are common on a public endpoint (the console's examples, dashboards, clients
polling the catalog); a query never seen before pays the hop.

pyoxigraph releases the GIL while it evaluates, so these queries run off the event loop like the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import OrderedDict
from pathlib import Path

from connector.sparql.execution import AnswerHead, QueryPlan, Sink, error_payload, execute, payload_error
from connector.store.embedded import EmbeddedStore

PlanKey = tuple[object, ...]


def plan_key(plan: QueryPlan) -> PlanKey:
    """Everything that decides a plan's work and answer (the dataset is the caller's resolved scope)."""
    return (
        plan.query,
        tuple(plan.default_graphs) if plan.default_graphs is not None else None,
        tuple(plan.named_graphs) if plan.named_graphs is not None else None,
        plan.union_default_graph,
        plan.accept,
        plan.row_cap,
        plan.base_iri,
    )


class KnownShort:
    """The plans a worker answered whole within ``limit_s`` on the current snapshot, with the number of rows (or
    triples) of their answer (the least recently used are forgotten past ``size``; all of them when the snapshot
    changes)."""

    def __init__(self, limit_s: float, size: int = 4096) -> None:
        self.limit_s, self._size = limit_s, size
        self._snapshot: Path | None = None
        self._plans: OrderedDict[PlanKey, int] = OrderedDict()

    def rows(self, snapshot: Path, key: PlanKey) -> int | None:
        """The size of the answer of a known-short plan; None for a plan not known short on ``snapshot``."""
        if snapshot != self._snapshot:
            return None
        rows = self._plans.get(key)
        if rows is not None:
            self._plans.move_to_end(key)
        return rows

    def measured(self, snapshot: Path, key: PlanKey, seconds: float, rows: int) -> None:
        """A worker answered ``key`` whole over ``snapshot`` in ``seconds``, with ``rows`` rows or triples."""
        if seconds > self.limit_s:
            return
        if snapshot != self._snapshot:
            self._snapshot = snapshot
            self._plans.clear()
        self._plans[key] = rows
        if len(self._plans) > self._size:
            self._plans.popitem(last=False)

    def clear(self) -> None:
        self._snapshot = None
        self._plans.clear()


class _Collected(Sink):
    def __init__(self) -> None:
        super().__init__()
        self.head: AnswerHead | None = None
        self.parts: list[bytes] = []

    def emit_head(self, head: AnswerHead) -> None:
        self.head = head

    def emit_data(self, data: bytes) -> None:
        self.parts.append(data)

    def emit_end(self, rows: int, truncated: bool) -> None:
        pass


_Job = tuple[asyncio.AbstractEventLoop, asyncio.Future, Path, QueryPlan, int]


class LocalLane:
    """Threads of the endpoint's process that answer known-short plans over read-only snapshot handles.

    Plain threads fed by a queue: a thread pool executor's futures and wrappers cost about as much as the query.
    """

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._started: list[threading.Thread] = []
        self._stores: dict[Path, EmbeddedStore] = {}
        self._lock = threading.Lock()

    def submit(self, snapshot: Path, plan: QueryPlan, rows: int) -> asyncio.Future[tuple[AnswerHead, bytes]]:
        """The future whole answer of ``plan`` over ``snapshot``, known to hold ``rows`` rows or triples (or what
        :func:`execute` raised)."""
        if not self._started:
            self._start()
        future: asyncio.Future[tuple[AnswerHead, bytes]] = asyncio.get_running_loop().create_future()
        self._jobs.put((future.get_loop(), future, snapshot, plan, rows))
        return future

    def forget(self, snapshot: Path) -> None:
        """Drop the handle of a snapshot about to be deleted (queries still using it keep their reference)."""
        with self._lock:
            self._stores.pop(snapshot, None)

    def close(self) -> None:
        for _ in self._started:
            self._jobs.put(None)
        self._started.clear()
        with self._lock:
            self._stores.clear()

    def _start(self) -> None:
        for i in range(self._threads):
            thread = threading.Thread(target=self._serve, name=f"sparql-local-{i}", daemon=True)
            thread.start()
            self._started.append(thread)

    def _store(self, snapshot: Path) -> EmbeddedStore:
        with self._lock:
            store = self._stores.get(snapshot)
            if store is None:
                store = self._stores[snapshot] = EmbeddedStore.open_snapshot(snapshot)
            return store

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, snapshot, plan, rows = job
            try:
                sink = _Collected()
                execute(self._store(snapshot), plan, sink, known_rows=rows)
                assert sink.head is not None
                outcome: tuple[bool, object] = (True, (sink.head, b"".join(sink.parts)))
            except Exception as exc:  # handed to the awaiting request as a worker would report it (same answer)
                outcome = (False, payload_error(error_payload(exc)))
            with contextlib.suppress(RuntimeError):  # the loop closed while the query ran: nobody is waiting
                loop.call_soon_threadsafe(_settle, future, outcome)


def _settle(future: asyncio.Future, outcome: tuple[bool, object]) -> None:
    if future.done():  # the request was cancelled (client gone) meanwhile
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)  # type: ignore[arg-type]
