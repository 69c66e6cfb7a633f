"""Shared set-up of the vocabulary tests: the small fixtures cut from the real exports."""

from __future__ import annotations

from pathlib import Path

from connector.context import Context
from connector.vocab.alignment.job import AlignmentResult, run_alignment
from connector.vocab.jobs import load_esco, load_rome

DATA = Path(__file__).parent / "data"
ROME_MINI = DATA / "rome-mini"
ESCO_MINI = [DATA / "esco-mini" / "en", DATA / "esco-mini" / "fr", DATA / "esco-mini" / "fr-labels"]
SKOS = "http://www.w3.org/2004/02/skos/core#"
ESCO = "http://data.europa.eu/esco/model#"
WEB_DEVELOPER = "http://data.europa.eu/esco/occupation/c40a2919-48a9-40ea-b506-1f34f693496d"


def load_all(ctx: Context) -> AlignmentResult:
    load_rome(ctx, ROME_MINI)
    load_esco(ctx, ESCO_MINI)
    return run_alignment(ctx)


def one(ctx: Context, query: str, graph: str) -> object:
    rows = ctx.store.select(query, default_graphs=[ctx.datasets.get(graph).graph])
    return next(iter(rows[0].values())) if rows else None
