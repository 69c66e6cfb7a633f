"""``skills-connector map ...`` (mapping jobs) and ``skills-connector sample gen`` (realistic GEN inputs)."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from connector.cli.common import EXIT_FAILURE, EXIT_USAGE, core_context, fail
from connector.cli.progress import RichProgress, console
from connector.mapping.job import JobError, JobOptions, JobReport, parse_max_errors, run_job

app = typer.Typer(help="Mapping jobs: GEN trainings, LHEO offers and job sheets to RDF.", no_args_is_help=True)
sample_app = typer.Typer(help="Realistic sample inputs (GEN trainings and job sheets).", no_args_is_help=True)

PATHS = typer.Argument(..., help="Input files (all of them together are the dataset's new content).")
DRY_RUN = typer.Option(False, "--dry-run", help="Map and validate, publish nothing.")
MAX_ERRORS = typer.Option(
    None,
    "--max-errors",
    help="Abort without publishing above this many rejected records (a count like 10, or a share like 5%).",
)


def _run(kind: str, paths: list[Path], dry_run: bool, max_errors: str | None) -> None:
    try:
        parse_max_errors(max_errors)
    except JobError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise fail(f"input not found: {', '.join(missing)}", EXIT_USAGE)
    with core_context() as ctx:
        options = JobOptions(kind, paths, dry_run=dry_run, max_errors=max_errors, operator=f"cli:{getpass.getuser()}")  # type: ignore[arg-type]
        report = run_job(ctx, options, RichProgress())
        _print(report, ctx.settings.home / "jobs" / report.id)
        if report.state in ("failed", "aborted"):
            raise fail(report.message or report.state, EXIT_FAILURE)


def _print(report: JobReport, job_dir: Path) -> None:
    c = report.counts
    console.print(
        f"[bold]{report.kind}[/bold] job {report.id}: [bold]{report.state}[/bold]\n"
        f"  read {c.read:,}  mapped {c.mapped:,}  unchanged {c.unchanged:,}  rejected {c.rejected:,}  "
        f"removed {c.removed:,}  time {report.seconds or 0:.1f} s",
        highlight=False,
    )
    if c.kept_previous:
        console.print(
            f"  {c.kept_previous:,} rejected record(s) kept their previously published version", highlight=False
        )
    for reason, n in sorted(report.rejections_by_reason.items(), key=lambda kv: -kv[1])[:10]:
        console.print(f"  [yellow]{n:>6,}[/yellow] {reason}", highlight=False)
    if c.rejected or report.file_errors:
        console.print(f"  quarantine: {job_dir / 'quarantine.jsonl'}", highlight=False)
    console.print(f"  report:     {job_dir / 'report.json'}", highlight=False)


@app.command()
def trainings(paths: list[Path] = PATHS, dry_run: bool = DRY_RUN, max_errors: str | None = MAX_ERRORS) -> None:
    """GEN training catalogue: CSV (; or ,), JSON / JSON Lines, or LHEO XML (by extension)."""
    _run("trainings", paths, dry_run, max_errors)


@app.command()
def lheo(paths: list[Path] = PATHS, dry_run: bool = DRY_RUN, max_errors: str | None = MAX_ERRORS) -> None:
    """LHEO 2.3 or 2.2 XML training offers (Carif-Oref, Onisep feeds)."""
    _run("lheo", paths, dry_run, max_errors)


@app.command("job-sheets")
def job_sheets(paths: list[Path] = PATHS, dry_run: bool = DRY_RUN, max_errors: str | None = MAX_ERRORS) -> None:
    """GEN job sheets: JSON, YAML (one sheet or a list) or CSV."""
    _run("job-sheets", paths, dry_run, max_errors)


@sample_app.command("gen")
def gen(
    trainings: int = typer.Option(500, "--trainings", min=0, help="Number of training records."),
    job_sheets: int = typer.Option(153, "--job-sheets", min=0, help="Number of job sheets."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same files)."),
    fmt: str = typer.Option("csv", "--format", help="Training format: csv, json or lheo."),
    defects: float = typer.Option(0.0, "--defects", min=0.0, max=1.0, help="Share of defective records (0-1)."),
    out: Path = typer.Option(Path("sample"), "--out", help="Output directory."),
) -> None:
    """Write deterministic, realistic trainings and job sheets built from the bundled ROME 4.0 data."""
    from connector.config import load_settings
    from connector.mapping.generator import FORMATS, generate

    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}", EXIT_USAGE)
    written = generate(load_settings().source_data_dir, out, trainings, job_sheets, seed, fmt, defects)
    for path, count in written:
        console.print(f"  {path}  {count:,} record(s)", highlight=False)
