"""PostgreSQL implementation of :class:`DspRepository`, for several connector replicas sharing their DSP state.

Same tables, statements and optimistic concurrency as the SQLite version (:mod:`connector.dsp.sql`);
connections come from a pool, so concurrent requests of one replica do not queue behind each other. Schema creation
is serialised with an advisory lock, so replicas starting together do not race on ``CREATE TABLE``.

A database that cannot be reached does not stop the connector from starting: the schema is created on the first
successful connection, readiness reports ``state_db`` unavailable meanwhile, and every call raises
:class:`StateDatabaseUnavailable` (HTTP 503 + Retry-After) instead of hanging or failing with a driver error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from connector.dsp.sql import SCHEMA, SqlRepository
from connector.store import StoreUnavailable

log = logging.getLogger("connector.dsp")

_SCHEMA_LOCK = 0x6773_6364_7370  # pg_advisory_xact_lock key: "gscdsp"


def _pg(sql: str) -> str:
    """The portable statements use ``?`` placeholders; psycopg wants ``%s`` (no statement has a literal ``?``)."""
    return sql.replace("?", "%s")


class StateDatabaseUnavailable(StoreUnavailable):
    """The DSP state database cannot be reached (the message names no credentials)."""


class PostgresRepository(SqlRepository):
    unique_violation = psycopg.errors.UniqueViolation

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
            return conn.execute(_pg(sql), args).fetchone()

    def _all(self, sql: str, args: tuple[Any, ...]) -> list[tuple]:
        with self._connection() as conn:
            return conn.execute(_pg(sql), args).fetchall()

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._connection() as conn:
            return conn.execute(_pg(sql), args).rowcount

    def ping(self) -> None:
        """Raise unless a write transaction can be opened (readiness: the state database accepts writes)."""
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_is_in_recovery()").fetchone()
            conn.execute("CREATE TEMPORARY TABLE IF NOT EXISTS _ready (x int) ON COMMIT DROP")

    def close(self) -> None:
        self._pool.close()
