"""The HTTPS binding as a provider outside TCK mode: identity, bad input, policies, ownership, idempotency, restart,
catalog pages and filters, and the life of a transfer token (suspension, resumption, completion)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.config import DspParticipant, load_settings
from connector.context import Context
from connector.dsp.messages import ContractRequestMessage, parse
from connector.dsp.repository import Process
from connector.dsp.states import Kind
from tests.dsp.harness import CONTEXT, CounterParty, new_pid, validate

FIXTURES = Path(__file__).parent.parent / "fixtures"
PARTNER, OUTSIDER = "did:web:partner.example", "did:web:outsider.example"
AUTH = {"Authorization": "Bearer partner-token"}
OUT_AUTH = {"Authorization": "Bearer outsider-token"}
TRAININGS_OFFER = "https://w3id.org/gen-skills/policy/trainings/members-skills-matching-research"
TRAININGS = "https://w3id.org/gen-skills/dataset/trainings"
OPERATOR_KEY = "gsk_operator-secret"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def setup(tmp_path_factory, counter) -> Iterator[tuple[TestClient, CounterParty, str, Path]]:
    home = tmp_path_factory.mktemp("provider")
    client = _client(home)
    yield client, counter[0], counter[1], home
    client.app.state.ctx.close()


def _client(home: Path) -> TestClient:
    settings = load_settings(
        home=home,
        participant_id="did:web:provider.example",
        public_url="http://testserver",
        dsp_catalog_page_size=2,
        api_keys=[f"ops:operator:{_sha(OPERATOR_KEY)}"],
        dsp_participants=[
            DspParticipant(id=PARTNER, token_sha256=_sha("partner-token"), callback_hosts=["127.0.0.1"], member=True),
            DspParticipant(id=OUTSIDER, token_sha256=_sha("outsider-token"), callback_hosts=["127.0.0.1"]),
        ],
    )
    ctx = Context(settings)
    ctx.store.replace_graph(ctx.datasets.get("trainings").graph, FIXTURES / "small.ttl")
    return TestClient(create_app(ctx))


def message(type_: str, **fields) -> dict:
    return {"@context": CONTEXT, "@type": type_, **fields}


def request_body(callback: str, purpose: str | None = "research", offer: str = TRAININGS_OFFER, **extra) -> dict:
    rule: dict = {"action": "use"}
    if purpose:
        rule["constraint"] = [{"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": purpose}]
    offer_obj = {"@id": offer, "@type": "Offer", "target": TRAININGS, "permission": [rule]}
    return message("ContractRequestMessage", consumerPid=new_pid(), offer=offer_obj, callbackAddress=callback, **extra)


def negotiate(client: TestClient, party: CounterParty, callback: str) -> tuple[str, str, str]:
    """A full negotiation as the partner; returns (providerPid, consumerPid, agreement id)."""
    body = request_body(callback)
    r = client.post("/dsp/2025-1/negotiations/request", json=body, headers=AUTH)
    assert r.status_code == 201, r.text
    ppid, cpid = r.json()["providerPid"], body["consumerPid"]
    agreement = party.wait("ContractAgreementMessage", f"/negotiations/{cpid}/agreement").body["agreement"]
    validate(message("ContractAgreementMessage", providerPid=ppid, consumerPid=cpid, agreement=agreement))
    r = client.post(
        f"/dsp/2025-1/negotiations/{ppid}/agreement/verification",
        json=message("ContractAgreementVerificationMessage", providerPid=ppid, consumerPid=cpid),
        headers=AUTH,
    )
    assert r.status_code == 200
    party.wait("ContractNegotiationEventMessage", f"/negotiations/{cpid}/events")
    assert client.get(f"/dsp/2025-1/negotiations/{ppid}", headers=AUTH).json()["state"] == "FINALIZED"
    return ppid, cpid, agreement["@id"]


# -- bad input: typed 4xx, never 5xx -----------------------------------------------------------------------------
def test_bad_requests_are_typed_errors(setup) -> None:
    client, _, callback, _ = setup
    url = "/dsp/2025-1/negotiations/request"
    good = request_body(callback)
    cases = [
        ({}, json.dumps(good), 401, "Authorization"),
        (AUTH, "{not json", 400, "not valid JSON"),
        (AUTH, "[1, 2]", 400, "JSON object"),
        (AUTH, json.dumps({k: v for k, v in good.items() if k != "@context"}), 400, "@context"),
        (AUTH, json.dumps({**good, "@context": "https://w3id.org/dspace/2024/1/context.json"}), 400, "@context"),
        (AUTH, json.dumps({**good, "@type": "Nonsense"}), 400, "@type must be ContractRequestMessage"),
        (AUTH, json.dumps({k: v for k, v in good.items() if k != "consumerPid"}), 400, "consumerPid"),
        (AUTH, json.dumps({**good, "providerPid": "urn:x"}), 400, "providerPid"),
        (AUTH, json.dumps({**good, "callbackAddress": "http://10.0.0.1/steal"}), 400, "not registered"),
        (AUTH, json.dumps({**good, "callbackAddress": "gopher://x"}), 400, "http(s)"),
        (AUTH, json.dumps(request_body(callback, offer="urn:offer:none")), 400, "unknown offer"),
        (AUTH, json.dumps({**good, "pad": "x" * 1_100_000}), 413, "larger than"),
    ]
    for headers, body, status, words in cases:
        r = client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == status, (words, r.text)
        assert r.json()["@type"] == "ContractNegotiationError" and words in " ".join(r.json()["reason"]), r.text
        validate(r.json())
    r = client.post(url, content="x", headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["@type"] == "ContractNegotiationError"


def test_policy_refusals_name_their_reason(setup) -> None:
    client, _, callback, _ = setup
    url = "/dsp/2025-1/negotiations/request"
    r = client.post(url, json=request_body(callback, purpose=None), headers=AUTH)
    assert r.status_code == 403 and "purpose required" in r.json()["reason"][0]
    r = client.post(url, json=request_body(callback, purpose="advertising"), headers=AUTH)
    assert r.status_code == 403 and "advertising is not allowed" in r.json()["reason"][0]
    r = client.post(url, json=request_body(callback), headers=OUT_AUTH)
    assert r.status_code == 403 and "not a member" in r.json()["reason"][0]
    validate(r.json())


def test_agreement_carries_the_declared_purpose_and_processes_are_private(setup) -> None:
    client, party, callback, _ = setup
    ppid, cpid, agreement_id = negotiate(client, party, callback)
    msg = party.wait("ContractAgreementMessage", f"/negotiations/{cpid}/agreement").body
    agreement = msg["agreement"]
    assert agreement["assignee"] == PARTNER and agreement["assigner"] == "did:web:provider.example"
    assert agreement["target"] == TRAININGS
    purpose = next(c for c in agreement["permission"][0]["constraint"] if c["leftOperand"] == "odrl:purpose")
    assert purpose["operator"] == "eq" and purpose["rightOperand"] == "research"
    # Another participant sees nothing: 404 for GET and for messages.
    assert client.get(f"/dsp/2025-1/negotiations/{ppid}", headers=OUT_AUTH).status_code == 404
    term = message("ContractNegotiationTerminationMessage", providerPid=ppid, consumerPid=cpid)
    r = client.post(f"/dsp/2025-1/negotiations/{ppid}/termination", json=term, headers=OUT_AUTH)
    assert r.status_code == 404 and r.json()["@type"] == "ContractNegotiationError"
    # A message in a terminal state is a 400, a mismatching pid too.
    assert client.post(f"/dsp/2025-1/negotiations/{ppid}/termination", json=term, headers=AUTH).status_code == 400
    wrong = {**term, "consumerPid": "urn:uuid:other"}
    r = client.post(f"/dsp/2025-1/negotiations/{ppid}/termination", json=wrong, headers=AUTH)
    assert r.status_code == 400 and "does not match" in r.json()["reason"][0]
    assert client.get("/dsp/2025-1/negotiations/urn:uuid:unknown", headers=AUTH).status_code == 404


def test_retries_are_idempotent(setup) -> None:
    client, party, callback, _ = setup
    body = request_body(callback)
    first = client.post("/dsp/2025-1/negotiations/request", json=body, headers=AUTH)
    again = client.post("/dsp/2025-1/negotiations/request", json=body, headers=AUTH)
    assert first.json()["providerPid"] == again.json()["providerPid"]
    ppid, cpid = first.json()["providerPid"], body["consumerPid"]
    party.wait("ContractAgreementMessage", f"/negotiations/{cpid}/agreement")
    agreements = [r for r in party.received if r.path == f"/negotiations/{cpid}/agreement"]
    assert len(agreements) == 1  # the retry did not start a second negotiation
    verify = message("ContractAgreementVerificationMessage", providerPid=ppid, consumerPid=cpid, **{"@id": new_pid()})
    url = f"/dsp/2025-1/negotiations/{ppid}/agreement/verification"
    assert client.post(url, json=verify, headers=AUTH).status_code == 200
    assert client.post(url, json=verify, headers=AUTH).status_code == 200  # same message again: acknowledged
    replay = {**verify, "@id": new_pid()}  # a new verification in FINALIZED: refused
    assert client.post(url, json=replay, headers=AUTH).status_code == 400


def test_state_survives_a_restart(setup, counter) -> None:
    client, party, callback, home = setup
    body = request_body(callback)
    ppid = client.post("/dsp/2025-1/negotiations/request", json=body, headers=AUTH).json()["providerPid"]
    party.wait("ContractAgreementMessage", f"/negotiations/{body['consumerPid']}/agreement")
    restarted = TestClient(create_app(Context(client.app.state.ctx.settings, client.app.state.ctx.store)))
    r = restarted.get(f"/dsp/2025-1/negotiations/{ppid}", headers=AUTH)
    assert r.status_code == 200 and r.json()["state"] == "AGREED"
    verify = message("ContractAgreementVerificationMessage", providerPid=ppid, consumerPid=body["consumerPid"])
    assert (
        restarted.post(f"/dsp/2025-1/negotiations/{ppid}/agreement/verification", json=verify, headers=AUTH).status_code
        == 200
    )
    assert restarted.get(f"/dsp/2025-1/negotiations/{ppid}", headers=AUTH).json()["state"] == "FINALIZED"


def test_follow_up_lost_in_a_crash_is_sent_after_restart(setup) -> None:
    client, party, callback, _ = setup
    svc = client.app.state.dsp
    body = request_body(callback)
    msg = parse(body, ContractRequestMessage)
    process, _ = svc.negotiation_requested(PARTNER, msg)  # acknowledged, then the server "stopped" before agreeing
    assert process.state == "REQUESTED"
    restarted = create_app(Context(client.app.state.ctx.settings, client.app.state.ctx.store))
    party.wait("ContractAgreementMessage", f"/negotiations/{body['consumerPid']}/agreement", timeout=10)
    assert restarted.state.dsp.repo.get(Kind.NEGOTIATION, process.local_pid).state == "AGREED"


def test_react_retries_from_a_fresh_read_when_another_writer_wins_the_race(setup, monkeypatch) -> None:
    """Optimistic concurrency: another replica saves the process between our read and our save; the repository
    refuses our stale save (a real ConcurrentUpdate), and react reads the process again and still agrees."""
    client, party, callback, _ = setup
    svc = client.app.state.dsp
    body = request_body(callback)
    process, _ = svc.negotiation_requested(PARTNER, parse(body, ContractRequestMessage))
    repo, save, races = svc.repo, svc.repo.save, []

    def save_after_another_writer(p: Process) -> None:
        if not races:
            other = repo.get(p.kind, p.local_pid)
            other.data["note"] = "changed by another replica"
            save(other)  # bumps the stored version: the save below is now stale
            races.append(other.version)
        save(p)

    monkeypatch.setattr(repo, "save", save_after_another_writer)
    svc.react(Kind.NEGOTIATION, process.local_pid)
    assert races, "the race was not provoked"
    stored = repo.get(Kind.NEGOTIATION, process.local_pid)
    assert stored.state == "AGREED" and stored.data["note"] == "changed by another replica"
    party.wait("ContractAgreementMessage", f"/negotiations/{body['consumerPid']}/agreement")


# -- catalog ---------------------------------------------------------------------------------------------------------
def test_catalog_pages_and_filters(setup) -> None:
    client, _, _, _ = setup
    seen, url = [], "/dsp/2025-1/catalog/request"
    body = message("CatalogRequestMessage")
    while url:
        r = client.post(url, json=body, headers=AUTH)
        assert r.status_code == 200
        validate(r.json())
        seen += [d["dct:identifier"] for d in r.json()["dataset"]]
        links = r.links
        url = links["next"]["url"].removeprefix("http://testserver") if "next" in links else None
        if seen != ["esco", "rome"]:
            assert "previous" in links
    assert seen == ["esco", "rome", "alignment", "trainings", "job-sheets", "catalog"]  # provenance is internal
    r = client.post(
        "/dsp/2025-1/catalog/request?limit=10",
        json=message("CatalogRequestMessage", filter=[{"dcat:keyword": "ROME"}]),
        headers=AUTH,
    )
    assert [d["dct:identifier"] for d in r.json()["dataset"]] == ["rome", "alignment", "job-sheets"]
    r = client.post(
        "/dsp/2025-1/catalog/request", json=message("CatalogRequestMessage", filter=[{"size": ">1"}]), headers=AUTH
    )
    assert r.status_code == 400 and r.json()["@type"] == "CatalogError"
    r = client.post("/dsp/2025-1/catalog/request?offset=-1", json=body, headers=AUTH)
    assert r.status_code == 400
    r = client.get(f"/dsp/2025-1/catalog/datasets/{TRAININGS}", headers=AUTH)
    validate(r.json())
    assert r.json()["http://rdfs.org/ns/void#triples"] == 11
    assert r.json()["distribution"][0]["accessService"]["endpointURL"] == "http://testserver/dsp/2025-1"


# -- transfer and its token ------------------------------------------------------------------------------------------
def test_transfer_token_life(setup) -> None:
    client, party, callback, _ = setup
    _, _, agreement = negotiate(client, party, callback)
    cpid = new_pid()
    request = message(
        "TransferRequestMessage",
        consumerPid=cpid,
        agreementId=agreement,
        format="HttpData-PULL",
        callbackAddress=callback,
    )
    assert (
        client.post("/dsp/2025-1/transfers/request", json={**request, "format": "S3-PUSH"}, headers=AUTH).status_code
        == 400
    )
    foreign = client.post("/dsp/2025-1/transfers/request", json={**request, "consumerPid": new_pid()}, headers=OUT_AUTH)
    assert foreign.status_code == 400 and "no agreement" in foreign.json()["reason"][0]
    r = client.post("/dsp/2025-1/transfers/request", json=request, headers=AUTH)
    assert r.status_code == 201
    ppid = r.json()["providerPid"]
    start = party.wait("TransferStartMessage", f"/transfers/{cpid}/start").body
    props = {p["name"]: p["value"] for p in start["dataAddress"]["endpointProperties"]}
    assert start["dataAddress"]["endpoint"] == "http://testserver/sparql"
    bearer = {"Authorization": f"Bearer {props['authorization']}"}

    def count(headers) -> int:
        r = client.get("/sparql", params={"query": COUNT}, headers=headers)
        return int(r.json()["results"]["bindings"][0]["n"]["value"]) if r.status_code == 200 else r.status_code

    assert count({}) == 0  # the trainings are not open
    assert count(bearer) == 11
    dump = client.get(props["dumpEndpoint"].removeprefix("http://testserver"), headers=bearer)
    assert dump.status_code == 200 and dump.headers["content-type"].startswith("application/n-triples")
    assert len(dump.text.strip().splitlines()) == 11
    assert client.get("/dsp/data/trainings").status_code == 401

    pids = {"providerPid": ppid, "consumerPid": cpid}
    assert (
        client.post(
            f"/dsp/2025-1/transfers/{ppid}/suspension", json=message("TransferSuspensionMessage", **pids), headers=AUTH
        ).status_code
        == 200
    )
    assert count(bearer) == 401
    assert (
        client.post(
            f"/dsp/2025-1/transfers/{ppid}/start", json=message("TransferStartMessage", **pids), headers=AUTH
        ).status_code
        == 200
    )
    assert count(bearer) == 11  # resumed by the consumer: the same token works again
    assert (
        client.post(
            f"/dsp/2025-1/transfers/{ppid}/completion", json=message("TransferCompletionMessage", **pids), headers=AUTH
        ).status_code
        == 200
    )
    assert count(bearer) == 401
    assert count({"Authorization": "Bearer dspt_forged"}) == 401


def test_operator_terminates_a_transfer_over_http(setup) -> None:
    client, party, callback, _ = setup
    _, _, agreement = negotiate(client, party, callback)
    cpid = new_pid()
    request = message(
        "TransferRequestMessage",
        consumerPid=cpid,
        agreementId=agreement,
        format="HttpData-PULL",
        callbackAddress=callback,
    )
    ppid = client.post("/dsp/2025-1/transfers/request", json=request, headers=AUTH).json()["providerPid"]
    start = party.wait("TransferStartMessage", f"/transfers/{cpid}/start").body
    token = next(p["value"] for p in start["dataAddress"]["endpointProperties"] if p["name"] == "authorization")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/sparql", params={"query": COUNT}, headers=bearer).status_code == 200

    ops = {"X-API-Key": OPERATOR_KEY}
    assert client.get("/dsp/admin/transfers").status_code == 401
    assert client.get("/dsp/admin/transfers", headers=AUTH).status_code == 401  # a partner token is no operator key
    listed = client.get("/dsp/admin/transfers", headers=ops).json()
    assert any(t["pid"] == ppid and t["state"] == "STARTED" for t in listed)
    r = client.post(f"/dsp/admin/transfers/{ppid}/terminate", json={"reason": "audit"}, headers=ops)
    assert r.status_code == 200 and r.json()["state"] == "TERMINATED"
    told = party.wait("TransferTerminationMessage", f"/transfers/{cpid}/termination").body
    assert told["reason"] == ["audit"]
    assert client.get("/sparql", params={"query": COUNT}, headers=bearer).status_code == 401
    again = client.post(f"/dsp/admin/transfers/{ppid}/complete", headers=ops)
    assert again.status_code == 409
    assert client.post("/dsp/admin/transfers/urn:uuid:none/terminate", headers=ops).status_code == 404


def test_request_without_target_names_the_dataset_by_its_offer(setup) -> None:
    client, party, callback, _ = setup
    body = request_body(callback)
    del body["offer"]["target"]  # optional in the 2025-1 schema
    r = client.post("/dsp/2025-1/negotiations/request", json=body, headers=AUTH)
    assert r.status_code == 201, r.text
    agreement = party.wait("ContractAgreementMessage", f"/negotiations/{body['consumerPid']}/agreement").body
    assert agreement["agreement"]["target"] == TRAININGS
