"""Record partitions and the forward-read analysis that decides when they are exact."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph

from connector.validation.parallel import partitions
from connector.validation.scope import partition_safety


def n(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"http://ex/{name}")


def t(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(n(s), n(p), n(o))


def test_records_stay_whole_and_shared_nodes_are_copied() -> None:
    triples = [
        t("a", "p", "a1"), t("a1", "q", "shared"), t("shared", "r", "x"),  # record a
        t("b", "p", "b1"), t("b1", "q", "shared"),  # record b reaches the same shared node
        t("c", "hasPart", "c1"), t("c1", "isPartOf", "c"),  # a cycle: no root
    ]  # fmt: skip
    parts = partitions(triples, size=1)
    assert len(parts) == 3
    subjects = [{x.subject.value.rsplit("/", 1)[1] for x in part} for part in parts]
    assert {"a", "a1", "shared"} in subjects and {"b", "b1", "shared"} in subjects and {"c", "c1"} in subjects
    assert sorted(map(str, {x for part in parts for x in part})) == sorted(map(str, triples))


def test_target_nodes_go_into_every_partition() -> None:
    triples = [t("a", "p", "v"), t("b", "p", "w"), t("fixed", "label", "z")]
    parts = partitions(triples, size=1, everywhere=[n("fixed")])
    assert all(t("fixed", "label", "z") in part for part in parts)


def test_sparql_prefix_declarations_are_used_by_the_analysis() -> None:
    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
        ex:p sh:declare [ sh:prefix "ex" ; sh:namespace "http://ex/"^^<http://www.w3.org/2001/XMLSchema#anyURI> ] .
        ex:S a sh:NodeShape ; sh:targetClass ex:T ;
          sh:sparql [ sh:prefixes ex:p ; sh:message "m"@en ; sh:select "SELECT $this WHERE { $this ex:a/ex:b ?x }" ] .
        """,
        format="turtle",
    )
    assert partition_safety(shapes) is None
    shapes.parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
        ex:S2 a sh:NodeShape ; sh:targetClass ex:T ;
          sh:property [ sh:path [ sh:inversePath ex:a ] ; sh:minCount 1 ] .""",
        format="turtle",
    )
    assert partition_safety(shapes) == "sh:inversePath reads backwards from the focus node"
