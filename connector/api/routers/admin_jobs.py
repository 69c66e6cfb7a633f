"""``/admin/jobs``: operators submit mapping jobs (uploads or inbox paths) and follow them. Thin over
:class:`connector.mapping.service.JobService`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from connector.api.deps import get_context, require_role
from connector.api.problems import Problem
from connector.auth import Principal
from connector.context import Context
from connector.mapping.service import JobRequestError, JobService, Upload

router = APIRouter(prefix="/admin/jobs", tags=["admin: mapping jobs"])
operator = require_role("operator")


def get_jobs(request: Request, ctx: Context = Depends(get_context)) -> JobService:
    service = getattr(request.app.state, "jobs", None)
    if service is None:
        service = request.app.state.jobs = JobService(ctx)
    return service


def _unknown(job_id: str) -> Problem:
    return Problem(404, "Not Found", f"no mapping job {job_id!r}")


@router.post("", status_code=202, summary="Submit a mapping job (uploaded files or server-side inbox paths)")
def submit(
    kind: str = Form(..., description="trainings, lheo or job-sheets"),
    files: list[UploadFile] | None = File(None, description="Input files to upload."),
    paths: list[str] | None = Form(None, description="Files inside the server's inbox directory."),
    dry_run: bool = Form(False),
    max_errors: str | None = Form(None, description="Abort above this many rejected records (10) or share (5%)."),
    principal: Principal = Depends(operator),
    jobs: JobService = Depends(get_jobs),
) -> JSONResponse:
    uploads = [Upload(f.filename or "upload", f.file) for f in files or []]
    try:
        status = jobs.submit(kind, principal.subject, uploads, paths, dry_run, max_errors or None)
    except JobRequestError as exc:
        raise Problem(exc.status, "Bad job request" if exc.status == 400 else "Job request refused", str(exc)) from None
    return JSONResponse(status, status_code=202, headers={"Location": f"/admin/jobs/{status['id']}"})


@router.get("", summary="Recent mapping jobs, newest first")
def list_jobs(_: Principal = Depends(operator), jobs: JobService = Depends(get_jobs)) -> list[dict[str, Any]]:
    return jobs.list()


@router.get("/{job_id}", summary="A job's state, phase, progress and counts")
def job_status(job_id: str, _: Principal = Depends(operator), jobs: JobService = Depends(get_jobs)) -> dict[str, Any]:
    try:
        return jobs.status(job_id)
    except KeyError:
        raise _unknown(job_id) from None


@router.get("/{job_id}/report", summary="The final report of a finished job")
def job_report(job_id: str, _: Principal = Depends(operator), jobs: JobService = Depends(get_jobs)) -> dict[str, Any]:
    try:
        report = jobs.report(job_id)
    except KeyError:
        raise _unknown(job_id) from None
    if report is None:
        raise Problem(409, "Conflict", "the job has not finished yet; see GET /admin/jobs/{id}")
    return report


@router.get("/{job_id}/quarantine", summary="Rejected records as JSON Lines")
def job_quarantine(
    job_id: str, _: Principal = Depends(operator), jobs: JobService = Depends(get_jobs)
) -> StreamingResponse:
    try:
        chunks = jobs.quarantine(job_id)
    except KeyError:
        raise _unknown(job_id) from None
    return StreamingResponse(chunks, media_type="application/x-ndjson")
