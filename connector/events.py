"""Structured events for operators: one log line per job or dataspace-protocol step, and the matching metrics.

Lines go to the ``connector.events`` logger with an ``event`` name and flat fields, so the JSON log format
(``CONNECTOR_LOG_FORMAT=json``) gives log pipelines something to filter on (``event=job.finished status=failed``).
Fields whose name suggests a secret are never written (see :func:`event`).
"""

from __future__ import annotations

import logging
from typing import Any

from connector import metrics
from connector.logs import SECRET_FIELD

log = logging.getLogger("connector.events")


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event; secret-looking fields are replaced by ``[redacted]``."""
    safe = {k: ("[redacted]" if SECRET_FIELD.search(k) else v) for k, v in fields.items()}
    text = " ".join(f"{k}={v}" for k, v in safe.items())
    log.log(level, "%s %s", name, text, extra={"event": name, **safe})


def job_started(job_id: str, kind: str, **fields: Any) -> None:
    metrics.JOBS_RUNNING.inc()
    event("job.started", job_id=job_id, kind=kind, **fields)


def job_finished(
    job_id: str,
    kind: str,
    status: str,
    *,
    seconds: float,
    published: int = 0,
    quarantined: int = 0,
    **fields: Any,
) -> None:
    """A job ended (``status``: succeeded, failed, rejected, cancelled...): counts, duration, running gauge."""
    metrics.JOBS_RUNNING.dec()
    metrics.JOBS.labels(kind=kind, status=status).inc()
    metrics.JOB_SECONDS.labels(kind=kind).observe(seconds)
    metrics.JOB_RECORDS.labels(kind=kind, outcome="published").inc(published)
    metrics.JOB_RECORDS.labels(kind=kind, outcome="quarantined").inc(quarantined)
    level = logging.WARNING if status == "failed" else logging.INFO
    event(
        "job.finished",
        level,
        job_id=job_id,
        kind=kind,
        status=status,
        seconds=round(seconds, 3),
        published=published,
        quarantined=quarantined,
        **fields,
    )


def dsp_transition(process: str, process_id: str, state: str, *, participant: str | None = None, **fields: Any) -> None:
    """A negotiation or transfer process entered ``state`` (DSP state name, e.g. ``FINALIZED``)."""
    metrics.DSP_TRANSITIONS.labels(process=process, state=state).inc()
    event(f"dsp.{process}", process_id=process_id, state=state, participant=participant, **fields)


def dsp_callback_failed(process: str, process_id: str, url: str, reason: str) -> None:
    metrics.DSP_CALLBACK_FAILURES.labels(process=process).inc()
    event("dsp.callback_failed", logging.WARNING, process=process, process_id=process_id, url=url, reason=reason)


def validation_finished(profile: str, conforms: bool, results_by_severity: dict[str, int], **fields: Any) -> None:
    """A SHACL validation run ended; ``results_by_severity`` as ``{"Violation": 3, "Warning": 1}``."""
    metrics.VALIDATION_RUNS.labels(profile=profile, conforms=str(conforms).lower()).inc()
    for severity, n in results_by_severity.items():
        metrics.VALIDATION_RESULTS.labels(profile=profile, severity=severity).inc(n)
    event("validation.finished", profile=profile, conforms=conforms, **results_by_severity, **fields)
