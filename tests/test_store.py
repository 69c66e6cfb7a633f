"""One test module for both stores: embedded pyoxigraph and a real `oxigraph serve` (see the ``store`` fixture)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from connector.store import GraphStore, QuerySyntaxError, RdfSyntaxError

FIXTURES = Path(__file__).parent / "fixtures"
G1 = "https://example.org/graph/one"
G2 = "https://example.org/graph/two"


def triples(n: int, tag: str = "v") -> list[ox.Triple]:
    p = ox.NamedNode("https://example.org/p")
    return [ox.Triple(ox.NamedNode(f"https://example.org/s{i}"), p, ox.Literal(f"{tag}{i}")) for i in range(n)]


def test_replace_from_file_and_count(store: GraphStore) -> None:
    assert store.replace_graph(G1, FIXTURES / "small.ttl") == 11
    assert store.count(G1) == 11
    assert store.graphs() == [G1]
    assert store.count() == 11


def test_replace_is_a_replacement_not_an_addition(store: GraphStore) -> None:
    store.replace_graph(G1, triples(10, "a"))
    store.replace_graph(G1, triples(3, "b"))
    rows = store.select(f"SELECT ?o WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }} ORDER BY ?o")
    assert [r["o"] for r in rows] == ["b0", "b1", "b2"]


def test_replace_without_count_loads_the_same(store: GraphStore) -> None:
    """A caller that knows the size skips the count; first load and replacement alike."""
    assert store.replace_graph(G1, triples(10, "a"), count=False) is None
    assert store.count(G1) == 10
    assert store.replace_graph(G1, triples(4, "b"), count=False) is None
    assert store.count(G1) == 4


def test_add_to_graph_and_bytes(store: GraphStore) -> None:
    store.add_to_graph(G1, triples(2))
    count = store.add_to_graph(G1, b'<https://example.org/x> <https://example.org/p> "x" .\n', "application/n-triples")
    assert count == 3


def test_failed_load_leaves_old_graph(store: GraphStore) -> None:
    store.replace_graph(G1, triples(5))
    with pytest.raises(RdfSyntaxError):
        store.replace_graph(G1, b"<https://example.org/a> <broken", "text/turtle")
    assert store.count(G1) == 5
    assert store.graphs() == [G1]  # no staging graph left visible


def test_query_dataset_is_restricted_to_given_graphs(store: GraphStore) -> None:
    store.replace_graph(G1, triples(2, "one"))
    store.replace_graph(G2, triples(3, "two"))
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert store.select(q, named_graphs=[G1])[0]["n"] == 2
    assert store.select(q)[0]["n"] == 5
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert store.select(union, named_graphs=[G2], union_default_graph=True)[0]["n"] == 3
    assert store.select(union, default_graphs=[G1, G2])[0]["n"] == 5
    assert store.ask(f"ASK {{ GRAPH <{G2}> {{ ?s ?p 'two1' }} }}", named_graphs=[G2])
    assert not store.ask(f"ASK {{ GRAPH <{G2}> {{ ?s ?p 'two1' }} }}", named_graphs=[G1])


def test_construct_and_export(store: GraphStore) -> None:
    store.replace_graph(G1, FIXTURES / "small.ttl")
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert result.kind == "construct"
    assert len(list(ox.parse(result.read(), ox.RdfFormat.N_TRIPLES))) == 11
    exported = b"".join(store.export(G1, "text/turtle"))
    assert len(list(ox.parse(exported, ox.RdfFormat.TURTLE))) == 11


def test_select_in_other_result_formats(store: GraphStore) -> None:
    store.replace_graph(G1, triples(2))
    csv = store.query(
        f"SELECT ?o WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }} ORDER BY ?o", result_media_type="text/csv"
    ).read()
    assert csv.decode().splitlines() == ["o", "v0", "v1"]
    ask = store.query("ASK { }", result_media_type="application/sparql-results+json")
    assert ask.kind == "ask" and json.loads(ask.read())["boolean"] is True


def test_malformed_query_raises_syntax_error(store: GraphStore) -> None:
    with pytest.raises(QuerySyntaxError):
        store.query("SELECT WHERE {")


def test_drop_graph(store: GraphStore) -> None:
    store.replace_graph(G1, triples(2))
    store.drop_graph(G1)
    store.drop_graph(G1)  # dropping twice is fine
    assert store.graphs() == []


def test_readers_never_see_a_half_written_graph(store: GraphStore) -> None:
    """While a graph is replaced again and again, every read sees the old or the new content, whole."""
    old, new = triples(2000, "old"), triples(3000, "new")
    store.replace_graph(G1, old)
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(store.count(G1))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(6):
            store.replace_graph(G1, new if i % 2 == 0 else old)
    finally:
        stop.set()
        reader.join()
    assert seen <= {2000, 3000}, f"partial graph sizes observed: {sorted(seen - {2000, 3000})[:5]}"


def test_first_load_killed_midway_is_undone_at_next_open(tmp_path: Path) -> None:
    """A process killed while bulk-loading a graph that was empty leaves a marker; the next open empties the graph."""
    from connector.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(tmp_path / "store")
    store.replace_graph(G2, triples(3))
    marker = store._pending_marker(G1)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(G1)  # what _first_load leaves behind when the process dies during the load
    store.add_to_graph(G1, triples(50, "half-loaded"))
    store.close()
    del store
    reopened = EmbeddedStore.open(tmp_path / "store")
    assert reopened.count(G1) == 0 and not marker.exists()
    assert reopened.count(G2) == 3  # other graphs untouched
    generation = reopened.generation
    assert reopened.replace_graph(G1, triples(5)) == 5
    assert reopened.generation > generation  # snapshot readers are told only once the load is complete
    assert not marker.exists()
    reopened.close()


def test_writes_during_a_first_load_do_not_renew_snapshots_until_it_ends(tmp_path: Path) -> None:
    """Another thread writing while a graph is first loaded would make the SPARQL endpoint snapshot the half-loaded
    graph: the generation readers compare moves only once the load is over."""
    from connector.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(tmp_path / "store")
    halfway, resume = threading.Event(), threading.Event()

    def slow_source() -> Iterator[ox.Triple]:
        for i, triple in enumerate(triples(100)):
            if i == 50:
                halfway.set()
                resume.wait(10)
            yield triple

    loader = threading.Thread(target=store.replace_graph, args=(G1, slow_source()))
    loader.start()
    try:
        assert halfway.wait(10)
        before = store.generation
        store.add_to_graph(G2, triples(3))  # e.g. the catalog updated by a contract negotiation meanwhile
        assert store.generation == before
    finally:
        resume.set()
        loader.join()
    assert store.generation > before and store.count(G1) == 100 and store.count(G2) == 3
    store.close()


def test_remote_drops_only_staging_graphs_old_enough_to_be_abandoned(oxigraph) -> None:  # noqa: ANN001
    """A killed process leaves its staging graph on the server; another replica may be loading one right now."""
    import time

    from connector.store import STAGING_PREFIX
    from connector.store.remote import STALE_STAGING_AGE_S, RemoteStore

    store = RemoteStore(oxigraph.query_url, oxigraph.update_url, oxigraph.graph_url)
    store.update("DROP ALL")
    abandoned = f"{STAGING_PREFIX}{int(time.time() - STALE_STAGING_AGE_S - 60)}-dead"
    in_progress = f"{STAGING_PREFIX}{int(time.time() - 60)}-loading"
    for graph in (abandoned, in_progress):
        store.add_to_graph(graph, triples(2))
    store.replace_graph(G1, triples(3))  # every replacement first sweeps abandoned staging graphs
    left = {r["g"] for r in store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert left == {G1, in_progress}
    assert store.graphs() == [G1]
    store.close()


def test_trusted_syntax_skips_only_what_a_strict_parser_already_checked(store: GraphStore) -> None:
    """A mapping job loads text its SHACL gate parsed strictly: the embedded store may then skip IRI validation."""
    bad_iri = b'<https://example.org/a|b> <https://example.org/p> "x" .\n'
    with pytest.raises(RdfSyntaxError):
        store.replace_graph(G1, bad_iri, "application/n-triples")
    good = b'<https://example.org/a> <https://example.org/p> "x"@fr .\n'
    assert store.replace_graph(G1, good, "application/n-triples", trusted_syntax=True) == 1
    with pytest.raises(RdfSyntaxError):  # still N-Triples: a broken line fails the load and keeps the old graph
        store.replace_graph(G1, b"<https://example.org/a> <broken\n", "application/n-triples", trusted_syntax=True)
    assert store.count(G1) == 1


def test_select_rows_are_the_same_through_the_engine_or_sparql_json(tmp_path: Path) -> None:
    """The embedded store reads SELECT rows from the engine's solutions; they must equal what the generic path
    (SPARQL JSON text, used by every store) gives: numbers as numbers, other terms as text, unbound left out."""
    from connector.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(tmp_path / "store")
    store.replace_graph(
        G1,
        b'<https://example.org/a> <https://example.org/n> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        b'<https://example.org/a> <https://example.org/n> "2.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
        b'<https://example.org/a> <https://example.org/l> "chat"@fr .\n'
        b"<https://example.org/b> <https://example.org/l> _:x .\n",
        "application/n-triples",
    )
    query = (
        "SELECT ?s ?n ?l WHERE { ?s ?p ?o "
        "OPTIONAL { ?s <https://example.org/n> ?n } OPTIONAL { ?s <https://example.org/l> ?l } }"
    )
    rows = store.select(query, default_graphs=[G1])
    assert rows == GraphStore.select(store, query, default_graphs=[G1])
    assert {"s": "https://example.org/a", "n": 7, "l": "chat"} in rows
    assert any(r["s"] == "https://example.org/b" and "n" not in r for r in rows)
    store.close()
