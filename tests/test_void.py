"""VoID statistics of a dataset, written to the catalog graph and served at /.well-known/void."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.context import Context
from connector.datasets.metadata import dataset_iri, get_dataset_properties
from connector.datasets.void import refresh_void
from connector.namespaces import ESCO_DATA, VOID


def _trainings(ctx: Context, skills: int) -> bytes:
    gen, esco = ctx.minted.gen, "http://data.europa.eu/esco/skill/"
    elm = "http://data.europa.eu/snb/model/elm/"
    lines = []
    for t in range(3):
        lines.append(
            f"<{gen}training/{t}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{elm}LearningOpportunity> ."
        )
        lines.append(f'<{gen}training/{t}> <http://purl.org/dc/terms/title> "Training {t}"@fr .')
        for s in range(skills):
            lines.append(f"<{gen}training/{t}> <{elm}learningOutcome> <{esco}s{s}> .")
    return "\n".join(lines).encode()


def test_refresh_void_counts_and_replaces(ctx: Context) -> None:
    graph = ctx.datasets.get("trainings").graph
    ctx.store.replace_graph(graph, _trainings(ctx, 2), "application/n-triples")
    stats = refresh_void(ctx.store, ctx.datasets, "trainings", sparql_endpoint="http://h/sparql")
    assert stats.triples == 12 and stats.entities == 3 and stats.distinct_subjects == 3
    assert stats.classes == {"http://data.europa.eu/snb/model/elm/LearningOpportunity": 3}
    assert stats.links == {("esco", "http://data.europa.eu/snb/model/elm/learningOutcome"): 6}
    props = get_dataset_properties(ctx.store, ctx.datasets, "trainings")
    assert props[f"{VOID}triples"] == [12] and props[f"{VOID}classes"] == [1]

    ctx.store.replace_graph(graph, _trainings(ctx, 4), "application/n-triples")
    refresh_void(ctx.store, ctx.datasets, "trainings")
    props = get_dataset_properties(ctx.store, ctx.datasets, "trainings")
    assert props[f"{VOID}triples"] == [18], "the previous figures must be replaced, not added to"
    catalog = ctx.datasets.get("catalog").graph
    linksets = ctx.store.select(f"SELECT ?n {{ GRAPH <{catalog}> {{ ?l a <{VOID}Linkset> ; <{VOID}triples> ?n }} }}")
    assert linksets == [{"n": 12}]


def test_links_are_counted_per_target_dataset(ctx: Context) -> None:
    graph = ctx.datasets.get("job-sheets").graph
    sheet, rome, esco = f"{ctx.minted.gen}job-sheet/1", f"{ctx.minted.rome}fiche/M1805", f"{ESCO_DATA}skill/s1"
    data = (
        f"<{sheet}> <https://x/fiche> <{rome}> . <{sheet}> <https://x/skill> <{esco}> . "
        f"<{sheet}> <https://x/skill> <{ESCO_DATA}skill/s2> . <{sheet}> <https://x/other> <https://elsewhere/x> . "
        f"<{sheet}> <https://x/self> <{sheet}> ."
    )
    ctx.store.replace_graph(graph, data.encode(), "text/turtle")
    stats = refresh_void(ctx.store, ctx.datasets, "job-sheets")
    assert stats.links == {("rome", "https://x/fiche"): 1, ("esco", "https://x/skill"): 2}


def test_void_is_served(ctx: Context) -> None:
    ctx.store.replace_graph(ctx.datasets.get("rome").graph, b"<https://x/a> a <https://x/C> .", "text/turtle")
    refresh_void(ctx.store, ctx.datasets, "rome")
    with TestClient(create_app(ctx)) as client:
        response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        triples = list(ox.parse(response.content, ox.RdfFormat.TURTLE))
        rome = dataset_iri(ctx.datasets, "rome")
        assert any(t.subject.value == rome and t.predicate.value == f"{VOID}triples" for t in triples)
        assert client.get("/void", headers={"Accept": "image/png"}).status_code == 406
