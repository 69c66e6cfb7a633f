"""``skills-connector map ...`` and ``sample gen``: summary, exit codes, one-line errors."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.main import app
from connector.config import load_settings
from connector.context import Context
from tests.mapping.conftest import load_vocab, row, write_csv

INPUTS = Path(__file__).parent / "inputs"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in [v for v in os.environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("CONNECTOR_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("CONNECTOR_MAPPING_WORKERS", "1")
    return tmp_path / "var"


def _with_vocab(home: Path) -> None:
    ctx = Context(load_settings(home=home))
    load_vocab(ctx)
    ctx.close()
    del ctx
    gc.collect()


def test_map_trainings_summary_and_exit_codes(home: Path, tmp_path: Path) -> None:
    _with_vocab(home)
    runner = CliRunner()
    path = write_csv(tmp_path / "t.csv", [row("C1"), row("C2", rome="M1999")])
    result = runner.invoke(app, ["map", "trainings", str(path)])
    assert result.exit_code == 0, result.output
    assert "read 2  mapped 1  unchanged 0  rejected 1  removed 0" in result.output
    assert "unknown ROME 4.0 fiche code" in result.output and "quarantine.jsonl" in result.output
    again = runner.invoke(app, ["map", "trainings", str(path), "--max-errors", "0"])
    assert again.exit_code == 1 and "error:" in again.output and "max-errors" in again.output
    dry = runner.invoke(app, ["map", "lheo", str(INPUTS / "offres-2.2.xml"), "--dry-run"])
    assert dry.exit_code == 0 and "dry-run" in dry.output
    sheets = runner.invoke(app, ["map", "job-sheets", str(INPUTS / "job-sheets.yaml")])
    assert sheets.exit_code == 0 and "mapped 1" in sheets.output


def test_map_usage_and_failures(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["map", "trainings", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "error: input not found" in missing.output
    bad = runner.invoke(app, ["map", "trainings", str(INPUTS / "job-sheets.csv"), "--max-errors", "many"])
    assert bad.exit_code == 2 and "--max-errors" in bad.output
    no_vocab = runner.invoke(app, ["map", "trainings", str(write_csv(tmp_path / "t.csv", [row("C1")]))])
    assert no_vocab.exit_code == 1 and "ROME 4.0 vocabulary is not loaded" in no_vocab.output
    assert "Traceback" not in no_vocab.output


def test_sample_gen(home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["sample", "gen", "--trainings", "5", "--job-sheets", "2", "--format", "lheo", "--out", str(tmp_path / "s")],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "trainings.lheo.xml").exists() and (tmp_path / "s" / "job-sheets.json").exists()
    bad = CliRunner().invoke(app, ["sample", "gen", "--format", "xlsx", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
