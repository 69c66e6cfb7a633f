"""Limits: body size per route (413), rate limiting per credential or IP (429 + Retry-After), query slots (503)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends, Request
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.api.limits import QuerySlots, query_slot
from connector.api.problems import Problem
from connector.config import load_settings
from connector.context import Context


def _client(tmp_path: Path, **settings: object) -> TestClient:
    app = create_app(Context(load_settings(home=tmp_path / "var", **settings)))

    @app.post("/admin/jobs/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.get("/slow-query", dependencies=[Depends(query_slot)])
    async def slow() -> dict[str, str]:
        await asyncio.sleep(0.3)
        return {"ok": "yes"}

    return TestClient(app)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(
        tmp_path, max_body_bytes=1000, body_limits={"/admin/jobs": 5000}, rate_limit_anonymous_per_minute=0
    ) as c:
        yield c


def test_body_limit_per_route_from_content_length(client: TestClient) -> None:
    assert client.post("/echo", content=b"x" * 1000).json() == {"received": 1000}
    r = client.post("/echo", content=b"x" * 1001)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert "1000 bytes" in r.json()["detail"]
    assert client.post("/admin/jobs/upload", content=b"x" * 4000).json() == {"received": 4000}
    assert client.post("/admin/jobs/upload", content=b"x" * 5001).status_code == 413


def test_body_limit_on_chunked_upload_without_length(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 100

    r = client.post("/echo", content=chunks())
    assert r.status_code == 413 and r.json()["title"] == "Content Too Large"
    assert client.post("/admin/jobs/upload", content=chunks()).json() == {"received": 2000}


def test_sparql_query_over_its_limit_is_413(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limit_anonymous_per_minute=0) as c:
        r = c.post("/sparql", content=b"# " + b"x" * 2_000_000, headers={"content-type": "application/sparql-query"})
        assert r.status_code == 413


def test_rate_limit_by_ip_and_by_credential(tmp_path: Path) -> None:
    with _client(
        tmp_path, rate_limit_anonymous_per_minute=60, rate_limit_authenticated_per_minute=120, rate_limit_burst=3
    ) as c:
        assert [c.get("/health/ready").status_code for _ in range(10)].count(429) == 0  # probes exempt
        codes = [c.get("/nowhere").status_code for _ in range(4)]
        assert codes == [404, 404, 404, 429]
        r = c.get("/nowhere")
        assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
        assert 1 <= int(r.headers["retry-after"]) <= 2
        # another client (a credential) has its own bucket, even a bad one: it is refused for its credential
        bad_key = {"X-API-Key": "gsk_someone"}
        other = [c.get("/sparql", params={"query": "ASK {}"}, headers=bad_key).status_code for _ in range(4)]
        assert other == [401, 401, 401, 429]
        metrics = c.get("/metrics").text
        assert 'connector_http_rate_limited_total{client="ip"}' in metrics


def test_query_slots_cap_concurrency_then_answer_503(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        slots = QuerySlots(limit=2, wait_s=0.1)
        outcomes: list[str] = []

        async def one() -> None:
            try:
                async with slots.slot():
                    await asyncio.sleep(0.3)
                    outcomes.append("ran")
            except Problem as exc:
                assert exc.status == 503 and exc.headers["Retry-After"]
                outcomes.append("refused")

        await asyncio.gather(*(one() for _ in range(5)))
        async with slots.slot():  # slots are all given back
            outcomes.append("after")
        return outcomes

    outcomes = asyncio.run(scenario())
    assert sorted(outcomes) == ["after", "ran", "ran", "refused", "refused", "refused"]


def test_query_slot_dependency_in_a_route(tmp_path: Path) -> None:
    import threading

    with _client(
        tmp_path, max_concurrent_queries=1, query_queue_timeout_s=0.05, rate_limit_anonymous_per_minute=0
    ) as c:
        codes: list[int] = []
        threads = [threading.Thread(target=lambda: codes.append(c.get("/slow-query").status_code)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [200, 503, 503]


def test_sparql_endpoint_holds_a_query_slot_while_evaluating(tmp_path: Path) -> None:
    """With one slot, a second query arriving while a long one is evaluated waits, then gets 503 + Retry-After."""
    import threading
    import time

    import pyoxigraph as ox

    settings = load_settings(
        home=tmp_path / "var",
        max_concurrent_queries=1,
        query_queue_timeout_s=0.2,
        query_timeout_s=3,
        rate_limit_anonymous_per_minute=0,
    )
    ctx = Context(settings)
    p = ox.NamedNode("https://example.org/p")
    rows = (ox.Triple(ox.NamedNode(f"https://example.org/s{i}"), p, ox.Literal(str(i))) for i in range(300))
    ctx.store.replace_graph(ctx.datasets.get("rome").graph, rows)
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with TestClient(create_app(ctx)) as client:
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200  # workers warm
        long: dict[str, int] = {}
        thread = threading.Thread(
            target=lambda: long.update(status=client.get("/sparql", params={"query": runaway}).status_code)
        )
        thread.start()
        try:
            time.sleep(0.5)
            refused = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        finally:
            thread.join()
        assert refused.status_code == 503 and refused.json()["title"] == "Too many queries"
        assert "Retry-After" in refused.headers
        assert long["status"] == 503  # the long one ran into its own time limit
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200  # slot released
    ctx.close()
