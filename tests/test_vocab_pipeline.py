from __future__ import annotations

import shutil
from pathlib import Path

from connector.config import load_settings
from connector.context import Context
from connector.pipeline import demo_stages, run_pipeline
from tests.vocab_helpers import DATA


def test_demo_loads_vocabularies_then_skips_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA / "rome-mini", data / "rome-4.0-v460")
    shutil.copytree(DATA / "esco-mini" / "en", data / "esco-v1.1.1-en")
    shutil.copytree(DATA / "esco-mini" / "fr", data / "esco-v1.1.1-fr")
    shutil.copytree(DATA / "esco-mini" / "fr-labels", data / "esco-fr-labels")
    ctx = Context(load_settings(home=tmp_path / "home", data_dir=data))
    try:
        stages = [s for s in demo_stages() if s.name in ("rome", "esco", "alignment")]
        assert [s.name for s in stages] == ["rome", "esco", "alignment"]
        first = run_pipeline(ctx, stages)
        assert [o.skipped for o in first.outcomes] == [False, False, False]
        assert all(o.triples > 0 for o in first.outcomes)
        assert "v460" in first.outcomes[0].summary and "1.1.1" in first.outcomes[1].summary
        second = run_pipeline(ctx, stages)
        assert [o.skipped for o in second.outcomes] == [True, True, True]
        assert [o.triples for o in second.outcomes] == [o.triples for o in first.outcomes]
    finally:
        ctx.close()
