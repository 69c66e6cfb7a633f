"""W3C SPARQL 1.1 Protocol (34 tests) and Graph Store Protocol (13 tests) against the connector served by uvicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connector.auth import hash_key
from tests.servers import connector_process, free_port
from tests.w3c.protocol_runner import Case, Endpoint, load_cases, run_case

SUITES = Path(__file__).parent / "w3c" / "sparql11"
PROTOCOL = load_cases(SUITES / "protocol" / "manifest.ttl")
GSP = load_cases(SUITES / "graph-store-protocol" / "manifest.ttl")
OPERATOR_KEY = "gsk_w3c-suite-operator"


def test_suites_are_complete() -> None:
    assert len(PROTOCOL) == 34 and len(GSP) == 13


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    env = {
        "CONNECTOR_HOME": str(tmp_path_factory.mktemp("w3c")),
        "CONNECTOR_API_KEYS": json.dumps([f"w3c:operator:{hash_key(OPERATOR_KEY)}"]),
        "CONNECTOR_SPARQL_WORKERS": "2",
        # the suites send well over a burst of requests in a few seconds: conformance, not rate limits (tested apart)
        "CONNECTOR_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
        "CONNECTOR_RATE_LIMIT_AUTHENTICATED_PER_MINUTE": "0",
    }
    with connector_process(["serve"], env, free_port()) as base:
        yield Endpoint(
            query_url=f"{base}/sparql",
            update_url=f"{base}/sparql/update",
            gsp_url=f"{base}/store",
            headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
        )


@pytest.mark.parametrize("case", PROTOCOL, ids=lambda c: c.id)
def test_protocol(case: Case, endpoint: Endpoint) -> None:
    run_case(case, endpoint)


@pytest.mark.parametrize("case", GSP, ids=lambda c: c.id)
def test_graph_store_protocol(case: Case, endpoint: Endpoint) -> None:
    run_case(case, endpoint)


def test_common_clients(endpoint: Endpoint) -> None:
    """SPARQLWrapper and rdflib's SPARQLStore, as partners use them, over the same running server."""
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    graph = "https://w3id.org/gen-skills/graph/rome"
    loaded = requests.put(
        endpoint.gsp_url,
        params={"graph": graph},
        data='<https://example.org/fiche> <http://www.w3.org/2004/02/skos/core#prefLabel> "Développeur"@fr .',
        headers={**endpoint.headers, "Content-Type": "text/turtle"},
        timeout=30,
    )
    assert loaded.status_code in (201, 204)

    wrapper = SPARQLWrapper(endpoint.query_url)  # anonymous: the ROME graph is open
    wrapper.setQuery("SELECT ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")
    wrapper.setReturnFormat(JSON)
    rows = wrapper.query().convert()["results"]["bindings"]
    assert rows == [{"l": {"type": "literal", "value": "Développeur", "xml:lang": "fr"}}]
    wrapper.setQuery("CONSTRUCT WHERE { ?s ?p ?o }")
    wrapper.setReturnFormat(TURTLE)
    assert "Développeur" in wrapper.query().convert().decode()

    store = SPARQLStore(endpoint.query_url)
    answers = list(Graph(store=store).query("SELECT ?s WHERE { ?s ?p ?o }"))
    assert [a[0] for a in answers] == [URIRef("https://example.org/fiche")]
    for method in ("GET", "POST_FORM"):
        store = SPARQLStore(endpoint.query_url, method=method, returnFormat="json")
        assert bool(Graph(store=store).query("ASK { ?s ?p ?o }"))
