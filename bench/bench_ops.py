"""Operations load run: concurrent clients on the query mix against a real uvicorn on loopback.

Target: 32 clients for 30 s, no errors (timeouts, connection failures, 5xx without Retry-After), resident memory
growth after warm-up below ``RSS_GROWTH_BOUND_MB``. Answers 429/503 with Retry-After are load shedding, counted
apart; the clients wait as told.
The test suite runs :func:`load_run` with a few clients for a few seconds (tests/ops/test_load.py).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pyoxigraph as ox
import requests

from tests.servers import free_port, running

RSS_GROWTH_BOUND_MB = 64.0
"""Largest accepted growth of the server's resident memory between the end of warm-up and the end of the run."""

SKOS = "http://www.w3.org/2004/02/skos/core#"
QUERY_MIX = [
    f"SELECT (COUNT(*) AS ?n) WHERE {{ ?c a <{SKOS}Concept> }}",
    f"SELECT ?c ?l WHERE {{ ?c <{SKOS}prefLabel> ?l FILTER(lang(?l) = 'fr') }} ORDER BY ?l LIMIT 50",
    f"SELECT ?c ?l WHERE {{ ?c <{SKOS}prefLabel> ?l FILTER(CONTAINS(LCASE(STR(?l)), 'concept 12')) }} LIMIT 20",
    f"SELECT ?n (COUNT(?c) AS ?k) WHERE {{ ?c <{SKOS}broader> ?b . ?b <{SKOS}notation> ?n }} GROUP BY ?n LIMIT 100",
    f"ASK {{ ?c <{SKOS}notation> 'C00042' }}",
    f"SELECT ?c WHERE {{ ?c <{SKOS}notation> ?n }} OFFSET 1000 LIMIT 10",
]
"""A browse/search/aggregate mix over SKOS vocabularies (what the vocabulary datasets are queried for)."""


def synthetic_vocabulary(concepts: int) -> Iterator[ox.Triple]:
    """A SKOS scheme of ``concepts`` concepts with labels in two languages, notations and a two-level hierarchy."""
    a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    concept, label, notation, broader = (
        ox.NamedNode(SKOS + n) for n in ("Concept", "prefLabel", "notation", "broader")
    )
    for i in range(concepts):
        c = ox.NamedNode(f"https://w3id.org/gen-skills/rome/competence/{i}")
        yield ox.Triple(c, a, concept)
        yield ox.Triple(c, notation, ox.Literal(f"C{i:05d}"))
        yield ox.Triple(c, label, ox.Literal(f"concept {i}", language="fr"))
        yield ox.Triple(c, label, ox.Literal(f"concept {i} (en)", language="en"))
        if i >= 100:
            yield ox.Triple(c, broader, ox.NamedNode(f"https://w3id.org/gen-skills/rome/competence/{i % 100}"))


@contextmanager
def served_connector(home: Path, concepts: int = 20_000) -> Iterator[tuple[str, int]]:
    """Load a synthetic vocabulary into ROME and ESCO graphs, serve with uvicorn; yield (base URL, server pid)."""
    from connector.config import load_settings
    from connector.context import Context

    ctx = Context(load_settings(home=home))
    for name in ("rome", "esco"):
        ctx.store.replace_graph(ctx.datasets.get(name).graph, synthetic_vocabulary(concepts))
    ctx.close()
    del ctx
    gc.collect()
    port = free_port()
    env = {
        "CONNECTOR_HOME": str(home),
        "CONNECTOR_PORT": str(port),
        "CONNECTOR_HOST": "127.0.0.1",
        "CONNECTOR_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
        "CONNECTOR_LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{port}"
    with running(
        [sys.executable, "-m", "connector", "serve"], f"{base}/health/ready", env=env, status=200, stderr=None
    ) as proc:
        yield base, proc.pid


def load_run(base: str, pid: int, *, clients: int, seconds: float, warmup_s: float) -> dict[str, float]:
    """``clients`` threads loop over the query mix for ``seconds``; figures after a warm-up of ``warmup_s``."""
    server = psutil.Process(pid)
    latencies: list[float] = []
    errors: list[str] = []
    shed: list[int] = []
    """Answers 429/503 with Retry-After: load shed on purpose, not errors (the client waits as told)."""
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds

    def client(n: int) -> None:
        session = requests.Session()
        i = n
        while time.monotonic() < stop:
            query = QUERY_MIX[i % len(QUERY_MIX)]
            i += 1
            t0 = time.perf_counter()
            retry_after = None
            try:
                r = session.get(f"{base}/sparql", params={"query": query}, timeout=30)
                ok = r.status_code == 200
                problem = f"{r.status_code}: {r.text[:200]}"
                if r.status_code in (429, 503) and r.headers.get("retry-after", "").isdigit():
                    retry_after = int(r.headers["retry-after"])
            except requests.RequestException as exc:
                ok, problem = False, repr(exc)
            elapsed = time.perf_counter() - t0
            with lock:
                if ok:
                    latencies.append(elapsed)
                elif retry_after is not None:
                    shed.append(retry_after)
                else:
                    errors.append(problem)
            if retry_after is not None:  # a well-behaved client honours load shedding
                time.sleep(min(retry_after, max(0.0, stop - time.monotonic())))
        session.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    time.sleep(warmup_s)
    rss_after_warmup = server.memory_info().rss
    for t in threads:
        t.join()
    rss_end = server.memory_info().rss
    total = len(latencies) + len(errors) + len(shed)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": total,
        "errors": len(errors),
        "shed_with_retry_after": len(shed),
        "first_error": errors[0] if errors else "",
        "requests_per_s": round(total / (time.monotonic() - start), 1),
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p95_ms": round(quantiles[94] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
        "rss_after_warmup_mb": round(rss_after_warmup / 2**20, 1),
        "rss_end_mb": round(rss_end / 2**20, 1),
        "rss_growth_mb": round((rss_end - rss_after_warmup) / 2**20, 1),
    }


def main() -> bool:
    with tempfile.TemporaryDirectory() as tmp, served_connector(Path(tmp) / "var") as (base, pid):
        figures = load_run(base, pid, clients=32, seconds=30, warmup_s=5)
    figures["rss_growth_bound_mb"] = RSS_GROWTH_BOUND_MB
    ok = figures["errors"] == 0 and figures["rss_growth_mb"] <= RSS_GROWTH_BOUND_MB
    figures["target_met"] = ok
    print(json.dumps(figures, indent=2))
    out = Path(__file__).parent / "results" / "ops.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return ok
