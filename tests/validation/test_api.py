"""``/validate`` over HTTP: formats in and out, limits, roles, errors, published datasets, timeouts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from fastapi.testclient import TestClient
from rdflib import Graph

from connector.api.app import create_app
from connector.auth import hash_key
from connector.config import load_settings
from connector.context import Context
from tests.servers import connector_process, free_port

DATA = Path(__file__).parent / "data"
VALIDATOR_KEY = "gsk_validator-test-secret"
PARTNER_KEY = "gsk_partner-test-secret"
KEYS = [f"val:validator:{hash_key(VALIDATOR_KEY)}", f"par:partner:{hash_key(PARTNER_KEY)}"]


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for var in [v for v in __import__("os").environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    ctx = Context(load_settings(home=tmp_path / "var", api_keys=KEYS, validation_anonymous_max_bytes=2000))
    with TestClient(create_app(ctx)) as c:
        yield c
    ctx.close()


def post(client: TestClient, body: bytes, media_type: str = "text/turtle", query: str = "profile=rome", **headers):
    return client.post(f"/validate?{query}", content=body, headers={"content-type": media_type, **headers})


def test_profiles_are_listed(client: TestClient) -> None:
    listed = {p["name"]: p for p in client.get("/validate/profiles").json()}
    assert {"elm-loq", "rome", "esco", "alignment", "catalog", "provenance"} <= set(listed)
    assert listed["elm-loq"]["version"] and listed["rome"]["title"]["fr"]


@pytest.mark.parametrize("fmt", [ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML, ox.RdfFormat.TRIG])
def test_every_rdf_syntax_gives_the_same_report(client: TestClient, fmt: ox.RdfFormat) -> None:
    triples = list(ox.parse(path=str(DATA / "rome-defects.ttl")))
    body = ox.serialize(triples if fmt != ox.RdfFormat.TRIG else triples, format=fmt)
    auth = {"authorization": f"Bearer {VALIDATOR_KEY}"}
    expected = post(client, (DATA / "rome-defects.ttl").read_bytes(), **auth).json()
    got = post(client, body, fmt.media_type, **auth).json()
    assert got["counts"] == expected["counts"] == {"Violation": 4, "Warning": 0, "Info": 0}
    assert [r["focus_node"] for r in got["results"]] == [r["focus_node"] for r in expected["results"]]


def test_content_negotiation(client: TestClient) -> None:
    body = (DATA / "catalog-defects.ttl").read_bytes()
    assert len(body) <= 2000
    turtle = post(client, body, query="profile=catalog", accept="text/turtle")
    assert turtle.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=turtle.text, format="turtle")
    assert len(list(g.objects(None, __import__("rdflib").SH.result))) == 3
    jsonld = post(client, body, query="profile=catalog", accept="application/ld+json")
    assert len(Graph().parse(data=jsonld.text, format="json-ld")) == len(g)
    html = post(client, body, query="profile=catalog&lang=fr", accept="text/html;q=0.9, application/xml;q=0.1")
    assert html.headers["content-type"].startswith("text/html") and "obligatoire" in html.text
    summary = post(client, body, query="profile=catalog", accept="*/*").json()
    assert summary["by_shape"] and summary["by_path"] and summary["counts"]["Warning"] == 1
    assert post(client, body, query="profile=catalog&format=text").text.startswith("Violation:")
    assert post(client, body, query="profile=catalog", accept="image/png").status_code == 406


def test_bad_requests(client: TestClient) -> None:
    bad = post(client, b"@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b ;; ex:d .\n")
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["line"] == 3 and "line 3" in bad.json()["detail"]
    unknown = post(client, b"", query="profile=nope")
    assert unknown.status_code == 404 and "rome" in unknown.json()["known_profiles"]
    assert post(client, b"<a> <b> <c> .", "application/pdf").status_code == 415
    assert post(client, b"", query="").status_code == 400
    assert post(client, b"").status_code == 400


def test_values_pyshacl_cannot_compare_are_a_clear_422(client: TestClient) -> None:
    """pyshacl raises on NaN inside sh:lessThanOrEquals; the caller gets a problem, not a 500. Values it can tell
    apart as incomparable (a date and a string) are reported as SHACL says."""

    def run(start: str, end: str):  # noqa: ANN202
        body = (
            "@prefix prov: <http://www.w3.org/ns/prov#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
            f"<urn:run> a prov:Activity ; prov:startedAtTime {start} ; prov:endedAtTime {end} .\n"
        ).encode()
        return post(client, body, query="profile=provenance", accept="application/json")

    nan = run('"NaN"^^xsd:decimal', "3.5")
    assert nan.status_code == 422 and nan.headers["content-type"] == "application/problem+json"
    assert "cannot order" in nan.json()["detail"]
    reported = run('"2020-01-01T00:00:00Z"^^xsd:dateTime', '"soon"')
    assert reported.status_code == 200
    assert "A job run cannot end before it started." in reported.text


def test_uploads_above_the_anonymous_limit_need_the_validator_role(client: TestClient) -> None:
    body = (DATA / "partner-elm-ok.ttl").read_bytes()
    assert len(body) > 2000
    assert post(client, body, query="profile=elm-loq").status_code == 401
    assert post(client, body, query="profile=elm-loq", authorization=f"Bearer {PARTNER_KEY}").status_code == 403
    ok = post(client, body, query="profile=elm-loq", authorization=f"Bearer {VALIDATOR_KEY}")
    assert ok.status_code == 200 and ok.json()["conforms"] is True


def test_oversize_upload_is_413(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in __import__("os").environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    ctx = Context(load_settings(home=tmp_path / "var", api_keys=KEYS, validation_max_bytes=10_000))
    with TestClient(create_app(ctx)) as c:
        big = b"<http://ex/a> <http://ex/b> <http://ex/c> .\n" * 1000
        r = post(c, big, "application/n-triples", authorization=f"Bearer {VALIDATOR_KEY}")
        assert r.status_code == 413
    ctx.close()


def test_published_dataset_is_validated_with_sources(client: TestClient) -> None:
    ctx: Context = client.app.state.ctx
    ctx.store.replace_graph(ctx.datasets.get("rome").graph, DATA / "rome-defects.ttl")
    assert client.post("/validate?dataset=rome").status_code == 401
    r = client.post("/validate?dataset=rome", headers={"authorization": f"Bearer {VALIDATOR_KEY}"})
    assert r.status_code == 200 and r.json()["counts"]["Violation"] == 4 and r.json()["profile"] == "rome"
    missing = client.post("/validate?dataset=nope", headers={"authorization": f"Bearer {VALIDATOR_KEY}"})
    assert missing.status_code == 404


def test_results_about_our_records_carry_their_source_file_and_row(client: TestClient) -> None:
    """A dataset of our own (trainings) validated with a profile, results pointing back to the input rows."""
    ctx: Context = client.app.state.ctx
    ctx.store.replace_graph(ctx.datasets.get("trainings").graph, DATA / "partner-elm-defects.ttl")
    prov = (
        b"@prefix prov: <http://www.w3.org/ns/prov#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        b"<https://partner.example.org/lo/lo2> prov:wasDerivedFrom <urn:src:2> .\n"
        b'<urn:src:2> a prov:Entity ; dct:source "trainings.csv" ; '
        b'<https://w3id.org/gen-skills/ontology#sourceLocation> "row 7" .\n'
    )
    ctx.store.replace_graph(ctx.datasets.get("provenance").graph, prov, "text/turtle")
    r = client.post(
        "/validate?dataset=trainings&profile=elm-loq", headers={"authorization": f"Bearer {VALIDATOR_KEY}"}
    ).json()
    sources = {(x["focus_node"].rsplit("/", 1)[-1], json.dumps(x.get("source"))) for x in r["results"]}
    assert ("lo2", json.dumps({"file": "trainings.csv", "location": "row 7"})) in sources
    # web2 is linked from lo2: its result points to lo2's source row too
    assert ("web2", json.dumps({"file": "trainings.csv", "location": "row 7"})) in sources


def test_timeout_is_clear_and_the_server_keeps_serving(tmp_path: Path) -> None:
    """A real uvicorn process: the slow validation is stopped, other requests are answered meanwhile."""
    env = {
        "CONNECTOR_HOME": str(tmp_path / "var"),
        "CONNECTOR_VALIDATION_TIMEOUT_S": "1",
        "CONNECTOR_API_KEYS": json.dumps(KEYS),
    }
    body = b"".join(
        b'<http://ex/c%d> a <https://w3id.org/gen-skills/ontology#RomeFiche> ; <%snotation> "X%d" .\n'
        % (i, b"http://www.w3.org/2004/02/skos/core#", i)
        for i in range(40_000)
    )
    with connector_process(["serve"], env, free_port()) as base:
        answered: list[int] = []

        def poll() -> None:
            for _ in range(5):
                answered.append(requests.get(f"{base}/validate/profiles", timeout=5).status_code)
                time.sleep(0.1)

        poller = threading.Thread(target=poll)
        started = time.monotonic()
        poller.start()
        r = requests.post(
            f"{base}/validate?profile=rome",
            data=body,
            headers={"content-type": "text/turtle", "authorization": f"Bearer {VALIDATOR_KEY}"},
            timeout=60,
        )
        poller.join()
        assert r.status_code == 503 and r.json()["title"] == "Validation timeout"
        assert time.monotonic() - started < 30
        assert answered == [200] * 5
        assert requests.get(f"{base}/health/live", timeout=5).status_code == 200
