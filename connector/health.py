"""Readiness checks: can this process serve? Store reachable, vocabularies loaded, state directory writable.

Each check returns ``(ok, detail)``. Checks that belong to one app (the dataspace-protocol state database) are
passed as ``extra`` by the HTTP probe (``/health/ready``) from ``app.state.readiness_checks``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

from connector.context import Context
from connector.store import StoreError

Check = Callable[[Context], tuple[bool, str]]


def store_check(ctx: Context) -> tuple[bool, str]:
    try:
        ctx.store.ping()
    except StoreError as exc:
        return False, f"unavailable: {exc}"
    return True, "ok"


def vocabularies_check(ctx: Context) -> tuple[bool, str]:
    """Every dataset named in ``ready_datasets`` (default ROME and ESCO) has a non-empty graph."""
    empty = []
    try:
        for name in ctx.settings.ready_datasets:
            graph = ctx.datasets.get(name).graph
            if not ctx.store.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
                empty.append(name)
    except KeyError as exc:
        return False, f"unknown dataset in CONNECTOR_READY_DATASETS: {exc}"
    except StoreError as exc:
        return False, f"unknown: {exc}"
    return (False, "not loaded: " + ", ".join(empty)) if empty else (True, "ok")


def state_dir_check(ctx: Context) -> tuple[bool, str]:
    """``<home>/state`` exists or can be made, and a file can be written there (disk full, read-only volume)."""
    state = ctx.settings.home / "state"
    try:
        state.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".ready-", dir=state)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        return False, f"not writable: {exc.strerror or exc}"
    return True, "ok"


_CHECKS: dict[str, Check] = {"store": store_check, "vocabularies": vocabularies_check, "state": state_dir_check}


def readiness(
    ctx: Context, extra: dict[str, Callable[[], tuple[bool, str]]] | None = None
) -> dict[str, tuple[bool, str]]:
    """Run every check (and the app's ``extra`` ones); when the store is down the store-bound checks are skipped."""
    results: dict[str, tuple[bool, str]] = {}
    for name, check in _CHECKS.items():
        if name == "vocabularies" and not results.get("store", (True, ""))[0]:
            results[name] = (False, "unknown: store unavailable")
            continue
        results[name] = check(ctx)
    for name, check_app in (extra or {}).items():
        results[name] = check_app()
    return results
