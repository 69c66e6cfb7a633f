"""Prometheus metrics of the connector: one place that defines every metric name, so dashboards stay stable.

The HTTP middleware fills the ``connector_http_*`` metrics. The capabilities call the objects below (or the helpers
in :mod:`connector.events`, which also log the event):

- SPARQL: ``SPARQL_QUERY_SECONDS.labels(form="select").observe(s)``, ``SPARQL_TIMEOUTS.inc()``,
  ``SPARQL_REJECTED.labels(reason="busy").inc()``;
- jobs: ``JOBS.labels(kind, status).inc()``, ``JOB_RECORDS.labels(kind, outcome).inc(n)``, ``JOBS_RUNNING``,
  ``JOB_SECONDS``;
- dataspace protocol: ``DSP_TRANSITIONS.labels(process="negotiation", state="FINALIZED").inc()`` and, for the
  current number of processes per state, :func:`register_state_counts` with a function reading the repository;
- validation: ``VALIDATION_RUNS.labels(profile, conforms)``, ``VALIDATION_RESULTS.labels(profile, severity).inc(n)``.

Metric names are listed in docs/operations.md; renaming one breaks operators' dashboards and alerts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from connector import __version__

log = logging.getLogger("connector.metrics")

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)

BUILD = Info("connector_build", "Version of the running connector.")
BUILD.info({"version": __version__})

# -- HTTP (filled by connector.api.observability) ------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "connector_http_requests", "HTTP requests answered, by route template and status.", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "connector_http_request_duration_seconds",
    "Time to answer an HTTP request (until the last body byte), by route template.",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_IN_PROGRESS = Gauge("connector_http_requests_in_progress", "HTTP requests being answered now.")
RATE_LIMITED = Counter("connector_http_rate_limited", "Requests refused with 429, by kind of client.", ["client"])
BODY_TOO_LARGE = Counter("connector_http_body_too_large", "Requests refused with 413 (body over the route's limit).")
AUTH_FAILURES = Counter("connector_auth_failures", "Requests refused for credentials, by status (401/403).", ["status"])

# -- store and readiness ------------------------------------------------------------------------------------------
STORE_UP = Gauge("connector_store_up", "1 when the last readiness check reached the store, else 0.")
READY = Gauge("connector_ready", "1 when the last readiness check passed, else 0.")

# -- SPARQL --------------------------------------------------------------------------------------------------------
SPARQL_QUERY_SECONDS = Histogram(
    "connector_sparql_query_duration_seconds",
    "SPARQL query evaluation time (successful queries), by query form.",
    ["form"],
    buckets=_LATENCY_BUCKETS,
)
SPARQL_TIMEOUTS = Counter("connector_sparql_query_timeouts", "SPARQL queries stopped by the query timeout.")
SPARQL_REJECTED = Counter(
    "connector_sparql_queries_rejected", "SPARQL queries refused before evaluation, by reason.", ["reason"]
)
SPARQL_QUERIES_RUNNING = Gauge("connector_sparql_queries_running", "SPARQL queries holding an evaluation slot.")
SPARQL_KNOWN_SHORT = Counter(
    "connector_sparql_known_short_queries",
    "SPARQL queries answered in the endpoint's process: the same query had run short on the same data in a worker.",
)

# -- mapping jobs --------------------------------------------------------------------------------------------------
JOBS = Counter("connector_jobs", "Mapping jobs that ended, by source kind and final status.", ["kind", "status"])
JOB_RECORDS = Counter(
    "connector_job_records", "Records processed by jobs, by source kind and outcome.", ["kind", "outcome"]
)
JOBS_RUNNING = Gauge("connector_jobs_running", "Mapping jobs running now in this process.")
JOB_SECONDS = Histogram(
    "connector_job_duration_seconds", "Mapping job duration, by source kind.", ["kind"], buckets=_JOB_BUCKETS
)

# -- dataspace protocol --------------------------------------------------------------------------------------------
DSP_TRANSITIONS = Counter(
    "connector_dsp_transitions",
    "Dataspace protocol state transitions, by process (negotiation/transfer) and state entered.",
    ["process", "state"],
)
DSP_CALLBACK_FAILURES = Counter(
    "connector_dsp_callback_failures", "Callbacks to counterparts that failed, by process.", ["process"]
)

# -- validation ----------------------------------------------------------------------------------------------------
VALIDATION_RUNS = Counter(
    "connector_validation_runs", "SHACL validation runs, by profile and outcome.", ["profile", "conforms"]
)
VALIDATION_RESULTS = Counter(
    "connector_validation_results", "SHACL validation results, by profile and severity.", ["profile", "severity"]
)


class _StateCounts(Collector):
    """``connector_dsp_processes{process,state}``: current processes per state, read at scrape time.

    The counts come from the shared state database, so every replica reports the same cluster-wide figure.
    """

    def __init__(self) -> None:
        self._sources: dict[str, Callable[[], Mapping[str, int]]] = {}
        self._lock = threading.Lock()

    def register(self, process: str, counts: Callable[[], Mapping[str, int]]) -> None:
        with self._lock:
            self._sources[process] = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "connector_dsp_processes", "Dataspace protocol processes by current state.", labels=["process", "state"]
        )
        with self._lock:
            sources = dict(self._sources)
        for process, counts in sources.items():
            try:
                current = counts()
            except Exception:  # a failing scrape source must not break the whole /metrics page
                log.warning("state counts for %s unavailable", process, exc_info=True)
                continue
            for state, n in sorted(current.items()):
                family.add_metric([process, state], n)
        yield family


_STATE_COUNTS = _StateCounts()
REGISTRY.register(_STATE_COUNTS)


def register_state_counts(process: str, counts: Callable[[], Mapping[str, int]]) -> None:
    """Let ``/metrics`` show how many ``process`` (negotiation, transfer) are in each state, read at scrape time."""
    _STATE_COUNTS.register(process, counts)
