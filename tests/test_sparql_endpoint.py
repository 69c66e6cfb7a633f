"""The /sparql, /sparql/update and /store endpoints: scoping by contract, safety rules, formats and bad input."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.auth import InvalidCredentials, Principal, hash_key
from connector.config import load_settings
from connector.context import Context
from connector.sparql.errors import SparqlError
from connector.sparql.protocol import parse_query_request
from connector.store.remote import RemoteStore

OPERATOR = "gsk_test-operator"
PARTNER_TOKEN = "transfer-token-trainings"
EXPIRED_TOKEN = "transfer-token-expired"
EX = "https://example.org/"


class TransferTokens:
    """Stands in for the dataspace protocol's transfer-token resolver: a token grants the graphs of an agreement."""

    def __init__(self, grants: dict[str, frozenset[str]]) -> None:
        self.grants = grants

    def resolve(self, token: str) -> Principal | None:
        if token == EXPIRED_TOKEN:
            raise InvalidCredentials("transfer token expired")
        if token in self.grants:
            return Principal(subject="partner:acme", roles=frozenset({"partner"}), graphs=self.grants[token])
        return None


def _nt(subject: str, label: str) -> bytes:
    return f'<{EX}{subject}> <http://www.w3.org/2000/01/rdf-schema#label> "{label}" .\n'.encode()


@pytest.fixture(scope="module", params=["embedded", "remote"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Context]]:
    """The same app over the embedded store (worker processes) and a real remote Oxigraph server (threads)."""
    home = tmp_path_factory.mktemp("sparql")
    settings = load_settings(
        home=home,
        api_keys=[f"ops:operator:{hash_key(OPERATOR)}"],
        sparql_workers=2,
        sparql_row_cap=5,
        max_query_bytes=2000,
        query_timeout_s=2,
    )
    store = None
    if request.param == "remote":
        server = request.getfixturevalue("oxigraph")
        store = RemoteStore(server.query_url, server.update_url, server.graph_url)
        store.update("DROP ALL")
    ctx = Context(settings, store)
    graphs = {d.id: d.graph for d in ctx.datasets}
    ctx.store.replace_graph(graphs["rome"], _nt("rome-concept", "open rome"), "application/n-triples")
    ctx.store.replace_graph(graphs["esco"], b"".join(_nt(f"skill{i}", f"skill {i}") for i in range(8)), "text/turtle")
    ctx.store.replace_graph(graphs["trainings"], _nt("training", "contract training"), "application/n-triples")
    ctx.store.replace_graph(graphs["job-sheets"], _nt("job", "contract job sheet"), "application/n-triples")
    ctx.store.replace_graph(graphs["provenance"], _nt("activity", "internal provenance"), "application/n-triples")
    ctx.store.replace_graph(None, _nt("default", "default graph"), "application/n-triples")
    app = create_app(ctx)
    app.state.resolvers.append(TransferTokens({PARTNER_TOKEN: frozenset({graphs["trainings"]})}))
    with TestClient(app) as client:
        yield client, ctx
    ctx.close()


