"""A short bounded load run on loopback (the full 32 clients x 30 s run is ``python -m bench ops``)."""

from __future__ import annotations

from pathlib import Path

from bench.bench_ops import RSS_GROWTH_BOUND_MB, load_run, served_connector


def test_concurrent_query_mix_has_no_errors_and_bounded_memory(tmp_path: Path) -> None:
    with served_connector(tmp_path / "var", concepts=2_000) as (base, pid):
        figures = load_run(base, pid, clients=8, seconds=5, warmup_s=1.5)
    print(figures)
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["requests"] >= 40  # a few per client and second even on a loaded CI machine
    assert figures["rss_growth_mb"] <= RSS_GROWTH_BOUND_MB, figures
