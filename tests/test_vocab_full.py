"""The bundled full exports: official counts, and the alignment measured on the hand-checked evaluation set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.config import load_settings
from connector.context import Context
from connector.store.embedded import EmbeddedStore
from connector.vocab.alignment.evaluation import evaluate, read_gold
from connector.vocab.alignment.job import AlignmentResult, run_alignment
from connector.vocab.jobs import load_esco, load_rome
from tests.vocab_helpers import DATA, ESCO, SKOS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, AlignmentResult]]:
    # In-memory store: the on-disk path is measured by bench/bench_vocab.py.
    ctx = Context(load_settings(home=tmp_path_factory.mktemp("full")), store=EmbeddedStore.open(None))
    load_rome(ctx, REPO / "data" / "rome-4.0-v460")
    load_esco(ctx, [REPO / "data" / d for d in ("esco-v1.1.1-en", "esco-v1.1.1-fr", "esco-fr-labels")])
    yield ctx, run_alignment(ctx)
    ctx.close()


def count(ctx: Context, dataset: str, where: str) -> int:
    rows = ctx.store.select(
        f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ {where} }}", default_graphs=[ctx.datasets.get(dataset).graph]
    )
    return int(rows[0]["n"])


def test_official_counts(full: tuple[Context, AlignmentResult]) -> None:
    ctx, _ = full
    gsc = ctx.minted.ontology
    assert count(ctx, "rome", f"?c a <{gsc}RomeFiche>") == 1584
    assert count(ctx, "rome", f"?c a <{gsc}RomeAppellation>") == 13120
    assert count(ctx, "rome", f"?c a <{gsc}RomeFiche> ; <{gsc}digitalTransition> true") == 170
    en_fr = f'<{SKOS}prefLabel> ?en, ?fr FILTER(lang(?en) = "en" && lang(?fr) = "fr")'
    assert count(ctx, "esco", f"?c a <{ESCO}Occupation> ; {en_fr}") == 3007
    assert count(ctx, "esco", f"?c a <{ESCO}Skill> ; <{SKOS}prefLabel> ?en FILTER(lang(?en) = 'en')") == 13896
    # French skill labels: the official skills_fr.csv is not public; the bundled label files cover 98.6 %
    assert count(ctx, "esco", f"?c a <{ESCO}Skill> ; {en_fr}") >= 13600


def test_precision_and_recall_on_the_hand_checked_pairs(full: tuple[Context, AlignmentResult]) -> None:
    _, result = full
    gold = read_gold(DATA / "alignment_eval.tsv")
    assert len(gold) >= 450 and sum(g.digital for g in gold) >= 300
    scores = evaluate(result.mappings, gold)
    assert scores.published_equivalent >= 40
    assert scores.precision_equivalent >= 0.9, scores.as_dict()
    assert scores.recall_any >= 0.7, scores.as_dict()
    # hierarchical mappings are right more often than not (strictly: a broadMatch judged close counts as wrong)
    by = scores.as_dict()["precision_by_relation"]
    assert by["broadMatch"]["published"] >= 50 and by["broadMatch"]["precision"] >= 0.55, by
    # skill-profile relatedMatch (strict: a pair judged broad, narrow or close counts as wrong)
    assert by["relatedMatch"]["published"] >= 20 and by["relatedMatch"]["precision"] >= 0.6, by
    # the hand-checked rows are not scored against judgements made the same way
    assert scores.curated >= 1


def test_coverage_beats_exact_label_matching(full: tuple[Context, AlignmentResult]) -> None:
    _, result = full
    cov = {k: c.as_dict() for k, c in result.coverage.items()}
    assert cov["digital fiches"]["total"] == 170 and cov["digital appellations"]["total"] == 807
    # exact label matching: 46 % of appellations and 116 of 170 digital fiches (counting bare heads such as
    # "Ingénieur" as matches)
    assert cov["appellations"]["mapped_share"] > 0.7
    assert cov["appellations"]["mapped_to_occupation_or_skill_share"] > 0.5
    assert cov["digital fiches"]["mapped"] > 116
    assert cov["fiches"]["mapped_share"] > 0.65
    # digital fiches at fiche level: computed and hand-checked, counted apart
    digital = cov["digital fiches"]
    assert digital["mapped_to_occupation_or_skill"] >= 140
    assert digital["mapped_to_occupation_or_skill_computed"] >= 125
    assert digital["mapped_to_occupation_or_skill_curated_only"] >= 30 and result.hand_checked >= 30
    # counted like the baseline (the fiche or one of its appellations, computed mappings only)
    assert digital["computed_fiche_or_appellation"] >= 135
    assert "computed_fiche_or_appellation" not in cov["digital appellations"]


def test_coverage_is_recorded_in_the_dataset_metadata(full: tuple[Context, AlignmentResult]) -> None:
    from connector.datasets.metadata import get_dataset_properties

    ctx, result = full
    props = get_dataset_properties(ctx.store, ctx.datasets, "alignment")
    gsc = ctx.minted.ontology
    digital = result.coverage["digital fiches"]
    for name, n in [
        ("coverage_concept_digital_fiches", digital.concept),
        ("coverage_computed_digital_fiches", digital.computed),
        ("coverage_curated_only_digital_fiches", digital.curated_only),
        ("coverage_computed_fiche_or_appellation_digital_fiches", digital.fiche_or_appellation),
    ]:
        assert abs(float(props[f"{gsc}{name}"][0]) - n / 170) < 0.001, name


def test_isco_placements_are_broad_matches_to_isco_groups(full: tuple[Context, AlignmentResult]) -> None:
    _, result = full
    isco = [m for m in result.mappings if m.obj.kind == "isco"]
    assert len(isco) > 1000
    assert {m.predicate for m in isco} == {"broadMatch"}
    assert {m.subject.kind for m in isco} == {"fiche", "appellation"}
    assert all(m.obj.iri.startswith("http://data.europa.eu/esco/isco/C") and m.obj.pref_fr for m in isco)
    assert "\tskos:broadMatch\tescoisco:C" in result.sssom_path.read_text(encoding="utf-8")
