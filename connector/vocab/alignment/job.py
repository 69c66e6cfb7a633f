"""The alignment job: read ROME and ESCO from the store, compute, merge official EURES mappings, publish, measure."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connector.context import Context
from connector.datasets.metadata import set_dataset_properties
from connector.datasets.registry import CC_BY_4
from connector.datasets.void import refresh_published_void
from connector.namespaces import DCT, OWL, VOID
from connector.progress import Progress, SilentProgress
from connector.vocab.alignment.data import AlignmentInput, read_input
from connector.vocab.alignment.eures import read_eures
from connector.vocab.alignment.matcher import Aligner, Mapping
from connector.vocab.alignment.sssom import MappingSet, rdf_triples, write_tsv
from connector.vocab.csvfiles import LoadReport, VocabInputError
from connector.vocab.jobs import write_report
from connector.vocab.terms import datetime as dt_literal
from connector.vocab.terms import decimal, gsc, integer, plain

KINDS = ("fiche", "appellation", "competence", "savoir")
SSSOM_FILE = "rome-esco.sssom.tsv"


@dataclass
class Coverage:
    """Share of ROME concepts with at least one published mapping: any relation to any ESCO concept (ISCO groups
    included), any relation to an ESCO occupation or skill, and exact/close."""

    total: int = 0
    any: int = 0
    concept: int = 0
    equivalent: int = 0

    def as_dict(self) -> dict[str, float | int]:
        def share(n: int) -> float:
            return round(n / self.total, 3) if self.total else 0.0

        return {
            "total": self.total,
            "mapped": self.any,
            "mapped_to_occupation_or_skill": self.concept,
            "exact_close": self.equivalent,
            "mapped_share": share(self.any),
            "mapped_to_occupation_or_skill_share": share(self.concept),
            "exact_close_share": share(self.equivalent),
        }


@dataclass
class AlignmentResult:
    mappings: list[Mapping]
    triples: int
    seconds: float
    coverage: dict[str, Coverage]
    sssom_path: Path
    report: LoadReport
    curated: int = 0
    by_relation: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        rel = ", ".join(f"{v:,} {k}" for k, v in sorted(self.by_relation.items()))
        curated = f" ({self.curated:,} from the EURES table)" if self.curated else ""
        return (
            f"alignment: {len(self.mappings):,} mappings{curated} ({rel}), {self.triples:,} triples "
            f"in {self.seconds:.1f} s; SSSOM: {self.sssom_path}"
        )

    def coverage_lines(self) -> list[str]:
        lines = []
        for key, c in self.coverage.items():
            d = c.as_dict()
            lines.append(
                f"{key:<22} {d['mapped']:>6,}/{d['total']:<6,} mapped ({d['mapped_share']:.1%}), "
                f"{d['mapped_to_occupation_or_skill']:>6,} to an ESCO occupation/skill "
                f"({d['mapped_to_occupation_or_skill_share']:.1%}), "
                f"{d['exact_close']:>6,} exact/close ({d['exact_close_share']:.1%})"
            )
        return lines


def coverage(data: AlignmentInput, mappings: list[Mapping]) -> dict[str, Coverage]:
    mapped = {m.subject.iri for m in mappings}
    concept = {m.subject.iri for m in mappings if m.obj.kind != "isco"}
    equivalent = {m.subject.iri for m in mappings if m.equivalent}
    out: dict[str, Coverage] = {}
    for digital in (False, True):
        for kind in KINDS:
            c = out.setdefault(f"{'digital ' if digital else ''}{kind}s", Coverage())
            for item in data.rome.values():
                if item.kind == kind and (item.digital or not digital):
                    c.total += 1
                    c.any += item.iri in mapped
                    c.concept += item.iri in concept
                    c.equivalent += item.iri in equivalent
    return out


def merge_curated(computed: list[Mapping], curated: list[Mapping]) -> list[Mapping]:
    """Curated (EURES) mappings replace every computed occupation mapping of the ROME concepts they cover."""
    if not curated:
        return computed
    covered = {m.subject.iri for m in curated}
    return curated + [m for m in computed if m.subject.iri not in covered]


def run_alignment(ctx: Context, eures: Path | None = None, progress: Progress | None = None) -> AlignmentResult:
    progress = progress or SilentProgress()
    started = time.perf_counter()
    report = LoadReport()
    progress.start("alignment: reading ROME and ESCO from the store")
    data = read_input(ctx)
    if not any(i.kind == "fiche" for i in data.rome.values()):
        raise VocabInputError("the rome graph is empty: run `skills-connector vocab load rome <dir>` first")
    if not data.esco:
        raise VocabInputError("the esco graph is empty: run `skills-connector vocab load esco <dir>` first")
    progress.start("alignment: matching labels and structure")
    computed = Aligner(data).run()
    curated = read_eures(eures, data, report) if eures else []
    mappings = sorted(merge_curated(computed, curated), key=lambda m: (m.subject.iri, m.predicate, m.obj.iri))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mapping_set = MappingSet(
        ctx.minted, f"{data.rome_version}/{data.esco_version}", now, data.rome_version, data.esco_version, CC_BY_4
    )
    progress.start("alignment: publishing SSSOM and RDF", total=len(mappings))
    sssom_path = ctx.settings.home / "exports" / SSSOM_FILE
    write_tsv(sssom_path, mapping_set, mappings)
    triples = ctx.store.replace_graph(ctx.datasets.get("alignment").graph, rdf_triples(mapping_set, mappings))
    cov = coverage(data, mappings)
    by_relation = dict(Counter(m.predicate for m in mappings))
    _record(ctx, mapping_set, triples, cov, len(mappings), now)
    refresh_published_void(ctx, "alignment")
    result = AlignmentResult(
        mappings, triples, time.perf_counter() - started, cov, sssom_path, report, len(curated), by_relation
    )
    write_report(
        ctx,
        "vocab-align",
        {
            "mappings": len(mappings),
            "curated": len(curated),
            "by_relation": by_relation,
            "coverage": {k: c.as_dict() for k, c in cov.items()},
            "sssom": str(sssom_path),
            **report.as_dict(),
        },
    )
    progress.finish(result.summary)
    return result


def _record(ctx: Context, ms: MappingSet, triples: int, cov: dict[str, Coverage], n: int, now: str) -> None:
    g = gsc(ctx.minted)
    props: dict[str, object] = {
        f"{OWL}versionInfo": plain(ms.version),
        f"{DCT}modified": dt_literal(now),
        f"{VOID}triples": integer(triples),
        g.count_mappings.value: integer(n),
    }
    for key, c in cov.items():
        slug = key.replace(" ", "_")
        props[g[f"coverage_{slug}"].value] = decimal(c.any / c.total if c.total else 0.0)
        props[g[f"coverage_concept_{slug}"].value] = decimal(c.concept / c.total if c.total else 0.0)
        props[g[f"coverage_exact_close_{slug}"].value] = decimal(c.equivalent / c.total if c.total else 0.0)
    set_dataset_properties(ctx.store, ctx.datasets, "alignment", props)  # type: ignore[arg-type]
