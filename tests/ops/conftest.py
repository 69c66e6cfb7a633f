from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.postgres import postgres_cluster


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway cluster per test worker (started on first use, removed at the end)."""
    with postgres_cluster() as dsn:
        yield dsn


@pytest.fixture
def postgres_db(postgres_server: str) -> str:
    """A fresh empty database on the throwaway cluster; its DSN."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Tests that call configure_logging bind a handler to the captured stderr; put the root logger back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
