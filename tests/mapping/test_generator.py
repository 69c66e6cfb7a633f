"""The sample generator: deterministic, realistic (real ROME codes, communes, valid SIRET), every defect kind."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from connector.context import Context
from connector.mapping.fields import siret_ok
from connector.mapping.generator import RECORD_DEFECTS, generate
from connector.mapping.job import JobOptions, run_job
from connector.namespaces import ESCO, RDF, SKOS

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(DATA, out, 96, 20, 7, "csv", 0.25)
    return out


def test_same_seed_same_files(sample: Path, tmp_path: Path) -> None:
    generate(DATA, tmp_path, 96, 20, 7, "csv", 0.25)
    for name in ("trainings.csv", "job-sheets.json", "expected-defects.json"):
        assert (tmp_path / name).read_bytes() == (sample / name).read_bytes()
    generate(DATA, tmp_path / "other", 96, 20, 8, "csv", 0.25)
    assert (tmp_path / "other" / "trainings.csv").read_bytes() != (sample / "trainings.csv").read_bytes()


def test_records_are_realistic(sample: Path) -> None:
    with gzip.open(DATA / "rome-4.0-v460" / "unix_referentiel_code_rome_v460_utf8.csv.gz", "rt") as fh:
        digital = {r["code_rome"] for r in csv.DictReader(fh) if r["transition_num"] == "O"}
    communes = {r["code_insee"]: r for r in csv.DictReader((DATA / "communes-fr" / "communes.csv").open())}
    expected = json.loads((sample / "expected-defects.json").read_text())["trainings"]
    bad_rows = {int(k.split("@")[1]) for k in expected}
    text = (sample / "trainings.csv").read_bytes().decode("utf-8", errors="replace")
    rows = list(csv.DictReader(text.lstrip("\ufeff").splitlines(), delimiter=";"))
    good = [r for i, r in enumerate(rows, start=1) if i not in bad_rows]
    assert len(good) == 72
    for r in good:
        assert siret_ok(r["SIRET"]) and r["Code INSEE"] in communes and r["Codes ROME"] in digital
        assert communes[r["Code INSEE"]]["nom"] == r["Commune"]
    sheets = json.loads((sample / "job-sheets.json").read_text())
    assert len(sheets) == 20 and all(s["competences"] for s in sheets if s["intitule"])


def test_every_defect_kind_is_quarantined(sample: Path, ctx: Context) -> None:
    """Load a vocabulary made of the codes the good records use; every generated defect must be rejected."""
    expected = json.loads((sample / "expected-defects.json").read_text())["trainings"]
    assert set(expected.values()) == set(RECORD_DEFECTS)
    bad_rows = {int(k.split("@")[1]) for k in expected}
    text = (sample / "trainings.csv").read_bytes().decode("utf-8", errors="replace")
    rows = list(csv.DictReader(text.lstrip("\ufeff").splitlines(), delimiter=";"))
    good = [r for i, r in enumerate(rows, start=1) if i not in bad_rows]
    base = ctx.settings.base_iri
    concept = ox.NamedNode(SKOS + "Concept")
    rdf_type, notation = ox.NamedNode(RDF + "type"), ox.NamedNode(SKOS + "notation")
    rome, esco = [], []
    for r in good:
        for kind, column in (
            ("fiche", "Codes ROME"),
            ("appellation", "Codes appellations ROME"),
            ("competence", "Compétences ROME"),
        ):
            for code in filter(None, r[column].split("|")):
                node = ox.NamedNode(f"{base}rome/{kind}/{code}")
                rome += [ox.Triple(node, rdf_type, concept), ox.Triple(node, notation, ox.Literal(code))]
        for iri in filter(None, r["Compétences ESCO"].split("|")):
            esco += [ox.Triple(ox.NamedNode(iri), rdf_type, ox.NamedNode(ESCO + "Skill"))]
    ctx.store.replace_graph(ctx.datasets.get("rome").graph, rome)
    ctx.store.replace_graph(ctx.datasets.get("esco").graph, esco)
    ctx.settings.mapping_workers = 1
    report = run_job(ctx, JobOptions("trainings", [sample / "trainings.csv"]))
    assert report.state == "succeeded", report.message
    lines = [
        json.loads(x) for x in (ctx.settings.home / "jobs" / report.id / "quarantine.jsonl").read_text().splitlines()
    ]
    assert {int(q["location"].split()[1]) for q in lines} == bad_rows
    assert report.counts.mapped == len(good)


@pytest.mark.parametrize("fmt", ["lheo", "json"])
def test_other_formats_read_back_cleanly(tmp_path: Path, fmt: str) -> None:
    from connector.mapping.lheo import read_lheo
    from connector.mapping.trainings import read_training_json

    generate(DATA, tmp_path, 40, 0, 3, fmt)
    path, reader = (
        (tmp_path / "trainings.lheo.xml", read_lheo)
        if fmt == "lheo"
        else (tmp_path / "trainings.json", read_training_json)
    )
    parsed = [p.checked() for p in reader(path, 10**8, 10_000)]
    assert len(parsed) == 40 and all(p.record is not None and not p.problems for p in parsed)
