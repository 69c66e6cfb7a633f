"""``skills-connector validate``: exit codes, formats, explicit shapes, vocabularies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from connector.cli.main import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()
PREFIXES = (
    "@prefix esco: <http://data.europa.eu/esco/model#> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
)


def run(*args: str):
    return runner.invoke(app, ["validate", *args])


def test_conforming_file_exits_0() -> None:
    result = run(str(DATA / "partner-elm-ok.ttl"), "--profile", "elm-loq")
    assert result.exit_code == 0, result.output
    assert "conforms to elm-loq" in result.stdout


def test_violations_exit_1_with_the_report() -> None:
    result = run(str(DATA / "rome-defects.ttl"), "--profile", "rome", "--format", "json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["counts"]["Violation"] == 4 and not summary["conforms"]
    assert {r["focus_node"].rsplit("/", 1)[-1] for r in summary["results"]} == {"Z1805", "M1855", "38745"}


def test_rust_engine_gives_the_same_report() -> None:
    args = [str(DATA / "alignment-defects.ttl"), "--profile", "alignment", "--format", "json"]
    rust, reference = run(*args, "--engine", "rust"), run(*args, "--engine", "reference")
    assert rust.exit_code == reference.exit_code == 1
    ours, theirs = json.loads(rust.stdout), json.loads(reference.stdout)
    assert ours["engine"] == "shacl-rust" and ours["counts"] == theirs["counts"]
    assert ours["results"] == theirs["results"]  # same focus nodes, paths, values and bilingual messages
    assert run(*args, "--engine", "java").exit_code == 2


def test_default_engine_is_the_hybrid_one_with_the_reference_report() -> None:
    args = [
        str(DATA / "rome-defects.ttl"),
        "--profile",
        "rome",
        "--format",
        "json",
        "--vocab",
        str(DATA / "rome-defects.ttl"),
    ]
    auto, reference = run(*args), run(*args, "--engine", "reference")
    assert auto.exit_code == reference.exit_code == 1
    ours, theirs = json.loads(auto.stdout), json.loads(reference.stdout)
    assert ours["engine"].startswith("hybrid (shacl-rust") and "shapes by pyshacl" in ours["engine"]
    assert [(r["focus_node"], r["path"], r["value"]) for r in ours["results"]] == [
        (r["focus_node"], r["path"], r["value"]) for r in theirs["results"]
    ]


@pytest.mark.parametrize("fmt", ["turtle", "html", "text"])
def test_report_formats(fmt: str) -> None:
    result = run(str(DATA / "alignment-defects.ttl"), "-p", "alignment", "-f", fmt, "--lang", "fr")
    assert result.exit_code == 1
    if fmt == "turtle":
        g = Graph().parse(data=result.stdout, format="turtle")
        assert len(list(g.subjects(None, None))) > 3
    elif fmt == "html":
        assert result.stdout.startswith("<!doctype html>") and "sssom" in result.stdout
    else:
        assert "La confiance d'une correspondance" in result.stdout


def test_explicit_shapes_and_several_files(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ; sh:minCount 1 ; "
        'sh:message "p!"@en ] .\n'
    )
    a, b = tmp_path / "a.nt", tmp_path / "b.ttl"
    a.write_text("<http://ex/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex/T> .\n")
    b.write_text("<http://ex/a> <http://ex/p> 1 . <http://ex/b> a <http://ex/T> .\n")
    result = run(str(a), str(b), "--shapes", str(shapes), "-f", "json")
    assert result.exit_code == 1
    assert [r["focus_node"] for r in json.loads(result.stdout)["results"]] == ["http://ex/b"]


def test_vocabulary_files_satisfy_reference_checks(tmp_path: Path) -> None:
    """ESCO concepts referenced but described elsewhere: with --vocab the reference check passes."""
    data = tmp_path / "occ.ttl"
    data.write_text(
        PREFIXES + "<http://data.europa.eu/esco/occupation/c40a2919-48a9-40ea-b506-1f34f693496d> a esco:Occupation ;\n"
        '  skos:prefLabel "web developer"@en ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/occ> ;\n'
        "  esco:memberOfISCOGroup <http://data.europa.eu/esco/isco/C2512> ;\n"
        "  esco:relatedEssentialSkill <http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d> .\n"
        '<http://data.europa.eu/esco/isco/C2512> a esco:ISCOGroup ; skos:notation "2512" ; '
        'skos:prefLabel "Software developers"@en ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/isco> .\n'
    )
    vocab = tmp_path / "skills.ttl"
    vocab.write_text(
        PREFIXES
        + "<http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d> a skos:Concept, esco:Skill ;\n"
        '  skos:prefLabel "use markup languages"@en ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/s> .\n'
    )
    without = run(str(data), "-p", "esco", "-f", "json")
    assert without.exit_code == 1
    assert json.loads(without.stdout)["results"][0]["constraint"] == "ClassConstraintComponent"
    assert run(str(data), "-p", "esco", "--vocab", str(vocab)).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([str(DATA / "rome-defects.ttl")], "either --profile"),
        ([str(DATA / "rome-defects.ttl"), "-p", "nope"], "known profiles"),
        (["missing.ttl", "-p", "rome"], "no such file"),
        ([str(DATA / "rome-defects.ttl"), "-p", "rome", "-f", "pdf"], "unknown --format"),
        ([str(DATA / "SOURCE.md"), "-p", "rome"], "cannot tell the RDF format"),
    ],
)
def test_usage_and_input_errors_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")


def test_unparsable_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b ;; ex:d .\n")
    result = run(str(bad), "-p", "rome")
    assert result.exit_code == 2
    assert "bad.ttl" in result.output and "line 3" in result.output.replace("\n", " ")
