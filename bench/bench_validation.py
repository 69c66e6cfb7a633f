"""Validation speed: the fast engine against one plain ``pyshacl.validate`` call, side by side, same data and shapes.

Figures (``bench/results/validation.json``):

* end to end on the N-Triples file of ``BENCH_TRAININGS`` (default 20,000) generated trainings
  (:mod:`bench.validation_data`, with their referenced ROME/ESCO concepts): plain pyshacl = rdflib parse + one
  ``pyshacl.validate``; ours = ``connector.validation.validate(file, profile)``. Each runs in its own process; wall
  time, CPU time and peak RSS of the whole process tree are sampled. Target: >= 4x faster, same results (compared as
  multisets of result keys; if the plain run exceeds ``BENCH_BASELINE_TIMEOUT_S`` the ratio is a lower bound).
* one changed record validated against vocabularies loaded once (ROME fiches/appellations, ESCO skills and
  occupations): median and p95 over 30 runs. Target: <= 100 ms.

The profile is ``gen-training`` when the shapes folder has it, else the plain ``elm-loq``; ``BENCH_SHAPES_DIR``
points both runs at another shapes folder. ``BENCH_ENGINE`` (default ``auto``) picks the engine of "ours"; with another
engine the figures go to ``bench/results/validation-<engine>.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyoxigraph as ox

ENGINE = os.environ.get("BENCH_ENGINE", "auto")
RESULTS = Path(__file__).parent / "results" / ("validation.json" if ENGINE == "auto" else f"validation-{ENGINE}.json")
TRAININGS = int(os.environ.get("BENCH_TRAININGS", "20000"))
BASELINE_TIMEOUT_S = float(os.environ.get("BENCH_BASELINE_TIMEOUT_S", "5400"))
SHAPES_DIR = os.environ.get("BENCH_SHAPES_DIR", "")
TARGET_RATIO, TARGET_RECORD_MS = 4.0, 100.0

PLAIN = """
import json, sys, time
import pyshacl
from rdflib import Graph
from pathlib import Path
from connector.validation import ProfileRegistry
from connector.validation.results import read_results
shapes = ProfileRegistry(Path(sys.argv[3]) if sys.argv[3] else None).shapes_graph(sys.argv[2])
started = time.perf_counter()
data = Graph().parse(sys.argv[1], format="nt")
_, report, _ = pyshacl.validate(data, shacl_graph=shapes)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "keys": [list(r.key()) for r in read_results(report, shapes)]}))
"""

OURS = """
import json, sys, time
from pathlib import Path
from connector.validation import ProfileRegistry, validate
registry = ProfileRegistry(Path(sys.argv[3]) if sys.argv[3] else None)
started = time.perf_counter()
report = validate(Path(sys.argv[1]), sys.argv[2], registry=registry, engine=sys.argv[4])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "engine": report.engine, "keys": [list(r.key()) for r in report.results]}))
"""


def registry():
    from connector.validation import ProfileRegistry

    return ProfileRegistry(Path(SHAPES_DIR) if SHAPES_DIR else None)


def profile_name() -> str:
    names = {p.name for p in registry().list()}
    return "gen-training" if "gen-training" in names else "elm-loq"


def run_measured(code: str, args: list[str], timeout: float) -> dict:
    """Run ``code`` in a fresh interpreter; wall time, CPU time and peak RSS of its process tree."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak, cpu = 0, {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                rss = 0
                for p in tree:
                    try:
                        rss += p.memory_info().rss
                        times = p.cpu_times()
                        cpu[p.pid] = times.user + times.system
                    except psutil.Error:
                        pass
                peak = max(peak, rss)
            except psutil.Error:
                pass
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for p in [*root.children(recursive=True), root]:
            p.kill()
        proc.communicate()
        done.set()
        return {"timed_out": True, "wall_s": time.perf_counter() - started, "peak_rss_mb": peak / 2**20}
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark process failed with exit code {proc.returncode}")
    result = json.loads(out)
    result.update(wall_s=wall, cpu_s=sum(cpu.values()), peak_rss_mb=peak / 2**20, timed_out=False)
    return result


