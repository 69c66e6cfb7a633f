from __future__ import annotations

import pyoxigraph as ox

from connector.context import Context
from connector.datasets.metadata import get_dataset_properties, set_dataset_properties
from connector.namespaces import DCT, OWL, VOID


def test_properties_are_replaced_per_predicate(ctx: Context) -> None:
    set_dataset_properties(
        ctx.store, ctx.datasets, "rome", {OWL + "versionInfo": ox.Literal("v459"), VOID + "triples": ox.Literal("1")}
    )
    set_dataset_properties(
        ctx.store,
        ctx.datasets,
        "rome",
        {OWL + "versionInfo": ox.Literal("v460"), DCT + "subject": [ox.NamedNode("https://e.org/a"), ox.Literal("b")]},
    )
    props = get_dataset_properties(ctx.store, ctx.datasets, "rome")
    assert props[OWL + "versionInfo"] == ["v460"]
    assert props[VOID + "triples"] == ["1"]
    assert sorted(props[DCT + "subject"]) == ["b", "https://e.org/a"]
    assert get_dataset_properties(ctx.store, ctx.datasets, "esco") == {}
