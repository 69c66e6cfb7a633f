"""Precision and recall of computed mappings against hand-checked pairs (the evaluation set in the tests)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from connector.vocab.alignment.matcher import CURATED, Mapping

EQUIVALENT = {"exact", "close"}
TRUTHFUL = {
    "exactMatch": {"exact"},
    "closeMatch": {"exact", "close"},
    "broadMatch": {"broad"},
    "narrowMatch": {"narrow"},
    "relatedMatch": {"related"},
}
"""The judgements that make a published relation true (an exact pair is also close; broad and narrow are strict)."""


@dataclass(frozen=True)
class GoldPair:
    kind: str
    code: str
    esco: str
    gold: str  # exact | close | broad | narrow | none
    digital: bool


@dataclass
class Scores:
    pairs: int
    published_equivalent: int
    correct_equivalent: int
    gold_equivalent: int
    published_any: int
    correct_any: int
    gold_related: int
    by_relation: dict[str, tuple[int, int]] = field(default_factory=dict)  # relation -> (published, true)
    curated: int = 0  # gold pairs published by a hand-checked table: counted, not scored

    @property
    def precision_equivalent(self) -> float:
        return self.correct_equivalent / self.published_equivalent if self.published_equivalent else 1.0

    @property
    def recall_equivalent(self) -> float:
        return self.correct_equivalent / self.gold_equivalent if self.gold_equivalent else 1.0

    @property
    def precision_any(self) -> float:
        return self.correct_any / self.published_any if self.published_any else 1.0

    @property
    def recall_any(self) -> float:
        return self.correct_any / self.gold_related if self.gold_related else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "pairs": self.pairs,
            "published_by_hand_checked_tables_not_scored": self.curated,
            "precision_exact_close": round(self.precision_equivalent, 3),
            "recall_exact_close": round(self.recall_equivalent, 3),
            "precision_any_relation": round(self.precision_any, 3),
            "recall_any_relation": round(self.recall_any, 3),
            "precision_by_relation": {
                rel: {"published": n, "true": ok, "precision": round(ok / n, 3) if n else 1.0}
                for rel, (n, ok) in sorted(self.by_relation.items())
            },
        }


def read_gold(path: Path) -> list[GoldPair]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            GoldPair(r["rome_kind"], r["rome_code"], r["esco_iri"], r["gold"], r["digital"] == "O")
            for r in csv.DictReader(fh, delimiter="\t")
        ]


def evaluate(mappings: Iterable[Mapping], gold: list[GoldPair]) -> Scores:
    """Published exact/close pairs must be gold exact/close; any published pair must be gold-related.

    Hand-checked mappings (``semapv:ManualMappingCuration``) are left out: judging a curation against judgements
    made the same way would measure nothing. Gold pairs they publish are only counted.
    """
    published = {(m.subject.kind, m.subject.code, m.obj.iri): m for m in mappings}
    pe = ce = pa = ca = curated = 0
    by_relation: dict[str, tuple[int, int]] = {}
    for g in gold:
        m = published.get((g.kind, g.code, g.esco))
        if m is None:
            continue
        if m.justification == CURATED:
            curated += 1
            continue
        n, ok = by_relation.get(m.predicate, (0, 0))
        by_relation[m.predicate] = (n + 1, ok + (g.gold in TRUTHFUL[m.predicate]))
        pa += 1
        ca += g.gold != "none"
        if m.equivalent:
            pe += 1
            ce += g.gold in EQUIVALENT
    return Scores(
        len(gold),
        pe,
        ce,
        sum(g.gold in EQUIVALENT for g in gold),
        pa,
        ca,
        sum(g.gold != "none" for g in gold),
        by_relation,
        curated,
    )
