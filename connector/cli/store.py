"""``skills-connector store``: look at and load the named graphs directly."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.table import Table

from connector.cli.common import EXIT_USAGE, core_context, fail
from connector.cli.progress import console
from connector.store import RdfSyntaxError

app = typer.Typer(help="Inspect, load and export the store's named graphs.", no_args_is_help=True)


@app.command("info")
def info() -> None:
    """List the datasets with their graph IRIs and triple counts."""
    with core_context() as ctx:
        table = Table("dataset", "access", "graph", "triples")
        for d in ctx.datasets:
            table.add_row(d.id, d.access, d.graph, f"{ctx.store.count(d.graph):,}")
        console.print(table)


@app.command("load")
def load(
    dataset: str = typer.Argument(..., help="Dataset id (see `store info`)."),
    files: list[Path] = typer.Argument(..., help="RDF files (.nt .ttl .nq .trig .jsonld .rdf, optionally .gz)."),
) -> None:
    """Replace a dataset's graph with the content of RDF files, atomically."""
    with core_context() as ctx:
        if dataset not in ctx.datasets:
            raise fail(f"unknown dataset {dataset!r}; known: {', '.join(d.id for d in ctx.datasets)}", EXIT_USAGE)
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise fail(f"no such file: {', '.join(missing)}", EXIT_USAGE)
        graph = ctx.datasets.get(dataset).graph
        started = time.perf_counter()
        try:
            count = ctx.store.replace_graph(graph, files[0])
            for extra in files[1:]:
                count = ctx.store.add_to_graph(graph, extra)
        except (RdfSyntaxError, ValueError) as exc:
            raise fail(f"{exc}") from None
        console.print(f"loaded {dataset}: {count:,} triples in {time.perf_counter() - started:.2f} s")


@app.command("export")
def export(
    dataset: str = typer.Argument(..., help="Dataset id."),
    media_type: str = typer.Option("application/n-triples", "--format", help="RDF media type."),
) -> None:
    """Write a dataset's graph to standard output."""
    with core_context() as ctx:
        if dataset not in ctx.datasets:
            raise fail(f"unknown dataset {dataset!r}", EXIT_USAGE)
        try:
            for chunk in ctx.store.export(ctx.datasets.get(dataset).graph, media_type):
                sys.stdout.buffer.write(chunk)
        except ValueError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
