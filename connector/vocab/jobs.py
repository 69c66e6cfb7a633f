"""The vocabulary jobs: map an export, replace the dataset's graph atomically, record version and counts.

Loading the same inputs twice gives the same graph (the graph is replaced, never appended to, and every IRI is
derived from official codes), so a rerun changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from datetime import datetime as dt
from pathlib import Path

import pyoxigraph as ox

from connector.context import Context
from connector.datasets.metadata import set_dataset_properties
from connector.datasets.void import refresh_published_void
from connector.namespaces import DCT, OWL, VOID
from connector.progress import Progress, SilentProgress
from connector.vocab.csvfiles import LoadReport
from connector.vocab.esco import EscoMapper
from connector.vocab.rome import RomeMapper
from connector.vocab.terms import datetime, gsc, integer, plain

TICK = 20_000


@dataclass
class LoadResult:
    dataset: str
    triples: int
    seconds: float
    version: str
    counts: dict[str, int]
    report: LoadReport
    report_path: Path | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in self.counts.items() if v)
        issues = ""
        if self.report.bad_rows or self.report.unknown_codes:
            issues = f"; {self.report.bad_rows} row(s) skipped, {self.report.unknown_codes} unknown code(s)"
        return f"{self.dataset} {self.version}: {self.triples:,} triples ({counts}) in {self.seconds:.1f} s{issues}"


def ticking(triples: Iterable[ox.Triple], progress: Progress) -> Iterator[ox.Triple]:
    """Pass triples through, advancing the progress bar every ``TICK`` triples."""
    n = 0
    for t in triples:
        n += 1
        if n % TICK == 0:
            progress.advance(TICK)
        yield t
    progress.advance(n % TICK)


def write_report(ctx: Context, name: str, content: dict[str, object]) -> Path:
    """The job report (counts, skipped rows, unknown codes) as JSON under ``<home>/reports/``."""
    path = ctx.settings.home / "reports" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(content, indent=2, ensure_ascii=False))
    tmp.replace(path)
    return path


def record_metadata(ctx: Context, dataset: str, version: str, triples: int, counts: dict[str, int]) -> None:
    """The loaded dataset's version, date and counts in the catalog graph, then its VoID description measured."""
    g = gsc(ctx.minted)
    props: dict[str, object] = {
        f"{OWL}versionInfo": plain(version),
        f"{DCT}modified": datetime(dt.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        f"{VOID}triples": integer(triples),
    }
    for key, value in counts.items():
        props[g[f"count_{key}"].value] = integer(value)
    set_dataset_properties(ctx.store, ctx.datasets, dataset, props)  # type: ignore[arg-type]
    refresh_published_void(ctx, dataset)


def load_rome(ctx: Context, directory: Path, progress: Progress | None = None) -> LoadResult:
    """Map a ROME 4.0 CSV export directory and replace the rome graph with it."""
    progress = progress or SilentProgress()
    started = time.perf_counter()
    report = LoadReport()
    mapper = RomeMapper(directory, ctx.minted, report)
    progress.start(f"ROME {mapper.version.code} -> rome graph (triples)")
    triples = ctx.store.replace_graph(ctx.datasets.get("rome").graph, ticking(mapper.triples(), progress))
    counts = dict(mapper.counts.concepts)
    counts.update({f"digital_{k}": v for k, v in mapper.counts.digital.items()})
    counts.update({f"links_{k}": v for k, v in mapper.counts.links.items()})
    record_metadata(ctx, "rome", mapper.version.code, triples, counts)
    result = LoadResult("rome", triples, time.perf_counter() - started, mapper.version.code, counts, report)
    result.report_path = write_report(
        ctx,
        "vocab-load-rome",
        {
            "source": str(directory),
            "version": mapper.version.label,
            "triples": triples,
            "counts": counts,
            **report.as_dict(),
        },
    )
    progress.finish(result.summary)
    return result


def load_esco(
    ctx: Context, paths: list[Path], progress: Progress | None = None, version: str | None = None
) -> LoadResult:
    """Map ESCO CSV exports and/or RDF dumps and replace the esco graph with them."""
    progress = progress or SilentProgress()
    started = time.perf_counter()
    report = LoadReport()
    mapper = EscoMapper(paths, report, version)
    progress.start(f"ESCO {mapper.version} -> esco graph (triples)")
    triples = ctx.store.replace_graph(ctx.datasets.get("esco").graph, ticking(mapper.triples(), progress))
    c = mapper.counts
    counts = {
        "occupations": c.occupations,
        "skills": c.skills,
        "isco_groups": c.isco_groups,
        "skill_groups": c.skill_groups,
        "occupation_skill_relations": c.relations,
        **{f"occupations_labelled_{k}": v for k, v in sorted(c.occupation_labels.items())},
        **{f"skills_labelled_{k}": v for k, v in sorted(c.skill_labels.items())},
    }
    if c.rdf_triples:
        counts["rdf_dump_triples"] = c.rdf_triples
    record_metadata(ctx, "esco", mapper.version, triples, counts)
    result = LoadResult("esco", triples, time.perf_counter() - started, mapper.version, counts, report)
    result.report_path = write_report(
        ctx,
        "vocab-load-esco",
        {
            "sources": [str(p) for p in paths],
            "version": mapper.version,
            "triples": triples,
            "counts": counts,
            **report.as_dict(),
        },
    )
    progress.finish(result.summary)
    return result
