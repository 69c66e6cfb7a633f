"""The SPARQL service: protocol requests in, scoped and bounded answers out. One per process."""

from __future__ import annotations

import asyncio
import atexit
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from connector import metrics
from connector.auth import Principal
from connector.context import Context
from connector.sparql.errors import SparqlError
from connector.sparql.execution import QueryPlan
from connector.sparql.lexer import UpdateDatasetConflict, apply_using, declared_dataset, uses_keyword
from connector.sparql.protocol import QueryRequest, UpdateRequest
from connector.sparql.runners import Answer, ProcessPoolRunner, Runner, ThreadRunner, WorkersBusy
from connector.sparql.scope import Scope, resolve_dataset, scope_for
from connector.store import QueryTimeout
from connector.store.embedded import EmbeddedStore


class SparqlService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self._runner: Runner | None = None
        self._graphs_cache: tuple[int, frozenset[str]] | None = None

    @property
    def endpoint(self) -> str:
        """The public URL of the query endpoint; also the base IRI of queries and updates."""
        return f"{self.settings.base_url}/sparql"

    def runner(self) -> Runner:
        if self._runner is None:
            store = self.ctx.store
            if isinstance(store, EmbeddedStore) and store.path is not None:
                size = self.settings.sparql_workers or max(8, 4 * (os.cpu_count() or 2))
                pool = ProcessPoolRunner(
                    store, size, self.settings.sparql_short_query_ms / 1000, local_threads=os.cpu_count() or 2
                )
                atexit.register(pool.close_sync)
                self._runner = pool
            else:
                self._runner = ThreadRunner(store)
        return self._runner

    def scope(self, principal: Principal) -> Scope:
        return scope_for(principal, self.ctx.datasets)

    def _store_graphs(self) -> frozenset[str] | None:
        """Graphs holding data, for the embedded store (cached per write generation); None when unknown.

        A default graph made of N graphs costs the engine N lookups per pattern, so empty ones are left out.
        """
        store = self.ctx.store
        if not isinstance(store, EmbeddedStore):
            return None
        if self._graphs_cache is None or self._graphs_cache[0] != store.generation:
            generation = store.generation
            self._graphs_cache = (generation, frozenset(store.graphs()))
        return self._graphs_cache[1]

    def plan(self, principal: Principal, request: QueryRequest, accept: str | None) -> QueryPlan:
        """Check a query against the safety rules and fix its dataset; raises :class:`SparqlError`."""
        if not self.settings.sparql_allow_service and uses_keyword(request.query, "SERVICE"):
            raise SparqlError(
                400,
                "SERVICE not allowed",
                "federated queries (SERVICE) are disabled on this endpoint: it never calls other servers",
            )
        declared = declared_dataset(request.query, self.endpoint)
        dataset = resolve_dataset(
            self.scope(principal), request.default_graphs, request.named_graphs, declared, self._store_graphs()
        )
        return QueryPlan(
            query=request.query,
            default_graphs=dataset.default_graphs,
            named_graphs=dataset.named_graphs,
            union_default_graph=dataset.union_default_graph,
            accept=accept,
            row_cap=self.settings.sparql_row_cap,
            base_iri=self.endpoint,
            timeout_s=self.settings.query_timeout_s,
        )

    async def query(self, principal: Principal, request: QueryRequest, accept: str | None) -> Answer:
        """Run a query; its metrics (duration, timeouts, refusals, running gauge) are kept here, for every face."""
        plan = self.plan(principal, request, accept)
        started = time.perf_counter()
        metrics.SPARQL_QUERIES_RUNNING.inc()
        try:
            answer = await self.runner().run(plan, self.settings.query_timeout_s)
        except BaseException as exc:
            metrics.SPARQL_QUERIES_RUNNING.dec()
            _count_failure(exc)
            raise
        return _observed(answer, started)

    def prepare_update(self, request: UpdateRequest) -> str:
        """The update text to run: safety checks, then the protocol's USING parameters applied."""
        if not self.settings.sparql_allow_load and uses_keyword(request.update, "LOAD"):
            raise SparqlError(
                400, "LOAD not allowed", "LOAD is disabled on this endpoint: it never fetches URLs (upload to /store)"
            )
        if not self.settings.sparql_allow_service and uses_keyword(request.update, "SERVICE"):
            raise SparqlError(400, "SERVICE not allowed", "federated patterns (SERVICE) are disabled on this endpoint")
        try:
            return apply_using(request.update, request.using_graphs, request.using_named_graphs)
        except UpdateDatasetConflict as exc:
            raise SparqlError(400, "Dataset given twice", str(exc)) from None
        except ValueError as exc:
            raise SparqlError(400, "Malformed update", str(exc)) from None

    async def update(self, request: UpdateRequest) -> None:
        text = self.prepare_update(request)
        await asyncio.to_thread(self.ctx.store.update, text, base_iri=self.endpoint)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.close()
            self._runner = None


def _count_failure(exc: BaseException) -> None:
    if isinstance(exc, WorkersBusy):
        metrics.SPARQL_REJECTED.labels(reason="busy").inc()
    elif isinstance(exc, QueryTimeout):
        metrics.SPARQL_TIMEOUTS.inc()


_SECONDS: dict[str, Any] = {}
"""Query form -> its duration histogram series (``labels()`` costs more than observing; three forms at most)."""


def _seconds_of(form: str) -> Any:
    series = _SECONDS.get(form)
    if series is None:
        series = _SECONDS[form] = metrics.SPARQL_QUERY_SECONDS.labels(form=form)
    return series


def _observed(answer: Answer, started: float) -> Answer:
    """``answer`` whose end is measured: duration once the body is complete, the running gauge freed exactly once
    (body end, error, or ``release`` by a client that went away)."""
    seconds = _seconds_of(answer.head.kind)
    if answer.body is None:  # complete: already over
        metrics.SPARQL_QUERIES_RUNNING.dec()
        seconds.observe(time.perf_counter() - started)
        return answer
    body_chunks = answer.body
    running = True

    def stop() -> None:
        nonlocal running
        if running:
            running = False
            metrics.SPARQL_QUERIES_RUNNING.dec()

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in body_chunks:
                yield chunk
        except BaseException as exc:
            _count_failure(exc)
            raise
        else:
            seconds.observe(time.perf_counter() - started)
        finally:
            stop()

    def release() -> None:
        stop()
        answer.release()

    return Answer(answer.head, body(), release)
