"""The bundled hand-checked mapping table: its rows point at real ROME fiches and ESCO occupations, it is read with
bad rows reported, it takes precedence over computed mappings (EURES over it), and it is never scored."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
import yaml

from connector.vocab.alignment.curation import BUNDLED, read_curated
from connector.vocab.alignment.data import AlignmentInput, EscoConcept, RomeItem
from connector.vocab.alignment.evaluation import GoldPair, evaluate
from connector.vocab.alignment.job import merge_curated
from connector.vocab.alignment.matcher import CURATED, Mapping
from connector.vocab.csvfiles import LoadReport, VocabInputError

REPO = Path(__file__).resolve().parents[1]
OCC = "http://data.europa.eu/esco/occupation/"
ETHICAL_HACKER = f"{OCC}76ef0a87-6afe-4560-b5d0-9a086abe45c5"
ROME = "https://w3id.org/gen-skills/rome/"


def table_rows(path: Path) -> tuple[dict, list[dict[str, str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    meta = yaml.safe_load("\n".join(line[1:] for line in lines if line.startswith("#")))
    body = "\n".join(line for line in lines if not line.startswith("#"))
    return meta, list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def gz_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_bundled_rows_are_hand_checked_digital_fiches_to_existing_esco_occupations() -> None:
    meta, rows = table_rows(BUNDLED)
    assert meta["curie_map"]["escooccupation"] == OCC and meta["license"]
    occupations = {r["conceptUri"] for r in gz_rows(REPO / "data/esco-v1.1.1-en/occupations_en.csv.gz")}
    fiches = {
        r["code_rome"]: r["transition_num"]
        for r in gz_rows(REPO / "data/rome-4.0-v460/unix_referentiel_code_rome_v460_utf8.csv.gz")
    }
    assert len(rows) >= 30
    assert len({(r["subject_id"], r["object_id"]) for r in rows}) == len(rows)
    for r in rows:
        code = r["subject_id"].removeprefix("romefiche:")
        assert fiches.get(code) == "O", f"{code} is not a digital ROME fiche"
        assert OCC + r["object_id"].removeprefix("escooccupation:") in occupations, r["object_id"]
        assert r["predicate_id"] in {
            "skos:exactMatch",
            "skos:closeMatch",
            "skos:broadMatch",
            "skos:narrowMatch",
            "skos:relatedMatch",
        }
        assert r["mapping_justification"] == CURATED
        assert r["author_label"] and r["reviewer_label"] and len(r["comment"]) > 60, r


def small_input() -> AlignmentInput:
    pentest = RomeItem(f"{ROME}fiche/M1866", "fiche", "M1866", "Pentesteur / Pentesteuse", True)
    hacker = EscoConcept(ETHICAL_HACKER, "occupation", "hacker éthique", "ethical hacker", [], "2529")
    return AlignmentInput({pentest.iri: pentest}, {hacker.iri: hacker}, {}, {}, "v460", "1.1.1")


def write_table(path: Path, *rows: str) -> Path:
    header = "subject_id\tpredicate_id\tobject_id\tmapping_justification\tcomment"
    path.write_text(
        f"# curie_map:\n#   escooccupation: {OCC}\n{header}\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8"
    )
    return path


def test_rows_are_resolved_by_code_and_bad_rows_reported(tmp_path: Path) -> None:
    hacker = "escooccupation:76ef0a87-6afe-4560-b5d0-9a086abe45c5"
    curated = "semapv:ManualMappingCuration"
    path = write_table(
        tmp_path / "mine.sssom.tsv",
        f"romefiche:M1866\tskos:exactMatch\t{hacker}\t{curated}\tsame work",
        f"romefiche:Z9999\tskos:exactMatch\t{hacker}\t{curated}\tunknown fiche",
        f"romefiche:M1866\tskos:exactMatch\tescooccupation:nope\t{curated}\tunknown occupation",
        f"romefiche:M1866\tskos:sameAs\t{hacker}\t{curated}\tnot a SKOS mapping relation",
        f"romefiche:M1866\tskos:closeMatch\t{hacker}\tsemapv:LexicalMatching\tnot curated",
    )
    report = LoadReport()
    found = read_curated(path, small_input(), report)
    assert [(m.subject.code, m.predicate, m.obj.iri, m.confidence, m.justification) for m in found] == [
        ("M1866", "exactMatch", ETHICAL_HACKER, 1.0, CURATED)
    ]
    assert found[0].comment == "hand-checked (mine.sssom.tsv): same work"
    issues = report.files[path.name]
    assert (
        issues.unknown_codes == 2
        and "line 5" in issues.unknown_code_samples[0]
        and "Z9999" in issues.unknown_code_samples[0]
    )
    assert issues.bad_rows == 2 and "skos:sameAs" in issues.bad_row_samples[0]


def test_a_table_without_its_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.sssom.tsv"
    path.write_text("subject_id\tobject_id\nromefiche:M1866\tx\n", encoding="utf-8")
    with pytest.raises(VocabInputError, match="bad.sssom.tsv: missing column 'predicate_id'"):
        read_curated(path, small_input(), LoadReport())


def test_curated_rows_replace_computed_ones_and_are_not_scored() -> None:
    data = small_input()
    pentest, hacker = next(iter(data.rome.values())), next(iter(data.esco.values()))
    other = EscoConcept(f"{OCC}x", "occupation", "testeur", "tester", [], "2519")
    computed = [Mapping(pentest, other, "relatedMatch", 0.7, "semapv:CompositeMatching", "computed")]
    table = [Mapping(pentest, hacker, "exactMatch", 1.0, CURATED, "hand-checked")]
    merged = merge_curated(computed, table)
    assert [(m.obj.iri, m.predicate) for m in merged] == [(ETHICAL_HACKER, "exactMatch")]
    eures = [Mapping(pentest, other, "closeMatch", 1.0, CURATED, "official EURES")]
    assert [m.comment for m in merge_curated(merged, eures)] == ["official EURES"]
    gold = [GoldPair("fiche", "M1866", ETHICAL_HACKER, "exact", True)]
    scores = evaluate(merged, gold)
    assert scores.published_equivalent == 0 and scores.curated == 1 and scores.recall_any == 0.0


def test_coverage_counts_computed_and_hand_checked_apart_and_fiches_reached_through_an_appellation() -> None:
    from connector.vocab.alignment.job import coverage

    fiches = [RomeItem(f"{ROME}fiche/M18{n}", "fiche", f"M18{n}", f"Fiche {n}", True) for n in range(10, 14)]
    via = RomeItem(f"{ROME}appellation/1", "appellation", "1", "Appellation", True, fiches[1].iri)
    hacker = EscoConcept(ETHICAL_HACKER, "occupation", "hacker éthique", "ethical hacker", [], "2529")
    isco = EscoConcept("http://data.europa.eu/esco/isco/C2529", "isco", isco="2529")
    data = AlignmentInput({i.iri: i for i in [*fiches, via]}, {hacker.iri: hacker}, {}, {}, "v460", "1.1.1")
    mappings = [
        Mapping(fiches[0], hacker, "narrowMatch", 0.8, "semapv:CompositeMatching", "computed"),
        Mapping(via, hacker, "broadMatch", 0.7, "semapv:LexicalMatching", "an appellation of fiches[1]"),
        Mapping(fiches[2], hacker, "exactMatch", 1.0, CURATED, "hand-checked"),
        Mapping(fiches[3], isco, "broadMatch", 0.7, "semapv:CompositeMatching", "an ISCO group only"),
    ]
    c = coverage(data, mappings)["digital fiches"]
    assert (c.total, c.any, c.concept, c.computed, c.curated_only, c.equivalent) == (4, 3, 2, 1, 1, 1)
    assert c.fiche_or_appellation == 2  # fiches[0] itself, fiches[1] through its appellation; not the curated one
    d = c.as_dict()
    assert d["computed_fiche_or_appellation_share"] == 0.5 and d["mapped_to_occupation_or_skill_curated_only"] == 1
    assert coverage(data, mappings)["digital appellations"].fiche_or_appellation is None
