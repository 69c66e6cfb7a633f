"""A mapping job's VoID figures come from the counts it keeps per record, not from scanning the store: they must be
exactly what the SPARQL scan (:func:`compute_statistics`, the oracle) measures on the published graph, after a first
publish, a change, a removal, on both store kinds and through the worker processes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.config import load_settings
from connector.context import Context
from connector.datasets import void
from connector.datasets.void import VoidStatistics, compute_statistics
from connector.mapping import job
from connector.mapping.job import JobOptions, run_job
from connector.mapping.ntriples import RecordTriples
from connector.namespaces import VOID
from connector.store.remote import RemoteStore
from tests.mapping.conftest import SQL, load_vocab, row, write_csv
from tests.mapping.test_job import graph_of
from tests.servers import OxigraphServer

INPUTS = Path(__file__).parent / "inputs"
OTHER_SIRET = "79279715700007"


@pytest.fixture(params=["embedded", "remote"])
def vctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    """A context with the fixture vocabularies on the embedded store or on a real remote Oxigraph server."""
    settings = load_settings(home=tmp_path / "var", mapping_workers=1)
    if request.param == "embedded":
        ctx = Context(settings)
    else:
        server: OxigraphServer = request.getfixturevalue("oxigraph")
        store = RemoteStore(server.query_url, server.update_url, server.graph_url)
        store.update("DROP ALL")
        ctx = Context(settings, store)
    load_vocab(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[VoidStatistics | None]:
    """The figures each job hands to the VoID refresh (None: it had none and the graph was measured)."""
    seen: list[VoidStatistics | None] = []

    def refresh(ctx: Context, dataset_id: str, stats: VoidStatistics | None = None) -> VoidStatistics:
        seen.append(stats)
        return void.refresh_published_void(ctx, dataset_id, stats)

    monkeypatch.setattr(job, "refresh_published_void", refresh)
    return seen


def _catalog_triples(ctx: Context, dataset: str) -> list[int]:
    rows = ctx.store.select(
        f"SELECT ?n WHERE {{ <{ctx.minted.dataset}{dataset}> <{VOID}triples> ?n }}",
        default_graphs=[ctx.datasets.get("catalog").graph],
    )
    return [r["n"] for r in rows]


def _assert_counted_as_measured(ctx: Context, counted: list[VoidStatistics | None], dataset: str) -> None:
    stats = counted[-1]
    assert stats is not None, "the job measured the graph instead of adding up its records' counts"
    assert stats == compute_statistics(ctx.store, ctx.datasets, dataset)
    assert _catalog_triples(ctx, dataset) == [stats.triples] == [ctx.store.count(ctx.datasets.get(dataset).graph)]


def test_counted_void_equals_the_scan_after_first_changed_and_removal_runs(
    vctx: Context, counted: list[VoidStatistics | None], tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            row("C1"),
            row("C2", esco=SQL, city="Paris"),  # shares the organisation and a skill with C1
            row("C3", siret=OTHER_SIRET, org="Autre organisme", esco="", romecomp=""),  # its own organisation
            row("C4", sessions="2026-01-05/2026-07-03|2026-09-01/2026-12-18", title="Concepteur"),
        ],
    )
    first = run_job(vctx, JobOptions("trainings", [path]))
    assert first.state == "succeeded" and first.counts.mapped == 4, first.message
    _assert_counted_as_measured(vctx, counted, "trainings")
    assert counted[-1] is not None and counted[-1].links and counted[-1].classes

    write_csv(  # C1 changes, C2 unchanged, C3 moves, C5 is new (sharing C3's organisation)
        path,
        [
            row("C1", city="Lyon", esco=SQL),
            row("C3", siret=OTHER_SIRET, org="Autre organisme", esco="", romecomp=""),
            row("C2", esco=SQL, city="Paris"),
            row("C4", sessions="2026-01-05/2026-07-03|2026-09-01/2026-12-18", title="Concepteur"),
            row("C5", siret=OTHER_SIRET, org="Autre organisme", title="Intégrateur"),
        ],
    )
    changed = run_job(vctx, JobOptions("trainings", [path]))
    assert (changed.counts.mapped, changed.counts.unchanged) == (2, 3)
    _assert_counted_as_measured(vctx, counted, "trainings")

    write_csv(path, [row("C1", city="Lyon", esco=SQL), row("C4", title="Concepteur")])  # the other organisation goes
    removed = run_job(vctx, JobOptions("trainings", [path]))
    assert (removed.counts.removed, removed.counts.mapped) == (3, 1)
    _assert_counted_as_measured(vctx, counted, "trainings")
    assert not any(OTHER_SIRET in node for node in _subjects(vctx))

    vctx.store.drop_graph(vctx.datasets.get("catalog").graph)  # VoID lost: an unchanged run writes it again
    run_job(vctx, JobOptions("trainings", [path]))
    _assert_counted_as_measured(vctx, counted, "trainings")


def _subjects(ctx: Context) -> set[str]:
    rows = ctx.store.select("SELECT DISTINCT ?s { ?s ?p ?o }", default_graphs=[ctx.datasets.get("trainings").graph])
    return {r["s"] for r in rows}


def test_counted_void_of_job_sheets_through_worker_processes(
    vctx: Context, counted: list[VoidStatistics | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job, "BATCH", 1)  # one record a batch: the worker pool maps and counts them
    vctx.settings.mapping_workers = 2
    inputs = [INPUTS / "job-sheets.yaml", INPUTS / "job-sheet-one.json", INPUTS / "job-sheets.csv"]
    report = run_job(vctx, JobOptions("job-sheets", inputs))
    assert (report.state, report.counts.mapped) == ("succeeded", 3), report.message
    _assert_counted_as_measured(vctx, counted, "job-sheets")


def test_a_state_without_counts_measures_the_graph(
    vctx: Context, counted: list[VoidStatistics | None], tmp_path: Path
) -> None:
    """Records published before their counts were kept (an older state): the job publishes them whole and falls
    back to the scan, after a change (a delta) and after a full rebuild."""
    path = write_csv(tmp_path / "t.csv", [row("O1", city="Paris"), row("O2", esco=SQL)])
    run_job(vctx, JobOptions("trainings", [path]))
    expected = graph_of(vctx, "trainings")
    write_csv(path, [row("O1"), row("O2", esco=SQL)])
    run_job(vctx, JobOptions("trainings", [path]))
    with sqlite3.connect(vctx.settings.home / "mapping" / "state.sqlite") as db:
        db.execute("UPDATE records SET counts = NULL, owned_bytes = NULL WHERE id = 'O2'")
    graph = vctx.datasets.get("trainings").graph
    vctx.store.drop_graph(graph)  # a changed graph is rebuilt in full: O2 written whole
    write_csv(path, [row("O1", city="Paris"), row("O2", esco=SQL)])
    assert run_job(vctx, JobOptions("trainings", [path])).counts.unchanged == 1
    assert counted[-1] is None and graph_of(vctx, "trainings") == expected
    assert _catalog_triples(vctx, "trainings") == [vctx.store.count(graph)]
    write_csv(path, [row("O1", city="Lyon"), row("O2", esco=SQL)])  # a delta
    run_job(vctx, JobOptions("trainings", [path]))
    assert counted[-1] is None
    assert _catalog_triples(vctx, "trainings") == [vctx.store.count(graph)]


def test_counter_compaction_keeps_the_figures(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a size, a counter keeps each hash once (bounded memory for big datasets): same figures as without, and
    as the scan of the same triples."""
    from connector.datasets import void_counts

    gen, esco = ctx.minted.gen, "http://data.europa.eu/esco/skill/"
    org, name, x = f"<{gen}organisation/1>", "<http://www.w3.org/ns/regorg#legalName>", "<https://x/"
    mapped = []
    for i in range(40):
        s = f"<{gen}training/T{i}>"
        r = RecordTriples(f"{gen}training/T{i}")
        r.add(s, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", x + "Training>")
        r.add(s, x + "title>", f'"Title {i % 7}"')
        r.link(s, x + "skill>", f"{esco}s{i % 5}")
        r.add(s, x + "part>", f"<{gen}training/T{i}#part>")
        r.add(f"<{gen}training/T{i}#part>", x + "org>", org)
        r.add(org, name, '"Org"')
        r.add(org, name, '"Org"')
        mapped.append(r)
    spaces = void.uri_spaces(ctx.minted)
    records = [void_counts.count_record(r.iri[1:-1], r.owned, r.shared, "trainings", spaces) for r in mapped]
    known = {k: v for r in records for k, v in (*r.shared.items(), *r.terms.items())}

    def figures() -> VoidStatistics:
        counter = void_counts.VoidCounter("trainings", spaces)
        for r in records:
            counter.add(r.counts)
        return counter.statistics([known[k] for k in counter.shared_keys_used()], known)

    whole = figures()
    monkeypatch.setattr(void_counts, "COMPACT_BYTES", 16)
    assert figures() == whole
    ctx.store.replace_graph(
        ctx.datasets.get("trainings").graph, "".join(r.text() for r in mapped).encode(), "application/n-triples"
    )
    assert whole == compute_statistics(ctx.store, ctx.datasets, "trainings")
    assert whole.triples == 40 * 5 + 1 and whole.links == {("esco", "https://x/skill"): 40}
