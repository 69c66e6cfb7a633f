from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.main import app
from connector.context import Context
from connector.datasets.metadata import get_dataset_properties
from connector.vocab.jobs import load_rome
from tests.vocab_helpers import ESCO, ROME_MINI, SKOS

BASE = "https://w3id.org/gen-skills/rome/"


def test_rome_as_skos(ctx: Context) -> None:
    result = load_rome(ctx, ROME_MINI)
    assert result.counts["fiches"] == 5 and result.counts["grands_domaines"] == 2
    assert result.report.bad_rows == 0
    # the fixture keeps M1811 and M1419 but not their historical parents: reported with file and line
    assert result.report.files["unix_referentiel_code_rome_v460_utf8.csv.gz"].unknown_code_samples == [
        "unix_referentiel_code_rome_v460_utf8.csv.gz line 3: unknown parent fiche 'M1403'",
        "unix_referentiel_code_rome_v460_utf8.csv.gz line 5: unknown parent fiche 'M1802'",
    ]
    fiche = f"{BASE}fiche/M1855"
    rows = ctx.store.select(
        f"""SELECT ?label ?code ?dp ?gd ?def WHERE {{ <{fiche}> a <{SKOS}Concept> ; <{SKOS}prefLabel> ?label ;
              <{SKOS}notation> ?code ; <{SKOS}broader> ?dp ; <{SKOS}definition> ?def ; <{SKOS}inScheme> ?s .
              ?dp <{SKOS}broader> ?gd . ?s <http://www.w3.org/2002/07/owl#versionInfo> "v460" }}""",
        default_graphs=[ctx.datasets.get("rome").graph],
    )
    assert len(rows) == 1
    assert rows[0]["label"] == "Développeur / Développeuse web" and rows[0]["code"] == "M1855"
    assert rows[0]["dp"] == f"{BASE}domaine/M18" and rows[0]["gd"] == f"{BASE}grand-domaine/M"
    assert "''" not in rows[0]["def"]
    # appellations under their fiche, principal one flagged; labels in French
    assert ctx.store.ask(
        f"""ASK {{ <{BASE}appellation/14156> <{SKOS}broader> <{fiche}> ;
                 <{SKOS}prefLabel> "Développeur / Développeuse web"@fr .
                 <{fiche}> <https://w3id.org/gen-skills/ontology#principalAppellation> <{BASE}appellation/14156> }}""",
        default_graphs=[ctx.datasets.get("rome").graph],
    )
    # compétence -> macro-compétence -> objectif -> enjeu -> domaine; essential vs optional skills
    assert ctx.store.ask(
        f"""ASK {{ <{BASE}competence/109846> <{SKOS}broader> ?macro . ?macro <{SKOS}broader>/<{SKOS}broader>/
                 <{SKOS}broader> ?dom . ?dom <{SKOS}topConceptOf> <{BASE}scheme/competences> .
                 <{fiche}> <{ESCO}relatedEssentialSkill> ?core ; <{ESCO}relatedOptionalSkill> ?other ;
                 <https://w3id.org/gen-skills/ontology#digitalTransition> true .
                 <{BASE}fiche/M1811> <https://w3id.org/gen-skills/ontology#mobilityTo> <{BASE}fiche/M1805> }}""",
        default_graphs=[ctx.datasets.get("rome").graph],
    )
    props = get_dataset_properties(ctx.store, ctx.datasets, "rome")
    assert props["http://www.w3.org/2002/07/owl#versionInfo"] == ["v460"]


def test_loading_the_same_export_twice_changes_nothing(ctx: Context) -> None:
    graph = ctx.datasets.get("rome").graph
    first = load_rome(ctx, ROME_MINI).triples
    before = set(b"".join(ctx.store.export(graph)).splitlines())
    assert load_rome(ctx, ROME_MINI).triples == first
    assert set(b"".join(ctx.store.export(graph)).splitlines()) == before


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rome"
    shutil.copytree(ROME_MINI, target)
    return target


def _rewrite(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path.write_bytes(gzip.compress(edit(gzip.decompress(path.read_bytes()).decode()).encode()))


def test_unknown_codes_in_link_files_are_counted_and_listed(ctx: Context, tmp_path: Path) -> None:
    rome = _copy(tmp_path)
    links = rome / "unix_liens_rome_referentiels_v460_utf8.csv.gz"
    _rewrite(links, lambda s: s + '"M1855","5","1","999999"\n"Z9999","5","1","100023"\n')
    result = load_rome(ctx, rome)
    issues = result.report.files[links.name]
    assert issues.unknown_codes == 2
    assert any("unknown item '999999'" in s for s in issues.unknown_code_samples)
    assert result.report_path is not None and "999999" in result.report_path.read_text()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in [v for v in __import__("os").environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("CONNECTOR_HOME", str(tmp_path / "home"))
    return tmp_path


def test_cli_missing_column_names_file_and_column(cli_env: Path) -> None:
    rome = _copy(cli_env)
    _rewrite(rome / "unix_referentiel_code_rome_v460_utf8.csv.gz", lambda s: s.replace('"libelle_rome"', '"titre"', 1))
    result = CliRunner().invoke(app, ["vocab", "load", "rome", str(rome)])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "unix_referentiel_code_rome_v460_utf8.csv.gz: missing column 'libelle_rome'" in result.output.replace(
        "\n", ""
    )
    assert "Traceback" not in result.output


def test_cli_bad_row_is_reported_and_the_rest_loads(cli_env: Path) -> None:
    rome = _copy(cli_env)
    _rewrite(rome / "unix_referentiel_appellation_v460_utf8.csv.gz", lambda s: s + '"1234","broken row"\n')
    result = CliRunner().invoke(app, ["vocab", "load", "rome", str(rome)])
    assert result.exit_code == 0, result.output
    out = result.output.replace("\n", " ")
    assert "1,584" not in out and "5 fiches" in out and "1 row(s) skipped" in out
    assert "unix_referentiel_appellation_v460_utf8.csv.gz line 60" in out


def test_cli_usage_errors(cli_env: Path) -> None:
    assert CliRunner().invoke(app, ["vocab", "load", "rome", str(cli_env / "nope")]).exit_code == 2
    assert CliRunner().invoke(app, ["vocab", "load", "esco", str(cli_env / "nope")]).exit_code == 2
