"""The hybrid engine (``auto``) gives exactly the results of one plain pyshacl call.

The differential corpus crosses every core constraint component (directly and nested in ``sh:node``, ``sh:or``,
``sh:not``, ``sh:xone``) with values chosen where shacl-rust and pyshacl part: ill-typed literals, non-canonical
lexical forms, language-tag case, line breaks, characters the two regex dialects classify differently, literals as
values of ``sh:node`` and ``sh:qualifiedValueShape``. shacl-rust alone must differ from the reference on it (so the
corpus does reach the gaps) and the hybrid engine must not.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef

from bench.validation_data import DEFECTS, dataset, vocabulary
from connector.validation import Vocabularies, validate
from connector.validation.engine import default_registry
from connector.validation.hybrid import normalise, plan_for, portable_pattern, risky_text

DATA = Path(__file__).parent / "data"
X = "http://www.w3.org/2001/XMLSchema#"
NT = "application/n-triples"


def _lit(value: str, datatype: str | None = None, lang: str | None = None) -> str:
    if lang:
        return f'"{value}"@{lang}'
    return f'"{value}"^^<{X}{datatype}>' if datatype else f'"{value}"'


VALUES = [
    *(_lit(v, "integer") for v in ("1", "01", "+1", "-5", "abc", "1.5")),
    *(_lit(v, "decimal") for v in ("1.50", "1", "abc")),
    *(_lit(v, "double") for v in ("1e0", "INF", "x")),
    *(_lit(v, "boolean") for v in ("1", "true", "TRUE")),
    *(_lit(v, "date") for v in ("2020-01-01", "2020-01-01Z", "2020-13-01")),
    *(_lit(v, "dateTime") for v in ("2020-01-01T10:00:00", "2020-01-01T10:00:00Z", "2020-01-01T25:00:00")),
    *(_lit(v, "duration") for v in ("P1Y", "PT10H", "six mois", "P0D")),
    _lit("2020", "gYear"),
    _lit("20x", "gYear"),
    _lit("300", "byte"),
    _lit("-1", "nonNegativeInteger"),
    _lit("abc", "hexBinary"),
    _lit("0F", "hexBinary"),
    _lit("http://a/b", "anyURI"),
    '"v"^^<http://ex/dt>',
    *(
        _lit(v)
        for v in ("abc", "abc\\n", "ab\\nc", "", "12", "caf\u00e9", "cafe\u0301", "x\u00b2", "a\u203fb", "\u017f")
    ),
    _lit("chat", lang="fr"),
    _lit("chat", lang="FR"),
    _lit("x", lang="en-US"),
    _lit("x", lang="en"),
    "<http://ex/iri1>",
    "<http://ex/caf\u00e9>",
    "<http://ex/e\u0301>",
]
COMPONENTS = [
    *(f"sh:datatype xsd:{d}" for d in ("integer", "decimal", "boolean", "date", "dateTime", "duration", "string")),
    *(f"sh:datatype xsd:{d}" for d in ("gYear", "byte", "nonNegativeInteger", "hexBinary", "anyURI")),
    "sh:datatype rdf:langString",
    *(f"sh:{c} {b}" for c in ("minInclusive", "maxExclusive") for b in ("1", '"2020-01-01"^^xsd:date', '"b"')),
    "sh:minLength 2",
    "sh:maxLength 2",
    'sh:pattern "^[0-9]+$"',
    'sh:pattern "c$"',
    'sh:pattern "^CHAT$" ; sh:flags "i"',
    'sh:pattern "^.*$" ; sh:flags "s"',
    'sh:pattern "\\\\w+$"',
    'sh:pattern "^\\\\w+$"',
    'sh:pattern "(?=a)"',
    'sh:pattern "b" ; sh:flags "x"',
    'sh:languageIn ("fr")',
    'sh:languageIn ("en")',
    'sh:in (1 "abc" "chat"@fr ex:iri1 "1"^^xsd:decimal true "2020-01-01"^^xsd:date)',
    'sh:hasValue "abc"',
    "sh:equals ex:q",
    "sh:disjoint ex:q",
    "sh:nodeKind sh:Literal",
    "sh:nodeKind sh:IRI",
    "sh:class ex:C",
    "sh:node [ sh:datatype xsd:integer ]",
    "sh:qualifiedValueShape [ sh:datatype xsd:integer ] ; sh:qualifiedMinCount 1",
]
PROPERTY_ONLY = ["sh:lessThan ex:q", "sh:maxCount 1"]
NESTED = [
    "sh:datatype xsd:integer",
    "sh:datatype xsd:duration",
    'sh:pattern "^\\\\w+$"',
    'sh:languageIn ("fr")',
    'sh:in (1 "abc" "chat"@fr ex:iri1 "1"^^xsd:decimal true "2020-01-01"^^xsd:date)',
    "sh:equals ex:q",
    "sh:disjoint ex:q",
    "sh:node [ sh:datatype xsd:integer ]",
]
"""Components also checked nested in each wrapper (all of them directly)."""
WRAPPERS = ["{}", "sh:or ( [ {} ] [ sh:hasValue ex:never ] )", "sh:not [ {} ]", "sh:xone ( [ {} ] )"]
PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""


def _corpus() -> tuple[bytes, Graph]:
    """Every value on its own focus node (with a second property for the pair constraints), every component wrapped
    every way in one shape per wrapper (one validation run each side)."""
    lines = []
    for i, value in enumerate(VALUES):
        for j, other in enumerate((_lit("2", "integer"),) if i % 2 else (_lit("abc"),)):
            node = f"<http://ex/f{i}_{j}>"
            lines += [f"{node} a <http://ex/T> .", f"{node} <http://ex/p> {value} .", f"{node} <http://ex/q> {other} ."]
    lines += [f"<http://ex/two{i}> a <http://ex/T> ; <http://ex/p> {VALUES[i]}, {VALUES[i + 1]} ." for i in range(12)]
    shapes = PREFIXES
    for w, wrapper in enumerate(WRAPPERS):
        components = COMPONENTS + PROPERTY_ONLY if wrapper == "{}" else NESTED
        parts = [f"sh:property [ sh:path ex:p ; {wrapper.format(c)} ]" for c in components]
        shapes += f"ex:S{w} a sh:NodeShape ; sh:targetClass ex:T ;\n  " + " ;\n  ".join(parts) + " .\n"
    data = Graph().parse(data=PREFIXES + "\n".join(lines), format="turtle")  # only to check the corpus parses
    assert len(data) > 150
    nt = ox.serialize(ox.parse(("\n".join(lines)).encode(), format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
    return nt, Graph().parse(data=shapes, format="turtle")


@pytest.fixture(scope="module")
def corpus() -> tuple[bytes, Graph, Counter]:
    nt, shapes = _corpus()
    reference = validate(nt, shapes=[shapes], media_type=NT, engine="reference")
    return nt, shapes, Counter(r.key() for r in reference.results)


def test_hybrid_equals_the_reference_on_the_differential_corpus(corpus) -> None:
    nt, shapes, expected = corpus
    hybrid = validate(nt, shapes=[shapes], media_type=NT)
    assert hybrid.engine.startswith("hybrid (shacl-rust; ") and "risky nodes by pyshacl" in hybrid.engine
    assert Counter(r.key() for r in hybrid.results) == expected
    assert sum(expected.values()) > 2000


def test_shacl_rust_alone_differs_on_the_corpus(corpus) -> None:
    """The corpus reaches each gap the hybrid engine closes (else the test above would prove nothing)."""
    nt, shapes, expected = corpus
    rust = Counter(r.key() for r in validate(nt, shapes=[shapes], media_type=NT, engine="rust").results)
    differing = {(k[4].split(" / ")[-1], k[5]) for k in (expected - rust) + (rust - expected)}
    components = {c for _, c in differing}
    assert {"DatatypeConstraintComponent", "NodeConstraintComponent", "PatternConstraintComponent"} <= components
    assert {"QualifiedMinCountConstraintComponent", "MinInclusiveConstraintComponent"} <= components


def test_every_gen_defect_kind_gives_the_reference_results() -> None:
    """The GEN profile (LOQ + GEN rules) with the vocabularies loaded once, on generated trainings carrying every
    defect kind of the generator (ill-formed durations, reversed sessions, unknown ROME/ESCO concepts...)."""
    triples = dataset(len(DEFECTS) + 2, seed=4, defect_rate=1.0)
    vocab_subjects = set(vocabulary().triples)
    records = [t for t in triples if t.subject not in vocab_subjects] + _more_gen_defects()
    vocabularies = Vocabularies.load(
        [ox.serialize(vocabulary().all_triples(), format=ox.RdfFormat.N_TRIPLES)], "application/n-triples"
    )
    reference = validate(records, "gen-training", vocabularies=vocabularies, engine="reference")
    hybrid = validate(records, "gen-training", vocabularies=vocabularies)
    assert "shapes by pyshacl" in hybrid.engine and "risky nodes by pyshacl" in hybrid.engine
    assert Counter(r.key() for r in hybrid.results) == Counter(r.key() for r in reference.results)
    found = {r.constraint for r in reference.results if r.severity == "Violation"}
    assert {"DatatypeConstraintComponent", "LessThanConstraintComponent", "NodeConstraintComponent"} <= found
    assert {"PatternConstraintComponent", "MinCountConstraintComponent", "ClosedConstraintComponent"} <= found
    assert {"ClassConstraintComponent", "NodeKindConstraintComponent"} <= found
    violated = {r.source_shape for r in reference.results if r.severity == "Violation"}
    for rule in ("OpportunityShape", "PeriodShape", "GeometryShape", "SiretShape", "TargetedJobsShape", "OutcomeShape"):
        assert any(f"gen-training#{rule}" in name for name in violated), rule
    by_key = {r.key(): r.message for r in reference.results}
    assert all(r.message == by_key[r.key()] for r in hybrid.results)


def _more_gen_defects() -> list[ox.Triple]:
    """GEN rule breaches the generator does not make: a 13-digit SIRET, a zero duration, an ESCO occupation that is
    not one, an unknown ROME competence, a ROME code given as a literal (a literal through sh:node), an ill-typed
    session date and a title with a line break."""
    base, elm = "https://w3id.org/gen-skills/", "http://data.europa.eu/snb/model/elm/"

    def t(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(ox.NamedNode(base + s), ox.NamedNode(p), o)

    date = ox.NamedNode(X + "date")
    return [
        t("gen/organisation/10000000000000#siret", "http://www.w3.org/2004/02/skos/core#notation", ox.Literal("1234")),
        t("gen/training/1", elm + "duration", ox.Literal("P0D", datatype=ox.NamedNode(X + "duration"))),
        t(
            "gen/training/1#entitlement",
            elm + "limitOccupation",
            ox.NamedNode("http://data.europa.eu/esco/occupation/x"),
        ),
        t("gen/training/2#outcome-1", elm + "relatedSkill", ox.NamedNode(base + "rome/competence/999999999")),
        t("gen/training/2#entitlement", elm + "limitNationalOccupation", ox.Literal("M1805")),
        t("gen/training/3#session-1-period", elm + "startDate", ox.Literal("2024-13-45", datatype=date)),
        t("gen/training/3", "http://purl.org/dc/terms/title", ox.Literal("Titre\nsur deux lignes", language="fr")),
    ]


@pytest.mark.parametrize("profile", ["rome", "esco", "alignment", "provenance", "catalog"])
def test_profiles_with_qualified_shapes_and_comparisons_give_the_reference_results(profile: str) -> None:
    file = DATA / f"{profile}-defects.ttl"
    reference = validate(file, profile, engine="reference")
    hybrid = validate(file, profile)
    assert hybrid.engine.startswith("hybrid")
    assert Counter(r.key() for r in hybrid.results) == Counter(r.key() for r in reference.results)


def test_small_data_keeps_the_shapes_it_can_trigger_and_target_nodes() -> None:
    """Small data gets only the shapes it can trigger; a sh:targetNode shape applies even to a node the data does
    not mention."""
    shapes = Graph().parse(
        data=PREFIXES
        + """ex:Absent a sh:NodeShape ; sh:targetNode ex:absent ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
        ex:Other a sh:NodeShape ; sh:targetClass ex:Other ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
        ex:T1 a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:q ; sh:minCount 1 ] .""",
        format="turtle",
    )
    data = b"<http://ex/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex/T> .\n"
    reference = validate(data, shapes=[shapes], media_type=NT, engine="reference")
    hybrid = validate(data, shapes=[shapes], media_type=NT)
    assert hybrid.engine == "hybrid (shacl-rust)"
    assert sorted(r.key() for r in hybrid.results) == sorted(r.key() for r in reference.results)
    assert {r.focus_node for r in reference.results} == {"http://ex/absent", "http://ex/a"}
    plan = plan_for(shapes)
    text = plan.rust_text_for(list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES)))
    assert "http://ex/Other" not in text and "http://ex/absent" in text and "http://ex/T1" in text


def test_the_plan_names_what_pyshacl_validates() -> None:
    plan = plan_for(default_registry().shapes_graph("gen-training"))
    period = "https://w3id.org/gen-skills/shapes/gen-training#PeriodShape"
    assert plan.reasons == {period: "value comparison"}
    assert plan.unsafe is None
    assert ox.NamedNode("http://data.europa.eu/snb/model/elm/limitNationalOccupation") in plan.literal_predicates
    assert (URIRef(period), None, None) not in plan.rust_shapes and (URIRef(period), None, None) in plan.pyshacl_shapes
    # line breaks in concept definitions do not reach a pattern: the trainings linking to them stay with shacl-rust
    assert plan.pattern_predicates is not None
    assert ox.NamedNode("http://www.w3.org/2004/02/skos/core#definition") not in plan.pattern_predicates
    assert ox.NamedNode("http://www.w3.org/ns/locn#geometry") not in plan.pattern_predicates
    assert ox.NamedNode("http://data.europa.eu/m8g/latitude") in plan.pattern_predicates
    rome = plan_for(default_registry().shapes_graph("rome"))
    assert "sh:qualifiedValueShape (shacl-rust never matches literals there)" in rome.reasons.values()


@pytest.mark.parametrize(
    ("pattern", "flags", "portable"),
    [
        ("^[0-9]{14}$", None, True),
        ("^-?(90(\\.0+)?|[1-8]?[0-9](\\.[0-9]+)?)$", None, True),
        ("(?i)^(http|https):(//(([^@\\[/?#]*)@)?)", None, True),
        ("\\w+\\s\\d", "i", True),
        ("(?=a)", None, False),
        ("(a)\\1", None, False),
        ("(?P<x>a)", None, False),
        ("[[:alpha:]]", None, False),
        ("[a&&b]", None, False),
        ("a{,3}", None, False),
        ("b", "x", False),
        ("[]a]", None, False),
    ],
)
def test_portable_patterns(pattern: str, flags: str | None, portable: bool) -> None:
    assert portable_pattern(pattern, flags) is portable


def test_risky_values_and_normalised_literals() -> None:
    assert not risky_text("Développeur d’applications « web »")  # accents and French punctuation are safe
    assert risky_text("a\n") and risky_text("cafe\u0301") and risky_text("x\u00b2") and risky_text("\u017f")
    s = ox.NamedNode("http://ex/s")
    p = ox.NamedNode("http://ex/p")
    triples = [
        ox.Triple(s, p, ox.Literal("01", datatype=ox.NamedNode(X + "integer"))),
        ox.Triple(s, p, ox.Literal("1", datatype=ox.NamedNode(X + "integer"))),
        ox.Triple(ox.NamedNode("http://ex/t"), p, ox.Literal("six mois", datatype=ox.NamedNode(X + "duration"))),
    ]
    text = ox.Triple(ox.NamedNode("http://ex/u"), ox.NamedNode("http://ex/note"), ox.Literal("line\nbreak"))
    data, risky = normalise([*triples, text])
    assert len(data) == 3  # "01" and "1" are one rdflib term
    assert data[0].object == ox.Literal("1", datatype=ox.NamedNode(X + "integer"))
    assert risky == {ox.NamedNode("http://ex/t"), ox.NamedNode("http://ex/u")}  # any predicate may reach a pattern
    _, risky = normalise([*triples, text], pattern_predicates={p})
    assert risky == {ox.NamedNode("http://ex/t")}  # ex:note reaches none
