"""The one job engine for every source kind: read -> check -> map -> validate -> stage -> publish -> provenance.

Guarantees operators rely on:
- good records are never lost because of bad ones: each bad record goes to the quarantine with its reason;
- a file that cannot be read at all (encoding, empty, invalid XML, entity bomb, size) fails the job and nothing is
  published (publishing without it would remove its records);
- ``max_errors`` (a count, or a share like ``5%``) aborts without publishing; ``dry_run`` stops before publishing;
- the dataset graph is swapped atomically (``GraphStore.replace_graph``): readers and a killed job see the old
  graph or the new one, never a mixture;
- incremental: records are keyed by identifier and content hash; unchanged records are neither re-mapped nor
  re-validated, records gone from the input disappear, and a bad new version of a published record keeps the
  previous version published;
- PROV-O: one ``prov:Activity`` per run, each published record ``prov:wasDerivedFrom`` its source row/line/XPath.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing import forkserver, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Literal

from connector import __version__, events
from connector.context import Context
from connector.datasets.void import VoidStatistics, refresh_published_void, uri_spaces
from connector.datasets.void_counts import VoidCounter
from connector.mapping import batch as batch_worker
from connector.mapping.job_sheets import read_job_sheets_csv, read_job_sheets_json, read_job_sheets_yaml
from connector.mapping.lheo import read_lheo
from connector.mapping.ntriples import Lines
from connector.mapping.provenance import activity_triples, record_provenance
from connector.mapping.records import FileRejected, JobSheet, Parsed, Problem, SourceRef, Training
from connector.mapping.state import RecordState
from connector.mapping.terms import Profile
from connector.mapping.trainings import read_training_csv, read_training_json
from connector.mapping.vocabulary import Vocabulary, VocabularyMissing, cached_vocabulary, vocabulary_state
from connector.namespaces import VOID
from connector.progress import Progress, SilentProgress
from connector.store.feed import GraphFeed

Kind = Literal["trainings", "lheo", "job-sheets"]
KINDS: dict[str, tuple[str, str]] = {  # kind -> (dataset id, SHACL profile)
    "trainings": ("trainings", "gen-training"),
    "lheo": ("trainings", "gen-training"),
    "job-sheets": ("job-sheets", "gen-job-sheet"),
}
MAPPING_VERSION = "4"
"""Bump when the RDF a record maps to, or what the state keeps about it, changes (3: VoID counts, own triples
first; 4: concept labels keep their language, an English ESCO label is no longer tagged French), so that every record
is re-mapped once."""
BATCH = 500
DELTA_MAX = 400_000
"""Largest change (triples deleted + inserted) published as one SPARQL update; above it the graph is rebuilt."""
PROVENANCE_CHUNK = 60_000
"""Provenance triples loaded at once (bounded memory)."""
Reader = Callable[[Path, int, int], Iterator[Parsed]]


class JobError(Exception):
    """The job cannot run (bad options, missing vocabulary); nothing was published."""


@dataclass
class JobOptions:
    kind: Kind
    paths: list[Path]
    dry_run: bool = False
    max_errors: str | None = None
    operator: str | None = None
    job_id: str | None = None


@dataclass
class Counts:
    read: int = 0
    mapped: int = 0
    unchanged: int = 0
    rejected: int = 0
    removed: int = 0
    kept_previous: int = 0


@dataclass
class JobReport:
    id: str
    kind: str
    dataset: str
    profile: str
    state: str = "running"  # running | succeeded | failed | aborted | dry-run
    phase: str = "reading"
    started: str = ""
    ended: str | None = None
    seconds: float | None = None
    operator: str | None = None
    dry_run: bool = False
    inputs: list[dict[str, Any]] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    file_errors: list[dict[str, str]] = field(default_factory=list)
    rejections_by_reason: dict[str, int] = field(default_factory=dict)
    message: str | None = None
    published_triples: int | None = None
    vocabulary_versions: dict[str, str] = field(default_factory=dict)
    software_version: str = __version__
    phase_seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each phase (reading = read + check + map + overlapping validation)."""
    phase_cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU time of the job's own process in each phase (its worker processes not included): where it waits."""

    def enter(self, phase: str) -> None:
        """Start ``phase``, closing the wall and CPU time of the previous one."""
        now, cpu = time.perf_counter(), time.process_time()
        if self.phase and getattr(self, "_since", None) is not None:
            self.phase_seconds[self.phase] = round(self.phase_seconds.get(self.phase, 0) + now - self._since, 3)
            used = self.phase_cpu_seconds.get(self.phase, 0) + cpu - self._cpu_since
            self.phase_cpu_seconds[self.phase] = round(used, 3)
        self.phase, self._since, self._cpu_since = phase, now, cpu

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def summary(self) -> str:
        c = self.counts
        text = (
            f"{self.state}: read {c.read}, mapped {c.mapped}, unchanged {c.unchanged}, rejected {c.rejected}, "
            f"removed {c.removed}"
        )
        if c.kept_previous:
            text += f" ({c.kept_previous} rejected kept their previous version)"
        return text + (f", {self.seconds:.1f} s" if self.seconds is not None else "")


