"""The demo pipeline: the ordered stages that turn the bundled sources into published datasets.

Each stage declares its input files; a stage whose inputs (content hashes) and code version are unchanged since its
last successful run, and whose graph is still there, is skipped. That is what makes a second ``demo`` fast.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from connector import __version__
from connector.context import Context
from connector.progress import Progress, SilentProgress


@dataclass
class StageResult:
    triples: int
    summary: str


@dataclass
class Stage:
    """One step of the pipeline: ``run`` publishes ``dataset``'s graph from ``inputs``."""

    name: str
    dataset: str
    inputs: Callable[[Context], list[Path]]
    run: Callable[[Context, Progress], StageResult]
    version: str = "1"


@dataclass
class StageOutcome:
    name: str
    skipped: bool
    triples: int
    seconds: float
    summary: str


@dataclass
class PipelineReport:
    outcomes: list[StageOutcome] = field(default_factory=list)

    @property
    def summary(self) -> str:
        done = [o for o in self.outcomes if not o.skipped]
        skipped = [o for o in self.outcomes if o.skipped]
        total = sum(o.triples for o in self.outcomes)
        secs = sum(o.seconds for o in self.outcomes)
        return f"{len(done)} stage(s) run, {len(skipped)} unchanged, {total:,} triples published, {secs:.1f} s"


def fingerprint(paths: Iterable[Path], version: str) -> str:
    """SHA-256 over the code version and each input's name and content."""
    digest = hashlib.sha256(f"{__version__}/{version}".encode())
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class StageState:
    """Fingerprints of the last successful run of each stage, in ``<home>/state/pipeline.json``."""

    def __init__(self, home: Path) -> None:
        self.path = home / "state" / "pipeline.json"

    def load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def record(self, stage: str, print_: str) -> None:
        state = self.load()
        state[stage] = print_
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        tmp.replace(self.path)


def run_pipeline(ctx: Context, stages: list[Stage], progress: Progress | None = None) -> PipelineReport:
    """Run the stages in order, skipping those whose inputs did not change.

    Each stage's job refreshes its dataset's VoID description itself (as it does when run from the CLI or HTTP), and
    once all are done the DCAT description of the catalog is republished, so the catalog graph never shows counts
    of an earlier run.
    """
    from connector.dsp.setup import publish_dcat

    progress = progress or SilentProgress()
    state = StageState(ctx.settings.home)
    known = state.load()
    report = PipelineReport()
    for stage in stages:
        started = time.perf_counter()
        inputs = stage.inputs(ctx)
        print_ = fingerprint(inputs, stage.version)
        graph = ctx.datasets.get(stage.dataset).graph
        if known.get(stage.name) == print_ and ctx.store.count(graph) > 0:
            triples = ctx.store.count(graph)
            outcome = StageOutcome(stage.name, True, triples, time.perf_counter() - started, "unchanged")
        else:
            result = stage.run(ctx, progress)
            state.record(stage.name, print_)
            outcome = StageOutcome(stage.name, False, result.triples, time.perf_counter() - started, result.summary)
        report.outcomes.append(outcome)
    if any(not o.skipped for o in report.outcomes):
        publish_dcat(ctx)
    return report


def demo_stages() -> list[Stage]:
    """The stages ``skills-connector demo`` runs, in order. Each capability package contributes its stage."""
    from connector.mapping.stages import mapping_stages
    from connector.vocab.stages import vocab_stages

    return [*vocab_stages(), *mapping_stages()]
