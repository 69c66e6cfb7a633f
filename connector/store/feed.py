"""Replace a graph with N-Triples produced while the load already runs.

A mapping job's first publish can be loaded while its later records are still being read, mapped and validated:
``GraphStore.replace_graph`` runs in a thread and reads an OS pipe (``/dev/fd/N``), which a feeder thread fills from
a bounded queue of chunks. The store reads the pipe without Python's GIL (a Python file object would be read in
2 KB calls that each wait for the GIL held by the busy producer), and the producer never blocks on the store for
longer than the queue takes to fill.

A store that loads several parts at once (``GraphStore.concurrent_parts``: the embedded one) gets one pipe per part,
filled in turn with whole chunks and read together (:class:`~connector.store.base.Parts`): pyoxigraph sorts and
writes a batch only once it is whole, so a single load ends its last seconds on one core, two end on both.

All or nothing stays the store's: an :meth:`GraphFeed.abort` ends the stream with a line no RDF line-based syntax
accepts, so the load fails inside ``replace_graph`` and the graph is left as it was (empty again after an embedded
first load; the remote store's staging graph is dropped).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from pathlib import Path

from connector.store.base import GraphStore, Parts, RdfSource

POISON = b"\n\x00 aborted by the producer\n"
"""Ends an aborted stream: a syntax error in N-Triples and N-Quads, so the load fails instead of publishing a part."""


class FeedFailed(Exception):
    """The load reading the feed failed (the store's error is the cause)."""


class GraphFeed:
    """``replace_graph(graph)`` from chunks of N-Triples given to :meth:`write`, loading while they are produced.

    Use: ``feed = GraphFeed(store, graph)``; ``feed.write(chunk)`` any number of times; ``feed.finish()`` returns the
    graph's triple count (None with ``count=False``, for a producer that knows it); on any failure of the producer
    ``feed.abort()`` (idempotent, also after ``finish`` failed).
    """

    def __init__(
        self,
        store: GraphStore,
        graph: str,
        *,
        trusted_syntax: bool = False,
        count: bool = True,
        queued_chunks: int = 4,
    ) -> None:
        pipes = [os.pipe() for _ in range(max(1, store.concurrent_parts))]
        self._read_fds = [read for read, _ in pipes]
        self._write_fds = [write for _, write in pipes]
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=queued_chunks)
        self._error: BaseException | None = None
        self._count: int | None = None
        self._done = False
        self._closed_lock = threading.Lock()
        paths = tuple(Path(f"/dev/fd/{fd}") for fd in self._read_fds)
        source: RdfSource = paths[0] if len(paths) == 1 else Parts(paths, self._close_read_end)
        self._loader = threading.Thread(
            target=self._load, args=(store, graph, source, trusted_syntax, count), name="graph-feed-load", daemon=True
        )
        self._feeder = threading.Thread(target=self._feed, name="graph-feed-write", daemon=True)
        self._loader.start()
        self._feeder.start()

    # -- producer side -----------------------------------------------------------------------------------------
    def write(self, chunk: bytes) -> None:
        """Queue ``chunk`` (whole lines) for the load; waits while the queue is full; raises :class:`FeedFailed`
        as soon as the load has failed."""
        if not chunk:
            return
        while True:
            self._raise_if_failed()
            try:
                self._chunks.put(chunk, timeout=0.2)
                return
            except queue.Full:
                continue

    def finish(self) -> int | None:
        """End the stream, wait for the load and return the graph's triple count (None when not counted)."""
        self._end(None)
        self._raise_if_failed()
        return self._count

    def abort(self) -> None:
        """Make the load fail (the graph stays as it was) and wait for it to end."""
        if self._done:
            return
        with contextlib.suppress(queue.Empty):
            while True:
                self._chunks.get_nowait()
        self._end(POISON)

    def _end(self, last: bytes | None) -> None:
        if self._done:
            return
        self._done = True
        while self._feeder.is_alive():
            try:
                if last is not None:
                    self._chunks.put(last, timeout=0.2)
                    last = None
                self._chunks.put(None, timeout=0.2)
                break
            except queue.Full:
                continue
        self._feeder.join()
        self._loader.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise FeedFailed(str(self._error)) from self._error

    # -- threads -------------------------------------------------------------------------------------------------
    def _load(self, store: GraphStore, graph: str, source: RdfSource, trusted_syntax: bool, count: bool) -> None:
        try:
            self._count = store.replace_graph(
                graph, source, "application/n-triples", trusted_syntax=trusted_syntax, count=count
            )
        except BaseException as exc:  # handed to the producer
            self._error = self._error or exc
        finally:
            for index in range(len(self._read_fds)):
                self._close_read_end(index)

    def _close_read_end(self, index: int) -> None:
        """No reader left on that pipe: a feeder blocked on it gets EPIPE and stops (then every part ends)."""
        with self._closed_lock:
            if self._read_fds[index] >= 0:
                os.close(self._read_fds[index])
                self._read_fds[index] = -1

    def _feed(self) -> None:
        """Chunks go to the pipes in turn (whole lines each); the poison line to every pipe, so that every part
        fails."""
        turn = 0
        try:
            while (chunk := self._chunks.get()) is not None:
                for fd in self._write_fds if chunk is POISON else [self._write_fds[turn]]:
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
                turn = (turn + 1) % len(self._write_fds)
        except OSError as exc:  # a loader stopped reading (EPIPE) after recording why
            self._error = self._error or exc
        finally:
            for fd in self._write_fds:
                os.close(fd)
