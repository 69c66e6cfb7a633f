"""Where queries run: off the event loop, under a time limit that really stops them.

* :class:`ProcessPoolRunner` (embedded on-disk store): worker processes read a snapshot of the store (a RocksDB
  checkpoint, re-made after each write). A query that overruns its limit gets its worker killed and replaced, so
  its CPU and memory are freed at once while the other workers keep answering. pyoxigraph has no way to cancel a
  running query from another thread; a process boundary is the only sure stop. Repeats of a query a worker
  answered quickly on the same snapshot run in the endpoint's process instead (:mod:`.short_queries`).
* :class:`ThreadRunner` (remote store, in-memory store): the query runs in a thread; the limit cuts the HTTP
  request to the remote server (which should enforce its own limit too, e.g. ``oxigraph serve --timeout-s``) and
  stops any streaming evaluation at the next answer chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from connector import metrics
from connector.sparql.execution import (
    HEADER,
    AnswerHead,
    QueryPlan,
    Sink,
    error_payload,
    execute,
    frame,
    raise_payload,
)
from connector.sparql.short_queries import KnownShort, LocalLane, plan_key
from connector.store import GraphStore, QueryTimeout, StoreError
from connector.store.embedded import EmbeddedStore

log = logging.getLogger("connector.sparql")


def _nothing() -> None:
    pass


@dataclass
class Answer:
    """A query's answer: its head, then either its whole ``content`` (a complete answer: at most the look-ahead,
    taken at once so that its worker is free again) or its ``body`` chunks with ``release`` to call once done with
    them (always)."""

    head: AnswerHead
    body: AsyncIterator[bytes] | None = None
    release: Callable[[], None] = _nothing
    content: bytes | None = None


async def _answer(
    head: AnswerHead, next_chunk: Callable[[], Awaitable[bytes | None]], release: Callable[[], None]
) -> Answer:
    """The answer whose chunks ``next_chunk`` gives (None at the end): taken whole when complete (a plain loop, no
    generator), else streamed by a generator that always calls ``release``."""
    if head.complete:
        parts = []
        try:
            while (chunk := await next_chunk()) is not None:
                parts.append(chunk)
        except BaseException:
            release()
            raise
        return Answer(head, content=b"".join(parts))

    async def body() -> AsyncIterator[bytes]:
        try:
            while (chunk := await next_chunk()) is not None:
                yield chunk
        finally:
            release()

    return Answer(head, body(), release)


class Runner(ABC):
    @abstractmethod
    async def run(self, plan: QueryPlan, timeout_s: float) -> Answer:
        """Start ``plan``; return the whole answer when it is complete, else once its head is known (the body must
        then be consumed or released)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Stop background resources."""


DEMOTE_AFTER_S = 1.0
"""A query running longer than this gets a lower CPU priority (nice ``DEMOTED_NICE``), so that short queries keep
their latency while it runs; its worker is retired afterwards (priority cannot be raised back unprivileged)."""
DEMOTED_NICE = 10


class WorkersBusy(QueryTimeout):
    """No query worker became free in time: the query was refused for load, never evaluated."""


def _timeout(timeout_s: float) -> QueryTimeout:
    return QueryTimeout(f"the query ran longer than the {timeout_s:g} s limit and was stopped")


# -- threads -------------------------------------------------------------------------------------------------------
class _Cancelled(Exception):
    pass


class _QueueSink(Sink):
    """Hands frames to the event loop, blocking the worker thread while the client is slow (backpressure)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue, cancelled: threading.Event) -> None:
        super().__init__()
        self._loop, self._queue, self._cancelled = loop, queue, cancelled

    def put(self, item: tuple[str, object]) -> None:
        if self._cancelled.is_set():
            raise _Cancelled
        asyncio.run_coroutine_threadsafe(self._queue.put(item), self._loop).result()

    def emit_head(self, head: AnswerHead) -> None:
        self.put(("H", head))

    def emit_data(self, data: bytes) -> None:
        self.put(("D", data))

    def emit_end(self, rows: int, truncated: bool) -> None:
        self.put(("E", (rows, truncated)))


