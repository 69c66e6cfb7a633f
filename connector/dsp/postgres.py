"""PostgreSQL implementation of :class:`DspRepository`, for several connector replicas sharing their DSP state.

Same tables and the same optimistic concurrency as :mod:`connector.dsp.sqlite` (the schema statements are shared);
connections come from a pool, so concurrent requests of one replica do not queue behind each other. Schema creation
is serialised with an advisory lock, so replicas starting together do not race on ``CREATE TABLE``.

A database that cannot be reached does not stop the connector from starting: the schema is created on the first
successful connection, readiness reports ``state_db`` unavailable meanwhile, and every call raises
:class:`StateDatabaseUnavailable` (HTTP 503 + Retry-After) instead of hanging or failing with a driver error.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from connector.dsp.repository import (
    Agreement,
    ConcurrentUpdate,
    DspRepository,
    DuplicateProcess,
    Process,
    TransferToken,
)
from connector.dsp.sqlite import _COLUMNS, SCHEMA, _process
from connector.dsp.states import Kind, Role
from connector.store import StoreUnavailable

log = logging.getLogger("connector.dsp")

_SCHEMA_LOCK = 0x6773_6364_7370  # pg_advisory_xact_lock key: "gscdsp"


class StateDatabaseUnavailable(StoreUnavailable):
    """The DSP state database cannot be reached (the message names no credentials)."""


class PostgresRepository(DspRepository):
    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10, timeout_s: float = 5.0) -> None:
        self._pool = ConnectionPool(
            dsn, min_size=min_size, max_size=max_size, timeout=timeout_s, kwargs={"autocommit": True}, open=True
        )
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        try:
            self._ensure_schema()
        except StateDatabaseUnavailable:
            log.warning("DSP state database unreachable at start; the schema will be created when it answers")

    def _ensure_schema(self) -> None:
        with self._schema_lock:
            if self._schema_ready:
                return
            with self._raw_connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in SCHEMA:
                    conn.execute(statement)
            self._schema_ready = True

    @contextmanager
    def _raw_connection(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise StateDatabaseUnavailable(f"DSP state database unavailable ({type(exc).__name__})") from None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        if not self._schema_ready:
            self._ensure_schema()
        with self._raw_connection() as conn:
            yield conn

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple | None:
        with self._connection() as conn:
            return conn.execute(sql, args).fetchone()

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._connection() as conn:
            return conn.execute(sql, args).rowcount

    def ping(self) -> None:
        """Raise unless a write transaction can be opened (readiness: the state database accepts writes)."""
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_is_in_recovery()").fetchone()
            conn.execute("CREATE TEMPORARY TABLE IF NOT EXISTS _ready (x int) ON COMMIT DROP")

    # processes -------------------------------------------------------------------------------------------------
    def insert(self, process: Process) -> None:
        process.version, process.updated_at = 1, time.time()
        try:
            self._insert(process)
        except psycopg.errors.UniqueViolation:
            raise DuplicateProcess(f"{process.kind.value} with peer pid {process.remote_pid} exists") from None

    def _insert(self, process: Process) -> None:
        self._write(
            f"INSERT INTO dsp_process ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
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
            "UPDATE dsp_process SET provider_pid = %s, consumer_pid = %s, counterparty_address = %s, state = %s, "
            "data = %s, version = %s, updated_at = %s WHERE kind = %s AND local_pid = %s AND version = %s",
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
        row = self._one(
            f"SELECT {_COLUMNS} FROM dsp_process WHERE kind = %s AND local_pid = %s", (kind.value, local_pid)
        )
        return _process(row) if row else None

    def find_by_remote(self, kind: Kind, role: Role, counterparty_id: str, remote_pid: str) -> Process | None:
        column = "consumer_pid" if role is Role.PROVIDER else "provider_pid"
        row = self._one(
            f"SELECT {_COLUMNS} FROM dsp_process "
            f"WHERE kind = %s AND role = %s AND counterparty_id = %s AND {column} = %s",
            (kind.value, role.value, counterparty_id, remote_pid),
        )
        return _process(row) if row else None

    def recent(self, kind: Kind, limit: int = 100, *, open_only: bool = False) -> list[Process]:
        only_open = " AND state NOT IN ('FINALIZED', 'COMPLETED', 'TERMINATED')" if open_only else ""
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM dsp_process WHERE kind = %s{only_open} ORDER BY updated_at DESC LIMIT %s",
                (kind.value, limit),
            ).fetchall()
        return [_process(r) for r in rows]

    def state_counts(self, kind: Kind) -> dict[str, int]:
        """Processes per state (for the ``connector_dsp_processes`` gauge)."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT state, COUNT(*) FROM dsp_process WHERE kind = %s GROUP BY state", (kind.value,)
            ).fetchall()
        return {state: n for state, n in rows}

    # agreements ------------------------------------------------------------------------------------------------
    def put_agreement(self, agreement: Agreement) -> None:
        self._write(
            "INSERT INTO dsp_agreement (id, dataset_id, provider_id, consumer_id, policy, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET dataset_id = EXCLUDED.dataset_id, "
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
            "SELECT id, dataset_id, provider_id, consumer_id, policy, created_at FROM dsp_agreement WHERE id = %s",
            (agreement_id,),
        )
        if row is None:
            return None
        return Agreement(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])

    # tokens ----------------------------------------------------------------------------------------------------
    def put_token(self, token: TransferToken) -> None:
        self._write(
            "INSERT INTO dsp_token (digest, transfer_pid, agreement_id, participant_id, expires_at, revoked) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
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
            "WHERE digest = %s",
            (digest,),
        )
        return TransferToken(row[0], row[1], row[2], row[3], row[4], bool(row[5])) if row else None

    def revoke_tokens(self, transfer_pid: str) -> int:
        return self._write("UPDATE dsp_token SET revoked = 1 WHERE transfer_pid = %s AND revoked = 0", (transfer_pid,))

    def close(self) -> None:
        self._pool.close()
