"""The example queries of docs/queries answer what their comments promise, on a miniature of the data."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "queries"
FIXTURE = Path(__file__).parent / "fixtures" / "sparql_examples.trig"

EXPECTED = {
    "01-trainings-for-rome-fiche.rq": ("title", {"Développeur web et web mobile"}),
    "02-esco-skills-of-training.rq": ("labelEn", {"use JavaScript", "design databases"}),
    "03-jobs-reachable-from-training.rq": ("jobSheetLabel", {"Développeur·se full stack"}),
    "04-skills-gap-job-sheet-vs-training.rq": ("label", {"tester des logiciels"}),
    "05-label-search-fr-en.rq": (
        "label",
        {
            "Développeur / Développeuse web",
            "software developer",
            "développeur de logiciels",
            "Développeur·se full stack",
        },
    ),
    "06-trainings-near-a-town.rq": ("title", {"Développeur web et web mobile"}),
}


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return s


def test_every_example_is_checked() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.rq")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_answers(store: ox.Store, name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert text.startswith("#"), "each example starts with a comment saying what it answers"
    variable, expected = EXPECTED[name]
    found = {row[variable].value for row in store.query(text, use_default_graph_as_union=True) if row[variable]}
    assert found == expected
