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
from connector.vocab.alignment.curation import BUNDLED, read_curated
from connector.vocab.alignment.data import AlignmentInput, read_input
from connector.vocab.alignment.eures import read_eures
from connector.vocab.alignment.matcher import CURATED, Aligner, Mapping
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
    included), any relation to an ESCO occupation or skill (and of those, how many by a computed mapping: the
    others are reached by hand-checked tables only), and exact/close.

    For fiches, ``fiche_or_appellation`` counts, like the exact-label baseline of the issue, a fiche reached by a
    computed mapping of its own or of one of its appellations to an ESCO occupation.
    """

    total: int = 0
    any: int = 0
    concept: int = 0
    computed: int = 0
    equivalent: int = 0
    fiche_or_appellation: int | None = None

    @property
    def curated_only(self) -> int:
        return self.concept - self.computed

    def as_dict(self) -> dict[str, float | int]:
        def share(n: int) -> float:
            return round(n / self.total, 3) if self.total else 0.0

        return {
            "total": self.total,
            "mapped": self.any,
            "mapped_to_occupation_or_skill": self.concept,
            "mapped_to_occupation_or_skill_computed": self.computed,
            "mapped_to_occupation_or_skill_curated_only": self.curated_only,
            "exact_close": self.equivalent,
            "mapped_share": share(self.any),
            "mapped_to_occupation_or_skill_share": share(self.concept),
            "mapped_to_occupation_or_skill_computed_share": share(self.computed),
            "exact_close_share": share(self.equivalent),
        } | (
            {}
            if self.fiche_or_appellation is None
            else {
                "computed_fiche_or_appellation": self.fiche_or_appellation,
                "computed_fiche_or_appellation_share": share(self.fiche_or_appellation),
            }
        )


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
    hand_checked: int = 0

    @property
    def summary(self) -> str:
        rel = ", ".join(f"{v:,} {k}" for k, v in sorted(self.by_relation.items()))
        sources = [f"{self.hand_checked:,} from the bundled hand-checked table"] if self.hand_checked else []
        sources += [f"{self.curated:,} from the EURES table"] if self.curated else []
        curated = f" ({', '.join(sources)})" if sources else ""
        return (
            f"alignment: {len(self.mappings):,} mappings{curated} ({rel}), {self.triples:,} triples "
            f"in {self.seconds:.1f} s; SSSOM: {self.sssom_path}"
        )

    def coverage_lines(self) -> list[str]:
        lines = []
        for key, c in self.coverage.items():
            d = c.as_dict()
            line = (
                f"{key:<22} {d['mapped']:>6,}/{d['total']:<6,} mapped ({d['mapped_share']:.1%}), "
                f"{d['mapped_to_occupation_or_skill']:>6,} to an ESCO occupation/skill "
                f"({d['mapped_to_occupation_or_skill_share']:.1%}: {c.computed:,} computed + {c.curated_only:,} "
                f"hand-checked only), {d['exact_close']:>6,} exact/close ({d['exact_close_share']:.1%})"
            )
            lines.append(line)
            if c.fiche_or_appellation is not None:
                lines.append(
                    f"{key:<22} {c.fiche_or_appellation:>6,}/{c.total:<6,} "
                    f"({d['computed_fiche_or_appellation_share']:.1%}) reached by a computed mapping of the fiche "
                    "or of one of its appellations to an ESCO occupation (how the exact-label baseline counts)"
                )
        return lines


def coverage(data: AlignmentInput, mappings: list[Mapping]) -> dict[str, Coverage]:
    mapped = {m.subject.iri for m in mappings}
    concept = {m.subject.iri for m in mappings if m.obj.kind != "isco"}
    computed = {m.subject.iri for m in mappings if m.obj.kind != "isco" and m.justification != CURATED}
    equivalent = {m.subject.iri for m in mappings if m.equivalent}
    via_appellation = {
        m.subject.fiche
        for m in mappings
        if m.subject.kind == "appellation" and m.obj.kind == "occupation" and m.justification != CURATED
    }
    out: dict[str, Coverage] = {}
    for digital in (False, True):
        for kind in KINDS:
            c = out.setdefault(f"{'digital ' if digital else ''}{kind}s", Coverage())
            if kind == "fiche":
                c.fiche_or_appellation = 0
            for item in data.rome.values():
                if item.kind == kind and (item.digital or not digital):
                    c.total += 1
                    c.any += item.iri in mapped
                    c.concept += item.iri in concept
                    c.computed += item.iri in computed
                    c.equivalent += item.iri in equivalent
                    if c.fiche_or_appellation is not None:
                        c.fiche_or_appellation += item.iri in computed or item.iri in via_appellation
    return out


def merge_curated(computed: list[Mapping], curated: list[Mapping]) -> list[Mapping]:
    """Curated (hand-checked or EURES) mappings replace every other mapping of the ROME concepts they cover."""
    if not curated:
        return computed
    covered = {m.subject.iri for m in curated}
    return curated + [m for m in computed if m.subject.iri not in covered]


def run_alignment(
    ctx: Context, eures: Path | None = None, progress: Progress | None = None, hand_checked: bool = True
) -> AlignmentResult:
    """Compute, merge the bundled hand-checked table (unless ``hand_checked`` is False) and then the EURES table
    (which takes precedence over both), publish, measure."""
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
    table = read_curated(BUNDLED, data, report) if hand_checked else []
    curated = read_eures(eures, data, report) if eures else []
    merged = merge_curated(merge_curated(computed, table), curated)
    mappings = sorted(merged, key=lambda m: (m.subject.iri, m.predicate, m.obj.iri))
    overridden = {m.subject.iri for m in curated}
    hand_checked_n = sum(m.subject.iri not in overridden for m in table)
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
        mappings,
        triples,
        time.perf_counter() - started,
        cov,
        sssom_path,
        report,
        len(curated),
        by_relation,
        hand_checked_n,
    )
    write_report(
        ctx,
        "vocab-align",
        {
            "mappings": len(mappings),
            "curated": len(curated),
            "hand_checked": hand_checked_n,
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
        props[g[f"coverage_computed_{slug}"].value] = decimal(c.computed / c.total if c.total else 0.0)
        props[g[f"coverage_curated_only_{slug}"].value] = decimal(c.curated_only / c.total if c.total else 0.0)
        props[g[f"coverage_exact_close_{slug}"].value] = decimal(c.equivalent / c.total if c.total else 0.0)
        if c.fiche_or_appellation is not None:
            share = c.fiche_or_appellation / c.total if c.total else 0.0
            props[g[f"coverage_computed_fiche_or_appellation_{slug}"].value] = decimal(share)
    set_dataset_properties(ctx.store, ctx.datasets, "alignment", props)  # type: ignore[arg-type]
