"""A mapping job killed (SIGKILL) while publishing leaves the published graph exactly as it was."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connector.config import load_settings
from connector.context import Context
from connector.mapping.job import JobOptions, run_job
from tests.mapping.conftest import load_vocab, row, write_csv

REPO = Path(__file__).resolve().parents[2]


def _graph(home: Path) -> set[str]:
    ctx = Context(load_settings(home=home))
    try:
        data = b"".join(ctx.store.export(ctx.datasets.get("trainings").graph)).decode()
        return set(data.splitlines())
    finally:
        ctx.close()
        del ctx
        gc.collect()


def test_killed_job_leaves_published_graph_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    home = tmp_path / "var"
    ctx = Context(load_settings(home=home, mapping_workers=1))
    load_vocab(ctx)
    assert run_job(ctx, JobOptions("trainings", [write_csv(tmp_path / "t.csv", [row("K1"), row("K2")])])).state == (
        "succeeded"
    )
    ctx.close()
    del ctx
    gc.collect()
    before = _graph(home)
    assert any("/gen/training/K1>" in t for t in before)

    big = write_csv(tmp_path / "t.csv", [row(f"NEW-{i}") for i in range(1000)])
    env = {**os.environ, "CONNECTOR_HOME": str(home), "CONNECTOR_MAPPING_WORKERS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "connector", "map", "trainings", str(big)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            statuses = [json.loads(p.read_text()) for p in (home / "jobs").glob("*/job.json") if p.stat().st_size]
            if any(s.get("phase") == "publishing" and s.get("state") == "running" for s in statuses):
                break
            assert child.poll() is None, "the job ended before publishing"
            time.sleep(0.02)
        else:
            pytest.fail("the job never reached its publishing phase")
        time.sleep(0.3)
        assert child.poll() is None, "the job finished publishing before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    assert _graph(home) == before

    # the next run completes normally from the state the killed one left
    ctx = Context(load_settings(home=home, mapping_workers=1))
    report = run_job(ctx, JobOptions("trainings", [big]))
    assert report.state == "succeeded" and report.counts.mapped == 1000 and report.counts.removed == 2
    ctx.close()
