"""GraphFeed: a graph replaced from chunks produced while the load runs, all or nothing, on both stores."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from connector.store import GraphStore, RdfSyntaxError
from connector.store.feed import FeedFailed, GraphFeed

G = "https://example.org/graph/fed"
OTHER = "https://example.org/graph/other"


def lines(start: int, stop: int, tag: str = "v") -> bytes:
    return "".join(
        f'<https://example.org/s{i}> <https://example.org/p> "{tag}{i}" .\n' for i in range(start, stop)
    ).encode()


def test_chunks_written_while_loading_become_the_graph(store: GraphStore) -> None:
    feed = GraphFeed(store, G, queued_chunks=2)
    for start in range(0, 5000, 500):  # more chunks than the queue holds: the producer waits for the load
        feed.write(lines(start, start + 500))
    feed.write(lines(0, 10))  # duplicates are stored once
    assert feed.finish() == 5000
    assert store.count(G) == 5000
    feed.abort()  # after finish: nothing happens
    assert store.count(G) == 5000


def test_an_uncounted_feed_returns_none_and_loads_everything(store: GraphStore) -> None:
    feed = GraphFeed(store, G, count=False)
    feed.write(lines(0, 300))
    assert feed.finish() is None
    assert store.count(G) == 300


def test_abort_leaves_an_empty_graph_empty_and_others_untouched(store: GraphStore) -> None:
    store.replace_graph(OTHER, lines(0, 3), "application/n-triples")
    feed = GraphFeed(store, G)
    feed.write(lines(0, 2000))
    feed.write(b'<https://example.org/half> <https://example.org/p> "no end')  # a cut line, as when a job dies
    feed.abort()
    assert store.count(G) == 0
    assert G not in store.graphs()
    assert store.count(OTHER) == 3


def test_abort_keeps_a_published_graph(store: GraphStore) -> None:
    store.replace_graph(G, lines(0, 7), "application/n-triples")
    feed = GraphFeed(store, G)
    feed.write(lines(100, 200))
    feed.abort()
    assert store.count(G) == 7


def test_abort_before_anything_was_written(store: GraphStore) -> None:
    feed = GraphFeed(store, G)
    feed.abort()
    assert store.count(G) == 0


def test_a_failed_load_is_reported_to_the_producer(store: GraphStore) -> None:
    feed = GraphFeed(store, G, queued_chunks=1)
    with pytest.raises(FeedFailed):  # by a later write once the load stopped reading, or at the latest by finish
        feed.write(b"<https://example.org/a> <broken\n")
        for start in range(0, 20_000, 1000):
            feed.write(lines(start, start + 1000))
        feed.finish()
    feed.abort()
    assert store.count(G) == 0


def test_producer_blocked_on_a_full_queue_is_released_by_a_failing_load(tmp_path: Path) -> None:
    """The load dies while the producer waits for room: the producer gets the error, it does not hang."""
    from connector.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(tmp_path / "store")
    feed = GraphFeed(store, G, queued_chunks=1)
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            feed.write(b"not rdf at all\n")
            for start in range(0, 10**6, 1000):
                feed.write(lines(start, start + 1000))
        except FeedFailed as exc:
            errors.append(exc)

    producer = threading.Thread(target=produce)
    producer.start()
    producer.join(60)
    assert not producer.is_alive() and errors
    feed.abort()
    assert store.count(G) == 0
    store.close()


def test_an_embedded_first_load_reads_its_parts_together_all_or_nothing(tmp_path: Path) -> None:
    from connector.store import Parts
    from connector.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(tmp_path / "store")
    a, b, broken = tmp_path / "a.nt", tmp_path / "b.nt", tmp_path / "broken.nt"
    a.write_bytes(lines(0, 3000))
    b.write_bytes(lines(2000, 5000))  # overlapping lines are stored once
    broken.write_bytes(lines(5000, 6000) + b"<https://example.org/a> <broken\n")
    ended: list[int] = []
    assert store.replace_graph(G, Parts((a, b), ended.append), "application/n-triples") == 5000
    assert sorted(ended) == [0, 1]
    with pytest.raises(RdfSyntaxError):  # into an empty graph: the good part is undone with the broken one
        store.replace_graph(OTHER, Parts((a, broken)), "application/n-triples")
    assert store.count(OTHER) == 0 and OTHER not in store.graphs()
    assert store.count(G) == 5000
    store.close()