class ThreadRunner(Runner):
    def __init__(self, store: GraphStore) -> None:
        self._store = store

    async def run(self, plan: QueryPlan, timeout_s: float) -> Answer:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(maxsize=8)
        cancelled = threading.Event()
        sink = _QueueSink(loop, queue, cancelled)

        def work() -> None:
            try:
                execute(self._store, plan, sink)
            except _Cancelled:
                pass
            except Exception as exc:
                if not cancelled.is_set():
                    sink.put(("X", error_payload(exc)))

        loop.run_in_executor(None, work)
        deadline = time.monotonic() + timeout_s

        async def next_item() -> tuple[str, object]:
            try:
                return await asyncio.wait_for(queue.get(), max(deadline - time.monotonic(), 0))
            except TimeoutError:
                cancelled.set()
                _drain(queue)
                raise _timeout(timeout_s) from None

        kind, value = await next_item()
        if kind == "X":
            raise_payload(value)  # type: ignore[arg-type]

        async def next_chunk() -> bytes | None:
            item_kind, item = await next_item()
            if item_kind == "D":
                return item  # type: ignore[return-value]
            if item_kind == "E":
                return None
            raise StoreError(f"query failed while streaming: {item}")

        def release() -> None:
            cancelled.set()
            _drain(queue)

        return await _answer(value, next_chunk, release)  # type: ignore[arg-type]


def _drain(queue: asyncio.Queue) -> None:
    """Unblock a producer waiting on a full queue after the consumer gave up."""
    while not queue.empty():
        queue.get_nowait()


# -- worker processes ----------------------------------------------------------------------------------------------
class _Zygote:
    """The process that forks workers (see :mod:`connector.sparql.worker`)."""

    def __init__(self) -> None:
        parent, child = socket.socketpair()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "connector.sparql.worker", str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self._control = parent
        self._lock = threading.Lock()

    def fork(self, sock: socket.socket) -> int:
        with self._lock:
            socket.send_fds(self._control, [b"F"], [sock.fileno()])
            reply = b""
            while len(reply) < 4:
                chunk = self._control.recv(4 - len(reply))
                if not chunk:
                    raise StoreError("the query worker factory stopped")
                reply += chunk
            return int.from_bytes(reply, "big")

    def close(self) -> None:
        self._control.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(5)
        if self._proc.poll() is None:
            self._proc.kill()


READ_PAUSE_BYTES = 1 << 22
"""Frames queued from one worker above which its socket is no longer read (the worker then blocks in ``send``):
a client reading slowly slows its query's worker down instead of filling the server's memory."""


class _Channel(asyncio.Protocol):
    """The endpoint's end of one worker's socket: frames are parsed as they arrive and queued for the query being
    answered, so a small answer (head, data and end in one ``send``) is taken in one wake-up."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.ended = False
        """The query's last frame (``E`` or ``X``) was received: the worker is waiting for the next query."""
        self._buffer = bytearray()
        self._frames: deque[tuple[bytes, bytes]] = deque()
        self._queued = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        offset = 0
        while len(buffer) - offset >= HEADER.size:
            kind, size = HEADER.unpack_from(buffer, offset)
            end = offset + HEADER.size + size
            if len(buffer) < end:
                break
            self._frames.append((kind, bytes(buffer[offset + HEADER.size : end])))
            self._queued += size
            self.ended = kind in (b"E", b"X")
            offset = end
        del buffer[:offset]
        if self._queued > READ_PAUSE_BYTES and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(StoreError("the query worker stopped unexpectedly"))

    def fail(self, error: BaseException) -> None:
        """Make the next :meth:`frame` raise ``error`` (the first failure wins)."""
        if self._error is None:
            self._error = error
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def frame(self) -> tuple[bytes, bytes]:
        while self._error is None and not self._frames:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._error is not None:
            raise self._error
        kind, payload = self._frames.popleft()
        self._queued -= len(payload)
        if self._paused and self._queued <= READ_PAUSE_BYTES // 2 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return kind, payload


