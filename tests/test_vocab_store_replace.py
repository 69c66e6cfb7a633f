"""The embedded store's replace paths used by the vocabulary loads: straight bulk load into an empty graph, the
in-memory diff applied in one update, and the whole-graph swap for large differences."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from connector.store import embedded
from connector.store.embedded import EmbeddedStore

G = "https://example.org/g"


def triples(n: int, tag: str) -> list[ox.Triple]:
    p = ox.NamedNode("https://example.org/p")
    return [ox.Triple(ox.NamedNode(f"https://example.org/{tag}/{i}"), p, ox.Literal(str(i))) for i in range(n)]


def content(store: EmbeddedStore) -> set[bytes]:
    return set(b"".join(store.export(G)).splitlines())


@pytest.mark.parametrize("diff_limit", [0, embedded.DIFF_LIMIT])
def test_replace_gives_exactly_the_new_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, diff_limit: int) -> None:
    monkeypatch.setattr(embedded, "DIFF_LIMIT", diff_limit)
    store = EmbeddedStore.open(tmp_path / "s")
    assert store.replace_graph(G, triples(50, "a")) == 50  # empty graph: bulk load
    assert store.replace_graph(G, triples(30, "a") + triples(40, "b")) == 70  # diff or swap
    assert content(store) == {f"{t} .".encode() for t in triples(30, "a") + triples(40, "b")}
    assert store.replace_graph(G, triples(30, "a") + triples(40, "b")) == 70  # same content: nothing to do
    assert store.graphs() == [G]
    store.close()


def test_failed_first_load_leaves_no_partial_graph(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "s")

    def broken():  # type: ignore[no-untyped-def]
        yield from triples(10, "a")
        raise ValueError("mapping failed half-way")

    with pytest.raises(ValueError):
        store.replace_graph(G, broken())
    assert store.count(G) == 0 and store.graphs() == []
    store.close()
