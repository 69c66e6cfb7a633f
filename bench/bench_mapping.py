"""Mapping jobs: 20,000 trainings + 153 job sheets mapped, validated and published (target <= 30 s), unchanged
re-run (<= 5 s), records/s and peak memory for 20,000 and 100,000 trainings (100k <= 1.5 x the memory of 20k).

Each measured run is a fresh process on an on-disk embedded store that already holds a ROME/ESCO concept index
(``bench.vocab_index``, loaded by a separate set-up process and not timed); peak memory is that process's maximum
RSS plus its validation workers'. Memory is compared on ``--dry-run`` jobs (read, check, map, validate: the
streaming part whose memory must not grow with the input); the 20,000 timings include publishing.
``BENCH_MAPPING_SIZES`` (e.g. ``2000,10000``) overrides the sizes for a quick run.
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

RESULTS = Path(__file__).parent / "results" / "mapping.json"
SIZES = (20_000, 100_000)
TARGET_FIRST_S, TARGET_RERUN_S, TARGET_MEMORY_RATIO = 30.0, 5.0, 1.5


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_mapping", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _setup(home: str) -> dict:
    from bench.vocab_index import load
    from connector.config import load_settings
    from connector.context import Context

    ctx = Context(load_settings(home=home))
    started = time.perf_counter()
    load(ctx)
    ctx.close()
    return {"vocab_seconds": round(time.perf_counter() - started, 1)}


def _run(home: str, trainings: str, sheets: str, mode: str = "publish") -> dict:
    from connector.config import load_settings
    from connector.context import Context
    from connector.mapping.job import JobOptions, run_job

    ctx = Context(load_settings(home=home))
    runs = {}
    dry = mode == "dry"
    for label in ("first",) if dry else ("first", "unchanged"):
        started = time.perf_counter()
        t = run_job(ctx, JobOptions("trainings", [Path(trainings)], dry_run=dry))
        j = run_job(ctx, JobOptions("job-sheets", [Path(sheets)], dry_run=dry))
        seconds = time.perf_counter() - started
        assert t.state == j.state == ("dry-run" if dry else "succeeded"), (t.message, j.message)
        runs[label] = {
            "seconds": round(seconds, 2),
            "records": t.counts.read + j.counts.read,
            "mapped": t.counts.mapped + j.counts.mapped,
            "rejected": t.counts.rejected + j.counts.rejected,
            "records_per_s": round((t.counts.read + j.counts.read) / seconds),
            "phases": t.phase_seconds,
            "published_triples": t.published_triples,
        }
    ctx.close()
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    runs["peak_rss_mb"] = round((self_kb + children_kb) / 1024)
    runs["peak_rss_main_mb"] = round(self_kb / 1024)
    return runs


def main() -> bool:
    from connector.config import load_settings
    from connector.mapping.generator import generate

    data = load_settings().source_data_dir
    sizes = tuple(int(n) for n in os.environ.get("BENCH_MAPPING_SIZES", "").split(",") if n) or SIZES
    figures: dict = {"load_average_at_start": os.getloadavg(), "sizes": {}}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            folder = Path(tmp) / str(size)
            generate(data, folder, size, 153, 1, "csv")
            inputs = [str(folder / "trainings.csv"), str(folder / "job-sheets.json")]
            entry = figures["sizes"][size] = _child(["setup", str(folder / "dry")])
            dry = entry["dry_run"] = _child(["run", str(folder / "dry"), *inputs, "dry"])
            print(
                f"{size:>7,} trainings, dry run: {dry['first']['seconds']} s, {dry['first']['records_per_s']} "
                f"records/s, peak RSS {dry['peak_rss_mb']} MB",
                flush=True,
            )
            if size == sizes[0]:
                _child(["setup", str(folder / "var")])
                run = entry["publish"] = _child(["run", str(folder / "var"), *inputs])
                print(
                    f"{size:>7,} trainings + 153 job sheets: first {run['first']['seconds']} s "
                    f"({run['first']['records_per_s']} records/s), unchanged {run['unchanged']['seconds']} s, "
                    f"peak RSS {run['peak_rss_mb']} MB; phases {run['first']['phases']}",
                    flush=True,
                )
    small, big = figures["sizes"][sizes[0]], figures["sizes"][sizes[-1]]
    first, again = small["publish"]["first"]["seconds"], small["publish"]["unchanged"]["seconds"]
    ratio = big["dry_run"]["peak_rss_mb"] / small["dry_run"]["peak_rss_mb"]
    figures["targets"] = {
        f"first_run_{sizes[0]}_s": [first, TARGET_FIRST_S, first <= TARGET_FIRST_S],
        f"unchanged_{sizes[0]}_s": [again, TARGET_RERUN_S, again <= TARGET_RERUN_S],
        f"memory_ratio_{sizes[-1]}_{sizes[0]}": [round(ratio, 2), TARGET_MEMORY_RATIO, ratio <= TARGET_MEMORY_RATIO],
    }
    for name, (value, target, met) in figures["targets"].items():
        print(f"  {name}: {value} (target {target}) {'ok' if met else 'MISSED'}")
        ok = ok and met
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        print(json.dumps(_setup(sys.argv[2])))
    elif sys.argv[1] == "run":
        print(json.dumps(_run(*sys.argv[2:6])))
