"""The DSP state repository contract, run against SQLite and a real PostgreSQL server alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.dsp.postgres import PostgresRepository, StateDatabaseUnavailable
from connector.dsp.repository import (
    Agreement,
    ConcurrentUpdate,
    DspRepository,
    DuplicateProcess,
    Process,
    TransferToken,
)
from connector.dsp.sqlite import SqliteRepository
from connector.dsp.states import Kind, Role
from tests.postgres import postgres_cluster
from tests.servers import free_port


@pytest.fixture(params=["sqlite", "postgres"])
def open_repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """A factory: each call is another handle on the same database (as two replicas would hold)."""
    opened: list[DspRepository] = []
    if request.param == "sqlite":
        path = tmp_path / "dsp.sqlite"

        def make() -> DspRepository:
            opened.append(SqliteRepository(path))
            return opened[-1]
    else:
        dsn = request.getfixturevalue("postgres_db")

        def make() -> DspRepository:
            opened.append(PostgresRepository(dsn))
            return opened[-1]

    yield make
    for repo in opened:
        repo.close()


def negotiation(pid: str = "urn:uuid:p1", consumer_pid: str | None = None, **data: object) -> Process:
    consumer_pid = consumer_pid or pid.replace(":p", ":c")
    return Process(Kind.NEGOTIATION, Role.PROVIDER, pid, pid, consumer_pid, "did:web:b", "http://127.0.0.1:1/dsp",
                   "REQUESTED", {"offer": {"@id": "o1"}, **data})  # fmt: skip


def test_processes_round_trip_and_lookup_by_remote_pid(open_repo) -> None:
    repo = open_repo()
    p = negotiation(note="é ✓")
    repo.insert(p)
    assert p.version == 1
    got = repo.get(Kind.NEGOTIATION, "urn:uuid:p1")
    assert got is not None and got.data == {"offer": {"@id": "o1"}, "note": "é ✓"} and got.role is Role.PROVIDER
    assert repo.get(Kind.TRANSFER, "urn:uuid:p1") is None
    found = repo.find_by_remote(Kind.NEGOTIATION, Role.PROVIDER, "did:web:b", "urn:uuid:c1")
    assert found is not None and found.local_pid == "urn:uuid:p1"
    assert repo.find_by_remote(Kind.NEGOTIATION, Role.PROVIDER, "did:web:other", "urn:uuid:c1") is None
    repo.insert(negotiation("urn:uuid:p2"))
    time.sleep(0.01)
    got.state = "AGREED"
    repo.save(got)
    assert [x.local_pid for x in repo.recent(Kind.NEGOTIATION)] == ["urn:uuid:p1", "urn:uuid:p2"]
    assert repo.recent(Kind.NEGOTIATION, limit=1)[0].state == "AGREED"
    got.state = "TERMINATED"
    repo.save(got)
    assert [x.local_pid for x in repo.recent(Kind.NEGOTIATION, open_only=True)] == ["urn:uuid:p2"]


def test_a_second_process_for_the_same_peer_pid_is_refused(open_repo) -> None:
    replica_a, replica_b = open_repo(), open_repo()
    replica_a.insert(negotiation("urn:uuid:p1", consumer_pid="urn:uuid:same"))
    with pytest.raises(DuplicateProcess):
        replica_b.insert(negotiation("urn:uuid:p2", consumer_pid="urn:uuid:same"))
    with pytest.raises(DuplicateProcess):
        replica_b.insert(negotiation("urn:uuid:p1", consumer_pid="urn:uuid:other"))
    assert [p.local_pid for p in replica_b.recent(Kind.NEGOTIATION)] == ["urn:uuid:p1"]


def test_optimistic_concurrency_between_two_handles(open_repo) -> None:
    replica_a, replica_b = open_repo(), open_repo()
    replica_a.insert(negotiation())
    seen_a = replica_a.get(Kind.NEGOTIATION, "urn:uuid:p1")
    seen_b = replica_b.get(Kind.NEGOTIATION, "urn:uuid:p1")
    seen_a.state = "AGREED"
    replica_a.save(seen_a)
    seen_b.state = "TERMINATED"
    with pytest.raises(ConcurrentUpdate):
        replica_b.save(seen_b)
    assert replica_b.get(Kind.NEGOTIATION, "urn:uuid:p1").state == "AGREED"


def test_concurrent_saves_from_threads_apply_each_transition_once(open_repo) -> None:
    repo = open_repo()
    repo.insert(negotiation(counter=0))
    wins: list[int] = []

    def bump() -> None:
        for _ in range(20):
            p = repo.get(Kind.NEGOTIATION, "urn:uuid:p1")
            p.data["counter"] += 1
            try:
                repo.save(p)
                wins.append(1)
            except ConcurrentUpdate:
                pass

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = repo.get(Kind.NEGOTIATION, "urn:uuid:p1")
    assert final.data["counter"] == len(wins) and final.version == 1 + len(wins)


def test_agreements_are_upserted_and_tokens_revoked(open_repo) -> None:
    repo = open_repo()
    repo.put_agreement(Agreement("urn:a1", "trainings", "did:web:a", "did:web:b", {"v": 1}, 1.0))
    repo.put_agreement(Agreement("urn:a1", "trainings", "did:web:a", "did:web:b", {"v": 2}, 2.0))
    assert repo.get_agreement("urn:a1").policy == {"v": 2}
    assert repo.get_agreement("urn:none") is None
    repo.put_token(TransferToken("a" * 64, "urn:t1", "urn:a1", "did:web:b", time.time() + 60))
    repo.put_token(TransferToken("b" * 64, "urn:t1", "urn:a1", "did:web:b", time.time() + 60))
    assert repo.get_token("a" * 64).revoked is False
    assert repo.revoke_tokens("urn:t1") == 2
    assert repo.revoke_tokens("urn:t1") == 0
    assert repo.get_token("b" * 64).revoked is True
    assert repo.get_token("c" * 64) is None


def test_postgres_schema_creation_is_safe_when_replicas_start_together(postgres_db: str) -> None:
    errors: list[BaseException] = []
    repos: list[PostgresRepository] = []

    def start() -> None:
        try:
            repos.append(PostgresRepository(postgres_db))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(repos) == 4
    repos[0].insert(negotiation())
    assert repos[3].state_counts(Kind.NEGOTIATION) == {"REQUESTED": 1}
    repos[2].ping()
    for r in repos:
        r.close()


def test_postgres_down_at_start_is_reported_then_recovered_without_restart() -> None:
    port = free_port()
    repo = PostgresRepository(f"postgresql://connector:s3cret-pw@127.0.0.1:{port}/postgres", timeout_s=0.5)
    with pytest.raises(StateDatabaseUnavailable) as caught:
        repo.get(Kind.NEGOTIATION, "urn:uuid:p1")
    assert "s3cret-pw" not in str(caught.value)
    with postgres_cluster(port):
        deadline = time.monotonic() + 30  # the pool reconnects with back-off
        while True:
            try:
                repo.insert(negotiation())  # the schema is created on the first successful connection
                break
            except StateDatabaseUnavailable:
                assert time.monotonic() < deadline, "no reconnection within 30 s"
                time.sleep(0.2)
        assert repo.get(Kind.NEGOTIATION, "urn:uuid:p1").state == "REQUESTED"
        repo.ping()
    repo.close()
