"""The query worker pool: answers arrive whole through the worker channel, big ones stream with bounded buffering,
a worker whose query overran, was abandoned or died is replaced while the pool keeps answering, and only repeats of
plans a worker answered quickly on the same snapshot are answered in the endpoint's process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from prometheus_client import REGISTRY

from connector.sparql.execution import LOOKAHEAD_BYTES, QueryPlan
from connector.sparql.runners import READ_PAUSE_BYTES, Answer, ProcessPoolRunner
from connector.store import QueryTimeout, StoreError
from connector.store.embedded import EmbeddedStore

GRAPH = "https://example.org/graph"
OTHER = "https://example.org/other-graph"
JSON = "application/sparql-results+json"
TRIPLES = 40_000
LABEL = "x" * 100
EVERYTHING = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """About 6 MB of N-Triples: more than the look-ahead and more than the channel reads ahead of a slow client."""
    store = EmbeddedStore.open(tmp_path_factory.mktemp("runners") / "store")
    data = "".join(f'<https://example.org/s{i}> <https://example.org/label> "{LABEL} {i}" .\n' for i in range(TRIPLES))
    store.replace_graph(GRAPH, data.encode(), "application/n-triples")
    yield store
    store.close()


def plan(query: str, accept: str = "application/n-triples", timeout_s: float = 30) -> QueryPlan:
    return QueryPlan(
        query=query,
        default_graphs=[GRAPH],
        named_graphs=[GRAPH],
        union_default_graph=False,
        accept=accept,
        row_cap=10 * TRIPLES,
        timeout_s=timeout_s,
    )


async def read_all(answer: Answer) -> bytes:
    if answer.content is not None:
        return answer.content
    assert answer.body is not None
    try:
        return b"".join([chunk async for chunk in answer.body])
    finally:
        answer.release()


def pids(runner: ProcessPoolRunner) -> set[int]:
    return {w.pid for w in runner._all}


async def settle(runner: ProcessPoolRunner, size: int) -> None:
    """Wait until replacements have joined the pool."""
    for _ in range(200):
        if len(runner._all) == size and runner._idle.qsize() == size:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the pool did not return to {size} idle workers")


def test_big_answer_streams_to_a_slow_reader_with_bounded_buffering(store: EmbeddedStore) -> None:
    async def scenario() -> None:
        runner = ProcessPoolRunner(store, 2)
        try:
            answer = await runner.run(plan(EVERYTHING), 30)
            assert not answer.head.complete  # over the look-ahead: streamed, no exact truncation flag
            assert answer.body is not None and answer.content is None
            chunks, largest_queue = [], 0
            async for chunk in answer.body:
                chunks.append(chunk)
                if len(chunks) == 1:
                    await asyncio.sleep(0.5)  # a slow client: the worker must wait, not the server's memory grow
                    largest_queue = max(w.channel._queued for w in runner._all)
            answer.release()
            body = b"".join(chunks)
            assert len(body) > READ_PAUSE_BYTES + LOOKAHEAD_BYTES
            assert largest_queue <= READ_PAUSE_BYTES + (1 << 20)
            expected = store._store.query(EVERYTHING, default_graph=ox.NamedNode(GRAPH))
            assert {q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)} == set(expected)
            # the worker went back to the pool and answers the next query
            before = pids(runner)
            small = await runner.run(plan("ASK { ?s ?p ?o }", "application/sparql-results+json"), 30)
            assert small.head.complete and small.content is not None and b"true" in small.content
            assert pids(runner) == before and runner._idle.qsize() == 2  # a complete answer frees its worker at once
        finally:
            await runner.close()

    asyncio.run(scenario())


def test_overrun_query_is_stopped_and_its_worker_replaced(store: EmbeddedStore) -> None:
    async def scenario() -> None:
        runner = ProcessPoolRunner(store, 2)
        try:
            await read_all(await runner.run(plan("ASK {}", "application/sparql-results+json"), 30))
            before = pids(runner)
            with pytest.raises(QueryTimeout, match="0.5 s limit"):
                await runner.run(plan(RUNAWAY, "application/sparql-results+json", 0.5), 0.5)
            await settle(runner, 2)
            assert len(before - pids(runner)) == 1
            ask = await runner.run(plan("ASK { ?s ?p ?o }", "application/sparql-results+json"), 30)
            assert b"true" in await read_all(ask)
        finally:
            await runner.close()

    asyncio.run(scenario())


def test_abandoned_stream_and_dead_worker_are_replaced(store: EmbeddedStore) -> None:
    async def scenario() -> None:
        runner = ProcessPoolRunner(store, 2)
        try:
            answer = await runner.run(plan(EVERYTHING), 30)
            assert answer.body is not None
            await anext(answer.body)
            busy = next(w.pid for w in runner._all if w not in runner._idle._queue)
            answer.release()  # the client went away mid-stream: its worker may still be writing
            await settle(runner, 2)
            assert busy not in pids(runner)

            dead = runner._idle._queue[-1].pid  # the next query goes to the most recently used worker
            os.kill(dead, signal.SIGKILL)
            await asyncio.sleep(0.2)
            with pytest.raises(StoreError, match="stopped unexpectedly"):
                await runner.run(plan("ASK {}", "application/sparql-results+json"), 30)
            await settle(runner, 2)
            assert dead not in pids(runner)
            ask = await runner.run(plan("ASK { ?s ?p ?o }", "application/sparql-results+json"), 30)
            assert b"true" in await read_all(ask)
        finally:
            await runner.close()

    asyncio.run(scenario())


def known_short_answers() -> float:
    return REGISTRY.get_sample_value("connector_sparql_known_short_queries_total") or 0.0


def test_repeats_of_a_short_query_are_answered_in_process(store: EmbeddedStore) -> None:
    async def scenario() -> None:
        runner = ProcessPoolRunner(store, 2, short_query_s=5.0)
        lookup = plan(f'SELECT ?s WHERE {{ ?s <https://example.org/label> "{LABEL} 7" }}', JSON)
        try:
            before = known_short_answers()
            first = await read_all(await runner.run(lookup, 30))
            assert b"https://example.org/s7" in first and known_short_answers() == before  # the first run: a worker
            frozen = pids(runner)
            for pid in frozen:  # from now on only an answer from the endpoint's own process can come back
                os.kill(pid, signal.SIGSTOP)
            try:
                again = await runner.run(lookup, 5)
                assert again.content == first and known_short_answers() == before + 1
                # the same text over another dataset (another caller's scope) was never measured: it needs a worker
                with pytest.raises(QueryTimeout):
                    await runner.run(replace(lookup, default_graphs=[GRAPH, OTHER]), 0.5)
            finally:
                for pid in frozen:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGCONT)
        finally:
            await runner.close()

    asyncio.run(scenario())


def test_slow_queries_and_queries_on_new_data_run_in_workers(store: EmbeddedStore) -> None:
    async def scenario() -> None:
        count = plan("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON)
        count = replace(count, default_graphs=[OTHER], named_graphs=[OTHER])
        strict = ProcessPoolRunner(store, 2, short_query_s=1e-9)  # nothing is ever short enough
        runner = ProcessPoolRunner(store, 2, short_query_s=5.0)
        try:
            before = known_short_answers()
            for _ in range(2):
                await read_all(await strict.run(count, 30))
            for _ in range(2):  # a runaway never ends short in a worker: every run of it is stopped there
                with pytest.raises(QueryTimeout):
                    await runner.run(plan(RUNAWAY, JSON, 0.5), 0.5)
            assert known_short_answers() == before

            assert b'"0"' in await read_all(await runner.run(count, 30))
            assert b'"0"' in await read_all(await runner.run(count, 30))
            assert known_short_answers() == before + 1
            store.add_to_graph(
                OTHER,
                b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n",
                "application/n-triples",
            )
            # a write makes a new snapshot: what was measured on the old one no longer counts
            assert b'"1"' in await read_all(await runner.run(count, 30))
            assert known_short_answers() == before + 1
            assert b'"1"' in await read_all(await runner.run(count, 30))
            assert known_short_answers() == before + 2
        finally:
            store.drop_graph(OTHER)
            await strict.close()
            await runner.close()

    asyncio.run(scenario())


def test_in_process_answers_fail_as_worker_answers_do(store: EmbeddedStore, tmp_path: Path) -> None:
    from connector.sparql.errors import SparqlError
    from connector.sparql.short_queries import LocalLane
    from connector.store import QuerySyntaxError

    async def scenario() -> None:
        snapshot = tmp_path / "snapshot"
        store.snapshot(snapshot)
        lane = LocalLane(1)
        try:
            head, content = await lane.submit(snapshot, plan("ASK { ?s ?p ?o }", JSON), 1)
            assert head.complete and b"true" in content
            with pytest.raises(QuerySyntaxError):
                await lane.submit(snapshot, plan("ASK { ?s ?p", JSON), 1)
            with pytest.raises(SparqlError) as refused:
                await lane.submit(snapshot, plan("ASK {}", "image/png"), 1)
            assert refused.value.status == 406
        finally:
            lane.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("SELECT ?s ?l WHERE { ?s ?p ?l } ORDER BY ?s LIMIT 5", JSON),
        ("SELECT ?s ?l WHERE { ?s ?p ?l } ORDER BY ?s LIMIT 5", "text/csv"),
        ("SELECT ?s ?l WHERE { ?s ?p ?l } ORDER BY ?s LIMIT 5", "application/sparql-results+xml"),
        ("SELECT ?s ?l WHERE { ?s ?p ?l } ORDER BY ?s LIMIT 5", "text/tab-separated-values"),
        ("CONSTRUCT { ?s ?p ?l } WHERE { ?s ?p ?l } ORDER BY ?s LIMIT 5", "text/turtle"),
        ("CONSTRUCT { ?s ?p ?l } WHERE { ?s ?p ?l } ORDER BY ?s LIMIT 5", "application/n-triples"),
    ],
)
def test_in_process_answers_are_the_workers_bytes_and_keep_the_cap(
    store: EmbeddedStore, query: str, accept: str
) -> None:
    """A repeat answered in process (written whole when its size is known to be under the cap) is byte for byte
    the worker's answer; one whose size reached the cap is still cut and flagged."""

    async def scenario() -> None:
        runner = ProcessPoolRunner(store, 2, short_query_s=60.0)  # short enough even on a loaded machine
        whole, capped = plan(query, accept), replace(plan(query, accept), row_cap=3)
        try:
            for p in (whole, capped):
                before = known_short_answers()
                first = await runner.run(p, 30)
                again = await runner.run(p, 30)
                assert known_short_answers() == before + 1  # the repeat came from the endpoint's own process
                assert again.content == first.content and again.head == first.head
            assert first.head.truncated and first.head.rows == 3
        finally:
            await runner.close()

    asyncio.run(scenario())
