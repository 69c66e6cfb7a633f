from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from connector.context import Context
from connector.datasets.void import refresh_published_void
from connector.dsp.setup import registry_entries
from connector.pipeline import Stage, StageResult, run_pipeline
from connector.progress import Progress

FIXTURES = Path(__file__).parent / "fixtures"


def make_stage(source: Path, calls: list[int]) -> Stage:
    def run(ctx: Context, progress: Progress) -> StageResult:
        """Like the real stages' jobs: publish the graph, then measure its VoID (the pipeline leaves that to jobs)."""
        calls.append(1)
        n = ctx.store.replace_graph(ctx.datasets.get("rome").graph, source)
        refresh_published_void(ctx, "rome")
        return StageResult(n, f"{n} triples")

    return Stage(name="rome", dataset="rome", inputs=lambda ctx: [source], run=run)


def test_unchanged_inputs_are_skipped_changed_inputs_rerun(ctx: Context, tmp_path: Path) -> None:
    source = tmp_path / "in.ttl"
    source.write_bytes((FIXTURES / "small.ttl").read_bytes())
    calls: list[int] = []
    first = run_pipeline(ctx, [make_stage(source, calls)])
    assert [o.skipped for o in first.outcomes] == [False] and first.outcomes[0].triples == 11
    second = run_pipeline(ctx, [make_stage(source, calls)])
    assert [o.skipped for o in second.outcomes] == [True] and second.outcomes[0].triples == 11
    assert len(calls) == 1
    source.write_text(source.read_text() + '<https://example.org/x> <https://example.org/p> "y" .\n')
    third = run_pipeline(ctx, [make_stage(source, calls)])
    assert [o.skipped for o in third.outcomes] == [False] and third.outcomes[0].triples == 12


def test_stage_reruns_when_its_graph_was_dropped(ctx: Context, tmp_path: Path) -> None:
    source = FIXTURES / "small.ttl"
    calls: list[int] = []
    run_pipeline(ctx, [make_stage(source, calls)])
    ctx.store.drop_graph(ctx.datasets.get("rome").graph)
    run_pipeline(ctx, [make_stage(source, calls)])
    assert len(calls) == 2


def _void_triples(ctx: Context, dataset: str) -> list[int]:
    rows = ctx.store.select(
        f"SELECT ?n WHERE {{ GRAPH <{ctx.datasets.get('catalog').graph}> "
        f"{{ <{ctx.minted.dataset}{dataset}> <http://rdfs.org/ns/void#triples> ?n }} }}"
    )
    return [int(r["n"]) for r in rows]


def test_void_and_catalog_counts_follow_each_stage_that_runs(ctx: Context, tmp_path: Path) -> None:
    source = tmp_path / "in.ttl"
    source.write_bytes((FIXTURES / "small.ttl").read_bytes())
    graph = ctx.datasets.get("rome").graph
    assert _void_triples(ctx, "rome") == []
    run_pipeline(ctx, [make_stage(source, [])])
    assert _void_triples(ctx, "rome") == [ctx.store.count(graph)] == [11]
    source.write_text(source.read_text() + '<https://example.org/x> <https://example.org/p> "y" .\n')
    run_pipeline(ctx, [make_stage(source, [])])
    assert _void_triples(ctx, "rome") == [ctx.store.count(graph)] == [12]  # replaced, one value
    ctx.store.add_to_graph(graph, [ox.Triple(*[ox.NamedNode("https://example.org/z")] * 3)])  # outside a stage
    assert {e.key: e.triples for e in registry_entries(ctx)}["rome"] == 12  # the DSP catalog shows the recorded VoID
