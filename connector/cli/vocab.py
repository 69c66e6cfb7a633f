"""``skills-connector vocab``: load ROME 4.0 and ESCO, compute the ROME-ESCO alignment."""

from __future__ import annotations

from pathlib import Path

import typer

from connector.cli.common import EXIT_USAGE, core_context, fail
from connector.cli.progress import RichProgress, console
from connector.vocab.csvfiles import LoadReport, VocabInputError

app = typer.Typer(help="Reference vocabularies: ROME 4.0, ESCO and their alignment.", no_args_is_help=True)
load_app = typer.Typer(help="Load a vocabulary into its graph (replacing it).", no_args_is_help=True)
app.add_typer(load_app, name="load")


def _print_issues(report: LoadReport, report_path: Path | None) -> None:
    lines = report.lines()
    for line in lines[:20]:
        console.print(f"  [yellow]{line}[/yellow]", highlight=False)
    if len(lines) > 20:
        console.print(f"  ... {len(lines) - 20} more line(s)", highlight=False)
    if report_path is not None and lines:
        console.print(f"  job report: {report_path}", highlight=False)


@load_app.command("rome")
def load_rome(
    directory: Path = typer.Argument(..., help="ROME 4.0 CSV export directory (unix_*_v4NN_utf8.csv[.gz])."),
) -> None:
    """Map a France Travail ROME 4.0 CSV export to SKOS and publish it as the rome dataset."""
    if not directory.is_dir():
        raise fail(f"not a directory: {directory}", EXIT_USAGE)
    from connector.vocab.jobs import load_rome as run

    with core_context() as ctx:
        try:
            result = run(ctx, directory, RichProgress())
        except VocabInputError as exc:
            raise fail(str(exc)) from None
        _print_issues(result.report, result.report_path)


@load_app.command("esco")
def load_esco(
    sources: list[Path] = typer.Argument(
        ..., help="ESCO CSV export directories or files (EN, FR, label dumps) and/or the ESCO RDF dump."
    ),
    version: str | None = typer.Option(None, "--version", help="ESCO version to record (default: from the paths)."),
) -> None:
    """Map ESCO (CSV exports or the official RDF dump) and publish it as the esco dataset."""
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise fail(f"no such file or directory: {', '.join(missing)}", EXIT_USAGE)
    from connector.vocab.jobs import load_esco as run

    with core_context() as ctx:
        try:
            result = run(ctx, sources, RichProgress(), version)
        except VocabInputError as exc:
            raise fail(str(exc)) from None
        _print_issues(result.report, result.report_path)


@app.command("align")
def align(
    eures: Path | None = typer.Option(
        None, "--eures", help="Official EURES 'ESCO - ROME' mapping table (CSV); its mappings take precedence."
    ),
    computed_only: bool = typer.Option(
        False, "--computed-only", help="Leave out the bundled hand-checked table (digital fiches no method reaches)."
    ),
) -> None:
    """Compute the scored ROME-ESCO alignment; write SSSOM to <home>/exports and RDF to the alignment graph."""
    if eures is not None and not eures.is_file():
        raise fail(f"no such file: {eures}", EXIT_USAGE)
    from connector.vocab.alignment.job import run_alignment

    with core_context() as ctx:
        try:
            result = run_alignment(ctx, eures, RichProgress(), hand_checked=not computed_only)
        except VocabInputError as exc:
            raise fail(str(exc)) from None
        console.print("coverage (ROME concepts with a published mapping):", highlight=False)
        for line in result.coverage_lines():
            console.print(f"  {line}", highlight=False)
        _print_issues(result.report, None)
