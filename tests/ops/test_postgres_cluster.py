"""The throwaway PostgreSQL cluster the state-repository tests use: starts, accepts writes, disappears."""

from __future__ import annotations

import glob

import psycopg

from tests.postgres import postgres_cluster


def test_throwaway_cluster_runs_on_loopback_and_is_removed() -> None:
    with postgres_cluster() as dsn:
        assert "@127.0.0.1:" in dsn
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1), (2)")
            assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)
            root = conn.execute("SHOW unix_socket_directories").fetchone()[0]
    assert not glob.glob(root)
