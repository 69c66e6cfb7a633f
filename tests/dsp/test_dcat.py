"""The catalog's DCAT description in the catalog graph: produced from the DSP catalog document, DCAT-AP 3.0 conformant
(the validation service's ``catalog`` profile), replaced (not accumulated) on each publication."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from pyld import jsonld

from connector.context import Context
from connector.datasets.metadata import set_dataset_properties
from connector.datasets.void import refresh_published_void
from connector.dsp.dcat import publish_catalog
from connector.dsp.setup import build_catalog, publish_dcat, registry_entries
from connector.namespaces import DCAT, DCT, ODRL, RDF, VOID, XSD
from connector.pipeline import Stage, StageResult, run_pipeline
from connector.validation import ValidationReport, validate
from tests.dsp.harness import _offline_loader, expand

SMALL = Path(__file__).parent.parent / "fixtures" / "small.ttl"


def _load_rome(ctx: Context) -> None:
    def run(ctx: Context, progress: object) -> StageResult:
        n = ctx.store.replace_graph(ctx.datasets.get("rome").graph, SMALL)
        refresh_published_void(ctx, "rome")  # as the real jobs do after publishing
        return StageResult(n, f"{n} triples")

    run_pipeline(ctx, [Stage(name="rome", dataset="rome", inputs=lambda ctx: [SMALL], run=run)])


def _catalog_graph(ctx: Context) -> bytes:
    return b"".join(ctx.store.export(ctx.datasets.get("catalog").graph))


def _violations(report: ValidationReport) -> list[tuple[str, str | None]]:
    return [(r.focus_node, r.path) for r in report.results if r.severity.endswith("Violation")]


def test_catalog_graph_conforms_to_dcat_ap_and_says_what_the_dsp_catalog_says(ctx: Context) -> None:
    _load_rome(ctx)  # the stage publishes VoID, the pipeline the DCAT description
    data = _catalog_graph(ctx)
    report = validate(data, "catalog", media_type="application/n-triples")
    assert report.conforms and _violations(report) == [], _violations(report)

    graph = ctx.datasets.get("catalog").graph
    document, _ = build_catalog(ctx).page([], 0, 100)
    catalog_iri = document["@id"]
    rows = ctx.store.select(
        f"SELECT ?d WHERE {{ GRAPH <{graph}> {{ <{catalog_iri}> <{DCAT}dataset> ?d . ?d a <{DCAT}Dataset> }} }}"
    )
    listed = {r["d"] for r in rows}
    assert listed == {d["@id"] for d in document["dataset"]}
    for node in document["dataset"]:
        offers = {
            r["o"]
            for r in ctx.store.select(
                f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <{node['@id']}> <{ODRL}hasPolicy> ?o }} }}"
            )
        }
        assert offers == {p["@id"] for p in node["hasPolicy"]}
    # DCAT-AP: the endpoint URL is an IRI here, although the DSP context makes it a literal in the protocol message
    (row,) = ctx.store.select(
        f"SELECT ?u WHERE {{ GRAPH <{graph}> {{ ?s a <{DCAT}DataService> ; <{DCAT}endpointURL> ?u "
        "FILTER(isIRI(?u)) } }"
    )
    assert row["u"] == document["service"][0]["endpointURL"]
    rome = ctx.store.select(
        f"SELECT ?t ?title WHERE {{ GRAPH <{graph}> {{ <{ctx.minted.dataset}rome> <{VOID}triples> ?t ; "
        f"<{DCT}title> ?title ; <{DCT}publisher>/<http://xmlns.com/foaf/0.1/name> ?n }} }}"
    )
    assert {r["t"] for r in rome} == {11} and len({r["title"] for r in rome}) == 2  # en + fr


def test_the_protocol_message_keeps_the_literal_endpoint_url_the_only_dcat_ap_violation(ctx: Context) -> None:
    """Why the catalog graph corrects the DSP document: expanded as the TCK does, the message itself breaks exactly
    one DCAT-AP rule (``dcat:endpointURL`` must be an IRI) and nothing else."""
    document, _ = build_catalog(ctx).page([], 0, 100)
    (node,) = expand(document)
    (service,) = node[f"{DCAT}service"]
    assert service[f"{DCAT}endpointURL"] == [{"@value": document["service"][0]["endpointURL"]}]
    nquads = jsonld.to_rdf(document, {"documentLoader": _offline_loader, "format": "application/n-quads"})
    report = validate(nquads.encode(), "catalog", media_type="application/n-triples")
    assert set(_violations(report)) == {(document["service"][0]["@id"], f"{DCAT}endpointURL")}


def test_publication_replaces_itself_and_keeps_job_metadata(ctx: Context) -> None:
    modified = ox.Literal("2026-05-01T10:00:00Z", datatype=ox.NamedNode(f"{XSD}dateTime"))
    set_dataset_properties(ctx.store, ctx.datasets, "rome", {f"{DCT}modified": modified})
    before = {e.key: e.metadata for e in registry_entries(ctx)}
    written = publish_dcat(ctx)
    graph = ctx.datasets.get("catalog").graph
    size = ctx.store.count(graph)
    assert written > 0 and size >= written
    publish_dcat(ctx)
    publish_dcat(ctx)
    assert ctx.store.count(graph) == size  # replaced, not accumulated (skolem IRIs included)
    # the publication is not read back as job metadata (no feedback into the DSP document)
    assert {e.key: e.metadata for e in registry_entries(ctx)} == before
    assert before["rome"][f"{DCT}modified"] == ["2026-05-01T10:00:00Z"]
    types = {
        r["t"]
        for r in ctx.store.select(
            f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ <{ctx.minted.dataset}rome> <{RDF}type> ?t }} }}"
        )
    }
    assert types == {f"{DCAT}Dataset"}
    # a dataset that leaves the catalog leaves the graph with the next publication
    catalog = build_catalog(ctx, lambda: [e for e in registry_entries(ctx) if e.key != "rome"])
    publish_catalog(ctx.store, graph, catalog)
    left = ctx.store.select(f"SELECT ?p WHERE {{ GRAPH <{graph}> {{ <{ctx.minted.dataset}rome> ?p ?o }} }}")
    assert {r["p"] for r in left} == {f"{DCT}modified"}
