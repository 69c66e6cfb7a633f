"""The job engine end to end on the small fixture vocabularies: quarantine, publish, incremental, provenance."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from connector.config import load_settings
from connector.context import Context
from connector.mapping.batch import GC_THRESHOLD
from connector.mapping.job import JobError, JobOptions, parse_max_errors, run_job
from connector.store.remote import RemoteStore
from tests.mapping.conftest import BASE, PYTHON, WEB_DEV, load_vocab, row, write_csv
from tests.servers import OxigraphServer

INPUTS = Path(__file__).parent / "inputs"
TRAINING = f"{BASE}gen/training/"


def quarantine(ctx: Context, job_id: str) -> list[dict]:
    path = ctx.settings.home / "jobs" / job_id / "quarantine.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def graph_of(ctx: Context, dataset: str) -> set[str]:
    data = b"".join(ctx.store.export(ctx.datasets.get(dataset).graph)).decode()
    return {line for line in data.splitlines() if line}


def subjects(ctx: Context, dataset: str, cls: str) -> set[str]:
    rows = ctx.store.select(f"SELECT ?s WHERE {{ ?s a <{cls}> }}", default_graphs=[ctx.datasets.get(dataset).graph])
    return {r["s"] for r in rows}


LO = "http://data.europa.eu/snb/model/elm/LearningOpportunity"
DEFECTS = {
    "missing": ({"title": ""}, "intitule", "missing required field"),
    "bad-date": ({"sessions": "2026-02-30/2026-05-01"}, "sessions", "malformed session date"),
    "bad-duration": ({"hours": "beaucoup"}, "duree_heures", "not a number"),
    "zero-duration": ({"hours": "0"}, "duree_heures", "must be positive"),
    "bad-coords": ({"lon": "200.5"}, "longitude", "out of range"),
    "unknown-rome": ({"rome": "M1999"}, "codes_rome", "unknown ROME 4.0 fiche code"),
    "unknown-app": ({"app": "999999"}, "codes_appellations", "unknown ROME appellation code"),
    "unknown-esco": (
        {"esco": "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000000"},
        "competences_esco",
        "unknown ESCO skill",
    ),
    "oversize": ({"title": "x" * 10_001}, "intitule", "longer than 10000"),
    "end-before-start": ({"sessions": "2026-05-01/2026-04-01"}, "sessions", "ends before it starts"),
    "bad-siret": ({"siret": "79279715700014"}, "siret", "invalid SIRET"),
}


def test_bad_records_are_quarantined_good_ones_published(mctx: Context, tmp_path: Path) -> None:
    rows = [row("GOOD-1")] + [row(rid, **over) for rid, (over, _, _) in DEFECTS.items()]
    rows += [row("GOOD-2", cert="", eqf="", esco="", romecomp=""), row("GOOD-1", city="Paris")]  # last: duplicate id
    report = run_job(mctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", rows)]))
    assert report.state == "succeeded", report.message
    assert (report.counts.read, report.counts.mapped, report.counts.rejected) == (len(rows), 2, len(DEFECTS) + 1)
    assert subjects(mctx, "trainings", LO) >= {f"{TRAINING}GOOD-1", f"{TRAINING}GOOD-2"}
    assert not any(s.split("/")[-1].split("#")[0] in DEFECTS for s in subjects(mctx, "trainings", LO))
    lines = quarantine(mctx, report.id)
    by_id = {}
    for line in lines:
        by_id.setdefault(line["record_id"], []).append(line)
    for rid, (_over, field, reason) in DEFECTS.items():
        assert any(q["field"] == field and reason in q["reason"] for q in by_id[rid]), (rid, by_id.get(rid))
        assert by_id[rid][0]["file"] == "t.csv" and by_id[rid][0]["location"].startswith("row ")
    duplicate = by_id["GOOD-1"][0]
    assert duplicate["location"] == f"row {len(rows)}" and "duplicate identifier" in duplicate["reason"]
    assert "row 1" in duplicate["reason"]


def test_rdf_shape_of_a_training(mctx: Context, tmp_path: Path) -> None:
    run_job(mctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", [row("T1")])]))
    ask = f"""PREFIX elm: <http://data.europa.eu/snb/model/elm/> PREFIX dct: <http://purl.org/dc/terms/>
    ASK {{ <{TRAINING}T1> a elm:LearningOpportunity ; dct:title "Développeur web et web mobile"@fr ;
        elm:providedBy ?org ; elm:hasPart/dct:temporal/elm:startDate ?start ;
        elm:learningAchievementSpecification ?spec .
      ?spec a elm:Qualification ; elm:EQFLevel <http://data.europa.eu/snb/eqf/5> ;
        elm:learningOutcome/elm:relatedESCOSkill <{PYTHON}> ;
        elm:learningOutcome/elm:relatedSkill <{BASE}rome/competence/109846> ;
        elm:entitlesTo ?e .
      ?e elm:limitNationalOccupation <{BASE}rome/fiche/M1855> , <{BASE}rome/appellation/14156> ;
         elm:limitOccupation <{WEB_DEV}> .
      ?org elm:location ?l ; <http://www.w3.org/ns/regorg#registration>/<http://www.w3.org/2004/02/skos/core#notation>
        "79279715700015" . }}"""
    assert mctx.store.ask(ask, default_graphs=[mctx.datasets.get("trainings").graph])


def test_learning_outcome_titles_keep_the_label_language(mctx: Context, tmp_path: Path) -> None:
    """A skill ESCO names only in English gives an English title, not English text tagged French."""
    english_only = "http://data.europa.eu/esco/skill/11111111-2222-4333-8444-555555555555"
    mctx.store.add_to_graph(
        mctx.datasets.get("esco").graph,
        f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <{english_only}> a skos:Concept , <http://data.europa.eu/esco/model#Skill> ;
            skos:prefLabel "deploy cloud resource"@en .""".encode(),
        "text/turtle",
    )
    path = write_csv(tmp_path / "t.csv", [row("T1", esco=f"{PYTHON}|{english_only}")])
    assert run_job(mctx, JobOptions("trainings", [path])).counts.mapped == 1
    rows = mctx.store.select(
        f"""PREFIX elm: <http://data.europa.eu/snb/model/elm/> PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?skill ?title (LANG(?title) AS ?lang) WHERE {{
          <{TRAINING}T1> elm:learningAchievementSpecification/elm:learningOutcome ?o .
          ?o elm:relatedESCOSkill ?skill ; dct:title ?title }}""",
        default_graphs=[mctx.datasets.get("trainings").graph],
    )
    assert {r["skill"]: (r["title"], r["lang"]) for r in rows} == {
        PYTHON: ("Python", "fr"),
        english_only: ("deploy cloud resource", "en"),
    }


