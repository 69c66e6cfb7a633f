"""The Eclipse Dataspace TCK's provider-side cases (MET, CAT, CN, TP), reproduced against the running connector.

Each case follows the TCK's flow and expectations: the seeds and ids of its sample configuration, typed 4xx errors
(never 404 or 5xx) where it expects a failure, every object checked against the official 2025-1 JSON Schemas, the
follow-up messages expected on the TCK's callback server, and the state read back with GET.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.dsp.harness import CounterParty, Peer, assert_error, new_pid, validate, validate_version


def test_met_01_01_version_metadata(cut) -> None:
    r = requests.get(f"{cut[1]}/.well-known/dspace-version", timeout=5)
    assert r.status_code == 200
    validate_version(r.json())
    assert any(v["version"] == "2025-1" and v["path"] and v["binding"] for v in r.json()["protocolVersions"])


def test_cat_01_01_catalog_contains_dataset(peer: Peer) -> None:
    r = peer.post("/catalog/request", "CatalogRequestMessage", filter=[])
    assert r.status_code == 200
    validate(r.json())
    assert "CAT0101" in {d["@id"] for d in r.json()["dataset"]}


def test_cat_01_02_dataset(peer: Peer) -> None:
    r = peer.get("/catalog/datasets/CAT0102")
    assert r.status_code == 200
    validate(r.json())
    assert r.json()["@id"] == "CAT0102"


def test_cat_01_03_unknown_dataset_is_a_catalog_error(peer: Peer) -> None:
    r = peer.get("/catalog/datasets/CAT0103")
    validate(r.json())
    assert r.json()["@type"] == "CatalogError" and r.status_code == 404


def _offer(dataset: str) -> dict:
    return {"@id": f"CD123:{dataset}:456", "@type": "Offer", "target": dataset, "permission": [{"action": "use"}]}


class Negotiation:
    """The TCK's provider-negotiation pipeline: the consumer side, talking to the CUT."""

    def __init__(self, peer: Peer, counter: tuple[CounterParty, str], dataset: str) -> None:
        self.peer, self.party, self.callback = peer, counter[0], counter[1]
        self.dataset, self.cpid = dataset, new_pid()
        self.mark = self.party.count()
        r = peer.post(
            "/negotiations/request",
            "ContractRequestMessage",
            consumerPid=self.cpid,
            offer=_offer(dataset),
            callbackAddress=self.callback,
        )
        assert r.status_code == 201, r.text
        validate(r.json())
        assert r.json()["state"] == "REQUESTED" and r.json()["consumerPid"] == self.cpid
        self.ppid = r.json()["providerPid"]

    def expect(self, type_: str, event: str | None = None) -> dict:
        msg = self.party.wait(type_, f"/negotiations/{self.cpid}/", after=self.mark)
        self.mark = self.party.received.index(msg) + 1
        assert msg.body["providerPid"] == self.ppid and msg.body["consumerPid"] == self.cpid
        if event:
            assert msg.body["eventType"] == event
        return msg.body

    def quiet(self, seconds: float = 0.4) -> None:
        time.sleep(seconds)
        assert self.party.count() == self.mark or all(
            f"/negotiations/{self.cpid}/" not in r.path for r in self.party.received[self.mark :]
        ), "the CUT must stay idle"

    def send(self, path: str, type_: str, **fields) -> requests.Response:
        return self.peer.post(
            f"/negotiations/{self.ppid}/{path}", type_, providerPid=self.ppid, consumerPid=self.cpid, **fields
        )

    def terminate(self) -> requests.Response:
        return self.send("termination", "ContractNegotiationTerminationMessage", code="1")

    def accept(self) -> requests.Response:
        return self.send("events", "ContractNegotiationEventMessage", eventType="ACCEPTED")

    def verify(self) -> requests.Response:
        return self.send("agreement/verification", "ContractAgreementVerificationMessage")

    def counter_offer(self) -> requests.Response:
        offer = {**_offer(self.dataset), "assigner": "did:web:cut.example", "assignee": "TCK_PARTICIPANT"}
        return self.send("request", "ContractRequestMessage", offer=offer)

    def state(self, expected: str) -> None:
        self.peer.state("negotiations", self.ppid, expected)


def ok(r: requests.Response) -> None:
    assert r.status_code == 200, r.text
    validate(r.json())


def err(r: requests.Response) -> None:
    assert_error(r, "ContractNegotiationError")


