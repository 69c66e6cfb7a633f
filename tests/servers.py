"""Real servers the tests (and the benchmarks in ``bench/``) start on free loopback ports: ``oxigraph serve`` and the
connector app itself."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None, status: int | None = None) -> None:
    """Until ``url`` answers (with ``status``, when given); fails early when ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            answered = requests.get(url, timeout=1).status_code
            if status is None or answered == status:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def running(
    args: list[str],
    ready_url: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    status: int | None = None,
    stdout: int | None = subprocess.DEVNULL,
    stderr: int | None = subprocess.DEVNULL,
) -> Iterator[subprocess.Popen]:
    """Run ``args`` as a child process (``env`` added to ours), yield it once ``ready_url`` answers; stop it after."""
    proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, stdout=stdout, stderr=stderr)
    try:
        wait_http(ready_url, timeout=timeout, proc=proc, status=status)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary from the PyPI ``oxigraph`` package installed in this environment."""
    candidate = Path(sys.executable).parent / "oxigraph"
    found = str(candidate) if candidate.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the 'oxigraph' server binary is missing: install the test extra (pip install -e .[test])")
    return found


class OxigraphServer:
    def __init__(self, proc: subprocess.Popen, port: int) -> None:
        self.proc, self.port = proc, port
        self.base = f"http://127.0.0.1:{port}"
        self.query_url, self.update_url, self.graph_url = (f"{self.base}/{p}" for p in ("query", "update", "store"))


@contextmanager
def oxigraph_server(location: Path) -> Iterator[OxigraphServer]:
    port = free_port()
    with running(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        f"http://127.0.0.1:{port}/query?query=ASK%7B%7D",
        timeout=30.0,
        stderr=subprocess.PIPE,
    ) as proc:
        yield OxigraphServer(proc, port)


@contextmanager
def connector_process(args: list[str], env: dict[str, str], port: int, timeout: float = 60.0) -> Iterator[str]:
    """Run ``skills-connector <args>`` as a child process and yield its base URL once it answers."""
    base = f"http://127.0.0.1:{port}"
    with running(
        [sys.executable, "-m", "connector", *args],
        f"{base}/health/live",
        env={**env, "CONNECTOR_PORT": str(port), "CONNECTOR_HOST": "127.0.0.1"},
        timeout=timeout,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ):
        yield base
