"""Mapping jobs submitted over HTTP: persisted under ``<home>/jobs/<id>/`` and run one at a time by a background
worker thread, so the request returns at once and operators follow the job's state, progress and counts.

A job's inputs are either uploaded files (stored in the job's own directory) or server-side paths, which must lie
inside the configured inbox directory (no path traversal, no symlink escape).
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

from connector.context import Context
from connector.mapping.job import KINDS, JobError, JobFiles, JobOptions, JobReport, parse_max_errors, run_job

JOB_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
ACTIVE = ("queued", "running")


class JobRequestError(ValueError):
    """The submission is wrong (unknown kind, path outside the inbox, upload too large...): a 4xx."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    filename: str
    stream: IO[bytes]


class JobService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.root = ctx.settings.home / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.inbox = (ctx.settings.mapping_inbox or ctx.settings.home / "inbox").resolve()
        self._queue: queue.Queue[tuple[str, JobOptions]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._recover()

    # -- submission ---------------------------------------------------------------------------------------------
    def submit(
        self,
        kind: str,
        operator: str,
        uploads: list[Upload] | None = None,
        paths: list[str] | None = None,
        dry_run: bool = False,
        max_errors: str | None = None,
    ) -> dict[str, Any]:
        if kind not in KINDS:
            raise JobRequestError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        try:
            parse_max_errors(max_errors)
        except JobError as exc:
            raise JobRequestError(str(exc)) from None
        if not uploads and not paths:
            raise JobRequestError("give input files (upload) or server-side paths")
        resolved = [self._inbox_path(p) for p in paths or []]
        job_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        files = JobFiles(self.ctx.settings.home, job_id)
        inputs = resolved + self._store_uploads(files.dir / "input", uploads or [])
        options = JobOptions(kind, inputs, dry_run=dry_run, max_errors=max_errors, operator=operator, job_id=job_id)  # type: ignore[arg-type]
        report = JobReport(
            id=job_id,
            kind=kind,
            dataset=KINDS[kind][0],
            profile=KINDS[kind][1],
            state="queued",
            phase="queued",
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            operator=operator,
            dry_run=dry_run,
        )
        report.inputs = [{"file": p.name} for p in inputs]
        files.write_status(report)
        (files.dir / "request.json").write_text(
            json.dumps(
                {
                    "kind": kind,
                    "paths": [str(p) for p in inputs],
                    "dry_run": dry_run,
                    "max_errors": max_errors,
                    "operator": operator,
                }
            )
        )
        self._queue.put((job_id, options))
        self._ensure_worker()
        return self.status(job_id)

    def _inbox_path(self, text: str) -> Path:
        candidate = Path(text)
        path = (candidate if candidate.is_absolute() else self.inbox / candidate).resolve()
        if not path.is_relative_to(self.inbox):
            raise JobRequestError(f"path {text!r} is outside the inbox directory", 403)
        if not path.is_file():
            raise JobRequestError(f"no such file in the inbox: {text!r}", 404)
        return path

    def _store_uploads(self, folder: Path, uploads: list[Upload]) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        limit = self.ctx.settings.mapping_max_upload_bytes
        stored = []
        for i, upload in enumerate(uploads, start=1):
            name = SAFE_NAME.sub("_", Path(upload.filename or f"upload-{i}").name).lstrip(".") or f"upload-{i}"
            target = folder / f"{i:02d}-{name}"
            size = 0
            with target.open("wb") as out:
                for chunk in iter(partial(upload.stream.read, 1 << 20), b""):
                    size += len(chunk)
                    if size > limit:
                        out.close()
                        shutil.rmtree(folder, ignore_errors=True)
                        raise JobRequestError(f"upload {name} is larger than {limit:,} bytes", 413)
                    out.write(chunk)
            stored.append(target)
        return stored

    # -- worker -------------------------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="mapping-jobs", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            job_id, options = self._queue.get()
            try:
                run_job(self.ctx, options)
            except Exception as exc:  # noqa: BLE001 - a job must never kill the worker
                path = self.root / job_id / "job.json"
                data = json.loads(path.read_text())
                data.update(state="failed", message=f"internal error: {type(exc).__name__}: {exc}")
                path.write_text(json.dumps(data, ensure_ascii=False))
            finally:
                self._queue.task_done()

    def _recover(self) -> None:
        """Jobs a previous process left queued run again; jobs it left running are marked interrupted."""
        for status in sorted(self.root.glob("*/job.json")):
            data = json.loads(status.read_text())
            if data.get("state") == "running":
                data.update(state="failed", message="interrupted (the connector stopped); nothing was published")
                status.write_text(json.dumps(data, ensure_ascii=False))
            elif data.get("state") == "queued" and (status.parent / "request.json").exists():
                req = json.loads((status.parent / "request.json").read_text())
                options = JobOptions(
                    req["kind"],
                    [Path(p) for p in req["paths"]],
                    req["dry_run"],
                    req["max_errors"],
                    req["operator"],
                    status.parent.name,
                )
                self._queue.put((status.parent.name, options))
        if not self._queue.empty():
            self._ensure_worker()

    # -- reading ------------------------------------------------------------------------------------------------
    def _dir(self, job_id: str) -> Path:
        if not JOB_ID.match(job_id) or not (self.root / job_id / "job.json").exists():
            raise KeyError(job_id)
        return self.root / job_id

    def status(self, job_id: str) -> dict[str, Any]:
        return json.loads((self._dir(job_id) / "job.json").read_text())

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        dirs = sorted((p.parent for p in self.root.glob("*/job.json") if JOB_ID.match(p.parent.name)), reverse=True)
        out = []
        for d in dirs[:limit]:
            data = json.loads((d / "job.json").read_text())
            out.append(
                {
                    k: data.get(k)
                    for k in (
                        "id",
                        "kind",
                        "dataset",
                        "state",
                        "phase",
                        "started",
                        "ended",
                        "counts",
                        "operator",
                        "dry_run",
                    )
                }
            )
        return out

    def report(self, job_id: str) -> dict[str, Any] | None:
        path = self._dir(job_id) / "report.json"
        return json.loads(path.read_text()) if path.exists() else None

    def quarantine(self, job_id: str) -> Iterator[bytes]:
        """The job's quarantine (JSON Lines) in chunks; KeyError for an unknown job, at once."""
        path = self._dir(job_id) / "quarantine.jsonl"

        def chunks() -> Iterator[bytes]:
            if path.exists():
                with path.open("rb") as fh:
                    yield from iter(partial(fh.read, 1 << 16), b"")

        return chunks()

    def wait(self) -> None:
        """Block until the queue is empty (tests, orderly shutdown)."""
        self._queue.join()