def parse_max_errors(text: str | None) -> tuple[int | None, float | None]:
    """``"10"`` -> at most 10 rejected records; ``"5%"`` or ``"0.05"`` -> at most that share of records read."""
    if text is None or text == "":
        return None, None
    text = text.strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1]) / 100
        elif "." in text:
            share = float(text)
        else:
            count = int(text)
            if count < 0:
                raise ValueError
            return count, None
    except ValueError:
        raise JobError(f"--max-errors must be a count (10) or a share (5% or 0.05), not {text!r}") from None
    if not 0 <= share <= 1:
        raise JobError(f"--max-errors share must be between 0 and 100%, not {text!r}")
    return None, share


def reader_for(kind: Kind, path: Path) -> Reader:
    suffix = path.suffix.lower()
    if kind == "lheo" or (kind == "trainings" and suffix == ".xml"):
        return read_lheo
    if kind == "trainings":
        if suffix in (".json", ".jsonl", ".ndjson"):
            return read_training_json
        return read_training_csv
    if suffix in (".yaml", ".yml"):
        return read_job_sheets_yaml
    if suffix in (".json", ".jsonl", ".ndjson"):
        return read_job_sheets_json
    return read_job_sheets_csv


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _warm_forkserver() -> BaseContext:
    """The forkserver context of mapping workers, its server started with the worker code imported and the shapes read
    (:mod:`connector.mapping.forkserver_preload`: about 1 s of CPU, once per process instead of once per worker, and
    early: beside the job's vocabulary reading)."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["connector.mapping.forkserver_preload"])
    forkserver.ensure_running()
    return context


@contextmanager
def _young_collections_less_often() -> Iterator[None]:
    """A job's process allocates millions of short-lived objects without reference cycles (rows, records, batches)
    beside a vocabulary index of hundreds of thousands: with CPython's default thresholds its collector scans them
    about 800 times, a second of the job's main thread for 20,000 trainings. The young generation is collected less
    often while the job runs (as in the workers, :func:`connector.mapping.batch.init`), then the settings are
    restored."""
    thresholds = gc.get_threshold()
    gc.set_threshold(batch_worker.GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class JobFiles:
    """``<home>/jobs/<id>/``: job.json (state, progress, counts), report.json, quarantine.jsonl."""

    def __init__(self, home: Path, job_id: str) -> None:
        self.dir = home / "jobs" / job_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.status = self.dir / "job.json"
        self.report = self.dir / "report.json"
        self.quarantine = self.dir / "quarantine.jsonl"

    def write_status(self, report: JobReport, progress: dict[str, Any] | None = None) -> None:
        data = report.to_json() | {"progress": progress or {}}
        tmp = self.status.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1))
        tmp.replace(self.status)

    def write_report(self, report: JobReport) -> None:
        tmp = self.report.with_suffix(".tmp")
        tmp.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        tmp.replace(self.report)


class _StatusProgress:
    """Forwards to the caller's Progress and mirrors it into job.json (at most a few times a second)."""

    def __init__(self, inner: Progress, files: JobFiles, report: JobReport) -> None:
        self.inner, self.files, self.report = inner, files, report
        self.task, self.total, self.done, self._last = "", None, 0, 0.0

    def start(self, task: str, total: int | None = None) -> None:
        self.task, self.total, self.done = task, total, 0
        self.inner.start(task, total)
        self.flush(force=True)

    def advance(self, units: int = 1) -> None:
        self.done += units
        self.inner.advance(units)
        self.flush()

    def finish(self, summary: str) -> None:
        self.inner.finish(summary)

    def flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last > 0.5:
            self._last = now
            self.files.write_status(self.report, {"task": self.task, "done": self.done, "total": self.total})