def test_provenance_links_records_to_source_rows(mctx: Context, tmp_path: Path) -> None:
    report = run_job(
        mctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", [row("P1"), row("P2")])], operator="alice")
    )
    prov = mctx.datasets.get("provenance").graph
    rows = mctx.store.select(
        f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?r ?file ?loc ?a WHERE {{ ?r prov:wasDerivedFrom ?s ; prov:wasGeneratedBy ?a .
          ?s a prov:Entity ; dct:source ?file ; <{BASE}ontology#sourceLocation> ?loc }} ORDER BY ?r""",
        default_graphs=[prov],
    )
    assert [(r["r"], r["file"], r["loc"]) for r in rows] == [
        (f"{TRAINING}P1", "t.csv", "row 1"),
        (f"{TRAINING}P2", "t.csv", "row 2"),
    ]
    activity = rows[0]["a"]
    assert activity == f"{BASE}activity/{report.id}"
    facts = mctx.store.select(
        f"""PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?sha ?mapped ?op WHERE {{ <{activity}> a prov:Activity ;
          prov:startedAtTime ?t0 ; prov:endedAtTime ?t1 ; prov:used/<{BASE}ontology#sha256> ?sha ;
          <{BASE}ontology#recordsMapped> ?mapped ; prov:wasAssociatedWith/<{BASE}ontology#operatorName> ?op }}""",
        default_graphs=[prov],
    )
    assert facts and facts[0]["mapped"] == 2 and facts[0]["op"] == "alice" and len(facts[0]["sha"]) == 64


def test_incremental_runs(mctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [row("I1"), row("I2"), row("I3")])
    first = run_job(mctx, JobOptions("trainings", [path]))
    assert first.counts.mapped == 3
    before = graph_of(mctx, "trainings")
    again = run_job(mctx, JobOptions("trainings", [path]))
    assert (again.counts.mapped, again.counts.unchanged, again.counts.removed) == (0, 3, 0)
    assert graph_of(mctx, "trainings") == before
    # I1 changes, I2 disappears, I3 moves to another row
    write_csv(path, [row("I1", city="Paris"), row("I3")])
    third = run_job(mctx, JobOptions("trainings", [path]))
    assert (third.counts.mapped, third.counts.unchanged, third.counts.removed) == (1, 1, 1)
    after = graph_of(mctx, "trainings")
    assert not any(f"{TRAINING}I2" in t for t in after)
    assert any('"Paris"@fr' in t for t in after)
    loc = mctx.store.select(
        f"SELECT ?l WHERE {{ <{TRAINING}I3#source> <{BASE}ontology#sourceLocation> ?l }}",
        default_graphs=[mctx.datasets.get("provenance").graph],
    )
    assert [r["l"] for r in loc] == ["row 2"]
    gone = mctx.store.ask(f"ASK {{ <{TRAINING}I2> ?p ?o }}", default_graphs=[mctx.datasets.get("provenance").graph])
    assert not gone
    # a bad new version of a published record keeps the previous version
    write_csv(path, [row("I1", lat="99"), row("I3")])
    fourth = run_job(mctx, JobOptions("trainings", [path]))
    assert (fourth.counts.rejected, fourth.counts.kept_previous, fourth.counts.removed) == (1, 1, 0)
    assert graph_of(mctx, "trainings") == after


def test_max_errors_and_dry_run_publish_nothing(mctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [row("M1")])
    run_job(mctx, JobOptions("trainings", [path]))
    before = graph_of(mctx, "trainings")
    write_csv(path, [row("M2"), row("M3", rome="M1999"), row("M4", lat="-91")])
    aborted = run_job(mctx, JobOptions("trainings", [path], max_errors="1"))
    assert aborted.state == "aborted" and "max-errors" in (aborted.message or "")
    share = run_job(mctx, JobOptions("trainings", [path], max_errors="50%"))
    assert share.state == "aborted"
    dry = run_job(mctx, JobOptions("trainings", [path], dry_run=True))
    assert dry.state == "dry-run" and dry.counts.mapped == 1 and dry.counts.removed == 1
    assert graph_of(mctx, "trainings") == before
    ok = run_job(mctx, JobOptions("trainings", [path], max_errors="0.7"))
    assert ok.state == "succeeded" and ok.counts.mapped == 1


def test_first_publish_aborted_after_loading_began_leaves_no_graph(mctx: Context, tmp_path: Path) -> None:
    """A first publish loads good records as their batch passes; an abort decided at the end (share of errors)
    still publishes nothing, and the next run publishes in full."""
    graph = mctx.datasets.get("trainings").graph
    path = write_csv(tmp_path / "t.csv", [row("A1"), row("A2"), row("B1", lat="-91"), row("B2", rome="M1999")])
    aborted = run_job(mctx, JobOptions("trainings", [path], max_errors="25%"))
    assert aborted.state == "aborted" and aborted.counts.mapped == 2
    assert not mctx.store.has_graph(graph)
    assert not list((mctx.settings.home / "store.pending").glob("*"))
    all_bad = write_csv(tmp_path / "bad.csv", [row("B1", lat="-91")])
    assert run_job(mctx, JobOptions("trainings", [all_bad])).counts.rejected == 1
    assert not mctx.store.has_graph(graph)
    ok = run_job(mctx, JobOptions("trainings", [path]))
    assert ok.state == "succeeded" and ok.published_triples == mctx.store.count(graph) > 0
    assert {s for s in subjects(mctx, "trainings", LO) if "#" not in s} == {f"{TRAINING}A1", f"{TRAINING}A2"}


def test_unreadable_file_fails_the_job_and_publishes_nothing(mctx: Context, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [row("F1")])
    run_job(mctx, JobOptions("trainings", [good]))
    before = graph_of(mctx, "trainings")
    write_csv(good, [row("F2")])
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<lheo><offres><formation><intitule-formation>&b;</intitule-formation></formation></offres></lheo>"
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    report = run_job(mctx, JobOptions("trainings", [good, bomb, empty]))
    assert report.state == "failed"
    assert {e["file"] for e in report.file_errors} == {"bomb.xml", "empty.csv"}
    assert graph_of(mctx, "trainings") == before
    lines = quarantine(mctx, report.id)
    assert {q["file"] for q in lines if q["location"] == "file"} == {"bomb.xml", "empty.csv"}


def test_lheo_job(mctx: Context) -> None:
    report = run_job(mctx, JobOptions("lheo", [INPUTS / "offres-2.3.xml", INPUTS / "offres-2.2.xml"]))
    assert report.state == "succeeded" and report.counts.mapped == 2 and report.counts.rejected == 2
    lines = {q["location"]: q for q in quarantine(mctx, report.id)}
    assert lines["/lheo/offres/formation[2]"]["reason"] == "unknown ROME 4.0 fiche code"
    assert "ends before it starts" in lines["/lheo/offres/formation[3]"]["reason"]
    assert subjects(mctx, "trainings", LO) >= {f"{TRAINING}LHEO-23-001", f"{TRAINING}14_AF_0000011179"}


def test_job_sheets(mctx: Context) -> None:
    report = run_job(
        mctx,
        JobOptions(
            "job-sheets", [INPUTS / "job-sheets.yaml", INPUTS / "job-sheet-one.json", INPUTS / "job-sheets.csv"]
        ),
    )
    assert report.state == "succeeded", report.message
    assert (report.counts.mapped, report.counts.rejected) == (3, 2)
    reasons = {q["record_id"]: q["reason"] for q in quarantine(mctx, report.id)}
    assert reasons == {"FP-BAD": "unknown ROME 4.0 fiche code", "FP-NOCODE": "missing required field"}
    sheet = f"{BASE}gen/job-sheet/FP-WEB"
    ask = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX esco: <http://data.europa.eu/esco/model#>
    PREFIX gsc: <{BASE}ontology#>
    ASK {{ <{sheet}> a skos:Concept ; skos:inScheme ?scheme ; skos:prefLabel ?l ; skos:exactMatch <{WEB_DEV}> ;
      gsc:romeFiche <{BASE}rome/fiche/M1855> ; esco:relatedEssentialSkill <{BASE}rome/competence/109846> ;
      esco:relatedOptionalSkill <{BASE}rome/savoir/102788> ;
      gsc:escoAlignment [ gsc:escoOccupation <{WEB_DEV}> ; gsc:score 0.93 ] . }}"""
    assert mctx.store.ask(ask, default_graphs=[mctx.datasets.get("job-sheets").graph])


def test_missing_vocabulary_fails_clearly(ctx: Context, tmp_path: Path) -> None:
    report = run_job(ctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", [row("V1")])]))
    assert report.state == "failed" and "ROME 4.0 vocabulary is not loaded" in (report.message or "")


@pytest.mark.parametrize("text", ["abc", "-1", "150%", "1.5"])
def test_bad_max_errors(text: str) -> None:
    with pytest.raises(JobError):
        parse_max_errors(text)


def test_shared_organisation_triples_follow_their_records(mctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [row("S1"), row("S2")])
    run_job(mctx, JobOptions("trainings", [path]))
    legal = f"SELECT ?n WHERE {{ <{BASE}gen/organisation/79279715700015> <http://www.w3.org/ns/regorg#legalName> ?n }}"
    graph = [mctx.datasets.get("trainings").graph]
    write_csv(path, [row("S2")])  # S1 removed: the organisation S2 still uses stays
    assert run_job(mctx, JobOptions("trainings", [path])).counts.removed == 1
    assert [r["n"] for r in mctx.store.select(legal, default_graphs=graph)] == ["Simplon.co"]
    write_csv(path, [row("S2", org="Simplon")])  # renamed: the old name goes
    run_job(mctx, JobOptions("trainings", [path]))
    assert [r["n"] for r in mctx.store.select(legal, default_graphs=graph)] == ["Simplon"]
    write_csv(path, [row("S2", org="Simplon", city="Lyon")])  # a graph emptied behind the job's back is rebuilt
    mctx.store.drop_graph(graph[0])
    report = run_job(mctx, JobOptions("trainings", [path]))
    assert report.counts.mapped == 1 and mctx.store.count(graph[0]) == report.published_triples > 50


def _void_triples(ctx: Context) -> list[int]:
    rows = ctx.store.select(
        f"SELECT ?n WHERE {{ <{ctx.minted.dataset}trainings> <http://rdfs.org/ns/void#triples> ?n }}",
        default_graphs=[ctx.datasets.get("catalog").graph],
    )
    return [r["n"] for r in rows]


def test_void_follows_each_publish(mctx: Context, tmp_path: Path) -> None:
    graph = mctx.datasets.get("trainings").graph
    path = write_csv(tmp_path / "t.csv", [row("V1"), row("V2")])
    run_job(mctx, JobOptions("trainings", [path]))
    assert _void_triples(mctx) == [mctx.store.count(graph)]
    mctx.store.drop_graph(mctx.datasets.get("catalog").graph)  # the VoID is gone: an unchanged run measures again
    again = run_job(mctx, JobOptions("trainings", [path]))
    assert again.counts.unchanged == 2 and _void_triples(mctx) == [mctx.store.count(graph)]
    write_csv(path, [row("V1")])
    run_job(mctx, JobOptions("trainings", [path]))
    assert _void_triples(mctx) == [mctx.store.count(graph)]


def test_worker_pool_publishes_what_the_in_process_path_does(
    mctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big jobs map and validate in worker processes: same graph, same rejections as a small job in-process."""
    from connector.mapping import job

    rows = [row(f"P{i}") for i in range(9)] + [row("BAD-LAT", lat="-91"), row("NO-END", sessions="2026-02-01/")]
    rows += [row("NO-ESCO", esco="", romecomp="")]
    path = write_csv(tmp_path / "t.csv", rows)
    single = run_job(mctx, JobOptions("trainings", [path], dry_run=True))
    run_job(mctx, JobOptions("trainings", [path]))
    in_process = graph_of(mctx, "trainings")
    mctx.store.drop_graph(mctx.datasets.get("trainings").graph)
    for state in (mctx.settings.home / "mapping").glob("state.sqlite*"):
        state.unlink()
    monkeypatch.setattr(job, "BATCH", 4)  # three batches: the pool starts
    mctx.settings.mapping_workers = 2
    pooled = run_job(mctx, JobOptions("trainings", [path]))
    assert pooled.state == "succeeded", pooled.message
    assert (pooled.counts.mapped, pooled.counts.rejected) == (single.counts.mapped, single.counts.rejected) == (11, 1)
    assert quarantine(mctx, pooled.id) == quarantine(mctx, single.id)
    assert graph_of(mctx, "trainings") == in_process


def test_unchanged_record_still_sets_its_organisation_name(mctx: Context, tmp_path: Path) -> None:
    """An unchanged record is skipped on its raw hash, yet the first spelling of a SIRET in the input still wins."""
    path = write_csv(tmp_path / "t.csv", [row("O1"), row("O2")])
    run_job(mctx, JobOptions("trainings", [path]))
    write_csv(path, [row("O1"), row("O2", org="SIMPLON CO", city="Lyon")])
    again = run_job(mctx, JobOptions("trainings", [path]))
    assert (again.counts.unchanged, again.counts.mapped) == (1, 1)
    names = mctx.store.select(
        f"SELECT ?n WHERE {{ <{BASE}gen/organisation/79279715700015> <http://www.w3.org/ns/regorg#legalName> ?n }}",
        default_graphs=[mctx.datasets.get("trainings").graph],
    )
    assert [r["n"] for r in names] == ["Simplon.co"]


def test_job_on_a_remote_store(oxigraph: OxigraphServer, tmp_path: Path) -> None:
    """The same job through the SPARQL 1.1 Protocol + GSP: first publish (one N-Triples file), a change (one
    update), provenance and VoID."""
    store = RemoteStore(oxigraph.query_url, oxigraph.update_url, oxigraph.graph_url)
    store.update("DROP ALL")
    ctx = Context(load_settings(home=tmp_path / "var", mapping_workers=1), store)
    load_vocab(ctx)
    graph = ctx.datasets.get("trainings").graph
    path = write_csv(tmp_path / "t.csv", [row("R1"), row("R2")])
    first = run_job(ctx, JobOptions("trainings", [path]))
    assert first.state == "succeeded", first.message
    assert first.published_triples == store.count(graph) > 100 and _void_triples(ctx) == [store.count(graph)]
    write_csv(path, [row("R1", city="Paris")])
    second = run_job(ctx, JobOptions("trainings", [path]))
    assert (second.counts.mapped, second.counts.removed) == (1, 1)
    assert not any(f"{TRAINING}R2" in t for t in graph_of(ctx, "trainings"))
    assert any('"Paris"@fr' in t for t in graph_of(ctx, "trainings"))
    sources = ctx.store.select(
        f"SELECT ?l WHERE {{ <{TRAINING}R1> <http://www.w3.org/ns/prov#wasDerivedFrom> ?s . "
        f"?s <{BASE}ontology#sourceLocation> ?l }}",
        default_graphs=[ctx.datasets.get("provenance").graph],
    )
    assert [r["l"] for r in sources] == ["row 1"] and _void_triples(ctx) == [store.count(graph)]
    ctx.close()


class _GcThresholds:
    """A progress display that notes the collector's young-generation threshold each time a task starts."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def start(self, task: str, total: int | None = None) -> None:
        self.seen.append(gc.get_threshold()[0])

    def advance(self, units: int = 1) -> None:
        pass

    def finish(self, summary: str) -> None:
        pass


def test_a_job_collects_young_objects_less_often_and_restores_the_collector(mctx: Context, tmp_path: Path) -> None:
    before = gc.get_threshold()
    progress = _GcThresholds()
    ok = run_job(mctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", [row("G1")])]), progress)
    assert ok.state == "succeeded" and progress.seen and set(progress.seen) == {GC_THRESHOLD} != {before[0]}
    assert gc.get_threshold() == before
    failed = run_job(mctx, JobOptions("trainings", [tmp_path / "missing.csv"]))
    assert failed.state == "failed" and gc.get_threshold() == before
