"""A query worker process: reads a store snapshot, runs one query at a time, streams frames back.

Workers are forked by a "zygote": ``python -m connector.sparql.worker`` imports this code once, then forks a
worker for each socket the endpoint sends it (SCM_RIGHTS), so a replacement starts in milliseconds and inherits
nothing from the server process (threads, the open store). The endpoint kills a worker whose query overruns its
time limit: that is the only sure way to stop a pyoxigraph query, and the kernel then frees its memory and CPU at
once. A worker exits when the endpoint closes its socket.

Frames: one type byte, a 4-byte big-endian length, the payload. Parent to worker: ``Q`` + pickled
``(snapshot path as str, QueryPlan)``. Worker to parent: ``H`` + pickled AnswerHead, ``D`` + answer bytes,
``E`` + pickled ``(rows, truncated)``, ``X`` + pickled error payload.
"""

from __future__ import annotations

import os
import pickle
import socket
import sys
from pathlib import Path

from connector.sparql.execution import HEADER, AnswerHead, QueryPlan, Sink, error_payload, execute, frame

FLUSH_BYTES = 64 * 1024
RECV_BYTES = 64 * 1024


class SocketSink(Sink):
    """Frames the answer onto the socket, coalescing small frames into one send."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self._out = bytearray()

    def _put(self, kind: bytes, payload: bytes) -> None:
        self._out += frame(kind, payload)
        if len(self._out) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._out:
            self._sock.sendall(self._out)
            self._out.clear()

    def fail(self, payload: dict) -> None:
        """Report a failure that happened before anything was sent (held-back output is dropped)."""
        self._out.clear()
        self._put(b"X", pickle.dumps(payload))
        self.flush()

    def emit_head(self, head: AnswerHead) -> None:
        self._put(b"H", pickle.dumps(head))

    def emit_data(self, data: bytes) -> None:
        self._put(b"D", data)

    def emit_end(self, rows: int, truncated: bool) -> None:
        self._put(b"E", pickle.dumps((rows, truncated)))
        self.flush()


class _Requests:
    """Reads ``Q`` frames from the endpoint; a small query arrives whole in one ``recv``."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def next(self) -> bytes | None:
        """The next frame's payload, or None once the endpoint closed its end."""
        while True:
            if len(self._buffer) >= HEADER.size:
                _, size = HEADER.unpack_from(self._buffer)
                end = HEADER.size + size
                if len(self._buffer) >= end:
                    payload = bytes(self._buffer[HEADER.size : end])
                    del self._buffer[:end]
                    return payload
            chunk = self._sock.recv(RECV_BYTES)
            if not chunk:
                return None
            self._buffer += chunk


def serve(sock: socket.socket) -> None:
    from connector.store.embedded import EmbeddedStore

    requests = _Requests(sock)
    store: EmbeddedStore | None = None
    opened: str | None = None
    while (payload := requests.next()) is not None:
        snapshot, plan = pickle.loads(payload)
        assert isinstance(plan, QueryPlan)
        sink = SocketSink(sock)
        try:
            if opened != snapshot:
                store = None  # release the old snapshot before opening the new one
                store = EmbeddedStore.open_snapshot(Path(snapshot))
                opened = snapshot
            assert store is not None
            execute(store, plan, sink)
        except Exception as exc:  # every failure goes back to the parent, which decides the HTTP answer
            if sink.started:
                sink.flush()
                return  # the parent has sent part of the answer; it cuts the stream and replaces this worker
            sink.fail(error_payload(exc))


def worker_main(sock: socket.socket) -> None:
    """Serve queries until the parent closes its end."""
    try:
        serve(sock)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent went away or gave up on the query
    finally:
        sock.close()


def zygote(control: socket.socket) -> None:
    """Fork one worker per received socket; answer with its pid. Exits when the endpoint closes ``control``."""
    import signal

    import connector.store.embedded  # noqa: F401 - imported once here, shared by every forked worker

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished workers
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 1, 1)
        except ConnectionError:
            return
        if not fds:
            return
        pid = os.fork()
        if pid == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            worker_main(socket.socket(fileno=fds[0]))
            os._exit(0)
        os.close(fds[0])
        control.sendall(pid.to_bytes(4, "big"))


if __name__ == "__main__":
    zygote(socket.socket(fileno=int(sys.argv[1])))
