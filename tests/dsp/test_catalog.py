"""Catalog entries: recorded metadata and VoID counts from the catalog graph; a stale cache refreshes in the
background while the previous entries keep serving."""

from __future__ import annotations

import threading
import time

import pyoxigraph as ox

from connector.config import DspPolicy
from connector.context import Context
from connector.datasets.metadata import set_dataset_properties
from connector.dsp.catalog import VOID_TRIPLES, Catalog, Entry
from connector.dsp.setup import registry_entries
from connector.namespaces import DCAT, DCT


def test_entries_use_recorded_metadata_and_counts(ctx: Context) -> None:
    set_dataset_properties(
        ctx.store,
        ctx.datasets,
        "rome",
        {
            f"{DCAT}version": ox.Literal("460"),
            f"{DCT}modified": ox.Literal("2026-05-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
            VOID_TRIPLES: ox.Literal("123456", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        },
    )
    entries = {e.key: e for e in registry_entries(ctx)}
    assert "provenance" not in entries  # internal
    assert entries["rome"].triples == 123456 and entries["esco"].triples == 0  # recorded, else counted
    catalog = Catalog("did:web:x", "http://x/dsp/2025-1", ctx.minted.policy, ctx.settings.base_iri, lambda: [])
    node = catalog.dataset_json(entries["rome"])
    assert node["dcat:version"] == "460" and node["dct:modified"] == "2026-05-01"
    assert node[VOID_TRIPLES] == 123456


def test_stale_catalog_refreshes_in_the_background() -> None:
    calls, gate = [], threading.Event()
    policy = DspPolicy(id="p", datasets=["d"])

    def load() -> list[Entry]:
        calls.append(1)
        if len(calls) > 1:
            gate.wait(5)  # a slow rebuild
        return [Entry(f"urn:d{len(calls)}", f"d{len(calls)}", "urn:g", {"en": "t"}, {"en": "d"}, (policy,))]

    catalog = Catalog("did:web:x", "http://x/dsp/2025-1", "urn:p/", "https://b/", load, ttl_s=0.0)
    assert [e.key for e in catalog.entries()] == ["d1"]
    assert catalog.find("urn:d1") is catalog.find("d1")  # by IRI or short id
    started = time.monotonic()
    assert [e.key for e in catalog.entries()] == ["d1"]  # stale: served at once, rebuilt in the background
    assert time.monotonic() - started < 1
    gate.set()
    deadline = time.monotonic() + 5
    while (found := catalog.find("d2")) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    # With ttl 0 every look-up starts another rebuild (d3, d4...), so check the one entry found rather than
    # looking it up again.
    assert found is not None and found.id == "urn:d2"
