"""Dataspace protocol state survives a crash: a negotiation started on one process finishes on its successor.

The provider connector runs as a real process; the test plays the consumer (messages as the TCK sends them) with a
recording callback server. After the provider agreed, it is SIGKILLed; a new process (same SQLite home, or another
replica on another port sharing the PostgreSQL state) receives the verification and finalises the negotiation.
Then the partner starts a transfer and queries with its token, and a second partner cannot use that token's
agreement.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import requests

from connector.dsp.consumer import choose_offer
from connector.dsp.messages import PULL_FORMAT
from tests.dsp.harness import CounterParty, Peer, new_pid, serve_app, validate
from tests.ops.procs import ConnectorProcess
from tests.servers import free_port

FIXTURES = Path(__file__).parent.parent / "fixtures"
A_ID, B_ID, C_ID = "did:web:a.example", "did:web:b.example", "did:web:c.example"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _provider_env(home: Path, state_db: str | None) -> dict[str, str]:
    partners = [
        {"id": B_ID, "token_sha256": _sha("b-token"), "callback_hosts": ["127.0.0.1"], "member": True,
         "outbound_token": "a-to-b"},
        {"id": C_ID, "token_sha256": _sha("c-token"), "callback_hosts": ["127.0.0.1"], "member": True,
         "outbound_token": "a-to-c"},
    ]  # fmt: skip
    env = {
        "CONNECTOR_HOME": str(home),
        "CONNECTOR_PARTICIPANT_ID": A_ID,
        "CONNECTOR_DSP_PARTICIPANTS": json.dumps(partners),
        "CONNECTOR_READY_DATASETS": "[]",
    }
    if state_db:
        env["CONNECTOR_DSP_DATABASE_URL"] = state_db
    return env


def _load_trainings(home: Path) -> None:
    import gc

    from connector.config import load_settings
    from connector.context import Context

    ctx = Context(load_settings(home=home))
    ctx.store.replace_graph(ctx.datasets.get("trainings").graph, FIXTURES / "small.ttl")
    ctx.close()
    del ctx
    gc.collect()


@pytest.mark.parametrize("state", ["sqlite-same-process-home", "postgres-other-replica"])
def test_negotiation_continues_after_provider_crash(tmp_path: Path, state: str, request: pytest.FixtureRequest) -> None:
    state_db = request.getfixturevalue("postgres_db") if state.startswith("postgres") else None
    home_1 = tmp_path / "replica-1"
    _load_trainings(home_1)
    party = CounterParty()
    with serve_app(party.app()) as callback:
        first = ConnectorProcess(_provider_env(home_1, state_db), free_port()).start()
        try:
            b = Peer(first.base, token="b-token")
            catalog = b.post("/catalog/request", "CatalogRequestMessage", filter=[])
            assert catalog.status_code == 200, catalog.text
            dataset = next(d for d in catalog.json()["dataset"] if d.get("dct:identifier") == "trainings")
            offer = choose_offer(dataset, None, "research")
            cpid = new_pid()
            r = b.post("/negotiations/request", "ContractRequestMessage", consumerPid=cpid, offer=offer,
                       callbackAddress=callback)  # fmt: skip
            assert r.status_code == 201, r.text
            ppid = r.json()["providerPid"]
            agreement = party.wait("ContractAgreementMessage", f"/negotiations/{cpid}/", timeout=10).body
            b.state("negotiations", ppid, "AGREED")
        finally:
            first.kill()  # crash between the provider's agreement and the consumer's verification

        if state_db:  # another replica: its own home and port, the same state database
            home_2 = tmp_path / "replica-2"
            _load_trainings(home_2)
            second = ConnectorProcess(_provider_env(home_2, state_db), free_port())
        else:
            second = ConnectorProcess(_provider_env(home_1, state_db), first.port)
        second.start()
        try:
            b = Peer(second.base, token="b-token")
            mark = party.count()
            verified = b.post(f"/negotiations/{ppid}/agreement/verification",
                              "ContractAgreementVerificationMessage", providerPid=ppid, consumerPid=cpid)  # fmt: skip
            assert verified.status_code == 200, verified.text
            event = party.wait("ContractNegotiationEventMessage", f"/negotiations/{cpid}/", timeout=10, after=mark)
            assert event.body["eventType"] == "FINALIZED"
            b.state("negotiations", ppid, "FINALIZED")
            assert not party.errors, party.errors
            scraped = requests.get(f"{second.base}/metrics", timeout=10).text
            assert 'connector_dsp_transitions_total{process="negotiation",state="FINALIZED"} 1.0' in scraped
            assert 'connector_dsp_processes{process="negotiation",state="FINALIZED"} 1.0' in scraped

            # the agreement made before the crash is usable: a pull transfer and a query with its token
            agreement_id = agreement["agreement"]["@id"]
            tpid = new_pid()
            r = b.post("/transfers/request", "TransferRequestMessage", consumerPid=tpid, agreementId=agreement_id,
                       format=PULL_FORMAT, callbackAddress=callback)  # fmt: skip
            assert r.status_code == 201, r.text
            start = party.wait("TransferStartMessage", f"/transfers/{tpid}/", timeout=10).body
            validate(start)
            props = {p["name"]: p["value"] for p in start["dataAddress"]["endpointProperties"]}
            token = props["authorization"]
            answer = requests.post(start["dataAddress"]["endpoint"], data={"query": COUNT},
                                   headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
            assert answer.status_code == 200
            assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == 11

            # another partner may not use B's agreement, nor B's token to open a transfer in its own name
            c = Peer(second.base, token="c-token")
            stolen = c.post("/transfers/request", "TransferRequestMessage", consumerPid=new_pid(),
                            agreementId=agreement_id, format=PULL_FORMAT, callbackAddress=callback)  # fmt: skip
            assert 400 <= stolen.status_code < 500 and stolen.json()["@type"] == "TransferError", stolen.text
            with_token = Peer(second.base, token=token)
            assert with_token.post("/catalog/request", "CatalogRequestMessage", filter=[]).status_code == 401
            assert c.get(f"/negotiations/{ppid}").status_code in (403, 404)
        finally:
            second.kill()
