"""Process helpers for fault tests: an ``oxigraph serve`` that can be killed and restarted on the same port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.servers import oxigraph_binary, wait_http


class RestartableOxigraph:
    """A real Oxigraph server on a fixed loopback port and data directory, killed and started at will."""

    def __init__(self, location: Path, port: int) -> None:
        self.location, self.port = location, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [oxigraph_binary(), "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"{self.base}/query?query=ASK%7B%7D", proc=self.proc)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def env(self) -> dict[str, str]:
        return {
            "CONNECTOR_STORE": "remote",
            "CONNECTOR_STORE_QUERY_URL": f"{self.base}/query",
            "CONNECTOR_STORE_UPDATE_URL": f"{self.base}/update",
            "CONNECTOR_STORE_GRAPH_URL": f"{self.base}/store",
        }


class ConnectorProcess:
    """``skills-connector serve`` as a child process that a test can SIGKILL (a crash, not a clean shutdown)."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> ConnectorProcess:
        env = {**os.environ, **self.env, "CONNECTOR_PORT": str(self.port), "CONNECTOR_HOST": "127.0.0.1"}
        env.setdefault("CONNECTOR_PUBLIC_URL", self.base)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "connector", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_http(f"{self.base}/health/live", timeout=60, proc=self.proc)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
