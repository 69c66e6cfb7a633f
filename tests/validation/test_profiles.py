"""The profiles in shapes/: headers, bilingual messages, deliberate severities, and known-defect files."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal

from connector.validation import ProfileRegistry, ShapesError, UnknownProfile, list_profiles, validate
from connector.validation.profiles import DEFAULT_SHAPES_DIR
from connector.validation.report import SH

DATA = Path(__file__).parent / "data"
OURS = {"elm-loq", "rome", "esco", "alignment", "catalog", "provenance"}
RESULT_PARAMETERS = {
    SH[n]
    for n in [
        "class",
        "datatype",
        "nodeKind",
        "minCount",
        "maxCount",
        "minInclusive",
        "maxInclusive",
        "minExclusive",
        "maxExclusive",
        "minLength",
        "maxLength",
        "pattern",
        "languageIn",
        "uniqueLang",
        "equals",
        "disjoint",
        "lessThan",
        "lessThanOrEquals",
        "not",
        "and",
        "or",
        "xone",
        "node",
        "qualifiedValueShape",
        "closed",
        "hasValue",
        "in",
        "sparql",
    ]
}


def test_profiles_are_listed_with_versions_titles_and_descriptions() -> None:
    profiles = {p.name: p for p in list_profiles()}
    assert set(profiles) >= OURS
    for name in OURS:
        p = profiles[name]
        assert p.iri == f"https://w3id.org/gen-skills/shapes/{name}"
        assert p.version and p.title.get("en") and p.title.get("fr") and p.description.get("en")


@pytest.mark.parametrize("name", sorted(OURS))
def test_every_result_producing_shape_has_en_fr_message_and_severity(name: str) -> None:
    """Shapes that report results themselves (own constraints) say why in English and French, at a chosen level."""
    graph = Graph().parse(DEFAULT_SHAPES_DIR / f"{name}.ttl")
    shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.objects(None, SH.property))
    missing = []
    for shape in shapes:
        if not any((shape, p, None) in graph for p in RESULT_PARAMETERS):
            continue
        langs = {m.language for m in graph.objects(shape, SH.message) if isinstance(m, Literal)}
        if not {"en", "fr"} <= langs or graph.value(shape, SH.severity) is None:
            missing.append(shape)
    assert not missing, f"{len(missing)} shapes without EN/FR message or severity, e.g. {missing[:3]}"


def _found(report) -> set[tuple[str, str | None, str, str]]:
    return {
        (
            r.focus_node.rsplit("/", 1)[-1],
            (r.path or "").rsplit("/", 1)[-1].rsplit("#", 1)[-1],
            r.constraint,
            r.severity,
        )
        for r in report.results
    }


EXPECTED = {
    "elm-loq": {
        ("lo2", "title", "MinCountConstraintComponent", "Violation"),
        ("lo2", "duration", "DatatypeConstraintComponent", "Violation"),
        ("lo2", "internalCode", "ClosedConstraintComponent", "Violation"),
        ("lo2", "learningAchievementSpecification", "MinCountConstraintComponent", "Violation"),
        ("web2", "contentUrl", "MinCountConstraintComponent", "Violation"),
    },
    "rome": {
        ("Z1805", "notation", "PatternConstraintComponent", "Violation"),
        ("M1855", "prefLabel", "UniqueLangConstraintComponent", "Violation"),
        ("38745", "broader", "ClassConstraintComponent", "Violation"),
    },
    "esco": {
        ("f2b15a0e-e65a-438a-affb-29b9d50b77d1", "prefLabel", "QualifiedMinCountConstraintComponent", "Violation"),
        ("f2b15a0e-e65a-438a-affb-29b9d50b77d1", "relatedEssentialSkill", "ClassConstraintComponent", "Violation"),
    },
    "alignment": {
        ("m2", "confidence", "MaxInclusiveConstraintComponent", "Violation"),
        ("m3", "annotatedProperty", "InConstraintComponent", "Violation"),
        ("m4", "mapping_justification", "MinCountConstraintComponent", "Violation"),
    },
    "catalog": {
        ("rome", "description", "MinCountConstraintComponent", "Violation"),
        ("rome", "contactPoint", "MinCountConstraintComponent", "Warning"),
        ("rome-nt", "accessURL", "MinCountConstraintComponent", "Violation"),
    },
    "provenance": {
        ("job-2", "startedAtTime", "LessThanOrEqualsConstraintComponent", "Violation"),
        ("urn:gsc:src:43", "source", "MinCountConstraintComponent", "Violation"),
    },
}


RUST_QUALIFIED_LITERALS = pytest.mark.xfail(
    strict=True,
    reason="shacl-rust counts no literal value as conforming to a sh:qualifiedValueShape (e.g. "
    '[ sh:languageIn ("fr") ] on "x"@fr), so the French-prefLabel rule reports every concept',
)


def _engines(name: str) -> list:
    rust_marks = [RUST_QUALIFIED_LITERALS] if name in ("rome", "esco") else []
    return [
        pytest.param(name, "auto", id=f"{name}-auto"),
        pytest.param(name, "fast", id=f"{name}-fast"),
        pytest.param(name, "rust", id=f"{name}-rust", marks=rust_marks),
    ]


@pytest.mark.parametrize(("name", "engine"), [p for name in sorted(EXPECTED) for p in _engines(name)])
def test_known_defects_are_found_and_only_them(name: str, engine: str) -> None:
    file = DATA / ("partner-elm-defects.ttl" if name == "elm-loq" else f"{name}-defects.ttl")
    report = validate(file, name, engine=engine)  # type: ignore[arg-type]
    assert not report.conforms
    assert _found(report) == EXPECTED[name]
    assert all(r.message.get("en") and r.message.get("fr") for r in report.results)


@pytest.mark.parametrize("engine", ["auto", "rust"])
def test_partner_elm_data_conforms_to_the_plain_elm_profile(engine: str) -> None:
    report = validate(DATA / "partner-elm-ok.ttl", "elm-loq", engine=engine)  # type: ignore[arg-type]
    assert report.conforms and report.results == []


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProfile) as err:
        validate(DATA / "partner-elm-ok.ttl", "no-such-profile")
    assert "elm-loq" in str(err.value) and "rome" in err.value.known


def test_imports_are_merged_and_ill_formed_profiles_are_named(tmp_path: Path) -> None:
    (tmp_path / "base.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ex: <http://ex/> .\n"
        '<https://w3id.org/gen-skills/shapes/base> a owl:Ontology ; owl:versionInfo "1" .\n'
        "ex:A a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .\n"
    )
    (tmp_path / "child.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ex: <http://ex/> .\n"
        '<https://w3id.org/gen-skills/shapes/child> a owl:Ontology ; owl:versionInfo "2" ;\n'
        "  owl:imports <https://w3id.org/gen-skills/shapes/base> .\n"
        "ex:B a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:q ; sh:maxCount 0 ] .\n"
    )
    registry = ProfileRegistry(tmp_path)
    report = validate(
        b"<http://ex/a> a <http://ex/T> ; <http://ex/q> 1 .", "child", media_type="text/turtle", registry=registry
    )
    assert {r.constraint for r in report.results} == {"MinCountConstraintComponent", "MaxCountConstraintComponent"}
    assert report.profile == "child" and report.profile_version == "2"

    (tmp_path / "broken.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ex: <http://ex/> .\n"
        '<https://w3id.org/gen-skills/shapes/broken> a owl:Ontology ; owl:versionInfo "1" .\n'
        'ex:Bad a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ; sh:minCount "x", "y" ] .\n'
    )
    with pytest.raises(ShapesError, match="http://ex/Bad"):
        validate(b"", "broken", media_type="text/turtle", registry=registry)

    (tmp_path / "orphan.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        '<https://w3id.org/gen-skills/shapes/orphan> a owl:Ontology ; owl:versionInfo "1" ;\n'
        "  owl:imports <http://example.org/not-a-profile> .\n"
    )
    (tmp_path / "headless.ttl").write_text("@prefix ex: <http://ex/> . ex:a ex:b ex:c .\n")
    assert {p.name for p in registry.list()} == {"base", "child", "broken"}
    assert set(registry.broken()) == {"orphan", "headless"}
    with pytest.raises(ShapesError, match="not-a-profile"):
        validate(b"", "orphan", media_type="text/turtle", registry=registry)