class _Worker:
    def __init__(self, pid: int, sock: socket.socket, channel: _Channel) -> None:
        self.pid, self.sock, self.channel = pid, sock, channel

    @classmethod
    async def start(cls, zygote: _Zygote) -> _Worker:
        parent, child = socket.socketpair()
        try:
            pid = await asyncio.to_thread(zygote.fork, child)
        finally:
            child.close()
        _, channel = await asyncio.get_running_loop().create_unix_connection(_Channel, sock=parent)
        return cls(pid, parent, channel)

    def ask(self, snapshot: Path, plan: QueryPlan) -> None:
        """Send a query; its answer's frames come through :attr:`channel`."""
        assert self.channel.transport is not None
        self.channel.ended = False
        self.channel.transport.write(frame(b"Q", pickle.dumps((str(snapshot), plan))))

    def kill(self) -> None:
        try:
            if self.channel.transport is not None:
                self.channel.transport.close()
        except RuntimeError:  # the event loop that owned the transport is closed (a new loop took over)
            self.sock.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


class ProcessPoolRunner(Runner):
    """``size`` worker processes over snapshots of an on-disk embedded store; repeats of plans a worker answered
    whole within ``short_query_s`` (0: never) run on ``local_threads`` threads of this process."""

    def __init__(self, store: EmbeddedStore, size: int, short_query_s: float = 0.0, local_threads: int = 2) -> None:
        if store.path is None:
            raise ValueError("worker processes need an on-disk store")
        self._store, self._size = store, size
        self._root = store.path.parent / f"{store.path.name}.snapshots"
        self._idle: asyncio.LifoQueue[_Worker] = asyncio.LifoQueue()
        """Most recently used first: under light load one worker answers everything and stays hot in the caches."""
        self._all: set[_Worker] = set()
        self._snapshot: tuple[int, Path] | None = None
        self._in_use: dict[Path, int] = {}
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._sequence = 0
        self._zygote: _Zygote | None = None
        self._known = KnownShort(short_query_s)
        self._lane = LocalLane(local_threads)

    async def _start(self) -> None:
        """Start the workers on the running event loop (again if the loop changed, as between test clients)."""
        loop = asyncio.get_running_loop()
        if self._loop is not None:
            for worker in list(self._all):
                worker.kill()
            self._all.clear()
        self._loop = loop
        self._known.clear()
        self._lane.close()
        self._idle = asyncio.LifoQueue()
        self._lock = asyncio.Lock()
        async with self._lock:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root.mkdir(parents=True)
            if self._zygote is None:
                self._zygote = _Zygote()
            for worker in await asyncio.gather(*(_Worker.start(self._zygote) for _ in range(self._size))):
                self._all.add(worker)
                self._idle.put_nowait(worker)
            self._snapshot = None
            self._in_use.clear()

    async def _current_snapshot(self) -> Path:
        generation = self._store.generation
        if self._snapshot is not None and self._snapshot[0] == generation:
            return self._snapshot[1]
        async with self._lock:
            generation = self._store.generation
            if self._snapshot is None or self._snapshot[0] != generation:
                self._sequence += 1
                path = self._root / f"{self._sequence:06d}"
                await asyncio.to_thread(self._store.snapshot, path)
                old, self._snapshot = self._snapshot, (generation, path)
                if old is not None:
                    self._release(old[1], 0)
            return self._snapshot[1]

    def _release(self, path: Path, delta: int) -> None:
        """Track queries per snapshot; delete a snapshot nobody reads that is no longer current."""
        count = self._in_use.get(path, 0) + delta
        self._in_use[path] = count
        if count <= 0 and (self._snapshot is None or self._snapshot[1] != path):
            self._in_use.pop(path, None)
            self._lane.forget(path)
            shutil.rmtree(path, ignore_errors=True)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` (its query is abandoned) and start a fresh one in the background."""
        self._all.discard(worker)
        worker.kill()
        if not self._closed:
            asyncio.get_running_loop().create_task(self._add_worker())

    async def _add_worker(self) -> None:
        assert self._zygote is not None
        worker = await _Worker.start(self._zygote)
        if self._closed:
            worker.kill()
            return
        self._all.add(worker)
        self._idle.put_nowait(worker)

    async def _checkout(self, timeout_s: float) -> _Worker:
        if not self._idle.empty():
            return self._idle.get_nowait()
        try:
            return await asyncio.wait_for(self._idle.get(), timeout_s)
        except TimeoutError:
            raise WorkersBusy(f"every query worker stayed busy for {timeout_s:g} s; try again later") from None

    async def run(self, plan: QueryPlan, timeout_s: float) -> Answer:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            await self._start()
        deadline = loop.time() + timeout_s
        snapshot = await self._current_snapshot()
        key = plan_key(plan) if self._known.limit_s > 0 else None
        rows = self._known.rows(snapshot, key) if key is not None else None
        if rows is not None:
            return await self._run_locally(snapshot, plan, timeout_s, rows)
        worker = await self._checkout(timeout_s)
        channel = worker.channel
        self._release(snapshot, +1)
        finished = demoted = False

        def done(ok: bool) -> None:
            """The query is over: the worker goes back to the pool, or is replaced when it may still be busy."""
            nonlocal finished
            if finished:
                return
            finished = True
            stop.cancel()
            demote.cancel()
            self._release(snapshot, -1)
            if ok and not demoted:
                self._idle.put_nowait(worker)
            else:
                self._replace(worker)

        def overrun() -> None:
            if channel.ended:  # the whole answer arrived in time; the consumer is still reading it
                return
            log.warning("query stopped after %s s: worker %s killed", timeout_s, worker.pid)
            done(False)
            channel.fail(_timeout(timeout_s))

        def lower_priority() -> None:
            """A query still running after DEMOTE_AFTER_S yields the CPU to short ones (its worker is retired)."""
            nonlocal demoted
            demoted = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.setpriority(os.PRIO_PROCESS, worker.pid, DEMOTED_NICE)

        stop = loop.call_at(deadline, overrun)
        demote = loop.call_later(DEMOTE_AFTER_S, lower_priority)

        async def next_frame() -> tuple[bytes, bytes]:
            try:
                return await channel.frame()
            except BaseException:
                done(False)
                raise

        asked = loop.time()
        try:
            worker.ask(snapshot, plan)
            kind, payload = await next_frame()
        except BaseException:
            done(False)
            raise
        finally:
            demote.cancel()
        if kind == b"X":
            done(True)
            raise_payload(pickle.loads(payload))
        head: AnswerHead = pickle.loads(payload)

        async def next_chunk() -> bytes | None:
            item_kind, item = await next_frame()
            if item_kind == b"D":
                return item
            if item_kind == b"E":
                done(True)
                if key is not None and head.complete and self._snapshot is not None and self._snapshot[1] == snapshot:
                    self._known.measured(snapshot, key, loop.time() - asked, head.rows or 0)
                return None
            done(False)
            raise StoreError("the query failed while its answer was being sent")

        # a stream cut early (the client went away) may leave its worker busy: released means replaced
        return await _answer(head, next_chunk, lambda: done(False))

    async def _run_locally(self, snapshot: Path, plan: QueryPlan, timeout_s: float, rows: int) -> Answer:
        """A known-short plan, on a thread of this process (its work is bounded by what a worker measured; the limit
        still answers for it if the machine stalls)."""
        loop = asyncio.get_running_loop()
        self._release(snapshot, +1)
        answer = self._lane.submit(snapshot, plan, rows)
        stop = loop.call_later(timeout_s, _expire, answer, timeout_s)
        try:
            head, content = await answer
        finally:
            stop.cancel()
            self._release(snapshot, -1)
        metrics.SPARQL_KNOWN_SHORT.inc()
        return Answer(head, content=content)

    async def close(self) -> None:
        self._closed = True
        self._lane.close()
        for worker in list(self._all):
            worker.kill()
        self._all.clear()
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None
        shutil.rmtree(self._root, ignore_errors=True)

    def close_sync(self) -> None:
        """Kill the workers from outside the event loop (process exit)."""
        self._closed = True
        self._lane.close()
        for worker in list(self._all):
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
        if self._zygote is not None:
            self._zygote.close()
        shutil.rmtree(self._root, ignore_errors=True)


def _expire(answer: asyncio.Future, timeout_s: float) -> None:
    if not answer.done():
        answer.set_exception(_timeout(timeout_s))
