"""Real servers the tests start on free loopback ports: ``oxigraph serve`` and the connector app itself."""

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


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


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
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", proc=proc)
        yield OxigraphServer(proc, port)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def connector_process(args: list[str], env: dict[str, str], port: int, timeout: float = 60.0) -> Iterator[str]:
    """Run ``skills-connector <args>`` as a child process and yield its base URL once it answers."""
    full_env = {**os.environ, **env, "CONNECTOR_PORT": str(port), "CONNECTOR_HOST": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "connector", *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/health/live", timeout=timeout, proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