class _Quarantine:
    def __init__(self, path: Path, report: JobReport) -> None:
        self.fh = path.open("w", encoding="utf-8")
        self.report = report

    def add(self, file: str, location: str, record_id: str | None, problems: list[Problem]) -> None:
        for p in problems:
            line = {
                "file": file,
                "location": location,
                "record_id": record_id,
                "field": p.field,
                "value": p.value,
                "reason": p.reason,
            }
            self.fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.report.rejections_by_reason[p.reason] = self.report.rejections_by_reason.get(p.reason, 0) + 1

    def close(self) -> None:
        self.fh.close()


@dataclass
class _Pending:
    """A changed record waiting for validation."""

    record: Training | JobSheet
    digest: str
    file: str
    location: str


class _Aborted(Exception):
    pass


def run_job(ctx: Context, options: JobOptions, progress: Progress | None = None) -> JobReport:
    """Run one mapping job to its end and return its report (also written under ``<home>/jobs/<id>/``)."""
    if options.kind not in KINDS:
        raise JobError(f"unknown source kind {options.kind!r} (trainings, lheo or job-sheets)")
    max_count, max_share = parse_max_errors(options.max_errors)
    job_id = options.job_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    dataset, profile_name = KINDS[options.kind]
    report = JobReport(
        id=job_id,
        kind=options.kind,
        dataset=dataset,
        profile=profile_name,
        started=_now(),
        operator=options.operator,
        dry_run=options.dry_run,
    )
    files = JobFiles(ctx.settings.home, job_id)
    status = _StatusProgress(progress or SilentProgress(), files, report)
    started = time.perf_counter()
    lock_path = ctx.settings.home / "mapping" / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one job at a time: they share the state and provenance graph
        events.job_started(job_id, options.kind, dataset=dataset, operator=options.operator, dry_run=options.dry_run)
        quarantine = _Quarantine(files.quarantine, report)
        state = RecordState(ctx.settings.home / "mapping" / "state.sqlite", dataset)
        try:
            with _young_collections_less_often():
                _Runner(ctx, options, report, status, quarantine, state, (max_count, max_share)).run()
        except (JobError, VocabularyMissing) as exc:
            report.state, report.message = "failed", str(exc)
        except BrokenProcessPool:
            report.state, report.message = "failed", "a mapping worker process died; nothing was published"
        except _Aborted as exc:
            report.state, report.message = "aborted", str(exc)
        except BaseException as exc:
            report.state, report.message = "failed", f"internal error: {type(exc).__name__}: {exc}"
            raise
        finally:
            quarantine.close()
            state.close()
            report.ended = _now()
            report.seconds = round(time.perf_counter() - started, 3)
            files.write_report(report)
            files.write_status(report, {"task": "done", "done": report.counts.read, "total": report.counts.read})
            events.job_finished(
                job_id,
                options.kind,
                report.state,
                seconds=report.seconds,
                published=report.counts.mapped if report.state == "succeeded" else 0,
                quarantined=report.counts.rejected,
                dataset=dataset,
            )
    status.finish(report.summary)
    return report


