from __future__ import annotations

import json
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.api.routers.linked_data import negotiate
from connector.context import Context
from tests.vocab_helpers import SKOS, WEB_DEVELOPER, load_all

FICHE = "https://w3id.org/gen-skills/rome/fiche/M1855"


@pytest.fixture
def client(ctx: Context) -> Iterator[TestClient]:
    load_all(ctx)
    with TestClient(create_app(ctx)) as c:
        yield c


def test_html_page_for_browsers(client: TestClient) -> None:
    r = client.get("/rome/fiche/M1855", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Développeur / Développeuse web" in page and "M1855" in page
    assert 'href="/rome/domaine/M18"' in page  # broader, on this connector
    assert 'href="/rome/appellation/14156"' in page  # narrower
    assert f'href="{WEB_DEVELOPER}"' in page and "skos:exactMatch" in page and "1.00" in page
    assert "Conçoit, développe" in page or "définition" in page.lower()


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("*/*", "text/turtle", ox.RdfFormat.TURTLE),
    ],
)
def test_rdf_by_content_negotiation(client: TestClient, accept: str, media_type: str, fmt: ox.RdfFormat) -> None:
    r = client.get("/rome/appellation/14156", headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media_type)
    assert "Accept" in r.headers["vary"]
    triples = {q.triple for q in ox.parse(r.content, fmt)}
    me = ox.NamedNode("https://w3id.org/gen-skills/rome/appellation/14156")
    assert ox.Triple(me, ox.NamedNode(f"{SKOS}notation"), ox.Literal("14156")) in triples
    assert ox.Triple(me, ox.NamedNode(f"{SKOS}exactMatch"), ox.NamedNode(WEB_DEVELOPER)) in triples
    assert ox.Triple(me, ox.NamedNode(f"{SKOS}broader"), ox.NamedNode(FICHE)) in triples


def test_scheme_and_tree_iris_dereference(client: TestClient) -> None:
    for path in ("/rome/scheme/metiers", "/rome/grand-domaine/M", "/rome/domaine/M18", "/rome/competence/109846"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 200, path


def test_unknown_codes_are_404_problems(client: TestClient) -> None:
    for path in ("/rome/fiche/Z9999", "/rome/unknown-kind/M1855", "/rome/fiche/M1855%20x"):
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
        assert json.loads(r.text)["status"] == 404


def test_unacceptable_media_type_is_406(client: TestClient) -> None:
    r = client.get("/rome/fiche/M1855", headers={"Accept": "image/png"})
    assert r.status_code == 406 and r.headers["content-type"] == "application/problem+json"


def test_negotiation_honours_q_values() -> None:
    assert negotiate("text/html;q=0.5, text/turtle") == "text/turtle"
    assert negotiate("application/ld+json;q=0.9, text/html") == "text/html"
    assert negotiate("text/turtle;q=0, application/n-triples;q=0.1") == "application/n-triples"
    assert negotiate(None) == "text/turtle"
    assert negotiate("image/png") is None
