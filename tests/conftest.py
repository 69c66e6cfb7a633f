from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.config import load_settings
from connector.context import Context
from connector.store import GraphStore
from connector.store.embedded import EmbeddedStore
from connector.store.remote import RemoteStore
from tests.servers import OxigraphServer, oxigraph_server

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A real ``oxigraph serve`` on a free loopback port, for the remote-store tests."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as server:
        yield server


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """The same tests run against the embedded pyoxigraph store and a real remote Oxigraph server."""
    if request.param == "embedded":
        s: GraphStore = EmbeddedStore.open(tmp_path / "store")
    else:
        server: OxigraphServer = request.getfixturevalue("oxigraph")
        s = RemoteStore(server.query_url, server.update_url, server.graph_url)
        s.update("DROP ALL")
    yield s
    s.close()


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    """A core context on a fresh embedded store in a temporary home."""
    for var in [v for v in __import__("os").environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    context = Context(load_settings(home=tmp_path / "var"))
    yield context
    context.close()
