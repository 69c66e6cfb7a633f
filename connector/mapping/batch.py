"""One batch of changed records through map -> validate -> compress, in a job's worker process (or in the job's own
process for small jobs).

The job's main process reads, checks and hashes records and keeps the state; the CPU-heavy rest runs here, on the
other cores: the records' triples (each record's own triples apart from those about shared nodes), the SHACL gate
over the batch (each shared triple once) plus what the vocabularies say about the concepts it references, each
violation traced back to the record it belongs to, and each good record's triples compressed and counted (VoID, from
the terms the mapper formatted) for the state.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from isal import isal_zlib

from connector.datasets.void import uri_spaces
from connector.datasets.void_counts import count_record
from connector.mapping import gate
from connector.mapping.ntriples import RecordTriples
from connector.mapping.rdf_job_sheet import job_sheet_triples
from connector.mapping.rdf_training import training_triples
from connector.mapping.records import JobSheet, Problem, Training
from connector.mapping.state import MappedRecord
from connector.mapping.vocabulary import Vocabulary

_vocabulary: Vocabulary | None = None
"""The concept index of this worker process, received once when the pool starts (:func:`init`)."""


GC_THRESHOLD = 20_000
"""Allocations between two young-generation collections in a worker, or a job's process while it runs (CPython's
default is 700)."""


def init(vocabulary: Vocabulary) -> None:
    """Set up a worker process. Its garbage collector would otherwise spend about 6 % of the worker's CPU (0.045 ms
    per training, 0.02 ms with these settings) scanning the vocabulary and the batch's records, which hold no
    reference cycles: the vocabulary is moved out of its scans (``gc.freeze``), and the young generation is collected
    less often."""
    global _vocabulary
    _vocabulary = vocabulary
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


@dataclass
class BatchResult:
    mapped: dict[str, MappedRecord]
    """Record id -> what the state keeps of a good record."""
    texts: dict[bytes, str]
    """Hash -> text of the shared triples and counted terms of the good records' VoID counts."""
    problems: dict[str, list[Problem]]
    """Record id -> the SHACL violations that reject it."""
    owned: bytes = b""
    """The good records' own triples, in order, when asked for (a first publish loads them as batches come)."""


def map_batch(
    records: list[Training | JobSheet], profile: str, vocabulary: Vocabulary | None = None, *, owned_text: bool = False
) -> BatchResult:
    """Map, validate, compress and count ``records`` against the SHACL ``profile``; with ``owned_text``, also give
    the good records' own triples as text (cheaper than the job decompressing them again)."""
    vocab = vocabulary or _vocabulary
    if vocab is None:
        raise RuntimeError("map_batch needs a vocabulary (init() was not called in this worker)")
    mapped = {record.id: _map(record, vocab) for record in records}
    texts = {rid: (triples.owned_text().encode(), triples.shared_text().encode()) for rid, triples in mapped.items()}
    trainings = isinstance(records[0], Training)
    prefix = vocab.profile.training("") if trainings else vocab.profile.job_sheet("")
    problems = _gate(mapped, texts, prefix, profile, vocab)
    dataset, spaces = "trainings" if trainings else "job-sheets", uri_spaces(vocab.profile.minted)
    counted_texts: dict[bytes, str] = {}
    kept: dict[str, MappedRecord] = {}
    for rid, triples in mapped.items():
        if rid in problems:
            continue
        counted = count_record(prefix + rid, triples.owned, triples.shared, dataset, spaces)
        counted_texts.update(counted.shared)
        counted_texts.update(counted.terms)
        # its own triples first: a full publish writes only those and each shared triple once
        owned, shared = texts[rid]
        # ISA-L: zlib's format at zlib's level-1 ratio for a sixth of its CPU (400 MB of text for 20,000 trainings)
        kept[rid] = MappedRecord(isal_zlib.compress(owned + shared, 1), len(owned), counted.counts)
    own = b"".join(texts[rid][0] for rid in kept) if owned_text else b""
    return BatchResult(kept, counted_texts, problems, own)


def _gate(
    mapped: dict[str, RecordTriples],
    texts: dict[str, tuple[bytes, bytes]],
    prefix: str,
    profile: str,
    vocab: Vocabulary,
) -> dict[str, list[Problem]]:
    """The SHACL violations of the batch (each shared triple once, plus the vocabulary context), by record: the
    record owning the focus node (records' IRIs are ``prefix`` + id), else every record mentioning it (a shared
    node)."""
    shared: dict[str, None] = {}
    concepts: set[str] = set()
    for triples in mapped.values():
        shared.update(triples.shared)
        concepts |= triples.concepts
    data = b"".join(
        [
            *(owned for owned, _ in texts.values()),
            "".join([f"{line}\n" for line in shared]).encode(),
            vocab.context_triples(concepts).encode(),
        ]
    )
    problems: dict[str, list[Problem]] = {}
    for v in gate.validate_batch(data, profile):
        owner = v.focus.split("#")[0]
        owners = [owner[len(prefix) :]] if owner.startswith(prefix) and owner[len(prefix) :] in mapped else []
        node = f"<{v.focus}>".encode()
        owners = owners or [rid for rid, (owned, shared_text) in texts.items() if node in owned or node in shared_text]
        for rid in owners:
            problems.setdefault(rid, []).append(
                Problem(f"SHACL: {v.message}", v.path.rsplit("/", 1)[-1] if v.path else None, v.value)
            )
    return problems


def _map(record: Training | JobSheet, vocab: Vocabulary) -> RecordTriples:
    if isinstance(record, Training):
        return training_triples(record, vocab.profile, vocab)
    return job_sheet_triples(record, vocab.profile, vocab)
