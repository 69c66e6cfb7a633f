"""Faults: the remote store going away and coming back; a process SIGKILLed in the middle of ``replace_graph``."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from connector.store import STAGING_PREFIX
from connector.store.embedded import EmbeddedStore
from connector.store.remote import RemoteStore
from tests.ops.procs import RestartableOxigraph
from tests.servers import connector_process, free_port

FIXTURES = Path(__file__).parent.parent / "fixtures"
ROME = "https://w3id.org/gen-skills/graph/rome"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _wait_status(url: str, status: int, timeout: float = 20.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(url, timeout=10)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_store_outage_gives_503_and_recovery_needs_no_restart(tmp_path: Path) -> None:
    oxigraph = RestartableOxigraph(tmp_path / "oxigraph", free_port())
    oxigraph.start()
    try:
        remote = RemoteStore(*(f"{oxigraph.base}/{p}" for p in ("query", "update", "store")))
        remote.replace_graph(ROME, FIXTURES / "small.ttl")
        remote.close()
        env = {
            **oxigraph.env(),
            "CONNECTOR_HOME": str(tmp_path / "var"),
            "CONNECTOR_READY_DATASETS": '["rome"]',
            "CONNECTOR_STORE_TIMEOUT_S": "5",
        }
        with connector_process(["serve"], env, free_port()) as base:
            assert _wait_status(f"{base}/health/ready", 200).status_code == 200
            assert requests.get(f"{base}/sparql", params={"query": COUNT}, timeout=10).status_code == 200

            oxigraph.kill()
            ready = requests.get(f"{base}/health/ready", timeout=10)
            assert ready.status_code == 503 and ready.headers["retry-after"]
            assert ready.json()["checks"]["store"].startswith("unavailable")
            query = requests.get(f"{base}/sparql", params={"query": COUNT}, timeout=10)
            assert query.status_code == 503 and query.headers["retry-after"]
            assert query.headers["content-type"] == "application/problem+json"
            assert requests.get(f"{base}/health/live", timeout=10).status_code == 200

            oxigraph.start()  # same port, same data directory: the connector process was not restarted
            assert _wait_status(f"{base}/health/ready", 200).status_code == 200
            r = requests.get(f"{base}/sparql", params={"query": COUNT}, timeout=10)
            assert r.status_code == 200 and int(r.json()["results"]["bindings"][0]["n"]["value"]) == 11
            metrics = requests.get(f"{base}/metrics", timeout=10).text
            assert 'connector_http_requests_total{method="GET",route="/sparql",status="503"} 1.0' in metrics
    finally:
        oxigraph.kill()


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import pyoxigraph as ox
    from connector.store.embedded import EmbeddedStore
    from connector.store.remote import RemoteStore

    target = sys.argv[1]
    store = EmbeddedStore.open(Path(target)) if not target.startswith("http") else RemoteStore(
        target + "/query", target + "/update", target + "/store")
    p = ox.NamedNode("https://example.org/p")

    def endless():
        for i in range(10**9):
            if i == 50_000:
                print("loading", flush=True)
            yield ox.Triple(ox.NamedNode(f"https://example.org/new/{i}"), p, ox.Literal(str(i)))

    store.replace_graph(sys.argv[2], endless())
    """
)


@pytest.mark.parametrize("kind", ["embedded", "remote"])
def test_sigkill_during_replace_graph_leaves_published_graph_unchanged(tmp_path: Path, kind: str) -> None:
    oxigraph = RestartableOxigraph(tmp_path / "oxigraph", free_port())
    if kind == "embedded":
        target = str(tmp_path / "store")
        store = EmbeddedStore.open(Path(target))
    else:
        oxigraph.start()
        target = oxigraph.base
        store = RemoteStore(*(f"{target}/{p}" for p in ("query", "update", "store")))
    try:
        before = store.replace_graph(ROME, FIXTURES / "small.ttl")
        snapshot = sorted(store.export(ROME))
        store.close()
        del store  # pyoxigraph releases the RocksDB lock when the Store is dropped
        gc.collect()
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, target, ROME], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "loading"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(10)

        if kind == "embedded":
            store = EmbeddedStore.open(Path(target))  # reopening drops the dead writer's staging graph
            leftovers = [g for g in store.raw.named_graphs() if g.value.startswith(STAGING_PREFIX)]
            assert leftovers == []
        else:
            store = RemoteStore(*(f"{target}/{p}" for p in ("query", "update", "store")))
        assert store.count(ROME) == before
        assert sorted(store.export(ROME)) == snapshot
        assert store.graphs() == [ROME]

        p = ox.NamedNode("https://example.org/p")
        rerun = (ox.Triple(ox.NamedNode(f"https://example.org/r/{i}"), p, ox.Literal(str(i))) for i in range(1000))
        assert store.replace_graph(ROME, rerun) == 1000
        store.close()
    finally:
        oxigraph.kill()
