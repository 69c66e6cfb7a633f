"""A throwaway PostgreSQL cluster on a free loopback port, from the server binaries of Debian's package.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` system user (or ``nobody``).
The cluster lives in a fresh temporary directory, listens on 127.0.0.1 only, and is stopped and removed afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port


def postgres_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL server binaries not found: install Debian's 'postgresql' package (.ci/run does)")


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither 'postgres' nor 'nobody' exists to own the test cluster")


@contextmanager
def postgres_cluster(port: int | None = None) -> Iterator[str]:
    """Yield a DSN (``postgresql://connector@127.0.0.1:<port>/postgres``) of a fresh, empty cluster."""
    bindir = postgres_bindir()
    owner = _run_as()
    root = Path(tempfile.mkdtemp(prefix="gsc-pg-"))
    data = root / "data"
    as_owner: dict[str, object] = {}
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": [], "cwd": root}
    port = port or free_port()
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    try:
        subprocess.run(
            [bindir / "initdb", "-D", data, "-U", "connector", "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, env=env, timeout=120, **as_owner,  # type: ignore[arg-type]
        )  # fmt: skip
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        subprocess.run(
            [bindir / "pg_ctl", "-D", data, "-o", options, "-l", root / "server.log", "-w", "-t", "60", "start"],
            check=True, capture_output=True, env=env, timeout=90, **as_owner,  # type: ignore[arg-type]
        )  # fmt: skip
        yield f"postgresql://connector@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                capture_output=True, env=env, timeout=60, **as_owner,  # type: ignore[arg-type]
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
