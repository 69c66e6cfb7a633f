"""Security checks across the HTTP face: SSRF through DSP callback addresses, path traversal in dataset ids."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.config import load_settings
from connector.context import Context
from tests.dsp.harness import CONTEXT, new_pid

B_ID = "did:web:b.example"
FIXTURES = Path(__file__).parent.parent / "fixtures"


class Listener:
    """A loopback socket that records every connection attempt (the SSRF target)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            conn.close()


@pytest.fixture
def app_b(tmp_path: Path) -> Iterator[tuple[TestClient, Listener, int]]:
    target, allowed_port = Listener(), 9  # B may only be called back on 127.0.0.1:9 (discard)
    partner = {"id": B_ID, "token_sha256": hashlib.sha256(b"b-token").hexdigest(), "member": True,
               "callback_hosts": [f"127.0.0.1:{allowed_port}"]}  # fmt: skip
    ctx = Context(load_settings(home=tmp_path / "var", participant_id="did:web:a.example",
                                dsp_participants=[partner], rate_limit_anonymous_per_minute=0))  # fmt: skip
    ctx.store.replace_graph(ctx.datasets.get("trainings").graph, FIXTURES / "small.ttl")
    with TestClient(create_app(ctx)) as client:
        yield client, target, allowed_port
    target.sock.close()
    ctx.close()


def _post(client: TestClient, path: str, body: dict) -> object:
    headers = {"Authorization": "Bearer b-token", "Content-Type": "application/json"}
    return client.post(f"/dsp/2025-1{path}", content=json.dumps({"@context": CONTEXT, **body}), headers=headers)


@pytest.mark.parametrize(
    "callback",
    [
        "http://127.0.0.1:{port}/steal",
        "http://169.254.169.254/latest/meta-data",
        "http://user:pw@127.0.0.1:9/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/",
    ],
)
def test_dsp_callback_to_a_host_not_registered_for_the_partner_is_refused(app_b, callback: str) -> None:
    client, target, _ = app_b
    catalog = _post(client, "/catalog/request", {"@type": "CatalogRequestMessage", "filter": []}).json()
    dataset = next(d for d in catalog["dataset"] if d.get("dct:identifier") == "trainings")
    offer = {**dataset["hasPolicy"][0], "target": dataset["@id"]}
    r = _post(client, "/negotiations/request", {"@type": "ContractRequestMessage", "consumerPid": new_pid(),
              "offer": offer, "callbackAddress": callback.format(port=target.port)})  # fmt: skip
    assert 400 <= r.status_code < 500 and r.json()["@type"] == "ContractNegotiationError", r.text
    assert target.hits == 0


@pytest.mark.parametrize(
    "path",
    [
        "/dsp/data/..%2F..%2F..%2Fetc%2Fpasswd",
        "/dsp/data/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/dsp/2025-1/catalog/datasets/..%2F..%2F..%2Fetc%2Fpasswd",
        "/dsp/2025-1/catalog/datasets/file:%2F%2F%2Fetc%2Fpasswd",
        "/sparql?query=SELECT%20*%20FROM%20%3Cfile:///etc/passwd%3E%20WHERE%20%7B%20?s%20?p%20?o%20%7D",
    ],
)
def test_path_traversal_in_dataset_ids_reads_no_file(app_b, path: str) -> None:
    client, _, _ = app_b
    r = client.get(path, headers={"Authorization": "Bearer b-token"})
    assert r.status_code < 500
    assert "root:" not in r.text and "[build-system]" not in r.text


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
        "ASK { GRAPH ?g { ?s ?p ?o } SERVICE <http://127.0.0.1:{port}/> { ?a ?b ?c } }",
    ],
)
def test_sparql_service_cannot_make_the_server_call_out(app_b, query: str) -> None:
    """SSRF through federated queries: refused with a 4xx, and no connection ever reaches the target."""
    client, target, _ = app_b
    r = client.get("/sparql", params={"query": query.replace("{port}", str(target.port))})
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"
    assert target.hits == 0


def test_sparql_load_cannot_make_the_server_fetch_a_url(tmp_path: Path) -> None:
    """Even an operator's update may not LOAD from a URL unless LOAD is explicitly enabled."""
    from connector.auth import hash_key

    target, secret = Listener(), "gsk_operator-secret"
    ctx = Context(load_settings(home=tmp_path / "var", api_keys=[f"ops:operator:{hash_key(secret)}"]))
    try:
        with TestClient(create_app(ctx)) as client:
            r = client.post(
                "/sparql/update",
                data={"update": f"LOAD <http://127.0.0.1:{target.port}/data.ttl>"},
                headers={"Authorization": f"Bearer {secret}"},
            )
        assert 400 <= r.status_code < 500 and r.status_code not in (401, 403), r.text
        assert target.hits == 0
    finally:
        target.sock.close()
        ctx.close()
