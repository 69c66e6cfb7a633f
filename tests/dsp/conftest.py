"""Fixtures of the DSP tests: the connector under test in TCK mode on a real socket, and the TCK-side counter-party."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.api.app import create_app
from connector.config import load_settings
from connector.context import Context
from tests.dsp.harness import CounterParty, Peer, serve_app
from tests.servers import free_port

CUT_ID = "did:web:cut.example"


@pytest.fixture(scope="module")
def counter() -> Iterator[tuple[CounterParty, str]]:
    party = CounterParty()
    with serve_app(party.app()) as base:
        yield party, base


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, str]]:
    """The connector in TCK mode (seeds, scripts, trigger endpoints), served by uvicorn on a free port."""
    port = free_port()
    home: Path = tmp_path_factory.mktemp("cut")
    ctx = Context(
        load_settings(
            home=home, participant_id=CUT_ID, public_url=f"http://127.0.0.1:{port}", dsp_tck_mode=True, port=port
        )
    )
    with serve_app(create_app(ctx), port) as base:
        yield ctx, base
    ctx.close()


@pytest.fixture(scope="module")
def peer(cut: tuple[Context, str]) -> Peer:
    return Peer(cut[1])
