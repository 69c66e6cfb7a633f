"""Concurrent messages for one process are serialized; the repository refuses lost updates across processes;
trailing slashes are tolerated; the consumer follows catalog pages."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from connector.api.app import create_app
from connector.auth import InvalidCredentials
from connector.config import DspParticipant, load_settings
from connector.context import Context
from connector.dsp import consumer
from connector.dsp.client import DspClient
from connector.dsp.identity import Participants
from connector.dsp.repository import Agreement, ConcurrentUpdate, Process, TransferToken
from connector.dsp.sqlite import SqliteRepository
from connector.dsp.states import Kind, Role
from connector.dsp.tokens import TransferTokenResolver, digest
from tests.dsp.harness import new_pid, serve_app, validate
from tests.servers import free_port


def test_concurrent_messages_on_one_process_apply_once(peer, counter) -> None:
    party, callback = counter
    cpid = new_pid()
    offer = {"@id": "CD123:ACN0303:456", "@type": "Offer", "target": "ACN0303", "permission": [{"action": "use"}]}
    r = peer.post(
        "/negotiations/request", "ContractRequestMessage", consumerPid=cpid, offer=offer, callbackAddress=callback
    )
    ppid = r.json()["providerPid"]
    party.wait("ContractOfferMessage", f"/negotiations/{cpid}/offers")
    peer.state("negotiations", ppid, "OFFERED")

    def accept(_: int) -> int:
        return peer.post(
            f"/negotiations/{ppid}/events/", "ContractNegotiationEventMessage",
            providerPid=ppid, consumerPid=cpid, eventType="ACCEPTED",
        ).status_code  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(accept, range(8)))
    assert statuses == [200] + [400] * 7, statuses
    peer.state("negotiations", ppid, "ACCEPTED")


def test_trailing_slash_is_not_redirected(peer) -> None:
    r = peer.post("/catalog/request/", "CatalogRequestMessage")
    assert r.status_code == 200 and not r.history
    validate(r.json())


def _process(pid: str) -> Process:
    return Process(Kind.TRANSFER, Role.PROVIDER, pid, pid, "urn:c", "did:web:x", "http://127.0.0.1/cb", "STARTED")


def test_optimistic_versions_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "dsp.sqlite"
    one, two = SqliteRepository(path), SqliteRepository(path)
    one.insert(_process("urn:p"))
    a, b = one.get(Kind.TRANSFER, "urn:p"), two.get(Kind.TRANSFER, "urn:p")
    a.state = "SUSPENDED"
    one.save(a)
    b.state = "COMPLETED"
    with pytest.raises(ConcurrentUpdate):
        two.save(b)  # b was read before a's change: refused, not silently overwritten
    assert two.get(Kind.TRANSFER, "urn:p").state == "SUSPENDED"
    assert two.find_by_remote(Kind.TRANSFER, Role.PROVIDER, "did:web:x", "urn:c").local_pid == "urn:p"
    one.close()
    two.close()
    reopened = SqliteRepository(path)
    assert reopened.get(Kind.TRANSFER, "urn:p").version == 2
    reopened.close()


def test_token_resolver_refuses_expired_and_revoked(tmp_path: Path) -> None:
    repo = SqliteRepository(tmp_path / "dsp.sqlite")
    repo.insert(_process("urn:t"))
    repo.put_agreement(Agreement("urn:a", "trainings", "did:web:p", "did:web:x", {}, time.time()))
    resolver = TransferTokenResolver(repo, lambda d: frozenset({f"urn:graph:{d}"}))
    repo.put_token(TransferToken(digest("dspt_live"), "urn:t", "urn:a", "did:web:x", time.time() + 60))
    repo.put_token(TransferToken(digest("dspt_old"), "urn:t", "urn:a", "did:web:x", time.time() - 1))
    principal = resolver.resolve("dspt_live")
    assert principal.graphs == {"urn:graph:trainings"} and principal.roles == {"partner"}
    assert principal.participant_id == "did:web:x"
    assert resolver.resolve("gsk_not-mine") is None
    with pytest.raises(InvalidCredentials, match="expired"):
        resolver.resolve("dspt_old")
    assert repo.revoke_tokens("urn:t") == 2
    with pytest.raises(InvalidCredentials, match="revoked"):
        resolver.resolve("dspt_live")
    repo.close()


def test_concurrent_initial_requests_open_one_process(peer, counter) -> None:
    cpid = new_pid()
    offer = {"@id": "CD123:ACN0202:456", "@type": "Offer", "target": "ACN0202", "permission": [{"action": "use"}]}

    def request(_: int) -> tuple[int, str]:
        r = peer.post(
            "/negotiations/request", "ContractRequestMessage", consumerPid=cpid, offer=offer, callbackAddress=counter[1]
        )
        return r.status_code, r.json()["providerPid"]

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(request, range(6)))
    assert {status for status, _ in answers} == {201}
    assert len({pid for _, pid in answers}) == 1, answers


def test_consumer_crawls_every_catalog_page(tmp_path: Path) -> None:
    port = free_port()
    ctx = Context(
        load_settings(
            home=tmp_path, port=port, public_url=f"http://127.0.0.1:{port}", dsp_tck_mode=True, dsp_catalog_page_size=5
        )
    )
    with serve_app(create_app(ctx), port) as base:
        me = Participants("did:web:me", [DspParticipant(id=ctx.settings.participant_id, outbound_token="tck-token")])
        client = DspClient(me)
        provider = consumer.discover(client, base)
        assert provider.base == f"{base}/dsp/2025-1" and provider.id == ctx.settings.participant_id
        doc = consumer.catalog(client, provider)
        keys = [d["dct:identifier"] for d in doc["dataset"]]
        assert len(keys) == len(set(keys)) == 6 + 17  # the registry's datasets and the TCK's, over 5 pages
        offer = consumer.choose_offer(consumer.dataset(client, provider, "trainings"), None, "research")
        purpose = offer["permission"][0]["constraint"][0]
        assert offer["target"].endswith("/dataset/trainings") and purpose["rightOperand"] == "research"
    ctx.close()
