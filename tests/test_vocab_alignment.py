from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.main import app
from connector.context import Context
from connector.vocab.alignment.job import run_alignment
from connector.vocab.alignment.normalise import fold, gender_forms, tokens, variants
from connector.vocab.alignment.sssom import read_tsv_metadata
from tests.vocab_helpers import SKOS, WEB_DEVELOPER, load_all

ROME = "https://w3id.org/gen-skills/rome/"
DATA_SCIENTIST = "http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"
SOFTWARE_DEVELOPER = "http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1"


def test_gendered_titles_accents_and_qualifiers() -> None:
    assert gender_forms("Développeur / Développeuse web") == ["Développeur web", "Développeuse web"]
    assert gender_forms("Agent / Agente d'entretien des espaces verts") == [
        "Agent d'entretien des espaces verts",
        "Agente d'entretien des espaces verts",
    ]
    assert gender_forms("développeur web/développeuse web") == ["développeur web", "développeuse web"]
    assert fold("Ingénieur·e d’Études  (H/F)") == "ingenieur e d etudes h f"
    assert dict(variants("Administrateur / Administratrice de base de données (DBA)")) == {
        "administrateur de base de donnees dba": 1.0,
        "administrateur de base de donnees": 0.9,
        "administratrice de base de donnees dba": 1.0,
        "administratrice de base de donnees": 0.9,
    }
    assert tokens(fold("Développeuse web")) == tokens(fold("développeurs web"))


def test_alignment_published_as_sssom_and_rdf(ctx: Context) -> None:
    result = load_all(ctx)
    by = {(m.subject.iri, m.obj.iri): m for m in result.mappings}
    web = by[(f"{ROME}appellation/14156", WEB_DEVELOPER)]
    assert web.predicate == "exactMatch" and web.confidence >= 0.9 and "ISCO 2513" in web.comment
    # English ROME titles match ESCO English labels: "Data engineer" is an alternative label of data scientist
    english = by[(f"{ROME}fiche/M1811", DATA_SCIENTIST)]
    assert english.predicate == "exactMatch" and "alternative label" in english.comment
    # an appellation of M1855 without an equivalent of its own is narrower than what M1855 is equivalent to
    assert by[(f"{ROME}appellation/38976", WEB_DEVELOPER)].predicate == "broadMatch"
    assert len(by) == len(result.mappings)
    # SSSOM TSV with its YAML metadata block
    text = result.sssom_path.read_text(encoding="utf-8")
    meta = read_tsv_metadata(text)
    assert meta["curie_map"]["romeappellation"] == f"{ROME}appellation/"
    assert meta["subject_source_version"] == "v460" and meta["license"]
    rows = [line for line in text.splitlines() if not line.startswith("#")]
    assert rows[0].split("\t")[:4] == ["subject_id", "subject_label", "predicate_id", "object_id"]
    assert any(
        r.startswith("romeappellation:14156\t") and "\tskos:exactMatch\tescooccupation:c40a2919" in r for r in rows
    )
    assert len(rows) == len(result.mappings) + 1
    # RDF: the SKOS match and its SSSOM record
    assert ctx.store.ask(
        f"""PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX sssom: <https://w3id.org/sssom/>
            ASK {{ <{ROME}appellation/14156> <{SKOS}exactMatch> <{WEB_DEVELOPER}> .
                  ?r a owl:Axiom ; owl:annotatedSource <{ROME}appellation/14156> ;
                     owl:annotatedProperty <{SKOS}exactMatch> ; owl:annotatedTarget <{WEB_DEVELOPER}> ;
                     sssom:confidence ?c ; sssom:mapping_justification ?j FILTER(?c >= 0.9) }}""",
        default_graphs=[ctx.datasets.get("alignment").graph],
    )
    assert result.coverage["digital appellations"].any > 0
    # a rerun on the same inputs publishes the same graph
    graph = ctx.datasets.get("alignment").graph
    before = set(b"".join(ctx.store.export(graph)).splitlines())
    again = run_alignment(ctx)
    assert again.triples == result.triples
    after = set(b"".join(ctx.store.export(graph)).splitlines())
    assert {t for t in before ^ after if b"authoredOn" not in t and b"versionInfo" not in t} == set()


def test_eures_table_takes_precedence_and_reports_unknown_codes(ctx: Context, tmp_path: Path) -> None:
    load_all(ctx)
    table = tmp_path / "EURESmapping_occs_FR_v1.1.csv"
    table.write_text(
        "Mapping project name,ESCO - ROME\nClassification 1 Version,1.1\n\n"
        "classification 1 ID,classification 1 prefered label,classification 2 ID,classification 2 prefered label,"
        "mapping relation\n"
        f"{SOFTWARE_DEVELOPER},software developer,14156,Développeur / Développeuse web,skos:broadMatch\n"
        f"{WEB_DEVELOPER},web developer,999999,Inconnu,skos:exactMatch\n"
        f"{WEB_DEVELOPER},web developer,14156,Développeur / Développeuse web,skos:relatedMatch\n",
        encoding="utf-8",
    )
    result = run_alignment(ctx, table)
    mine = [m for m in result.mappings if m.subject.iri == f"{ROME}appellation/14156"]
    assert [(m.predicate, m.obj.iri, m.confidence) for m in mine] == [("narrowMatch", SOFTWARE_DEVELOPER, 1.0)]
    assert mine[0].justification == "semapv:ManualMappingCuration"
    assert result.curated == 1
    issues = result.report.files[table.name]
    assert issues.unknown_codes == 1 and "999999" in issues.unknown_code_samples[0]
    assert issues.bad_rows == 1 and "relatedMatch" in issues.bad_row_samples[0]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in [v for v in __import__("os").environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("CONNECTOR_HOME", str(tmp_path / "home"))
    return tmp_path


def test_cli_align_needs_loaded_vocabularies_and_prints_coverage(home: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(app, ["vocab", "align"])
    assert empty.exit_code == 1 and "vocab load rome" in empty.output
    assert runner.invoke(app, ["vocab", "align", "--eures", str(home / "missing.csv")]).exit_code == 2
    from tests.vocab_helpers import ESCO_MINI, ROME_MINI

    assert runner.invoke(app, ["vocab", "load", "rome", str(ROME_MINI)]).exit_code == 0
    assert runner.invoke(app, ["vocab", "load", "esco", *map(str, ESCO_MINI)]).exit_code == 0
    done = runner.invoke(app, ["vocab", "align"])
    assert done.exit_code == 0, done.output
    assert "coverage" in done.output and "digital appellations" in done.output
    assert "hand-checked" in done.output and "appellations" in done.output
    assert (home / "home" / "exports" / "rome-esco.sssom.tsv").is_file()
    # the bundled table names fiches the small fixture does not have: counted and listed, not fatal
    assert "unknown ROME fiche" in done.output
    computed = runner.invoke(app, ["vocab", "align", "--computed-only"])
    assert computed.exit_code == 0 and "unknown ROME fiche" not in computed.output


def test_published_alignment_conforms_to_the_alignment_profile(ctx: Context) -> None:
    """The job's own RDF passes the profile validators use for alignments (no Violation)."""
    from connector.validation import validate

    load_all(ctx)
    graph = ctx.datasets.get("alignment").graph
    data = b"".join(ctx.store.export(graph, "application/n-triples"))
    report = validate(data, "alignment", media_type="application/n-triples")
    violations = [r for r in report.results if r.severity == "Violation"]
    assert report.conforms, violations[:3]
    assert ctx.store.count(graph) > 0
