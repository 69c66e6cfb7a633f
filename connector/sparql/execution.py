"""Running one query: evaluate over its dataset, negotiate the format, stream the capped answer into a sink.

The same function runs in a worker process (embedded store) and in a thread (remote store); the sink is what
differs. A sink holds the answer back until about 1 MiB is written or the answer is complete, so that small and
medium answers carry an exact ``truncated`` flag in their headers while big ones still stream.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from connector.sparql.errors import SparqlError
from connector.sparql.negotiation import choose, offered
from connector.sparql.results import kind_of, write_answer
from connector.store import GraphStore

LOOKAHEAD_BYTES = 1 << 20

HEADER = struct.Struct(">cI")
"""Frames between the endpoint and its worker processes: a type byte and the payload length."""


def frame(kind: bytes, payload: bytes) -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


@dataclass(frozen=True)
class QueryPlan:
    """Everything a worker needs to run a query (plain data: it crosses process boundaries)."""

    query: str
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    union_default_graph: bool
    accept: str | None
    row_cap: int
    base_iri: str | None = None
    timeout_s: float | None = None


@dataclass(frozen=True)
class AnswerHead:
    kind: str
    media_type: str
    complete: bool
    rows: int | None = None
    truncated: bool | None = None


class Sink(ABC):
    """Receives one answer: :meth:`head` once (possibly late), then bytes, then :meth:`end`."""

    def __init__(self) -> None:
        self._kind = self._media = ""
        self._held: list[bytes] | None = []
        self._held_size = 0

    def start(self, kind: str, media_type: str) -> None:
        self._kind, self._media = kind, media_type

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._held is None:
            self.emit_data(data)
            return
        self._held.append(data)
        self._held_size += len(data)
        if self._held_size >= LOOKAHEAD_BYTES:
            self.emit_head(AnswerHead(self._kind, self._media, complete=False))
            held, self._held = self._held, None
            for chunk in held:
                self.emit_data(chunk)

    def finish(self, rows: int, truncated: bool) -> None:
        if self._held is not None:
            self.emit_head(AnswerHead(self._kind, self._media, complete=True, rows=rows, truncated=truncated))
            for chunk in self._held:
                self.emit_data(chunk)
            self._held = None
        self.emit_end(rows, truncated)

    @property
    def started(self) -> bool:
        """True once the head went out (after that an error can only cut the stream)."""
        return self._held is None

    @abstractmethod
    def emit_head(self, head: AnswerHead) -> None: ...

    @abstractmethod
    def emit_data(self, data: bytes) -> None: ...

    @abstractmethod
    def emit_end(self, rows: int, truncated: bool) -> None: ...


def execute(store: GraphStore, plan: QueryPlan, sink: Sink, *, known_rows: int | None = None) -> None:
    """Evaluate ``plan`` on ``store`` and stream the answer into ``sink``. ``known_rows``: the size of the answer
    when a worker measured it on the same snapshot (the answer is then written without counting, when it can be).

    Raises :class:`SparqlError` (406) when no acceptable format exists and the store's errors
    (``QuerySyntaxError`` ...) before anything was sent.
    """
    raw = store.evaluate(
        plan.query,
        default_graphs=plan.default_graphs,
        named_graphs=plan.named_graphs,
        union_default_graph=plan.union_default_graph,
        base_iri=plan.base_iri,
        timeout_s=plan.timeout_s,
    )
    kind = kind_of(raw)
    media = choose(plan.accept, kind)  # type: ignore[arg-type]
    if media is None:
        raise SparqlError(
            406,
            "Not Acceptable",
            f"a {kind.upper()} answer can be sent as {', '.join(offered(kind))}; "  # type: ignore[arg-type]
            f"the Accept header ({plan.accept}) allows none of them",
        )
    sink.start(kind, media)
    rows, truncated = write_answer(raw, media, plan.row_cap, sink.write, known_rows)
    sink.finish(rows, truncated)


def error_payload(exc: BaseException) -> dict[str, Any]:
    """A picklable description of a failure, rebuilt by :func:`raise_payload` on the other side."""
    from connector.store import QuerySyntaxError, StoreUnavailable

    if isinstance(exc, SparqlError):
        return {"type": "sparql", "status": exc.status, "title": exc.title, "detail": exc.detail}
    if isinstance(exc, QuerySyntaxError):
        return {"type": "syntax", "detail": str(exc)}
    if isinstance(exc, StoreUnavailable):
        return {"type": "unavailable", "detail": str(exc)}
    if isinstance(exc, OSError):
        # pyoxigraph raises OSError for evaluation failures it meets while iterating (e.g. a SERVICE call).
        return {"type": "evaluation", "detail": str(exc)}
    return {"type": "internal", "detail": f"{type(exc).__name__}: {exc}"}


def payload_error(payload: dict[str, Any]) -> Exception:
    """The exception :func:`error_payload` described."""
    from connector.store import QuerySyntaxError, StoreError, StoreUnavailable

    kind = payload["type"]
    if kind == "sparql":
        return SparqlError(payload["status"], payload["title"], payload["detail"])
    if kind == "syntax":
        return QuerySyntaxError(payload["detail"])
    if kind == "unavailable":
        return StoreUnavailable(payload["detail"])
    if kind == "evaluation":
        return SparqlError(400, "Query evaluation failed", payload["detail"])
    return StoreError(payload["detail"])


def raise_payload(payload: dict[str, Any]) -> None:
    raise payload_error(payload)