def cn_01_01(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    ok(n.terminate())
    n.state("TERMINATED")


def cn_01_02(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    ok(n.counter_offer())
    n.expect("ContractNegotiationTerminationMessage")
    n.state("TERMINATED")


def cn_01_03(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    ok(n.accept())
    agreement = n.expect("ContractAgreementMessage")["agreement"]
    assert agreement["target"] == "ACN0103" and agreement["assignee"] == "TCK_PARTICIPANT"
    ok(n.verify())
    n.expect("ContractNegotiationEventMessage", "FINALIZED")
    n.state("FINALIZED")


def cn_01_04(n: Negotiation) -> None:
    n.expect("ContractAgreementMessage")
    ok(n.verify())
    n.expect("ContractNegotiationEventMessage", "FINALIZED")
    n.state("FINALIZED")


def cn_02_01(n: Negotiation) -> None:
    n.expect("ContractNegotiationTerminationMessage")
    n.state("TERMINATED")


def cn_02_02(n: Negotiation) -> None:
    n.quiet()
    n.state("REQUESTED")
    ok(n.terminate())
    n.state("TERMINATED")


def cn_02_03(n: Negotiation) -> None:
    n.expect("ContractAgreementMessage")
    ok(n.terminate())
    n.state("TERMINATED")


def cn_02_04(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    ok(n.terminate())
    n.state("TERMINATED")


def cn_02_05(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    n.expect("ContractNegotiationTerminationMessage")
    n.state("TERMINATED")


def cn_02_06(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    ok(n.accept())
    n.expect("ContractNegotiationTerminationMessage")
    n.state("TERMINATED")


def cn_02_07(n: Negotiation) -> None:
    n.expect("ContractAgreementMessage")
    ok(n.verify())
    n.expect("ContractNegotiationTerminationMessage")
    n.state("TERMINATED")


def cn_03_01(n: Negotiation) -> None:
    n.expect("ContractAgreementMessage")
    ok(n.verify())
    n.expect("ContractNegotiationEventMessage", "FINALIZED")
    n.state("FINALIZED")
    err(n.terminate())
    n.state("FINALIZED")


def cn_03_02(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    err(n.verify())
    n.state("OFFERED")


def cn_03_03(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    ok(n.accept())
    n.quiet()
    n.state("ACCEPTED")
    err(n.verify())
    n.state("ACCEPTED")


def cn_03_04(n: Negotiation) -> None:
    n.expect("ContractOfferMessage")
    ok(n.counter_offer())
    n.quiet()
    n.state("REQUESTED")
    err(n.counter_offer())
    n.state("REQUESTED")


CN_CASES = {
    "ACN0101": cn_01_01, "ACN0102": cn_01_02, "ACN0103": cn_01_03, "ACN0104": cn_01_04,
    "ACN0201": cn_02_01, "ACN0202": cn_02_02, "ACN0203": cn_02_03, "ACN0204": cn_02_04,
    "ACN0205": cn_02_05, "ACN0206": cn_02_06, "ACN0207": cn_02_07,
    "ACN0301": cn_03_01, "ACN0302": cn_03_02, "ACN0303": cn_03_03, "ACN0304": cn_03_04,
}  # fmt: skip


@pytest.mark.parametrize("dataset", list(CN_CASES), ids=[f"CN:{d[3:5]}-{d[5:7]}" for d in CN_CASES])
def test_cn_provider(dataset: str, peer: Peer, counter) -> None:
    CN_CASES[dataset](Negotiation(peer, counter, dataset))
    assert not counter[0].errors, counter[0].errors


class Transfer:
    """The TCK's provider-transfer pipeline for a pre-seeded agreement."""

    def __init__(self, peer: Peer, counter: tuple[CounterParty, str], agreement: str) -> None:
        self.peer, self.party = peer, counter[0]
        self.cpid = new_pid()
        self.mark = self.party.count()
        r = peer.post(
            "/transfers/request",
            "TransferRequestMessage",
            consumerPid=self.cpid,
            agreementId=agreement,
            format="HttpData-PULL",
            callbackAddress=counter[1],
        )
        assert r.status_code == 201, r.text
        validate(r.json())
        assert r.json()["state"] == "REQUESTED"
        self.ppid = r.json()["providerPid"]

    def expect(self, type_: str) -> dict:
        msg = self.party.wait(type_, f"/transfers/{self.cpid}/", after=self.mark)
        self.mark = self.party.received.index(msg) + 1
        assert msg.body["providerPid"] == self.ppid and msg.body["consumerPid"] == self.cpid
        return msg.body

    def send(self, path: str, type_: str, **fields) -> requests.Response:
        return self.peer.post(
            f"/transfers/{self.ppid}/{path}", type_, providerPid=self.ppid, consumerPid=self.cpid, **fields
        )

    def state(self, expected: str) -> None:
        self.peer.state("transfers", self.ppid, expected)


def tok(r: requests.Response) -> None:
    assert r.status_code == 200, r.text


def terr(r: requests.Response) -> None:
    assert_error(r, "TransferError")


def _start(t: Transfer) -> None:
    start = t.expect("TransferStartMessage")
    names = {p["name"] for p in start["dataAddress"]["endpointProperties"]}
    assert {"authorization", "authType"} <= names


TP_CASES = {
    "ATP0101": lambda t: (_start(t), t.expect("TransferTerminationMessage"), t.state("TERMINATED")),
    "ATP0102": lambda t: (_start(t), t.expect("TransferCompletionMessage"), t.state("COMPLETED")),
    "ATP0103": lambda t: (
        _start(t), t.expect("TransferSuspensionMessage"), t.expect("TransferTerminationMessage"), t.state("TERMINATED")
    ),
    "ATP0104": lambda t: (
        _start(t), t.expect("TransferSuspensionMessage"), _start(t), t.expect("TransferCompletionMessage"),
        t.state("COMPLETED"),
    ),
    "ATP0105": lambda t: (t.expect("TransferTerminationMessage"), t.state("TERMINATED")),
    "ATP0201": lambda t: (
        _start(t), t.state("STARTED"), tok(t.send("termination", "TransferTerminationMessage", code="1")),
        t.state("TERMINATED"),
    ),
    "ATP0202": lambda t: (
        _start(t), t.state("STARTED"), tok(t.send("completion", "TransferCompletionMessage")), t.state("COMPLETED")
    ),
    "ATP0203": lambda t: (
        _start(t), tok(t.send("suspension", "TransferSuspensionMessage", code="1")), t.state("SUSPENDED"),
        tok(t.send("termination", "TransferTerminationMessage", code="1")), t.state("TERMINATED"),
    ),
    # TP:02-04 is disabled in the TCK; the flow (consumer resumes a suspended transfer) is valid DSP, so test it.
    "ATP0204": lambda t: (
        _start(t), tok(t.send("suspension", "TransferSuspensionMessage", code="1")), t.state("SUSPENDED"),
        tok(t.send("start", "TransferStartMessage")), t.state("STARTED"),
        tok(t.send("completion", "TransferCompletionMessage")), t.state("COMPLETED"),
    ),
    "ATP0205": lambda t: (
        t.state("REQUESTED"), tok(t.send("termination", "TransferTerminationMessage", code="1")), t.state("TERMINATED")
    ),
    "ATP0301": lambda t: (
        t.state("REQUESTED"), terr(t.send("completion", "TransferCompletionMessage")), t.state("REQUESTED")
    ),
    "ATP0302": lambda t: (
        t.state("REQUESTED"), terr(t.send("suspension", "TransferSuspensionMessage", code="1")), t.state("REQUESTED")
    ),
    "ATP0303": lambda t: (
        _start(t), tok(t.send("suspension", "TransferSuspensionMessage", code="1")), t.state("SUSPENDED"),
        terr(t.send("completion", "TransferCompletionMessage")), t.state("SUSPENDED"),
    ),
    "ATP0304": lambda t: (
        _start(t), tok(t.send("termination", "TransferTerminationMessage", code="1")), t.state("TERMINATED"),
        terr(t.send("start", "TransferStartMessage")),
    ),
    "ATP0305": lambda t: (
        _start(t), tok(t.send("termination", "TransferTerminationMessage", code="1")), t.state("TERMINATED"),
        terr(t.send("suspension", "TransferSuspensionMessage", code="1")),
    ),
    "ATP0306": lambda t: (
        _start(t), tok(t.send("termination", "TransferTerminationMessage", code="1")), t.state("TERMINATED"),
        terr(t.send("completion", "TransferCompletionMessage")),
    ),
}  # fmt: skip


@pytest.mark.parametrize("agreement", list(TP_CASES), ids=[f"TP:{a[3:5]}-{a[5:7]}" for a in TP_CASES])
def test_tp_provider(agreement: str, peer: Peer, counter) -> None:
    TP_CASES[agreement](Transfer(peer, counter, agreement))
    assert not counter[0].errors, counter[0].errors


def test_tck_mode_takes_a_missing_or_unknown_credential_as_the_tck(cut) -> None:
    body = {"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage"}
    for headers in ({}, {"Authorization": "Bearer whatever-the-tck-config-says"}):
        r = requests.post(f"{cut[1]}/dsp/2025-1/catalog/request", json=body, headers=headers, timeout=5)
        assert r.status_code == 200 and r.json()["dataset"]
