"""The core services fill the operations metrics themselves: SPARQL queries, mapping jobs (with the VoID refresh
after publishing) and SHACL validations, whatever face (HTTP, CLI, demo pipeline) started them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from connector.api.app import create_app
from connector.config import load_settings
from connector.context import Context
from connector.datasets.metadata import dataset_iri
from connector.mapping.job import JobOptions, run_job
from connector.namespaces import VOID
from connector.validation import validate
from tests.mapping.conftest import load_vocab, row, write_csv
from tests.validation.test_core import DATA, SHAPES
from tests.vocab_helpers import load_all

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def scraped(client: TestClient, sample: str, labels: dict[str, str] | None = None) -> float:
    """One sample of the app's ``/metrics`` page (0 when absent)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            if s.name == sample and s.labels == (labels or {}):
                return s.value
    return 0.0


def value(sample: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(sample, labels or {}) or 0.0


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app over an embedded store (queries in worker processes) with a 1 s query limit and some data."""
    ctx = Context(load_settings(home=tmp_path / "var", sparql_workers=2, query_timeout_s=1))
    data = "".join(f"<https://example.org/s{i}> <https://example.org/p> {i} .\n" for i in range(400))
    ctx.store.replace_graph(ctx.datasets.get("rome").graph, data.encode(), "text/turtle")
    with TestClient(create_app(ctx)) as c:
        yield c
    ctx.close()


def test_sparql_queries_are_timed_and_the_running_gauge_returns_to_zero(client: TestClient) -> None:
    count = "connector_sparql_query_duration_seconds_count"
    before = scraped(client, count, {"form": "select"}), scraped(client, count, {"form": "ask"})
    assert client.get("/sparql", params={"query": "SELECT ?s { ?s ?p 7 }"}).status_code == 200
    assert client.get("/sparql", params={"query": "ASK { ?s ?p 8 }"}).text.count("true") == 1
    after = scraped(client, count, {"form": "select"}), scraped(client, count, {"form": "ask"})
    assert after == (before[0] + 1, before[1] + 1)
    assert scraped(client, "connector_sparql_queries_running") == 0


def test_a_query_stopped_by_its_timeout_is_counted(client: TestClient) -> None:
    timeouts = scraped(client, "connector_sparql_query_timeouts_total")
    timed = scraped(client, "connector_sparql_query_duration_seconds_count", {"form": "select"})
    response = client.get("/sparql", params={"query": RUNAWAY})
    assert response.status_code == 503 and response.json()["title"] == "Query timeout"
    assert scraped(client, "connector_sparql_query_timeouts_total") == timeouts + 1
    # a stopped query is not a successful one: its duration is not observed, and it no longer counts as running
    assert scraped(client, "connector_sparql_query_duration_seconds_count", {"form": "select"}) == timed
    assert scraped(client, "connector_sparql_queries_running") == 0


@pytest.fixture
def mctx(ctx: Context) -> Context:
    """A context whose store holds the mapping tests' small fixture vocabularies."""
    ctx.settings.mapping_workers = 1
    load_vocab(ctx)
    return ctx


def void_triples(ctx: Context, dataset: str, prop: str = "triples") -> int | None:
    rows = ctx.store.select(
        f"SELECT ?n WHERE {{ <{dataset_iri(ctx.datasets, dataset)}> <{VOID}{prop}> ?n }}",
        default_graphs=[ctx.datasets.get("catalog").graph],
    )
    assert len(rows) <= 1, rows
    return int(rows[0]["n"]) if rows else None


def test_a_mapping_job_is_counted_and_leaves_its_void_current(mctx: Context, tmp_path: Path) -> None:
    jobs = {"kind": "trainings", "status": "succeeded"}
    before = value("connector_jobs_total", jobs)
    published = value("connector_job_records_total", {"kind": "trainings", "outcome": "published"})
    quarantined = value("connector_job_records_total", {"kind": "trainings", "outcome": "quarantined"})
    rows = [row("GOOD-1"), row("GOOD-2", city="Paris"), row("BAD-1", hours="beaucoup")]
    report = run_job(mctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", rows)]))
    assert report.state == "succeeded", report.message
    assert value("connector_jobs_total", jobs) == before + 1
    assert value("connector_job_records_total", {"kind": "trainings", "outcome": "published"}) == published + 2
    assert value("connector_job_records_total", {"kind": "trainings", "outcome": "quarantined"}) == quarantined + 1
    assert value("connector_jobs_running") == 0
    graph_triples = mctx.store.count(mctx.datasets.get("trainings").graph)
    assert graph_triples > 0 and void_triples(mctx, "trainings") == graph_triples

    # a second run that drops a record: the VoID count follows the smaller graph
    report = run_job(mctx, JobOptions("trainings", [write_csv(tmp_path / "t2.csv", [row("GOOD-1")])]))
    assert report.state == "succeeded", report.message
    smaller = mctx.store.count(mctx.datasets.get("trainings").graph)
    assert smaller < graph_triples and void_triples(mctx, "trainings") == smaller
    assert value("connector_jobs_total", jobs) == before + 2


def test_a_dry_run_is_counted_but_publishes_no_void(mctx: Context, tmp_path: Path) -> None:
    labels = {"kind": "trainings", "status": "dry-run"}
    before = value("connector_jobs_total", labels)
    report = run_job(mctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", [row("GOOD-1")])], dry_run=True))
    assert report.state == "dry-run"
    assert value("connector_jobs_total", labels) == before + 1
    assert void_triples(mctx, "trainings") is None


def test_a_validation_is_counted_by_outcome_and_severity(tmp_path: Path) -> None:
    shapes = tmp_path / "s.ttl"
    shapes.write_bytes(SHAPES)
    runs = {"profile": "custom", "conforms": "false"}
    before = [
        value("connector_validation_runs_total", runs),
        value("connector_validation_results_total", {"profile": "custom", "severity": "Violation"}),
        value("connector_validation_results_total", {"profile": "custom", "severity": "Warning"}),
    ]
    report = validate(DATA, shapes=[shapes], media_type="text/turtle")
    assert report.counts == {"Violation": 1, "Warning": 1, "Info": 0}
    assert [
        value("connector_validation_runs_total", runs),
        value("connector_validation_results_total", {"profile": "custom", "severity": "Violation"}),
        value("connector_validation_results_total", {"profile": "custom", "severity": "Warning"}),
    ] == [before[0] + 1, before[1] + 1, before[2] + 1]


def test_vocabulary_jobs_leave_their_void_current(ctx: Context) -> None:
    load_all(ctx)  # ROME, ESCO and the alignment, each by its job function
    for dataset in ("rome", "esco", "alignment"):
        graph = ctx.datasets.get(dataset).graph
        subjects = ctx.store.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert ctx.store.count(graph) > 0 and void_triples(ctx, dataset) == ctx.store.count(graph), dataset
        # measured by the VoID refresh (the loaders only record the triple count they wrote)
        assert void_triples(ctx, dataset, "distinctSubjects") == int(subjects[0]["n"]), dataset
