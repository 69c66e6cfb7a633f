"""The few decisions taken on SPARQL text before the engine: SERVICE/LOAD detection, FROM clauses, USING rewriting."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from connector.sparql.lexer import UpdateDatasetConflict, apply_using, declared_dataset, uses_keyword


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }", True),
        ("select * { service silent <http://x/sparql> { ?s ?p ?o } }", True),
        ('SELECT * { ?s ?p "customer SERVICE desk" }', False),
        ("SELECT * { ?s ?p ?o } # SERVICE in a comment", False),
        ("PREFIX service: <http://x/> SELECT * { ?s service:p ?service }", False),
        ("SELECT * { ?s <http://x/SERVICE> ?o }", False),
        ('SELECT * { ?s ?p """a " SERVICE""" . SERVICE <http://x/> { ?a ?b ?c } }', True),
        ("PREFIX ex: <http://x/> SELECT * { ?s ex:a\\#b ?o . SERVICE <http://y/> { ?a ?b ?c } }", True),
    ],
)
def test_service_detection(text: str, found: bool) -> None:
    assert uses_keyword(text, "SERVICE") is found


def test_declared_dataset_resolves_prefixes_and_base() -> None:
    query = """BASE <http://example.org/base/>
    PREFIX g: <http://example.org/graphs/>
    SELECT * FROM g:one FROM <two> FROM NAMED <http://example.org/three> WHERE { ?s ?p "FROM <http://no>" }"""
    dataset = declared_dataset(query)
    assert dataset.default == ["http://example.org/graphs/one", "http://example.org/base/two"]
    assert dataset.named == ["http://example.org/three"]
    assert declared_dataset("SELECT * { ?s ?p ?o }").empty
    construct = "CONSTRUCT { ?s ?p ?o } FROM <http://g> WHERE { ?s ?p ?o }"
    assert declared_dataset(construct).default == ["http://g"]


def _store() -> ox.Store:
    store = ox.Store()
    for g in ("a", "b"):
        store.add(
            ox.Quad(
                ox.NamedNode(f"http://s/{g}"), ox.NamedNode("http://p"), ox.Literal(g), ox.NamedNode(f"http://g/{g}")
            )
        )
    return store


def test_using_parameters_scope_where_clauses() -> None:
    store = _store()
    update = apply_using(
        "PREFIX p: <http://p> INSERT { GRAPH <http://out> { ?s p: ?o } } WHERE { ?s p: ?o } ; "
        "DELETE WHERE { ?s <http://p> ?o }",
        ["http://g/a"],
        [],
    )
    store.update(update)
    out = {q.object.value for q in store.quads_for_pattern(None, None, None, ox.NamedNode("http://out"))}
    assert out == {"a"}
    # DELETE WHERE read only <http://g/a> as its default graph: nothing in the default graph to delete
    assert len(list(store.quads_for_pattern(None, None, None, ox.NamedNode("http://g/a")))) == 1


def test_using_named_and_insert_data_untouched() -> None:
    store = _store()
    update = apply_using(
        'INSERT DATA { <http://x> <http://y> "WHERE" } ; '
        "INSERT { GRAPH <http://out> { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
        [],
        ["http://g/b"],
    )
    assert update.startswith('INSERT DATA { <http://x> <http://y> "WHERE" }')
    store.update(update)
    out = {q.object.value for q in store.quads_for_pattern(None, None, None, ox.NamedNode("http://out"))}
    assert out == {"b"}


@pytest.mark.parametrize(
    "update",
    [
        "WITH <http://g/a> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } USING <http://g/a> WHERE { ?s ?p ?o }",
    ],
)
def test_using_conflicts_with_the_update_dataset(update: str) -> None:
    with pytest.raises(UpdateDatasetConflict):
        apply_using(update, ["http://g/b"], [])
    assert apply_using(update, [], []) == update
