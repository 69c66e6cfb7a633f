"""A runaway query is stopped at its time limit, its worker process killed, while other queries keep being answered."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil
import requests

from connector.auth import hash_key
from tests.servers import connector_process, free_port

OPERATOR = "gsk_safety-operator"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _workers(server_pid: int) -> set[int]:
    """Worker processes are grandchildren of the server (forked by its worker factory); a killed worker may vanish
    between the listing and the look-up of its parent."""
    workers = set()
    for process in psutil.Process(server_pid).children(recursive=True):
        try:
            if process.ppid() != server_pid:
                workers.add(process.pid)
        except psutil.NoSuchProcess:
            pass
    return workers


def test_runaway_query_is_killed_and_others_are_answered(tmp_path: Path) -> None:
    env = {
        "CONNECTOR_HOME": str(tmp_path / "var"),
        "CONNECTOR_API_KEYS": json.dumps([f"ops:operator:{hash_key(OPERATOR)}"]),
        "CONNECTOR_QUERY_TIMEOUT_S": "2",
        "CONNECTOR_SPARQL_WORKERS": "3",
    }
    data = "".join(f"<https://example.org/s{i}> <https://example.org/p> {i} .\n" for i in range(400))
    with connector_process(["serve"], env, free_port()) as base:
        auth = {"Authorization": f"Bearer {OPERATOR}"}
        put = requests.put(
            f"{base}/store",
            params={"graph": "https://w3id.org/gen-skills/graph/rome"},
            data=data,
            headers={**auth, "Content-Type": "text/turtle"},
            timeout=30,
        )
        assert put.status_code == 201, put.text
        assert requests.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200
        server_pid = next(p.pid for p in psutil.Process().children() if p.cmdline()[-2:] == ["connector", "serve"])
        before = _workers(server_pid)

        outcome: dict[str, requests.Response] = {}

        def runaway() -> None:
            outcome["runaway"] = requests.get(f"{base}/sparql", params={"query": RUNAWAY}, timeout=60)

        started = time.monotonic()
        thread = threading.Thread(target=runaway)
        thread.start()
        small_latencies = []
        while thread.is_alive():
            t0 = time.monotonic()
            small = requests.get(f"{base}/sparql", params={"query": "SELECT ?s { ?s ?p 7 }"}, timeout=10)
            small_latencies.append(time.monotonic() - t0)
            assert small.status_code == 200 and "s7" in small.text
            time.sleep(0.05)
        thread.join()
        elapsed = time.monotonic() - started

        response = outcome["runaway"]
        assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Query timeout" and "2 s" in response.json()["detail"]
        assert elapsed < 6, f"the runaway query was answered after {elapsed:.1f} s"
        assert len(small_latencies) >= 5 and max(small_latencies) < 1.5
        # the worker that ran it is gone and has been replaced
        deadline = time.monotonic() + 10
        after = _workers(server_pid)
        while time.monotonic() < deadline and not (len(after) == len(before) and before - after):
            time.sleep(0.1)
            after = _workers(server_pid)
        assert len(after) == len(before) and before - after, (before, after)
        for pid in before - after:
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
