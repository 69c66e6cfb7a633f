"""The fast engine (tuned pyshacl, record partitions in worker processes) gives plain pyshacl's results."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

import connector.validation.engine as engine_module
from bench.validation_data import dataset
from connector.validation import parallel, validate
from connector.validation.profiles import DEFAULT_SHAPES_DIR
from connector.validation.scope import partition_safety

DATA = Path(__file__).parent / "data"
SHAPES = [DEFAULT_SHAPES_DIR / "elm-loq.ttl", DATA / "gen-like-rules.ttl"]

PLAIN_PYSHACL = """
import json, sys
import pyshacl
from rdflib import Graph
from connector.validation.results import read_results
shapes = Graph()
for f in sys.argv[2:]:
    shapes.parse(f)
_, report, _ = pyshacl.validate(Graph().parse(sys.argv[1], format="nt"), shacl_graph=shapes)
print(json.dumps([list(r.key()) for r in read_results(report, shapes)]))
"""


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 generated trainings, most of them with one known defect (N-Triples)."""
    path = tmp_path_factory.mktemp("engines") / "trainings.nt"
    path.write_bytes(ox.serialize(dataset(40, seed=3, defect_rate=0.6), format=ox.RdfFormat.N_TRIPLES))
    return path


def test_partitioned_fast_engine_equals_one_plain_pyshacl_call(records: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = subprocess.run(
        [sys.executable, "-c", PLAIN_PYSHACL, str(records), *map(str, SHAPES)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    expected = Counter(tuple(k) for k in json.loads(plain.stdout))
    monkeypatch.setattr(engine_module, "PARTITION_MIN_TRIPLES", 0)
    monkeypatch.setattr(parallel, "PARTITION_TRIPLES", 300)
    fast = validate(records, shapes=SHAPES, workers=2, engine="fast")
    assert "2 processes" in fast.engine and int(fast.engine.split("(")[1].split()[0]) > 5
    assert Counter(r.key() for r in fast.results) == expected
    assert {r.constraint for r in fast.results} >= {"SPARQLConstraintComponent", "LessThanConstraintComponent"}
    assert len(list(fast.graph.objects(None, __import__("rdflib").SH.result))) == sum(expected.values())


def test_reference_engine_equals_fast_in_process(records: Path) -> None:
    reference = validate(records, shapes=SHAPES, engine="reference")
    fast = validate(records, shapes=SHAPES, engine="fast")
    assert "one process" in fast.engine
    assert [r.key() for r in fast.results] == [r.key() for r in reference.results]
    assert reference.counts["Violation"] > 10


def test_shapes_that_read_backwards_are_not_partitioned(records: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backwards = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <http://data.europa.eu/snb/model/elm/LearningOutcome> ;
          sh:sparql [ sh:message "orphan"@en ;
            sh:select "SELECT $this WHERE { FILTER NOT EXISTS { ?x ?p $this } }" ] .""",
        format="turtle",
    )
    assert "does not start from $this" in (partition_safety(backwards) or "")
    forward = Graph().parse(SHAPES[1])
    assert partition_safety(forward) is None
    monkeypatch.setattr(engine_module, "PARTITION_MIN_TRIPLES", 0)
    report = validate(records, shapes=[backwards], engine="fast")
    assert "does not start from $this" in report.engine and report.counts["Violation"] == 0


def test_vocabularies_in_partitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """References checked against vocabularies loaded once give the same results with and without partitions."""
    from bench.validation_data import vocabulary
    from connector.validation import Vocabularies

    data = [t for t in dataset(16, seed=5, defect_rate=0.5)]
    vocab_subjects = set(vocabulary().triples)
    records = [t for t in data if t.subject not in vocab_subjects]  # the references only, no concept descriptions
    vocabularies = Vocabularies.load(
        [ox.serialize(vocabulary().all_triples(), format=ox.RdfFormat.N_TRIPLES)], "application/n-triples"
    )
    reference = validate(records, shapes=SHAPES, vocabularies=vocabularies, engine="reference")
    monkeypatch.setattr(engine_module, "PARTITION_MIN_TRIPLES", 0)
    monkeypatch.setattr(parallel, "PARTITION_TRIPLES", 300)
    fast = validate(records, shapes=SHAPES, vocabularies=vocabularies, workers=2, engine="fast")
    assert "partitions" in fast.engine
    assert Counter(r.key() for r in fast.results) == Counter(r.key() for r in reference.results)
    without = validate(records, shapes=SHAPES, engine="reference")
    assert without.counts["Violation"] > reference.counts["Violation"]  # unresolved references without them


def test_rust_engine_equals_reference_but_for_ill_formed_durations(records: Path) -> None:
    """shacl-rust gives pyshacl's results (same keys, messages in both languages) except one known gap: it does not
    check the lexical form of xsd:duration literals, so "six mois"^^xsd:duration passes sh:datatype."""
    reference = validate(records, shapes=SHAPES, engine="reference")
    rust = validate(records, shapes=SHAPES, engine="rust")
    assert rust.engine == "shacl-rust"

    def ill_formed_duration(r) -> bool:
        return r.constraint == "DatatypeConstraintComponent" and (r.value or "").endswith("XMLSchema#duration>")

    gap = [r for r in reference.results if ill_formed_duration(r)]
    assert gap, "the data set should hold ill-formed durations"
    assert Counter(r.key() for r in rust.results) == Counter(r.key() for r in reference.results if r not in gap)
    by_key = {r.key(): r.message for r in reference.results}
    shapes_messages = [r for r in rust.results if r.constraint != "SPARQLConstraintComponent"]
    assert [(r.message, by_key[r.key()]) for r in shapes_messages if r.message != by_key[r.key()]] == []
    # pyshacl drops the language tags of a SPARQL constraint's messages; the rust path keeps both languages
    assert all(set(r.message) == {"en", "fr"} for r in rust.results if r.constraint == "SPARQLConstraintComponent")
    assert len(rust.graph) and rust.counts["Violation"] > 10


def test_rust_engine_reports_bad_n_triples_with_the_line() -> None:
    from connector.validation import DataSyntaxError

    bad = b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> oops .\n"
    with pytest.raises(DataSyntaxError) as raised:
        validate(bad, "alignment", media_type="application/n-triples", engine="rust")
    assert raised.value.line == 2
