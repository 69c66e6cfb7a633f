"""Mapping jobs: 20,000 trainings + 153 job sheets mapped, validated and published (target <= 30 s), unchanged
re-run (<= 5 s), records/s and peak memory for 20,000 and 100,000 trainings (100k <= 1.5 x the memory of 20k).

Each measured run is a fresh process on an on-disk embedded store that already holds a ROME/ESCO concept index
(``bench.vocab_index``, loaded by a separate set-up process and not timed). Peak memory is the peak of the summed
RSS of that process and its worker processes (sampled every 0.2 s); the job process's own peak is its ``VmHWM``.
Memory is compared on ``--dry-run`` jobs (read, check, map, validate: the streaming part whose memory must not grow
with the input); the 20,000 timings include publishing.
``BENCH_MAPPING_SIZES`` (e.g. ``2000,10000``) overrides the sizes for a quick run.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

RESULTS = Path(__file__).parent / "results" / "mapping.json"
SIZES = (20_000, 100_000)
TARGET_FIRST_S, TARGET_RERUN_S, TARGET_MEMORY_RATIO = 30.0, 5.0, 1.5


def _child(args: list[str]) -> dict:
    """Run a step in a fresh interpreter; adds ``peak_tree_rss_mb``, the peak of the summed RSS of its process tree
    (the job and its worker processes, sampled every 0.2 s), and ``cpu_tree_s``, the CPU time of that tree (each
    process's last sample)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_mapping", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    root, peak, done = psutil.Process(proc.pid), 0, threading.Event()
    cpu: dict[int, float] = {}

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            rss = 0
            with contextlib.suppress(psutil.Error):
                for p in (root, *root.children(recursive=True)):
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
                        times = p.cpu_times()
                        cpu[p.pid] = times.user + times.system
            peak = max(peak, rss)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(err[-3000:])
    figures = json.loads(out.strip().splitlines()[-1])
    return figures | {"peak_tree_rss_mb": round(peak / 2**20), "cpu_tree_s": round(sum(cpu.values()), 1)}


def _own_peak_mb() -> int:
    """This process's peak RSS since it started (``VmHWM``; ``ru_maxrss`` would count the parent's memory at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


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
            "phases_cpu_job_process": t.phase_cpu_seconds,
            "published_triples": t.published_triples,
        }
    ctx.close()
    runs["peak_rss_main_mb"] = _own_peak_mb()
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
                f"records/s, peak RSS {dry['peak_tree_rss_mb']} MB (job process {dry['peak_rss_main_mb']} MB)",
                flush=True,
            )
            if size == sizes[0]:
                _child(["setup", str(folder / "var")])
                run = entry["publish"] = _child(["run", str(folder / "var"), *inputs])
                print(
                    f"{size:>7,} trainings + 153 job sheets: first {run['first']['seconds']} s "
                    f"({run['first']['records_per_s']} records/s), unchanged {run['unchanged']['seconds']} s, "
                    f"peak RSS {run['peak_tree_rss_mb']} MB, CPU {run['cpu_tree_s']} s; "
                    f"phases {run['first']['phases']}, "
                    f"job process CPU {run['first']['phases_cpu_job_process']}",
                    flush=True,
                )
    small, big = figures["sizes"][sizes[0]], figures["sizes"][sizes[-1]]
    first, again = small["publish"]["first"]["seconds"], small["publish"]["unchanged"]["seconds"]
    ratio = big["dry_run"]["peak_tree_rss_mb"] / small["dry_run"]["peak_tree_rss_mb"]
    figures["targets"] = {
        f"first_run_{sizes[0]}_s": [first, TARGET_FIRST_S, first <= TARGET_FIRST_S],
        f"unchanged_{sizes[0]}_s": [again, TARGET_RERUN_S, again <= TARGET_RERUN_S],
        f"memory_ratio_{sizes[-1]}_{sizes[0]}": [round(ratio, 2), TARGET_MEMORY_RATIO, ratio <= TARGET_MEMORY_RATIO],
    }
    for name, (value, target, met) in figures["targets"].items():
        print(f"  {name}: {value} (target {target}) {'ok' if met else 'MISSED'}")
        ok = ok and met
    figures["load_average_at_end"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        print(json.dumps(_setup(sys.argv[2])))
    elif sys.argv[1] == "run":
        print(json.dumps(_run(*sys.argv[2:6])))