def labels(client: TestClient, query: str, token: str | None = None, **params: str | list[str]) -> set[str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/sparql", params={"query": query, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {b["l"]["value"] for b in response.json()["results"]["bindings"] if "l" in b}


ALL_LABELS = 'SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(!STRSTARTS(?l, "skill")) }'
SKILLS = 'SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(STRSTARTS(?l, "skill")) }'
ESCAPES = [
    "SELECT ?l WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } }",
    "SELECT ?l FROM <{trainings}> WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
    "SELECT ?l FROM NAMED <{provenance}> WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } }",
    "SELECT ?l WHERE { GRAPH <{trainings}> { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } }",
    "SELECT ?l WHERE { ?s (<http://www.w3.org/2000/01/rdf-schema#label>|^<http://x>)* ?x . "
    "?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
    "SELECT ?l WHERE { { SELECT ?l WHERE { GRAPH ?g { ?s ?p ?l } } } }",
    "SELECT ?l WHERE { VALUES ?g { <{trainings}> <{provenance}> } GRAPH ?g { ?s ?p ?l } }",
    "SELECT ?l WHERE { BIND(<{job-sheets}> AS ?g) GRAPH ?g { ?s ?p ?l } }",
    "SELECT ?l WHERE { ?s ?p ?l FILTER EXISTS { GRAPH ?g { ?s ?p ?l } } }",
]


def fill(query: str, ctx: Context) -> str:
    for d in ctx.datasets:
        query = query.replace("{" + d.id + "}", d.graph)
    return query


def test_anonymous_sees_open_datasets_only(world: tuple[TestClient, Context]) -> None:
    client, ctx = world
    found = labels(client, ALL_LABELS)
    assert "open rome" in found
    assert not found & {"contract training", "contract job sheet", "internal provenance", "default graph"}


@pytest.mark.parametrize("query", ESCAPES)
def test_no_query_form_reaches_another_graph(world: tuple[TestClient, Context], query: str) -> None:
    client, ctx = world
    text = fill(query, ctx)
    headers = {"Authorization": f"Bearer {PARTNER_TOKEN}"}
    for token_headers, hidden in (({}, {"contract training"}), (headers, set())):
        response = client.get("/sparql", params={"query": text}, headers=token_headers)
        if response.status_code == 403:  # naming an inaccessible graph in FROM is refused outright
            assert "FROM" in text
            continue
        assert response.status_code == 200, response.text
        found = {b["l"]["value"] for b in response.json()["results"]["bindings"] if "l" in b}
        assert not found & ({"contract job sheet", "internal provenance", "default graph"} | hidden), text


def test_protocol_dataset_parameters_are_scoped(world: tuple[TestClient, Context]) -> None:
    client, ctx = world
    trainings = ctx.datasets.get("trainings").graph
    for parameter in ("default-graph-uri", "named-graph-uri"):
        refused = client.get("/sparql", params={"query": ALL_LABELS, parameter: trainings})
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert trainings in refused.json()["detail"]
    granted = labels(client, ALL_LABELS, PARTNER_TOKEN, **{"default-graph-uri": trainings})
    assert granted == {"contract training"}


def test_transfer_token_adds_exactly_its_graphs(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    found = labels(client, ALL_LABELS, PARTNER_TOKEN)
    assert "contract training" in found and "open rome" in found
    assert not found & {"contract job sheet", "internal provenance"}


def test_operator_sees_everything(world: tuple[TestClient, Context]) -> None:
    client, ctx = world
    found = labels(client, ALL_LABELS, OPERATOR)
    assert {"contract job sheet", "internal provenance"} <= found
    if not isinstance(ctx.store, RemoteStore):  # a remote server's own default graph cannot be named in a union
        assert "default graph" in found


def test_expired_or_unknown_token_is_401(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    for token in (EXPIRED_TOKEN, "not-a-token"):
        response = client.get("/sparql", params={"query": "ASK {}"}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_row_cap_is_signalled(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    response = client.get("/sparql", params={"query": SKILLS})
    assert response.headers["x-sparql-row-cap"] == "5"
    assert response.headers["x-sparql-truncated"] == "true"
    body = response.json()
    assert len(body["results"]["bindings"]) == 5 and body["truncated"] is True
    small = client.get("/sparql", params={"query": SKILLS + " LIMIT 2"})
    assert small.headers["x-sparql-truncated"] == "false" and "truncated" not in small.json()


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json;q=0.5, text/csv", "text/csv"),
        ("text/*", "text/csv"),
    ],
)
def test_select_formats(world: tuple[TestClient, Context], accept: str | None, media: str) -> None:
    client, _ = world
    headers = {"Accept": accept} if accept else {}
    query = ALL_LABELS.replace("}", 'FILTER(?l = "open rome") }', 1)
    response = client.get("/sparql", params={"query": query}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    if media == "text/csv":
        assert list(csv.reader(io.StringIO(response.text))) == [["l"], ["open rome"]]
        return
    parsed = ox.parse_query_results(
        response.content,
        {
            "application/sparql-results+json": ox.QueryResultsFormat.JSON,
            "application/sparql-results+xml": ox.QueryResultsFormat.XML,
            "text/tab-separated-values": ox.QueryResultsFormat.TSV,
        }[media],
    )
    assert [s["l"].value for s in parsed] == ["open rome"]


@pytest.mark.parametrize(
    "media",
    [
        "text/turtle",
        "application/n-triples",
        "application/n-quads",
        "application/trig",
        "application/ld+json",
        "application/rdf+xml",
    ],
)
def test_construct_formats(world: tuple[TestClient, Context], media: str) -> None:
    client, _ = world
    query = "CONSTRUCT { ?s <https://example.org/p> ?l } WHERE " + ALL_LABELS.split("WHERE ", 1)[1].replace(
        "}", 'FILTER(?l = "open rome") }', 1
    )
    response = client.get("/sparql", params={"query": query}, headers={"Accept": media})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    fmt = {"application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG}.get(media)
    quads = list(ox.parse(response.content, fmt or ox.RdfFormat.from_media_type(media)))
    assert [q.object.value for q in quads] == ["open rome"]


def test_csv_escapes_and_ask(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    response = client.get(
        "/sparql", params={"query": 'SELECT ?x WHERE { BIND("a,\\"b\\"\\nc" AS ?x) }'}, headers={"Accept": "text/csv"}
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [["x"], ['a,"b"\nc']]
    ask = client.get(
        "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert "<boolean>true</boolean>" in ask.text


@pytest.mark.parametrize(
    ("request_kwargs", "status", "title"),
    [
        ({"params": {"query": "SELECT WHERE {"}}, 400, "Malformed query"),
        ({"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406, "Not Acceptable"),
        ({"params": {"query": "SELECT * { ?s ?p ?o }" + " " * 3000}}, 413, "Query too large"),
        ({"params": {"query": "ASK {}", "default-graph-uri": "not an iri"}}, 400, "Bad graph IRI"),
        ({"params": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400, "Unexpected 'update' parameter"),
        (
            {"params": {"query": "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}},
            400,
            "SERVICE not allowed",
        ),
        ({"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "Several querys"),
    ],
)
def test_bad_queries_are_4xx_problems(
    world: tuple[TestClient, Context], request_kwargs: dict, status: int, title: str
) -> None:
    client, _ = world
    response = client.get("/sparql", **request_kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == title


def test_query_string_is_read_as_sent() -> None:
    """The endpoint hands the request line's raw query string to the parser: bytes that are not UTF-8 are a 400."""
    parsed = parse_query_request("GET", b"query=ASK%20%7B%7D&default-graph-uri=urn%3Ag", None, b"", max_bytes=100)
    assert parsed is not None and parsed.query == "ASK {}" and parsed.default_graphs == ["urn:g"]
    with pytest.raises(SparqlError) as raised:
        parse_query_request("GET", b"query=ASK%20%7B%7D&x=\xff", None, b"", max_bytes=100)
    assert raised.value.status == 400 and "not valid UTF-8" in raised.value.detail


def test_bad_posts_are_4xx_problems(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    cases = [
        (client.post("/sparql", content=b"ASK {}"), 400),
        (client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}), 415),
        (client.post("/sparql", content=b"ASK {\xff}", headers={"Content-Type": "application/sparql-query"}), 400),
        (
            client.post(
                "/sparql",
                content="ASK {}".encode("utf-16"),
                headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
            ),
            415,
        ),
        (
            client.post(
                "/sparql",
                content=b"query=ASK%20%7B%FF%7D",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            400,
        ),
        (client.put("/sparql", params={"query": "ASK {}"}), 405),
        (client.get("/sparql/update"), 401),
        (client.get("/sparql/update", headers={"Authorization": f"Bearer {OPERATOR}"}), 405),
        (
            client.post(
                "/sparql/update", data={"update": "CLEAR ALL"}, headers={"Authorization": f"Bearer {PARTNER_TOKEN}"}
            ),
            403,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.method, response.request.url, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_query_endpoint_is_described_in_openapi(world: tuple[TestClient, Context]) -> None:
    """``/sparql`` is a plain ASGI endpoint; its protocol operations are still in the OpenAPI document."""
    client, _ = world
    operations = client.get("/openapi.json").json()["paths"]["/sparql"]
    assert set(operations) == {"get", "post"}
    assert {p["name"] for p in operations["get"]["parameters"]} == {"query", "default-graph-uri", "named-graph-uri"}
    assert {"application/x-www-form-urlencoded", "application/sparql-query"} == set(
        operations["post"]["requestBody"]["content"]
    )
    assert "application/sparql-results+json" in operations["get"]["responses"]["200"]["content"]


def test_query_endpoint_errors_are_problems_with_the_request_id(
    world: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/sparql`` is called by the request middleware, not the router: its errors, expected or not, still become
    problem documents carrying the request id, never a traceback."""
    client, _ = world
    bad = client.get("/sparql", params={"query": "SELECT WHERE {"}, headers={"X-Request-Id": "req-17"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert bad.headers["x-request-id"] == "req-17" and bad.json()["request_id"] == "req-17"
    assert bad.json()["instance"] == "/sparql"

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(client.app.state.sparql, "query", broken)
    failed = client.get("/sparql", params={"query": "ASK {}"})
    assert failed.status_code == 500 and failed.headers["content-type"] == "application/problem+json"
    assert "x-request-id" in failed.headers and "exploded" not in failed.text


def test_query_endpoint_is_found_below_a_root_path(world: tuple[TestClient, Context]) -> None:
    """Behind a proxy that mounts the app under a prefix (uvicorn ``--root-path``), /sparql is still found."""
    client, _ = world
    with TestClient(client.app, root_path="/connector") as mounted:
        response = mounted.get("/connector/sparql", params={"query": "ASK {}"})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_query_endpoint_is_a_route_of_the_app_too(world: tuple[TestClient, Context]) -> None:
    """Called directly by the middleware, /sparql is still known to the router: a trailing slash is redirected."""
    client, _ = world
    assert client.app.url_path_for("sparql_query") == "/sparql"
    moved = client.get("/sparql/", params={"query": "ASK {}"}, follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"].endswith("/sparql?query=ASK+%7B%7D")


def test_sparql_endpoint_is_read_only(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    for text in ("INSERT DATA { <http://a> <http://b> <http://c> }", "CLEAR ALL"):
        response = client.post("/sparql", data={"query": text}, headers={"Authorization": f"Bearer {OPERATOR}"})
        assert response.status_code == 400


def test_update_refuses_load_and_applies_using(world: tuple[TestClient, Context]) -> None:
    client, ctx = world
    auth = {"Authorization": f"Bearer {OPERATOR}"}
    load = client.post("/sparql/update", data={"update": "LOAD <http://example.org/data.ttl>"}, headers=auth)
    assert load.status_code == 400 and load.json()["title"] == "LOAD not allowed"
    rome = ctx.datasets.get("rome").graph
    update = (
        "INSERT { GRAPH <https://example.org/copy> { ?s <https://example.org/copied> ?l } } "
        "WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    )
    done = client.post("/sparql/update", params={"using-graph-uri": rome}, data={"update": update}, headers=auth)
    assert done.status_code == 204, done.text
    assert ctx.store.select("SELECT ?l { GRAPH <https://example.org/copy> { ?s ?p ?l } }") == [{"l": "open rome"}]
    ctx.store.drop_graph("https://example.org/copy")


def test_service_description_is_scoped(world: tuple[TestClient, Context]) -> None:
    client, ctx = world
    anonymous = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert anonymous.status_code == 200 and anonymous.headers["content-type"].startswith("text/turtle")
    names = {
        t.object.value
        for t in ox.parse(anonymous.content, ox.RdfFormat.TURTLE)
        if t.predicate.value == "http://www.w3.org/ns/sparql-service-description#name"
    }
    assert ctx.datasets.get("rome").graph in names and ctx.datasets.get("trainings").graph not in names
    partner = client.get("/sparql", headers={"Authorization": f"Bearer {PARTNER_TOKEN}"})
    assert ctx.datasets.get("trainings").graph in partner.text


def test_graph_store_follows_access_rights(world: tuple[TestClient, Context]) -> None:
    client, ctx = world
    trainings = ctx.datasets.get("trainings").graph
    assert client.get("/store", params={"graph": ctx.datasets.get("rome").graph}).status_code == 200
    assert client.get("/store", params={"graph": trainings}).status_code == 403
    assert client.get("/store", params={"default": ""}).status_code == 403
    ok = client.get(
        "/store",
        params={"graph": trainings},
        headers={"Authorization": f"Bearer {PARTNER_TOKEN}", "Accept": "application/n-triples"},
    )
    assert ok.status_code == 200 and "contract training" in ok.text
    write = client.put(
        "/store",
        params={"graph": trainings},
        content=b"",
        headers={"Authorization": f"Bearer {PARTNER_TOKEN}", "Content-Type": "text/turtle"},
    )
    assert write.status_code == 403
    assert client.delete("/store", params={"graph": trainings}).status_code == 401


def test_graph_store_bad_input(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    auth = {"Authorization": f"Bearer {OPERATOR}"}
    target = {"graph": "https://example.org/gsp-bad"}
    cases = [
        (client.put("/store", params=target, content=b"<a> <b", headers={**auth, "Content-Type": "text/turtle"}), 400),
        (client.put("/store", params=target, content=b"x", headers={**auth, "Content-Type": "image/png"}), 415),
        (
            client.put(
                "/store", params=target, content=b"\xff\xfe", headers={**auth, "Content-Type": "application/n-triples"}
            ),
            400,
        ),
        (
            client.put(
                "/store", params={"graph": "no iri"}, content=b"", headers={**auth, "Content-Type": "text/turtle"}
            ),
            400,
        ),
        (client.get("/store", params={**target, "default": ""}, headers=auth), 400),
        (client.get("/store", params=target, headers={**auth, "Accept": "image/png"}), 406),
        (client.get("/store", params=target, headers=auth), 404),
        (client.patch("/store", params=target, headers=auth), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.method, response.request.url, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_json_answer_is_valid_json_with_bnodes_and_typed_literals(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    query = 'SELECT ?b ?n ?t WHERE { BIND(BNODE() AS ?b) BIND(42 AS ?n) BIND("x"@fr AS ?t) }'
    row = json.loads(client.get("/sparql", params={"query": query}).text)["results"]["bindings"][0]
    assert row["b"]["type"] == "bnode"
    assert row["n"] == {"type": "literal", "value": "42", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    assert row["t"] == {"type": "literal", "value": "x", "xml:lang": "fr"}


def test_console_serves_yasgui_and_examples(world: tuple[TestClient, Context]) -> None:
    client, _ = world
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/console/yasgui.min.js" in page.text and "http" not in page.text.split("<script src=")[1][:10]
    assert "Trainings leading to a ROME 4.0 job" in page.text and 'id="token"' in page.text
    script = client.get("/console/yasgui.min.js")
    assert script.status_code == 200 and len(script.content) > 500_000
    assert client.get("/console/yasgui.min.css").headers["content-type"].startswith("text/css")
    assert client.get("/console/../../config.py").status_code == 404
