"""From the command line to HTTP: load a fixture with the CLI, serve it, query it over a real socket."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.servers import connector_process, free_port

FIXTURES = Path(__file__).parent / "fixtures"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_load_then_serve_and_query(tmp_path: Path) -> None:
    # Only ROME is loaded here, so readiness waits for ROME alone (the default also waits for ESCO).
    env = {
        "CONNECTOR_HOME": str(tmp_path / "var"),
        "CONNECTOR_LOG_FORMAT": "json",
        "CONNECTOR_READY_DATASETS": '["rome"]',
    }
    loaded = cli("store", "load", "rome", str(FIXTURES / "small.ttl"), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "11 triples" in loaded.stdout + loaded.stderr

    with connector_process(["serve"], env, free_port()) as base:
        assert requests.get(f"{base}/health/ready", timeout=5).status_code == 200
        q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        r = requests.get(f"{base}/sparql", params={"query": q}, timeout=5)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/sparql-results+json")
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 11
        assert "x-request-id" in r.headers

        r = requests.post(f"{base}/sparql", data={"query": "ASK { ?s ?p ?o }"}, timeout=5)
        assert r.json()["boolean"] is True

        bad = requests.get(f"{base}/sparql", params={"query": "SELECT WHERE {"}, timeout=5)
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["title"] == "Malformed query"

        missing = requests.get(f"{base}/nowhere", timeout=5)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert requests.get(f"{base}/docs", timeout=5).status_code == 200
        assert "/sparql" in requests.get(f"{base}/openapi.json", timeout=5).json()["paths"]


def test_contract_graphs_are_not_visible_anonymously(tmp_path: Path) -> None:
    env = {"CONNECTOR_HOME": str(tmp_path / "var")}
    assert cli("store", "load", "trainings", str(FIXTURES / "small.ttl"), env=env).returncode == 0
    with connector_process(["serve"], env, free_port()) as base:
        q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        r = requests.get(f"{base}/sparql", params={"query": q}, timeout=5)
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 0


def test_cli_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    env = {"CONNECTOR_HOME": str(tmp_path / "var")}
    unknown = cli("store", "load", "nope", str(FIXTURES / "small.ttl"), env=env)
    assert unknown.returncode == 2 and "unknown dataset" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://example.org/a> <broken")
    bad = cli("store", "load", "rome", str(broken), env=env)
    assert bad.returncode == 1 and "error:" in bad.stderr and "Traceback" not in bad.stderr
    config = cli("store", "info", env={**env, "CONNECTOR_PORT": "nope"})
    assert config.returncode == 1 and "CONNECTOR_PORT" in config.stderr
    usage = cli("store", "load", env=env)
    assert usage.returncode == 2
    assert cli("--help", env=env).returncode == 0
