"""The Eclipse Dataspace TCK's consumer-side cases (CN_C, TP_C), reproduced against the running connector.

The test triggers the connector through the TCK trigger endpoints; the counter-party (playing the TCK's provider)
acknowledges its requests, the test sends the provider's messages to the connector's callback endpoints and checks
the messages the connector sends back and the state it reports.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.dsp.harness import CounterParty, Peer, assert_error, new_pid, validate

TCK = "TCK_PARTICIPANT"


class ConsumerNegotiation:
    def __init__(self, peer: Peer, counter: tuple[CounterParty, str], dataset: str) -> None:
        self.peer, self.party = peer, counter[0]
        self.dataset = dataset
        self.mark = self.party.count()
        trigger = {
            "providerId": TCK,
            "offerId": f"offer{dataset}",
            "datasetId": dataset,
            "connectorAddress": counter[1],
        }
        r = requests.post(f"{peer.base}/tck/negotiations/requests", json=trigger, timeout=5)
        assert 200 <= r.status_code < 300, r.text
        request = self.party.wait("ContractRequestMessage", "/negotiations/request", after=self.mark)
        assert request.body["offer"]["@id"] == f"offer{dataset}" and request.body["offer"]["target"] == dataset
        self.mark = self.party.received.index(request) + 1
        self.cpid = request.body["consumerPid"]
        self.callback = request.body["callbackAddress"]
        self.ppid = None
        # The counter-party's acknowledgement carried a fresh providerPid: read it back from the CUT.
        deadline = time.monotonic() + 5
        while self.ppid is None and time.monotonic() < deadline:
            r = peer.get(f"/negotiations/{self.cpid}")
            self.ppid = r.json().get("providerPid") or None if r.status_code == 200 else None
            time.sleep(0.01)
        assert self.ppid

    def send(self, path: str, type_: str, **fields) -> requests.Response:
        return self.peer.post(
            f"/negotiations/{self.cpid}/{path}", type_, providerPid=self.ppid, consumerPid=self.cpid, **fields
        )

    def offer(self) -> requests.Response:
        offer = {
            "@id": f"offer{self.dataset}",
            "@type": "Offer",
            "target": self.dataset,
            "permission": [{"action": "use"}],
        }
        return self.send("offers", "ContractOfferMessage", offer=offer)

    def agreement(self) -> requests.Response:
        agreement = {
            "@id": new_pid(), "@type": "Agreement", "target": self.dataset, "assigner": TCK,
            "assignee": "did:web:cut.example", "timestamp": "2026-01-01T00:00:00Z", "permission": [{"action": "use"}],
        }  # fmt: skip
        return self.send("agreement", "ContractAgreementMessage", agreement=agreement)

    def finalize(self) -> requests.Response:
        return self.send("events", "ContractNegotiationEventMessage", eventType="FINALIZED")

    def terminate(self) -> requests.Response:
        return self.send("termination", "ContractNegotiationTerminationMessage", code="1")

    def expect(self, type_: str, suffix: str) -> dict:
        msg = self.party.wait(type_, f"/negotiations/{self.ppid}/{suffix}", after=self.mark)
        self.mark = self.party.received.index(msg) + 1
        assert msg.body["providerPid"] == self.ppid and msg.body["consumerPid"] == self.cpid
        return msg.body

    def quiet(self, seconds: float = 0.4) -> None:
        time.sleep(seconds)
        assert all(f"/negotiations/{self.ppid}/" not in r.path for r in self.party.received[self.mark :])

    def state(self, expected: str) -> None:
        self.peer.state("negotiations", self.cpid, expected)


def ok(r: requests.Response) -> None:
    assert r.status_code == 200, r.text
    validate(r.json())


def err(r: requests.Response) -> None:
    assert_error(r, "ContractNegotiationError")


def accepted(n: ConsumerNegotiation) -> None:
    assert n.expect("ContractNegotiationEventMessage", "events")["eventType"] == "ACCEPTED"


CN_C_CASES = {
    "ACNC0101": lambda n: (
        ok(n.offer()), accepted(n), ok(n.agreement()), n.expect("ContractAgreementVerificationMessage", "agreement/"),
        ok(n.finalize()), n.state("FINALIZED"),
    ),
    "ACNC0102": lambda n: (
        ok(n.offer()), n.expect("ContractRequestMessage", "request"), ok(n.terminate()), n.state("TERMINATED")
    ),
    "ACNC0103": lambda n: (
        ok(n.offer()), n.expect("ContractNegotiationTerminationMessage", "termination"), n.state("TERMINATED")
    ),
    "ACNC0104": lambda n: (
        ok(n.agreement()), n.expect("ContractAgreementVerificationMessage", "agreement/"), ok(n.finalize()),
        n.state("FINALIZED"),
    ),
    "ACNC0201": lambda n: (ok(n.terminate()), n.state("TERMINATED")),
    "ACNC0202": lambda n: (n.expect("ContractNegotiationTerminationMessage", "termination"), n.state("TERMINATED")),
    "ACNC0203": lambda n: (
        ok(n.agreement()), n.expect("ContractNegotiationTerminationMessage", "termination"), n.state("TERMINATED")
    ),
    "ACNC0204": lambda n: (ok(n.offer()), n.quiet(), n.state("OFFERED"), ok(n.terminate()), n.state("TERMINATED")),
    "ACNC0205": lambda n: (ok(n.offer()), accepted(n), ok(n.terminate()), n.state("TERMINATED")),
    "ACNC0206": lambda n: (
        ok(n.agreement()), n.expect("ContractAgreementVerificationMessage", "agreement/"), ok(n.terminate()),
        n.state("TERMINATED"),
    ),
    "ACNC0301": lambda n: (err(n.finalize()), n.state("REQUESTED")),
    "ACNC0302": lambda n: (ok(n.offer()), n.state("OFFERED"), err(n.agreement()), n.state("OFFERED")),
    "ACNC0303": lambda n: (ok(n.offer()), n.state("OFFERED"), err(n.finalize()), n.state("OFFERED")),
    "ACNC0304": lambda n: (ok(n.offer()), accepted(n), err(n.finalize()), n.state("ACCEPTED")),
    "ACNC0305": lambda n: (ok(n.offer()), accepted(n), err(n.offer()), n.state("ACCEPTED")),
    "ACNC0306": lambda n: (
        ok(n.offer()), accepted(n), ok(n.agreement()), n.quiet(), err(n.finalize()), n.state("AGREED")
    ),
}  # fmt: skip


@pytest.mark.parametrize("dataset", list(CN_C_CASES), ids=[f"CN_C:{d[4:6]}-{d[6:8]}" for d in CN_C_CASES])
def test_cn_consumer(dataset: str, peer: Peer, counter) -> None:
    CN_C_CASES[dataset](ConsumerNegotiation(peer, counter, dataset))
    assert not counter[0].errors, counter[0].errors


class ConsumerTransfer:
    def __init__(self, peer: Peer, counter: tuple[CounterParty, str], agreement: str) -> None:
        self.peer, self.party = peer, counter[0]
        self.mark = self.party.count()
        trigger = {
            "providerId": TCK,
            "agreementId": agreement,
            "format": "HttpData-PULL",
            "connectorAddress": counter[1],
        }
        r = requests.post(f"{peer.base}/tck/transfers/requests", json=trigger, timeout=5)
        assert 200 <= r.status_code < 300, r.text
        request = self.party.wait("TransferRequestMessage", "/transfers/request", after=self.mark)
        assert request.body["agreementId"] == agreement and request.body["format"] == "HttpData-PULL"
        self.mark = self.party.received.index(request) + 1
        self.cpid = request.body["consumerPid"]
        self.ppid = None
        deadline = time.monotonic() + 5
        while self.ppid is None and time.monotonic() < deadline:
            r = peer.get(f"/transfers/{self.cpid}")
            self.ppid = r.json().get("providerPid") or None if r.status_code == 200 else None
            time.sleep(0.01)
        assert self.ppid

    def send(self, path: str, type_: str, **fields) -> requests.Response:
        return self.peer.post(
            f"/transfers/{self.cpid}/{path}", type_, providerPid=self.ppid, consumerPid=self.cpid, **fields
        )

    def start(self) -> requests.Response:
        address = {
            "@type": "DataAddress", "endpointType": "https://w3id.org/idsa/v4.1/HTTP", "endpoint": "http://127.0.0.1:1/x",
            "endpointProperties": [{"@type": "EndpointProperty", "name": "authorization", "value": "secret"}],
        }  # fmt: skip
        return self.send("start", "TransferStartMessage", dataAddress=address)

    def expect(self, type_: str, suffix: str) -> dict:
        msg = self.party.wait(type_, f"/transfers/{self.ppid}/{suffix}", after=self.mark)
        self.mark = self.party.received.index(msg) + 1
        assert msg.body["providerPid"] == self.ppid and msg.body["consumerPid"] == self.cpid
        return msg.body

    def state(self, expected: str) -> None:
        self.peer.state("transfers", self.cpid, expected)


def terr(r: requests.Response) -> None:
    assert_error(r, "TransferError")


def _terminate(t: ConsumerTransfer) -> requests.Response:
    return t.send("termination", "TransferTerminationMessage", code="1")


def _suspend(t: ConsumerTransfer) -> requests.Response:
    return t.send("suspension", "TransferSuspensionMessage", code="1")


def _complete(t: ConsumerTransfer) -> requests.Response:
    return t.send("completion", "TransferCompletionMessage")


TP_C_CASES = {
    "ATPC0101": lambda t: (ok(t.start()), t.state("STARTED"), ok(_terminate(t)), t.state("TERMINATED")),
    "ATPC0102": lambda t: (ok(t.start()), t.state("STARTED"), ok(_complete(t)), t.state("COMPLETED")),
    "ATPC0103": lambda t: (
        ok(t.start()), ok(_suspend(t)), t.state("SUSPENDED"), ok(_terminate(t)), t.state("TERMINATED")
    ),
    "ATPC0104": lambda t: (
        ok(t.start()), ok(_suspend(t)), t.state("SUSPENDED"), ok(t.start()), t.state("STARTED"), ok(_complete(t)),
        t.state("COMPLETED"),
    ),
    "ATPC0105": lambda t: (ok(_terminate(t)), t.state("TERMINATED")),
    "ATPC0201": lambda t: (ok(t.start()), t.expect("TransferTerminationMessage", "termination"), t.state("TERMINATED")),
    "ATPC0202": lambda t: (ok(t.start()), t.expect("TransferCompletionMessage", "completion"), t.state("COMPLETED")),
    "ATPC0203": lambda t: (
        ok(t.start()), t.expect("TransferSuspensionMessage", "suspension"),
        t.expect("TransferTerminationMessage", "termination"), t.state("TERMINATED"),
    ),
    "ATPC0205": lambda t: (t.expect("TransferTerminationMessage", "termination"), t.state("TERMINATED")),
    "ATPC0301": lambda t: (terr(_complete(t)), t.state("REQUESTED")),
    "ATPC0302": lambda t: (terr(_suspend(t)), t.state("REQUESTED")),
    "ATPC0303": lambda t: (
        ok(t.start()), ok(_suspend(t)), t.state("SUSPENDED"), terr(_complete(t)), t.state("SUSPENDED")
    ),
    "ATPC0304": lambda t: (ok(t.start()), ok(_terminate(t)), terr(t.start()), t.state("TERMINATED")),
    "ATPC0305": lambda t: (ok(t.start()), ok(_terminate(t)), terr(_suspend(t)), t.state("TERMINATED")),
    "ATPC0306": lambda t: (ok(t.start()), ok(_terminate(t)), terr(_complete(t)), t.state("TERMINATED")),
}  # fmt: skip


@pytest.mark.parametrize("agreement", list(TP_C_CASES), ids=[f"TP_C:{a[4:6]}-{a[6:8]}" for a in TP_C_CASES])
def test_tp_consumer(agreement: str, peer: Peer, counter) -> None:
    TP_C_CASES[agreement](ConsumerTransfer(peer, counter, agreement))
    assert not counter[0].errors, counter[0].errors
