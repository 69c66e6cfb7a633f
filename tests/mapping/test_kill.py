"""A mapping job killed (SIGKILL) while publishing leaves the published graph exactly as it was (also a first
publish, which loads while it still reads)."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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


def _kill_when(home: Path, csv: Path, reached: Callable[[dict], bool]) -> None:
    """Run ``skills-connector map trainings csv`` in a child process and SIGKILL it once its job.json satisfies
    ``reached``."""
    env = {**os.environ, "CONNECTOR_HOME": str(home), "CONNECTOR_MAPPING_WORKERS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "connector", "map", "trainings", str(csv)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            statuses = [json.loads(p.read_text()) for p in (home / "jobs").glob("*/job.json") if p.stat().st_size]
            if any(s.get("state") == "running" and reached(s) for s in statuses):
                break
            assert child.poll() is None, "the job ended before it could be killed"
            time.sleep(0.02)
        else:
            pytest.fail("the job never reached the point where it is killed")
        time.sleep(0.3)
        assert child.poll() is None, "the job finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()


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
    _kill_when(home, big, lambda status: status.get("phase") == "publishing")
    assert _graph(home) == before

    # the next run completes normally from the state the killed one left
    ctx = Context(load_settings(home=home, mapping_workers=1))
    report = run_job(ctx, JobOptions("trainings", [big]))
    assert report.state == "succeeded" and report.counts.mapped == 1000 and report.counts.removed == 2
    ctx.close()


def test_first_publish_killed_while_loading_during_reading_leaves_no_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first publish loads batches that passed the gate while it reads on: killed then, the store's marker says
    the graph was empty, and the next open empties it again."""
    for var in [v for v in os.environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    home = tmp_path / "var"
    ctx = Context(load_settings(home=home, mapping_workers=1))
    load_vocab(ctx)
    ctx.close()
    del ctx
    gc.collect()
    big = write_csv(tmp_path / "t.csv", [row(f"FIRST-{i}") for i in range(3000)])

    def loading(status: dict) -> bool:
        progress = status.get("progress", {})
        return status.get("phase") == "reading" and progress.get("done", 0) >= 700  # a batch went to the load

    _kill_when(home, big, loading)
    assert list((home / "store.pending").glob("*")), "the load during reading runs under a pending marker"
    assert _graph(home) == set()
    ctx = Context(load_settings(home=home, mapping_workers=1))
    report = run_job(ctx, JobOptions("trainings", [big]))
    assert report.state == "succeeded" and report.counts.mapped == 3000
    assert report.published_triples == ctx.store.count(ctx.datasets.get("trainings").graph)
    ctx.close()
