"""Dataspace Protocol speed targets.

1. A catalog of 10,000 datasets serves its first page (``POST /dsp/2025-1/catalog/request``) with p50 <= 50 ms.
2. A full negotiation + pull transfer + first SPARQL query between two local connector processes takes <= 1 s.

Both run against real uvicorn servers on loopback ports; (2) starts two ``skills-connector serve`` processes and
plays the consumer's CLI in this process (sharing B's state database, as ``skills-connector dsp`` does).
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path

import requests
import uvicorn

from connector.api.app import create_app
from connector.config import DspParticipant, DspPolicy, load_settings
from connector.context import Context
from connector.dsp import consumer
from connector.dsp.catalog import Catalog, Entry
from connector.dsp.setup import build_service
from connector.dsp.states import Kind
from tests.servers import free_port, running, wait_http

RESULTS = Path(__file__).parent / "results" / "dsp.json"
CATALOG_SIZE = 10_000
CATALOG_P50_MS = 50.0
FLOW_S = 1.0
CONTEXT = ["https://w3id.org/dspace/2025/1/context.jsonld"]
FIXTURE = Path(__file__).parent.parent / "tests" / "fixtures" / "small.ttl"


def bench_catalog(home: Path) -> dict:
    port = free_port()
    token = "bench-token"
    settings = load_settings(
        home=home,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        dsp_participants=[DspParticipant(id="did:web:bench", token_sha256=hashlib.sha256(token.encode()).hexdigest())],
        # one client sending hundreds of requests: measure the catalog, not the per-client rate limit
        rate_limit_authenticated_per_minute=0,
    )
    ctx = Context(settings)
    app = create_app(ctx)
    svc = app.state.dsp
    policy = DspPolicy(id="open", datasets=["x"], attribution=True)
    members = DspPolicy(id="members", datasets=["x"], purposes=["research", "skills-matching"], members_only=True)
    entries = [
        Entry(
            id=f"{settings.base_iri}dataset/bench-{i}",
            key=f"bench-{i}",
            graph=f"{settings.base_iri}graph/bench-{i}",
            title={"en": f"Benchmark dataset {i}", "fr": f"Jeu de données {i}"},
            description={"en": "Synthetic dataset for the catalog benchmark."},
            policies=(policy, members),
            publisher="Bench",
            licence="http://creativecommons.org/licenses/by/4.0/",
            keywords=("bench", f"k{i % 100}"),
            triples=i,
        )
        for i in range(CATALOG_SIZE)
    ]
    svc.catalog = Catalog(
        settings.participant_id, svc.dsp_url, ctx.minted.policy, settings.base_iri, lambda: entries, ttl_s=3600
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_http(f"http://127.0.0.1:{port}/health/live", timeout=60)
    url = f"http://127.0.0.1:{port}/dsp/2025-1/catalog/request"
    body = json.dumps({"@context": CONTEXT, "@type": "CatalogRequestMessage", "filter": []})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    session = requests.Session()
    try:
        started = time.perf_counter()
        first = session.post(url, data=body, headers=headers, timeout=30)
        cold_ms = (time.perf_counter() - started) * 1000
        assert first.status_code == 200 and len(first.json()["dataset"]) == settings.dsp_catalog_page_size
        assert 'rel="next"' in first.headers["Link"]
        times = []
        for _ in range(200):
            started = time.perf_counter()
            r = session.post(url, data=body, headers=headers, timeout=30)
            times.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200
        filtered = json.dumps(
            {"@context": CONTEXT, "@type": "CatalogRequestMessage", "filter": [{"dcat:keyword": "k42"}]}
        )
        started = time.perf_counter()
        r = session.post(url, data=filtered, headers=headers, timeout=30)
        filter_ms = (time.perf_counter() - started) * 1000
        assert r.status_code == 200
    finally:
        server.should_exit = True
        thread.join(5)
        ctx.close()
    return {
        "datasets": CATALOG_SIZE,
        "page_size": settings.dsp_catalog_page_size,
        "first_page_cold_ms": round(cold_ms, 1),
        "first_page_p50_ms": round(statistics.median(times), 2),
        "first_page_p95_ms": round(sorted(times)[int(len(times) * 0.95)], 2),
        "filtered_page_ms": round(filter_ms, 1),
    }


def _serve(env: dict[str, str], port: int) -> AbstractContextManager[subprocess.Popen]:
    return running(
        [sys.executable, "-m", "connector", "serve"],
        f"http://127.0.0.1:{port}/health/live",
        env={**env, "CONNECTOR_PORT": str(port), "CONNECTOR_HOST": "127.0.0.1"},
    )


def bench_flow(tmp: Path, rounds: int = 10) -> dict:
    a_id, b_id = "did:web:a.bench", "did:web:b.bench"
    port_a, port_b = free_port(), free_port()
    env_a = {
        "CONNECTOR_HOME": str(tmp / "a"),
        "CONNECTOR_PARTICIPANT_ID": a_id,
        "CONNECTOR_LOG_LEVEL": "WARNING",
        "CONNECTOR_DSP_PARTICIPANTS": json.dumps(
            [
                {
                    "id": b_id,
                    "token_sha256": hashlib.sha256(b"b2a").hexdigest(),
                    "callback_hosts": ["127.0.0.1"],
                    "member": True,
                    "outbound_token": "a2b",
                }
            ]  # fmt: skip
        ),
    }
    env_b = {
        "CONNECTOR_HOME": str(tmp / "b"),
        "CONNECTOR_PARTICIPANT_ID": b_id,
        "CONNECTOR_PORT": str(port_b),
        "CONNECTOR_LOG_LEVEL": "WARNING",
        "CONNECTOR_DSP_PARTICIPANTS": json.dumps(
            [
                {
                    "id": a_id,
                    "token_sha256": hashlib.sha256(b"a2b").hexdigest(),
                    "callback_hosts": ["127.0.0.1"],
                    "outbound_token": "b2a",
                }
            ]  # fmt: skip
        ),
    }
    load = subprocess.run(
        [sys.executable, "-m", "connector", "store", "load", "trainings", str(FIXTURE)],
        env={**os.environ, **env_a},
        capture_output=True,
    )
    assert load.returncode == 0, load.stderr
    with _serve(env_a, port_a), _serve(env_b, port_b):
        return _flow_rounds(tmp, b_id, env_b, port_a, port_b, rounds)


def _flow_rounds(tmp: Path, b_id: str, env_b: dict[str, str], port_a: int, port_b: int, rounds: int) -> dict:
    settings_b = load_settings(
        home=tmp / "b",
        participant_id=b_id,
        port=port_b,
        dsp_participants=[json.loads(env_b["CONNECTOR_DSP_PARTICIPANTS"])[0]],
    )
    ctx_b = Context(settings_b)
    svc = build_service(ctx_b)
    times = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            provider = consumer.discover(svc.client, f"http://127.0.0.1:{port_a}")
            offer = consumer.choose_offer(consumer.dataset(svc.client, provider, "trainings"), None, "research")
            p = svc.request_negotiation(provider.base, provider.id or "", offer)
            p = svc.wait(Kind.NEGOTIATION, p.local_pid, {"FINALIZED"}, 10)
            assert p.state == "FINALIZED", p
            t = svc.request_transfer(provider.base, provider.id or "", p.data["agreement"]["@id"])
            t = svc.wait(Kind.TRANSFER, t.local_pid, {"STARTED"}, 10)
            assert t.state == "STARTED", t
            r = consumer.query(t, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
            assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == "11"
            times.append(time.perf_counter() - started)
    finally:
        svc.repo.close()
    return {
        "rounds": rounds,
        "flow_first_s": round(times[0], 3),
        "flow_p50_s": round(statistics.median(times), 3),
        "flow_max_s": round(max(times), 3),
    }


def main() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        catalog = bench_catalog(Path(tmp) / "catalog")
        flow = bench_flow(Path(tmp))
    figures = {**catalog, **flow, "targets": {"first_page_p50_ms": CATALOG_P50_MS, "flow_max_s": FLOW_S}}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    for key, value in figures.items():
        print(f"  {key:<22} {value}")
    ok = catalog["first_page_p50_ms"] <= CATALOG_P50_MS and flow["flow_max_s"] <= FLOW_S
    print("targets met" if ok else "target missed")
    return ok
