"""Metrics parsed with the Prometheus parser, structured events, readiness checks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from connector import events, metrics
from connector.api.app import create_app
from connector.config import load_settings
from connector.context import Context
from connector.health import readiness

FIXTURES = Path(__file__).parent.parent / "fixtures"


def scrape(client: TestClient) -> dict[str, list]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


def sample(families: dict[str, list], name: str, **labels: str) -> float:
    family = name.removesuffix("_total").removesuffix("_bucket").removesuffix("_count")
    for s in families.get(family, []):
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0.0


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Context(load_settings(home=tmp_path / "var", rate_limit_anonymous_per_minute=0))))


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    before = scrape(client)
    for _ in range(3):
        client.get("/health/live")
    client.get("/sparql", params={"query": "SELECT WHERE {"})
    client.get("/no/such/path/12345")
    client.get("/dsp/2025-1/negotiations/urn:uuid:42")  # a route of a nested router: its full template
    client.post("/dsp/2025-1/negotiations/request", json={})  # not taken for /negotiations/{pid} (GET only)
    after = scrape(client)
    live = {"method": "GET", "route": "/health/live", "status": "200"}
    assert (
        sample(after, "connector_http_requests_total", **live) - sample(before, "connector_http_requests_total", **live)
        == 3
    )
    bad = {"method": "GET", "route": "/sparql", "status": "400"}
    assert sample(after, "connector_http_requests_total", **bad) >= 1
    assert sample(after, "connector_http_requests_total", route="<unmatched>", status="404") >= 1
    routes = {s.labels.get("route") for s in after["connector_http_requests"]}
    assert "/no/such/path/12345" not in routes and "/dsp/2025-1/negotiations/urn:uuid:42" not in routes
    assert {"/dsp/2025-1/negotiations/{pid}", "/dsp/2025-1/negotiations/request"} <= routes
    assert sample(after, "connector_http_request_duration_seconds_count", route="/health/live") >= 3
    assert "process_resident_memory_bytes" in after
    assert any(s.labels.get("version") for s in after["connector_build_info"])


def test_capability_metrics_and_events(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="connector.events")
    events.job_started("j1", "gen-csv")
    events.job_finished("j1", "gen-csv", "succeeded", seconds=2.5, published=10, quarantined=2, token="s3cret")
    events.dsp_transition("negotiation", "urn:uuid:1", "FINALIZED", participant="did:web:partner")
    events.validation_finished("gen-training", False, {"Violation": 3, "Warning": 1})
    metrics.SPARQL_QUERY_SECONDS.labels(form="select").observe(0.02)
    metrics.SPARQL_TIMEOUTS.inc()
    metrics.register_state_counts("transfer", lambda: {"STARTED": 2, "COMPLETED": 5})
    metrics.register_state_counts("negotiation", lambda: 1 / 0)  # a broken source does not break the page
    f = scrape(client)
    assert sample(f, "connector_jobs_total", kind="gen-csv", status="succeeded") >= 1
    assert sample(f, "connector_job_records_total", kind="gen-csv", outcome="quarantined") >= 2
    assert sample(f, "connector_dsp_transitions_total", process="negotiation", state="FINALIZED") >= 1
    assert sample(f, "connector_validation_results_total", profile="gen-training", severity="Violation") >= 3
    assert sample(f, "connector_dsp_processes", process="transfer", state="STARTED") == 2
    assert sample(f, "connector_sparql_query_duration_seconds_count", form="select") >= 1
    assert sample(f, "connector_sparql_query_timeouts_total") >= 1
    finished = [r for r in caplog.records if getattr(r, "event", None) == "job.finished"]
    assert finished and finished[0].published == 10 and finished[0].token == "[redacted]"
    assert "s3cret" not in caplog.text


def test_json_log_lines_carry_event_fields(capfd: pytest.CaptureFixture[str]) -> None:
    from connector.logs import configure_logging

    configure_logging("INFO", "json")
    events.dsp_transition("transfer", "urn:uuid:2", "STARTED", participant="did:web:p", api_key="gsk_x")
    line = json.loads(capfd.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "dsp.transfer" and line["state"] == "STARTED" and line["api_key"] == "[redacted]"


def test_metrics_can_require_a_role(tmp_path: Path) -> None:
    c = TestClient(create_app(Context(load_settings(home=tmp_path / "var", metrics_role="operator"))))
    assert c.get("/metrics").status_code == 401


def test_readiness_checks_store_vocabularies_and_state(tmp_path: Path) -> None:
    ctx = Context(load_settings(home=tmp_path / "var"))
    client = TestClient(create_app(ctx))
    r = client.get("/health/ready")
    assert r.status_code == 503 and r.headers["retry-after"]
    assert r.json()["checks"]["vocabularies"] == "not loaded: rome, esco"
    assert r.json()["checks"]["store"] == "ok" and r.json()["checks"]["state"] == "ok"
    for name in ("rome", "esco"):
        ctx.store.replace_graph(ctx.datasets.get(name).graph, FIXTURES / "small.ttl")
    r = client.get("/health/ready")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    assert sample(scrape(client), "connector_ready") == 1
    ctx.close()


def test_state_directory_not_writable_makes_readiness_fail(tmp_path: Path) -> None:
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("")
    ctx = Context(load_settings(home=blocker, store=f"oxigraph:{tmp_path / 'store'}", ready_datasets=[]))
    results = readiness(ctx)
    assert results["store"][0] and not results["state"][0] and "not writable" in results["state"][1]
    ctx.close()


def test_state_database_is_part_of_readiness(tmp_path: Path, postgres_db: str) -> None:
    ctx = Context(load_settings(home=tmp_path / "var", ready_datasets=[], dsp_database_url=postgres_db))
    app = create_app(ctx)
    client = TestClient(app)
    r = client.get("/health/ready")
    assert r.status_code == 200 and r.json()["checks"]["state_db"] == "ok"
    app.state.dsp.repo.close()  # the database goes away
    r = client.get("/health/ready")
    assert r.status_code == 503 and "unavailable" in r.json()["checks"]["state_db"]
    assert postgres_db.rsplit("/", 1)[1] not in r.text  # no DSN in the answer
    ctx.close()
