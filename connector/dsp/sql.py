"""The DSP repository in portable SQL, shared by the SQLite and PostgreSQL implementations.

Statements use ``?`` placeholders and SQL both engines run (upserts with ``ON CONFLICT``, partial unique indexes);
JSON is stored as text. An implementation supplies the connection: :meth:`_one`, :meth:`_all` and :meth:`_write`,
and the driver exception that means a unique key was violated.
"""

from __future__ import annotations

import json
import time
from abc import abstractmethod

from connector.dsp.repository import (
    Agreement,
    ConcurrentUpdate,
    DspRepository,
    DuplicateProcess,
    Process,
    TransferToken,
)
from connector.dsp.states import Kind, Role

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS dsp_process (
        kind VARCHAR(16) NOT NULL,
        local_pid VARCHAR(512) NOT NULL,
        role VARCHAR(16) NOT NULL,
        provider_pid VARCHAR(512),
        consumer_pid VARCHAR(512),
        counterparty_id VARCHAR(512) NOT NULL,
        counterparty_address VARCHAR(2048) NOT NULL,
        state VARCHAR(16) NOT NULL,
        data TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (kind, local_pid))""",
    # One process per peer pid: a repeated or concurrent initial request cannot open a second process.
    "CREATE UNIQUE INDEX IF NOT EXISTS dsp_process_peer_c ON dsp_process (kind, counterparty_id, consumer_pid) "
    "WHERE role = 'provider'",
    "CREATE UNIQUE INDEX IF NOT EXISTS dsp_process_peer_p ON dsp_process (kind, counterparty_id, provider_pid) "
    "WHERE role = 'consumer'",
    """CREATE TABLE IF NOT EXISTS dsp_agreement (
        id VARCHAR(1024) PRIMARY KEY,
        dataset_id VARCHAR(1024) NOT NULL,
        provider_id VARCHAR(512) NOT NULL,
        consumer_id VARCHAR(512) NOT NULL,
        policy TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS dsp_token (
        digest CHAR(64) PRIMARY KEY,
        transfer_pid VARCHAR(512) NOT NULL,
        agreement_id VARCHAR(1024) NOT NULL,
        participant_id VARCHAR(512) NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        revoked INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS dsp_token_transfer ON dsp_token (transfer_pid)",
]

_COLUMNS = (
    "kind, local_pid, role, provider_pid, consumer_pid, counterparty_id, counterparty_address, state, data, "
    "version, updated_at"
)


def _process(row: tuple) -> Process:
    kind, local, role, ppid, cpid, cid, addr, state, data, version, updated = row
    return Process(Kind(kind), Role(role), local, ppid, cpid, cid, addr, state, json.loads(data), version, updated)


class SqlRepository(DspRepository):
    unique_violation: type[Exception] = Exception
    """The driver's exception for a unique-key violation (a second process for the same peer pid)."""

    @abstractmethod
    def _one(self, sql: str, args: tuple) -> tuple | None:
        """Run ``sql`` and return its first row."""

    @abstractmethod
    def _all(self, sql: str, args: tuple) -> list[tuple]:
        """Run ``sql`` and return all its rows."""

    @abstractmethod
    def _write(self, sql: str, args: tuple) -> int:
        """Run a write statement (its own transaction) and return the number of rows it changed."""

    # processes -------------------------------------------------------------------------------------------------
    def insert(self, process: Process) -> None:
        process.version, process.updated_at = 1, time.time()
        try:
            self._insert(process)
        except self.unique_violation:
            raise DuplicateProcess(f"{process.kind.value} with peer pid {process.remote_pid} exists") from None

    def _insert(self, process: Process) -> None:
        self._write(
            f"INSERT INTO dsp_process ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                process.kind.value,
                process.local_pid,
                process.role.value,
                process.provider_pid,
                process.consumer_pid,
                process.counterparty_id,
                process.counterparty_address,
                process.state,
                json.dumps(process.data),
                process.version,
                process.updated_at,
            ),
        )

    def save(self, process: Process) -> None:
        now = time.time()
        changed = self._write(
            "UPDATE dsp_process SET provider_pid = ?, consumer_pid = ?, counterparty_address = ?, state = ?, "
            "data = ?, version = ?, updated_at = ? WHERE kind = ? AND local_pid = ? AND version = ?",
            (
                process.provider_pid,
                process.consumer_pid,
                process.counterparty_address,
                process.state,
                json.dumps(process.data),
                process.version + 1,
                now,
                process.kind.value,
                process.local_pid,
                process.version,
            ),
        )
        if changed != 1:
            raise ConcurrentUpdate(f"{process.kind.value} {process.local_pid} changed concurrently")
        process.version += 1
        process.updated_at = now

    def get(self, kind: Kind, local_pid: str) -> Process | None:
        row = self._one(f"SELECT {_COLUMNS} FROM dsp_process WHERE kind = ? AND local_pid = ?", (kind.value, local_pid))
        return _process(row) if row else None

    def find_by_remote(self, kind: Kind, role: Role, counterparty_id: str, remote_pid: str) -> Process | None:
        column = "consumer_pid" if role is Role.PROVIDER else "provider_pid"
        row = self._one(
            f"SELECT {_COLUMNS} FROM dsp_process WHERE kind = ? AND role = ? AND counterparty_id = ? AND {column} = ?",
            (kind.value, role.value, counterparty_id, remote_pid),
        )
        return _process(row) if row else None

    def recent(self, kind: Kind, limit: int = 100, *, open_only: bool = False) -> list[Process]:
        only_open = " AND state NOT IN ('FINALIZED', 'COMPLETED', 'TERMINATED')" if open_only else ""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM dsp_process WHERE kind = ?{only_open} ORDER BY updated_at DESC LIMIT ?",
            (kind.value, limit),
        )
        return [_process(r) for r in rows]

    def state_counts(self, kind: Kind) -> dict[str, int]:
        """Processes per state (for the ``connector_dsp_processes`` gauge)."""
        rows = self._all("SELECT state, COUNT(*) FROM dsp_process WHERE kind = ? GROUP BY state", (kind.value,))
        return {state: n for state, n in rows}

    # agreements ------------------------------------------------------------------------------------------------
    def put_agreement(self, agreement: Agreement) -> None:
        self._write(
            "INSERT INTO dsp_agreement (id, dataset_id, provider_id, consumer_id, policy, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET dataset_id = EXCLUDED.dataset_id, "
            "provider_id = EXCLUDED.provider_id, consumer_id = EXCLUDED.consumer_id, policy = EXCLUDED.policy, "
            "created_at = EXCLUDED.created_at",
            (
                agreement.id,
                agreement.dataset_id,
                agreement.provider_id,
                agreement.consumer_id,
                json.dumps(agreement.policy),
                agreement.created_at,
            ),
        )

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        row = self._one(
            "SELECT id, dataset_id, provider_id, consumer_id, policy, created_at FROM dsp_agreement WHERE id = ?",
            (agreement_id,),
        )
        if row is None:
            return None
        return Agreement(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])

    # tokens ----------------------------------------------------------------------------------------------------
    def put_token(self, token: TransferToken) -> None:
        self._write(
            "INSERT INTO dsp_token (digest, transfer_pid, agreement_id, participant_id, expires_at, revoked) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                token.digest,
                token.transfer_pid,
                token.agreement_id,
                token.participant_id,
                token.expires_at,
                int(token.revoked),
            ),
        )

    def get_token(self, digest: str) -> TransferToken | None:
        row = self._one(
            "SELECT digest, transfer_pid, agreement_id, participant_id, expires_at, revoked FROM dsp_token "
            "WHERE digest = ?",
            (digest,),
        )
        return TransferToken(row[0], row[1], row[2], row[3], row[4], bool(row[5])) if row else None

    def revoke_tokens(self, transfer_pid: str) -> int:
        return self._write("UPDATE dsp_token SET revoked = 1 WHERE transfer_pid = ? AND revoked = 0", (transfer_pid,))
