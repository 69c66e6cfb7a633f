"""W3C SPARQL 1.1 Protocol (34 tests) and Graph Store Protocol (13 tests) against the connector served by uvicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

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