def single_record(profile: str) -> dict:
    """One changed record against vocabularies loaded once (warm: shapes and vocabularies already loaded)."""
    from bench.validation_data import dataset, vocabulary
    from connector.validation import Vocabularies, validate

    started = time.perf_counter()
    vocab = vocabulary()
    vocabularies = Vocabularies.load(
        [ox.serialize(vocab.all_triples(), format=ox.RdfFormat.N_TRIPLES)], "application/n-triples"
    )
    load_s = time.perf_counter() - started
    record = [t for t in dataset(1, seed=11) if t.subject not in vocab.triples]
    shapes = registry()
    validate(
        record, profile, vocabularies=vocabularies, registry=shapes, engine=ENGINE
    )  # first call parses and checks the shapes
    times = []
    for _ in range(30):
        t = time.perf_counter()
        report = validate(record, profile, vocabularies=vocabularies, registry=shapes, engine=ENGINE)
        times.append((time.perf_counter() - t) * 1000)
    return {
        "vocabulary_triples": len(vocabularies),
        "vocabulary_load_s": round(load_s, 2),
        "record_triples": len(record),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(sorted(times)[int(0.95 * len(times)) - 1], 1),
        "results": len(report.results),
    }


def main() -> bool:
    from bench.validation_data import dataset

    profile = profile_name()
    print(f"profile {profile}, {TRAININGS:,} trainings (bench-local generator)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "trainings.nt"
        triples = dataset(TRAININGS)
        data.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        print(f"data: {len(triples):,} triples, {data.stat().st_size / 2**20:.0f} MiB N-Triples", flush=True)
        del triples
        ours = run_measured(OURS, [str(data), profile, SHAPES_DIR, ENGINE], BASELINE_TIMEOUT_S)
        print(
            f"ours:  {ours['wall_s']:.1f} s wall, {ours['cpu_s']:.1f} s CPU, {ours['peak_rss_mb']:.0f} MB peak "
            f"({ours['engine']})",
            flush=True,
        )
        plain = run_measured(PLAIN, [str(data), profile, SHAPES_DIR], BASELINE_TIMEOUT_S)
        print(
            f"plain: {plain['wall_s']:.1f} s wall{' (timed out)' if plain['timed_out'] else ''}, "
            f"{plain.get('cpu_s', 0):.1f} s CPU, {plain['peak_rss_mb']:.0f} MB peak",
            flush=True,
        )
    same = None if plain["timed_out"] else sorted(map(tuple, plain["keys"])) == sorted(map(tuple, ours["keys"]))
    ratio = plain["wall_s"] / ours["wall_s"]
    record = single_record(profile)
    print(
        f"ratio {'>= ' if plain['timed_out'] else ''}{ratio:.1f}x, same results: {same}; one record: "
        f"median {record['median_ms']} ms, p95 {record['p95_ms']} ms",
        flush=True,
    )
    figures = {
        "profile": profile,
        "shapes_dir": SHAPES_DIR or "shapes/",
        "trainings": TRAININGS,
        "engine": ENGINE,
        "generator": "bench.validation_data (bench-local, shaped like the mapping job's output)",
        "ours": {k: v for k, v in ours.items() if k != "keys"} | {"results": len(ours["keys"])},
        "plain_pyshacl": {k: v for k, v in plain.items() if k != "keys"} | {"results": len(plain.get("keys", []))},
        "ratio_wall": round(ratio, 2),
        "ratio_is_lower_bound": plain["timed_out"],
        "same_results": same,
        "single_record": record,
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    return ratio >= TARGET_RATIO and same is not False and record["p95_ms"] <= TARGET_RECORD_MS


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