class _Runner:
    def __init__(
        self,
        ctx: Context,
        options: JobOptions,
        report: JobReport,
        progress: _StatusProgress,
        quarantine: _Quarantine,
        state: RecordState,
        limits: tuple[int | None, float | None],
    ) -> None:
        self.ctx, self.options, self.report, self.progress = ctx, options, report, progress
        self.quarantine, self.state = quarantine, state
        self.max_count, self.max_share = limits
        self.profile = Profile(ctx.minted)
        self.settings = ctx.settings
        self.rome_base = ctx.minted.rome

    # -- phases ---------------------------------------------------------------------------------------------------
    def run(self) -> None:
        self.report.enter("reading")
        for path in self.options.paths:
            if not path.is_file():
                raise JobError(f"input not found or not a file: {path.name}")
        if self.settings.mapping_workers > 1:
            _warm_forkserver()  # on the other core while this one reads the vocabulary
        versions, sizes = vocabulary_state(self.ctx)
        self.report.vocabulary_versions = versions
        self.fingerprint = self._fingerprint(versions, sizes)
        self._vocab: Vocabulary | None = None
        self.known = self.state.known()
        self.seen: dict[str, str] = {}
        self.org_names: dict[str, str] = {}
        self.pending: list[_Pending] = []
        # batches being mapped and validated by worker processes; bounded so memory does not grow with the input
        self.inflight: deque[tuple[list[_Pending], Future[batch_worker.BatchResult]]] = deque()
        self.batches = 0
        self.pool: ProcessPoolExecutor | None = None
        graph = self.ctx.datasets.get(self.report.dataset).graph
        # a first publish loads each record once its batch passed the gate, while later batches are still read
        first = not self.options.dry_run and self._first_publish(graph)
        # every line it loads was parsed strictly by the gate: the store need not validate IRIs again; each line is
        # a distinct triple, so the graph's size is the VoID figure the job adds up as batches pass (no count)
        self.feed = GraphFeed(self.ctx.store, graph, trusted_syntax=True, count=False) if first else None
        self.fed_counts = self._void_counter()  # VoID counts of the records fed, added as their batches pass
        try:
            self._read_and_publish()
        except BaseException:
            if self.feed is not None:
                self.feed.abort()
            raise

    def _read_and_publish(self) -> None:
        try:
            for path in self.options.paths:
                self._read_file(path)
            if self.report.file_errors:
                raise JobError("; ".join(f"{e['file']}: {e['reason']}" for e in self.report.file_errors))
            self._flush(final=True)
            self.report.enter("validating")
            self.progress.start("validating", sum(len(b) for b, _ in self.inflight))
            while self.inflight:
                batch, future = self.inflight.popleft()
                self._apply_validation(batch, future.result())
                self.progress.advance(len(batch))
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
        self._check_max_errors(final=True)
        removed = [rid for rid in self.known if rid not in self.seen]
        self.state.remove(removed)
        self.report.counts.removed = len(removed)
        if self.options.dry_run:
            self.report.state, self.report.message = "dry-run", "mapped and validated; nothing published (--dry-run)"
            return
        changed = self.state.staged_count() > 0 or bool(removed)
        if self.feed is not None and not changed:
            self.feed.abort()  # every record rejected: the graph stays empty
        self._publish(changed)
        self.report.state = "succeeded"

    def _read_file(self, path: Path) -> None:
        info: dict[str, Any] = {"file": path.name, "bytes": path.stat().st_size, "sha256": _sha256(path)}
        self.report.inputs.append(info)
        self.progress.start(f"reading {path.name}")
        reader = reader_for(self.options.kind, path)
        max_bytes = self.settings.mapping_max_file_bytes
        try:
            for parsed in reader(path, max_bytes, self.settings.mapping_max_field_chars):
                self._take(parsed)
                self.progress.advance()
        except FileRejected as exc:
            self.report.file_errors.append({"file": path.name, "reason": str(exc)})
            self.quarantine.add(path.name, "file", None, [Problem(f"file rejected: {exc}")])

    @property
    def vocab(self) -> Vocabulary:
        """The concept index, read on first need: a re-run where nothing changed never reads it."""
        if self._vocab is None:
            self._vocab = cached_vocabulary(self.ctx, self.fingerprint)
        return self._vocab

    def _take(self, parsed: Parsed) -> None:
        counts = self.report.counts
        counts.read += 1
        src = parsed.source
        digest = None
        if parsed.content is not None:  # checks deferred: an unchanged record costs only the hash of its raw form
            digest = self._digest(parsed.content)
            rid = parsed.record_id
            if rid is not None and rid not in self.seen and self._unchanged(rid, digest, src):
                self.seen[rid] = f"{src.file} {src.location}"
                if parsed.provider is not None:
                    self.org_names.setdefault(*parsed.provider)
                return
            parsed = parsed.checked()
        record = parsed.record
        problems = list(parsed.problems)
        rid = parsed.record_id
        if record is not None:
            rid = record.id
            if rid in self.seen:
                problems.append(Problem(f"duplicate identifier (first seen at {self.seen[rid]})", "identifiant", rid))
        if rid is not None and rid not in self.seen:
            self.seen[rid] = f"{src.file} {src.location}"
        if problems or record is None:
            self._reject(src.file, src.location, rid, problems or [Problem("unreadable record")])
            return
        digest = digest or self._digest(repr(record))
        if isinstance(record, Training):
            self.org_names.setdefault(record.provider_siret, record.provider_name)
        if self._unchanged(record.id, digest, src):
            return
        problems = (
            self.vocab.check_training(record) if isinstance(record, Training) else self.vocab.check_job_sheet(record)
        )
        if problems:
            self._reject(src.file, src.location, rid, problems)
            return
        if isinstance(record, Training):
            # one legal name per organisation: the first spelling of a SIRET in the input wins
            name = self.org_names.setdefault(record.provider_siret, record.provider_name)
            if name != record.provider_name:
                record = replace(record, provider_name=name)
        self.pending.append(_Pending(record, digest, src.file, src.location))
        if len(self.pending) >= BATCH:
            self._flush()

    def _reject(self, file: str, location: str, rid: str | None, problems: list[Problem]) -> None:
        counts = self.report.counts
        counts.rejected += 1
        if rid is not None and rid in self.known:
            counts.kept_previous += 1
        self.quarantine.add(file, location, rid, problems)
        self._check_max_errors()

    def _check_max_errors(self, final: bool = False) -> None:
        counts = self.report.counts
        if self.max_count is not None and counts.rejected > self.max_count:
            raise _Aborted(f"{counts.rejected} rejected records, more than --max-errors {self.max_count}")
        if final and self.max_share is not None and counts.read and counts.rejected / counts.read > self.max_share:
            raise _Aborted(
                f"{counts.rejected} of {counts.read} records rejected ({counts.rejected / counts.read:.1%}), "
                f"more than --max-errors {self.max_share:.1%}"
            )

    # -- mapping and validation ----------------------------------------------------------------------------------
    def _unchanged(self, rid: str, digest: str, src: SourceRef) -> bool:
        """Whether the record is published with this content under the same vocabularies (it was checked, mapped
        and validated then): counted as unchanged, its source location kept current."""
        old = self.known.get(rid)
        if old is None or old[0] != digest:
            return False
        self.report.counts.unchanged += 1
        if (old[1], old[2]) != (src.file, src.location):
            self.state.move(rid, src.file, src.location)
        return True

    def _digest(self, content: str) -> str:
        """SHA-256 of a record's content: its raw fields as read (readers that defer checks) or the dataclass repr
        of the checked record, which names every field with its value in a fixed order."""
        return hashlib.sha256(f"{self.fingerprint}\n{content}".encode()).hexdigest()

    def _fingerprint(self, versions: dict[str, str], sizes: str) -> str:
        """What besides the record decides its triples: mapping version, base IRI, vocabulary versions and sizes."""
        parts = [MAPPING_VERSION, self.ctx.settings.base_iri, json.dumps(versions, sort_keys=True), sizes]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def _flush(self, final: bool = False) -> None:
        """Send the pending batch to be mapped and validated: by the worker processes for big jobs (the vocabulary
        goes to each once), in-process for small ones."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        records = [p.record for p in batch]
        feeding = self.feed is not None
        workers = self.settings.mapping_workers
        self.batches += 1
        if self.pool is None and workers > 1 and (not final or self.batches > 1):
            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=_warm_forkserver(),
                initializer=batch_worker.init,
                initargs=(self.vocab.complete(),),
            )
        if self.pool is None:
            self._apply_validation(
                batch, batch_worker.map_batch(records, self.report.profile, self.vocab, owned_text=feeding)
            )
            return
        self.inflight.append(
            (batch, self.pool.submit(batch_worker.map_batch, records, self.report.profile, owned_text=feeding))
        )
        while len(self.inflight) > 2 * workers:
            done, future = self.inflight.popleft()
            self._apply_validation(done, future.result())

    def _apply_validation(self, batch: list[_Pending], result: batch_worker.BatchResult) -> None:
        self.state.stage_texts(result.texts)
        good = []
        for p in batch:
            rid = p.record.id
            if rid in result.problems:
                self._reject(p.file, p.location, rid, result.problems[rid])
            else:
                good.append((rid, p.digest, result.mapped[rid], p.file, p.location))
        self.state.stage(good)
        self.report.counts.mapped += len(good)
        if self.feed is not None:  # their own triples; those records share go once, at the end
            for _, _, mapped, _, _ in good:
                self.fed_counts.add(mapped.counts)
            self.feed.write(result.owned)

    def _record_iri(self, record_id: str) -> str:
        kind = "training" if self.report.dataset == "trainings" else "job-sheet"
        return f"{self.ctx.minted.gen}{kind}/{record_id}"

    # -- publishing -----------------------------------------------------------------------------------------------
    def _publish(self, changed: bool) -> None:
        graph = self.ctx.datasets.get(self.report.dataset).graph
        self._void: VoidStatistics | None = None
        if changed:
            self.report.enter("publishing")
            self.progress.start("publishing")
            if self.feed is not None:  # a first publish, loaded while reading
                self._finish_feed(graph)
            elif not self._publish_delta(graph):
                self._publish_full(graph)
        self.report.enter("provenance")
        self.report.state = "succeeded"
        self._write_provenance()
        self.state.commit(self.report.published_triples)
        self.report.enter("describing")
        if changed or not self._void_current():
            # VoID refreshed on every publish that changed the graph, whatever started the job (CLI, HTTP, pipeline)
            refresh_published_void(self.ctx, self.report.dataset, self._checked(self._void or self._counted_void()))
        self.report.enter("done")

    def _first_publish(self, graph: str) -> bool:
        """Nothing published yet, nothing kept and an empty graph: no delta to compute, load it whole."""
        if self.state.published_triples() or next(self.state.kept_content(), None) is not None:
            return False
        return not self.ctx.store.has_graph(graph)

    def _void_counter(self) -> VoidCounter:
        return VoidCounter(self.report.dataset, uri_spaces(self.ctx.minted))

    def _counted_void(self) -> VoidStatistics | None:
        """The dataset's VoID figures added up from its records' counts; None (measure the graph instead) when a
        record was never counted."""
        counter = self._void_counter()
        for _, _, counts in self.state.new_records(with_triples=False):
            if counts is None:
                return None
            counter.add(counts)
        return self._statistics(counter, self.state.void_texts())

    @staticmethod
    def _statistics(counter: VoidCounter, texts: dict[bytes, str]) -> VoidStatistics | None:
        """The figures of the records counted so far (None if ``texts`` lacks the text behind a hash)."""
        try:
            return counter.statistics([texts[key] for key in counter.shared_keys_used()], texts)
        except KeyError:
            return None

    def _checked(self, stats: VoidStatistics | None) -> VoidStatistics | None:
        """``stats`` unless they disagree with the size of the published graph (then the graph is measured)."""
        return stats if stats is not None and stats.triples == self.state.published_triples() else None

    def _void_current(self) -> bool:
        """Whether the catalog's VoID of the dataset still gives the size this state last published."""
        catalog = self.ctx.datasets.get("catalog").graph
        triples = self.state.published_triples()
        return triples is not None and self.ctx.store.ask(
            f"ASK {{ GRAPH <{catalog}> {{ <{self.ctx.minted.dataset}{self.report.dataset}> <{VOID}triples> ?n "
            f"FILTER(?n = {triples}) }} }}"
        )

    def _publish_full(self, graph: str) -> None:
        """Rebuild the whole graph from the state (kept + staged records) and swap it in atomically: one N-Triples
        file the store bulk-loads (``replace_graph``; into an empty embedded graph, a marker-guarded bulk load).

        Each record's own triples are written, and each triple records share once (a quarter of the lines, which
        the loader would parse and drop), counting the VoID figures on the way. A record mapped before the state
        kept counts is written whole, and the figures are then measured on the graph instead.
        """
        fd, name = tempfile.mkstemp(suffix=".nt", dir=self.ctx.settings.home / "mapping")
        tmp = Path(name)
        counter, complete = self._void_counter(), True
        try:
            with os.fdopen(fd, "wb") as out:
                for triples, owned, counts in self.state.new_records():
                    assert triples is not None
                    if owned is None or counts is None:
                        out.write(triples)
                        complete = False
                    else:
                        out.write(triples[:owned])
                        counter.add(counts)
                shared, texts = self._shared_text(counter)
                if shared is None:  # cannot happen with an intact state; still publish every triple
                    complete = False
                    for triples, _, _ in self.state.new_records():
                        out.write(triples or b"")
                else:
                    out.write(shared)
            self.report.published_triples = self.ctx.store.replace_graph(
                graph,
                tmp,
                "application/n-triples",
                trusted_syntax=True,  # the records passed the gate
            )
        finally:
            tmp.unlink(missing_ok=True)
        if complete:
            self._void = self._statistics(counter, texts)

    def _finish_feed(self, graph: str) -> None:
        """End the first publish loaded during reading: the triples records share, once each, then wait for the
        load. A state missing the text behind a shared hash (cannot happen when intact) rebuilds the graph instead.

        Every line fed is a distinct triple (a record's own triples are its alone, shared ones go once), so the
        graph's size is the VoID triple count, which spares counting millions of triples again."""
        assert self.feed is not None
        shared, texts = self._shared_text(self.fed_counts)
        if shared is None:
            self.feed.abort()
            self._publish_full(graph)
            return
        self.feed.write(shared)
        self.state.prepare()  # while the store finishes the load, which leaves a core idle at its end
        self.feed.finish()
        self._void = self._statistics(self.fed_counts, texts)
        self.report.published_triples = self._void.triples if self._void else self.ctx.store.count(graph)

    def _shared_text(self, counter: VoidCounter) -> tuple[bytes | None, dict[bytes, str]]:
        """The triples the records ``counter`` added share, once each, as N-Triples (None when the state lacks the
        text behind a hash, which cannot happen when it is intact), and the state's texts behind the hashes."""
        texts = self.state.void_texts()
        shared = [texts.get(key) for key in counter.shared_keys_used()]
        if None in shared:
            return None, texts
        return "".join(f"{line}\n" for line in shared).encode(), texts

    def _publish_delta(self, graph: str) -> bool:
        """Apply only the difference (one SPARQL update, so one transaction); False when a full rebuild is due.

        Every node a record owns is its alone, so its old triples can go; the few it shares (organisation, concept
        stubs) go only when no kept record still has them. Deltas above ``DELTA_MAX`` triples, and a published graph
        that lost its content, are rebuilt in full instead (bounded memory, and never trust a delta on a stranger).
        """
        old: set[bytes] = set()
        for chunk in self.state.replaced_content():
            old.update(chunk.splitlines())
            if len(old) > DELTA_MAX:
                return False
        new: set[bytes] = set()
        for chunk in self.state.staged_content():
            new.update(chunk.splitlines())
            if len(new) + len(old) > DELTA_MAX:
                return False
        if self.ctx.store.count(graph) != (self.state.published_triples() or 0):
            return False  # the graph is not what this state published: rebuild it
        delete, insert = old - new, new - old
        owned = tuple(f"<{self._record_iri(r)}".encode() for r in self.state.changed_ids())
        shared = {t for t in delete if not t.startswith(owned)}
        if shared:
            for chunk in self.state.kept_content():
                shared.difference_update(chunk.splitlines())
            delete = {t for t in delete if t.startswith(owned)} | shared
        parts = [
            f"{verb} DATA {{ GRAPH <{graph}> {{\n" + b"\n".join(lines).decode() + "\n} }"
            for verb, lines in (("DELETE", delete), ("INSERT", insert))
            if lines
        ]
        if parts:
            self.ctx.store.update(" ;\n".join(parts))
        self.report.published_triples = self.ctx.store.count(graph)
        return True

    def _write_provenance(self) -> None:
        """Replace the provenance of the changed records and add this run's activity, as one N-Triples load."""
        prov_graph = self.ctx.datasets.get("provenance").graph
        changed = list(self.state.changed_ids())
        if changed and self.ctx.store.has_graph(prov_graph):
            for start in range(0, len(changed), 5000):
                iris = " ".join(f"<{self._record_iri(r)}>" for r in changed[start : start + 5000])
                self.ctx.store.update(
                    f"DELETE {{ GRAPH <{prov_graph}> {{ ?r ?p ?o . ?s ?sp ?so }} }} WHERE {{ VALUES ?r {{ {iris} }} "
                    f"GRAPH <{prov_graph}> {{ {{ ?r ?p ?o }} UNION "
                    f"{{ ?r <http://www.w3.org/ns/prov#wasDerivedFrom> ?s . ?s ?sp ?so }} }} }}"
                )
        report = self.report
        report.ended = _now()
        activity_iri = self.profile.activity(report.id)
        lines = activity_triples(self.profile, activity_iri, report)
        activity = f"<{activity_iri}>"
        for rid, digest, file, location in self.state.staged_sources():
            record_provenance(lines, self.profile, f"<{self._record_iri(rid)}>", activity, file, location, digest)
            if len(lines.lines) >= PROVENANCE_CHUNK:
                self.ctx.store.add_to_graph(prov_graph, lines.text().encode(), "application/n-triples")
                lines = Lines()
        self.ctx.store.add_to_graph(prov_graph, lines.text().encode(), "application/n-triples")
