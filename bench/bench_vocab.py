"""Vocabulary benchmark: full ROME 4.0 + full ESCO EN/FR mapped and loaded into a fresh on-disk embedded store,
then the ROME-ESCO alignment, each in a child process whose peak memory (max RSS) is measured.

Targets (issue 3): load <= 60 s and <= 2 GB peak; alignment <= 60 s.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "vocab.json"
LOAD_S, LOAD_MB, ALIGN_S = 60.0, 2048.0, 60.0

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from connector.config import load_settings
from connector.context import Context
home, step, root = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
ctx = Context(load_settings(home=home))
started = time.perf_counter()
out = {}
if step == "load":
    from connector.vocab.jobs import load_esco, load_rome
    rome = load_rome(ctx, root / "data" / "rome-4.0-v460")
    esco = load_esco(ctx, [root / "data" / d for d in ("esco-v1.1.1-en", "esco-v1.1.1-fr", "esco-fr-labels")])
    out = {"rome_triples": rome.triples, "rome_s": round(rome.seconds, 2),
           "esco_triples": esco.triples, "esco_s": round(esco.seconds, 2), "triples": rome.triples + esco.triples}
else:
    from connector.vocab.alignment.job import run_alignment
    result = run_alignment(ctx)
    out = {"mappings": len(result.mappings), "hand_checked": result.hand_checked, "triples": result.triples,
           "coverage": {k: c.as_dict() for k, c in result.coverage.items()}}
ctx.close()
out["seconds"] = round(time.perf_counter() - started, 2)
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(out))
"""


def _child(home: Path, step: str) -> dict[str, object]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), step, str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{step} failed: {proc.stderr[-2000:]}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["wall_s"] = round(time.perf_counter() - started, 2)
    return figures


def main() -> bool:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-vocab-") as tmp:
        home = Path(tmp)
        load = _child(home, "load")
        align = _child(home, "align")
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    load["triples_per_s"] = round(load["triples"] / load["seconds"])  # type: ignore[operator]
    ok = {
        "load_time": load["seconds"] <= LOAD_S,  # type: ignore[operator]
        "load_memory": load["peak_rss_mb"] <= LOAD_MB,  # type: ignore[operator]
        "alignment_time": align["seconds"] <= ALIGN_S,  # type: ignore[operator]
    }
    result = {
        "load": load,
        "alignment": align,
        "children_peak_rss_mb": round(children_peak, 1),
        "targets": {"load_s": LOAD_S, "load_peak_mb": LOAD_MB, "alignment_s": ALIGN_S},
        "met": ok,
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": round(load_before, 2)},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(
        f"load: {load['triples']:,} triples in {load['seconds']} s ({load['triples_per_s']:,} triples/s), "
        f"peak {load['peak_rss_mb']} MB\n"
        f"alignment: {align['mappings']:,} mappings, {align['triples']:,} triples in {align['seconds']} s, "
        f"peak {align['peak_rss_mb']} MB\n"
        f"targets met: {ok} (load average at start {load_before:.1f} on {os.cpu_count()} CPUs)"
    )
    return all(ok.values())


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
