"""The core entry point: inputs, results, severities, errors, engine paths."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from connector.validation import DataSyntaxError, ShapesError, ValidationTimeout, validate

SHAPES = b"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:S a sh:NodeShape ; sh:targetClass ex:T ;
  sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:message "p is required"@en, "p est requis"@fr ] ;
  sh:property [ sh:path ( ex:q ex:r ) ; sh:datatype xsd:integer ; sh:severity sh:Warning ;
                sh:message "r must be an integer"@en, "r doit etre un entier"@fr ] .
"""
DATA = b"""@prefix ex: <http://ex/> .
ex:a a ex:T .
ex:b a ex:T ; ex:p 1 ; ex:q ex:c . ex:c ex:r "x" .
"""


@pytest.fixture
def shapes(tmp_path: Path) -> Path:
    path = tmp_path / "s.ttl"
    path.write_bytes(SHAPES)
    return path


def _keys(report):
    return {(r.focus_node, r.path, r.severity, r.constraint) for r in report.results}


def test_results_carry_focus_path_value_messages_and_severity(shapes: Path) -> None:
    report = validate(DATA, shapes=[shapes], media_type="text/turtle")
    assert not report.conforms
    assert report.counts == {"Violation": 1, "Warning": 1, "Info": 0}
    violation = next(r for r in report.results if r.severity == "Violation")
    assert violation.focus_node == "http://ex/a" and violation.path == "http://ex/p"
    assert violation.message == {"en": "p is required", "fr": "p est requis"}
    assert violation.source_shape == "http://ex/S / http://ex/p"
    assert violation.constraint == "MinCountConstraintComponent"
    warning = next(r for r in report.results if r.severity == "Warning")
    assert warning.value == '"x"' and warning.path == "(<http://ex/q> / <http://ex/r>)"
    assert warning.text("fr") == "r doit etre un entier"


def test_warnings_alone_conform(shapes: Path) -> None:
    report = validate(DATA.replace(b"ex:a a ex:T .", b""), shapes=[shapes], media_type="text/turtle")
    assert report.conforms and report.counts["Warning"] == 1


def test_every_input_kind_gives_the_same_results(shapes: Path, tmp_path: Path) -> None:
    expected = _keys(validate(DATA, shapes=[shapes], media_type="text/turtle"))
    as_file = tmp_path / "d.ttl"
    as_file.write_bytes(DATA)
    graph = Graph().parse(data=DATA, format="turtle")
    triples = list(ox.parse(DATA, format=ox.RdfFormat.TURTLE))
    for data, media_type in ((as_file, None), (graph, None), (triples, None), (DATA.decode(), "text/turtle")):
        assert _keys(validate(data, shapes=[shapes], media_type=media_type)) == expected


def test_every_engine_path_agrees_with_the_reference(shapes: Path) -> None:
    reference = validate(DATA, shapes=[shapes], media_type="text/turtle", engine="reference")
    fast = validate(DATA, shapes=[shapes], media_type="text/turtle", engine="fast")
    auto = validate(DATA, shapes=[shapes], media_type="text/turtle")
    assert reference.engine == "pyshacl" and fast.engine.startswith("pyshacl-fast")
    assert auto.engine.startswith("hybrid (shacl-rust")
    assert [r.key() for r in fast.results] == [r.key() for r in reference.results]
    assert [r.key() for r in auto.results] == [r.key() for r in reference.results]


def test_unparsable_data_names_the_line(shapes: Path) -> None:
    with pytest.raises(DataSyntaxError) as err:
        validate(
            b"@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b ;;\n", shapes=[shapes], media_type="text/turtle"
        )
    assert err.value.line == 3


def test_ill_formed_shape_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .\n"
        'ex:Broken a sh:NodeShape ; sh:targetClass ex:T ; sh:minCount "many" .\n'
    )
    with pytest.raises(ShapesError, match="http://ex/Broken"):
        validate(DATA, shapes=[bad], media_type="text/turtle")


def test_timeout_stops_the_work(shapes: Path) -> None:
    big = b"@prefix ex: <http://ex/> .\n" + b"".join(b"ex:n%d a ex:T .\n" % i for i in range(20000))
    with pytest.raises(ValidationTimeout):
        validate(big, shapes=[shapes], media_type="text/turtle", engine="reference", timeout_s=0.05)
