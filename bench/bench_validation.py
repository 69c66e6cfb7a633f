"""Validation speed: ``connector.validation.validate`` (engine ``auto`` = hybrid) against one plain
``pyshacl.validate`` call, on the same data and shapes, with the result sets compared.

Figures (``bench/results/validation.json``):

* end to end on ``BENCH_TRAININGS`` (default 20,000) trainings. ``BENCH_DATA=mapping`` (default): the real output of
  the mapping job (:func:`bench.validation_data.mapping_output`: generated GEN trainings mapped and published by
  ``connector.mapping`` next to the bundled ROME/ESCO vocabularies, exported with the vocabulary triples they
  reference), profile ``gen-training``; ``BENCH_DATA=generator``: the bench-local generator with 1 % defects.
  Plain pyshacl = rdflib parse + one ``pyshacl.validate``; ours = ``validate(file, profile)``. Each runs in its own
  process; wall time, CPU time and peak RSS of the whole process tree are sampled. Target: >= 4x faster, same
  results (multisets of result keys). The plain run takes 10-30 minutes: its figures and keys are kept in the work
  directory (``BENCH_WORK``, default a folder of the system temp dir) keyed by the data file, shapes and pyshacl
  version, and reused by the next run (the report says so and gives the load average of both runs);
  ``BENCH_PHASE=plain`` only makes that run.
* one changed record validated against vocabularies loaded once (ROME fiches/appellations, ESCO skills and
  occupations): median and p95 over 30 runs. Target: <= 100 ms.

``BENCH_SHAPES_DIR`` points both runs at another shapes folder. ``BENCH_ENGINE`` (default ``auto``) picks the engine
of "ours"; with another engine the figures go to ``bench/results/validation-<engine>.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import pyoxigraph as ox

ENGINE = os.environ.get("BENCH_ENGINE", "auto")
RESULTS = Path(__file__).parent / "results" / ("validation.json" if ENGINE == "auto" else f"validation-{ENGINE}.json")
TRAININGS = int(os.environ.get("BENCH_TRAININGS", "20000"))
BASELINE_TIMEOUT_S = float(os.environ.get("BENCH_BASELINE_TIMEOUT_S", "5400"))
SHAPES_DIR = os.environ.get("BENCH_SHAPES_DIR", "")
DATA_KIND = os.environ.get("BENCH_DATA", "mapping")
PHASE = os.environ.get("BENCH_PHASE", "all")
WORK = Path(os.environ.get("BENCH_WORK") or Path(tempfile.gettempdir()) / "gen-skills-validation-bench")
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


def bench_data() -> tuple[Path, dict]:
    """The N-Triples file both runs validate, built once in :data:`WORK` (see the module docstring)."""
    from bench.validation_data import dataset, mapping_output

    WORK.mkdir(parents=True, exist_ok=True)
    if DATA_KIND == "mapping":
        return mapping_output(TRAININGS, WORK)
    path = WORK / f"generated-{TRAININGS}.nt"
    if not path.exists():
        path.write_bytes(ox.serialize(dataset(TRAININGS), format=ox.RdfFormat.N_TRIPLES))
    return path, {"generator": "bench.validation_data.dataset (1 % defects)"}


def _fingerprint(data: Path, profile: str) -> str:
    import pyshacl

    digest = hashlib.sha256(pyshacl.__version__.encode())
    for p in registry().closure(profile):  # the shapes files (a serialisation would name blank nodes anew)
        digest.update(p.path.read_bytes())
    with data.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def plain_run(data: Path, profile: str) -> dict:
    """One plain pyshacl run on ``data``, or the kept figures of an earlier run on the same data and shapes."""
    kept = WORK / f"plain-{_fingerprint(data, profile)}.json"
    if kept.exists():
        return json.loads(kept.read_text()) | {"reused_from_earlier_run": True}
    load_before = os.getloadavg()[0]
    plain = run_measured(PLAIN, [str(data), profile, SHAPES_DIR], BASELINE_TIMEOUT_S)
    plain.update(load_average_1m=[load_before, os.getloadavg()[0]], measured_at=time.strftime("%Y-%m-%d %H:%M UTC"))
    if not plain["timed_out"]:
        kept.write_text(json.dumps(plain))
    return plain


def main() -> bool:
    profile = profile_name()
    data, origin = bench_data()
    lines = sum(1 for _ in data.open("rb"))
    print(
        f"profile {profile}, {TRAININGS:,} trainings ({DATA_KIND}): {lines:,} triples, "
        f"{data.stat().st_size / 2**20:.0f} MiB N-Triples",
        flush=True,
    )
    plain = plain_run(data, profile)
    print(
        f"plain: {plain['wall_s']:.1f} s wall{' (timed out)' if plain['timed_out'] else ''}, "
        f"{plain.get('cpu_s', 0):.1f} s CPU, {plain['peak_rss_mb']:.0f} MB peak, load {plain['load_average_1m']}"
        f"{' (kept from an earlier run)' if plain.get('reused_from_earlier_run') else ''}",
        flush=True,
    )
    if PHASE == "plain":
        return True
    load_before = os.getloadavg()[0]
    ours = run_measured(OURS, [str(data), profile, SHAPES_DIR, ENGINE], BASELINE_TIMEOUT_S)
    ours.update(load_average_1m=[load_before, os.getloadavg()[0]])
    print(
        f"ours:  {ours['wall_s']:.1f} s wall, {ours['cpu_s']:.1f} s CPU, {ours['peak_rss_mb']:.0f} MB peak "
        f"({ours['engine']}), load {ours['load_average_1m']}",
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
        "data": DATA_KIND,
        "data_origin": origin,
        "triples": lines,
        "engine": ENGINE,
        "ours": {k: v for k, v in ours.items() if k != "keys"} | {"results": len(ours["keys"])},
        "plain_pyshacl": {k: v for k, v in plain.items() if k != "keys"} | {"results": len(plain.get("keys", []))},
        "results_by_severity": dict(Counter(k[3] for k in ours["keys"])),
        "ratio_wall": round(ratio, 2),
        "ratio_cpu": round(plain.get("cpu_s", 0) / ours["cpu_s"], 2) if ours.get("cpu_s") else None,
        "ratio_is_lower_bound": plain["timed_out"],
        "same_results": same,
        "single_record": record,
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    return ratio >= TARGET_RATIO and same is not False and record["p95_ms"] <= TARGET_RECORD_MS


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
