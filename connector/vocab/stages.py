"""The demo pipeline stages of the vocabularies: ROME, ESCO, then the alignment (which reads both)."""

from __future__ import annotations

from pathlib import Path

from connector.context import Context
from connector.pipeline import Stage, StageResult
from connector.progress import Progress

ROME_DIR = "rome-4.0-v460"
ESCO_DIRS = ("esco-v1.1.1-en", "esco-v1.1.1-fr", "esco-fr-labels")


def _files(ctx: Context, *dirs: str) -> list[Path]:
    root = ctx.settings.source_data_dir
    return sorted(p for d in dirs for p in (root / d).rglob("*") if p.is_file())


def _rome(ctx: Context, progress: Progress) -> StageResult:
    from connector.vocab.jobs import load_rome

    result = load_rome(ctx, ctx.settings.source_data_dir / ROME_DIR, progress)
    return StageResult(result.triples, result.summary)


def _esco(ctx: Context, progress: Progress) -> StageResult:
    from connector.vocab.jobs import load_esco

    result = load_esco(ctx, [ctx.settings.source_data_dir / d for d in ESCO_DIRS], progress)
    return StageResult(result.triples, result.summary)


def _alignment(ctx: Context, progress: Progress) -> StageResult:
    from connector.vocab.alignment.job import run_alignment

    result = run_alignment(ctx, None, progress)
    for line in result.coverage_lines():
        progress.finish(f"coverage {line}")
    return StageResult(result.triples, result.summary)


def _alignment_inputs(ctx: Context) -> list[Path]:
    from connector.vocab.alignment.curation import BUNDLED

    return [*_files(ctx, ROME_DIR, *ESCO_DIRS), BUNDLED]


def vocab_stages() -> list[Stage]:
    # The alignment's inputs are the ROME and ESCO sources and the hand-checked table: it reruns whenever one
    # changes (version 2: the session-3 rules).
    return [
        Stage("rome", "rome", lambda ctx: _files(ctx, ROME_DIR), _rome),
        Stage("esco", "esco", lambda ctx: _files(ctx, *ESCO_DIRS), _esco),
        Stage("alignment", "alignment", _alignment_inputs, _alignment, version="2"),
    ]
