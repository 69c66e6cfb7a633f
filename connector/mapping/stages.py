"""The demo pipeline's mapping stages: the bundled demo trainings and job sheets (``data/demo/``), after the
vocabularies they reference are loaded."""

from __future__ import annotations

from pathlib import Path

from connector.context import Context
from connector.mapping.job import JobError, JobOptions, run_job
from connector.pipeline import Stage, StageResult
from connector.progress import Progress


def _demo(ctx: Context, name: str) -> Path:
    return ctx.settings.source_data_dir / "demo" / name


def _stage(name: str, kind: str, dataset: str, file: str) -> Stage:
    def run(ctx: Context, progress: Progress) -> StageResult:
        report = run_job(ctx, JobOptions(kind, [_demo(ctx, file)], operator="demo"), progress)  # type: ignore[arg-type]
        if report.state != "succeeded":
            raise JobError(f"{name}: {report.message or report.state}")
        return StageResult(ctx.store.count(ctx.datasets.get(dataset).graph), report.summary)

    return Stage(name=name, dataset=dataset, inputs=lambda ctx: [_demo(ctx, file)], run=run)


def mapping_stages() -> list[Stage]:
    return [
        _stage("trainings", "trainings", "trainings", "trainings.csv"),
        _stage("job-sheets", "job-sheets", "job-sheets", "job-sheets.json"),
    ]
