"""One batch of changed records through map -> validate -> compress, in a job's worker process (or in the job's own
process for small jobs).

The job's main process reads, checks and hashes records and keeps the state; the CPU-heavy rest runs here, on the
other cores: the records as N-Triples, the SHACL gate over the batch plus what the vocabularies say about the
concepts it references, each violation traced back to the record it belongs to, and each good record's triples
compressed and counted (VoID) for the state.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from connector.datasets.void import uri_spaces
from connector.datasets.void_counts import count_record
from connector.mapping import gate
from connector.mapping.ntriples import Lines
from connector.mapping.rdf_job_sheet import job_sheet_triples
from connector.mapping.rdf_training import training_triples
from connector.mapping.records import JobSheet, Problem, Training
from connector.mapping.state import MappedRecord
from connector.mapping.vocabulary import Vocabulary

_vocabulary: Vocabulary | None = None
"""The concept index of this worker process, received once when the pool starts (:func:`init`)."""


def init(vocabulary: Vocabulary) -> None:
    global _vocabulary
    _vocabulary = vocabulary


@dataclass
class BatchResult:
    mapped: dict[str, MappedRecord]
    """Record id -> what the state keeps of a good record."""
    texts: dict[bytes, str]
    """Hash -> text of the shared triples and counted terms of the good records' VoID counts."""
    problems: dict[str, list[Problem]]
    """Record id -> the SHACL violations that reject it."""


def map_batch(records: list[Training | JobSheet], profile: str, vocabulary: Vocabulary | None = None) -> BatchResult:
    """Map, validate, compress and count ``records`` against the SHACL ``profile``."""
    vocab = vocabulary or _vocabulary
    if vocab is None:
        raise RuntimeError("map_batch needs a vocabulary (init() was not called in this worker)")
    mapped: dict[str, bytes] = {}
    concepts: set[str] = set()
    for record in records:
        lines = _map(record, vocab)
        mapped[record.id] = lines.text().encode()
        concepts |= lines.concepts
    data = b"".join(mapped.values()) + vocab.context_triples(concepts).encode()
    problems: dict[str, list[Problem]] = {}
    trainings = isinstance(records[0], Training)
    prefix = vocab.profile.training("") if trainings else vocab.profile.job_sheet("")
    for v in gate.validate_batch(data, profile):
        # the record owning the focus node, else every record mentioning it (a shared node)
        owner = v.focus.split("#")[0]
        owners = [owner[len(prefix) :]] if owner.startswith(prefix) and owner[len(prefix) :] in mapped else []
        owners = owners or [rid for rid, text in mapped.items() if f"<{v.focus}>".encode() in text]
        for rid in owners:
            problems.setdefault(rid, []).append(
                Problem(f"SHACL: {v.message}", v.path.rsplit("/", 1)[-1] if v.path else None, v.value)
            )
    good = {rid: text for rid, text in mapped.items() if rid not in problems}
    dataset, spaces = "trainings" if trainings else "job-sheets", uri_spaces(vocab.profile.minted)
    texts: dict[bytes, str] = {}
    kept: dict[str, MappedRecord] = {}
    for rid, text in good.items():
        counted = count_record(text.decode(), prefix + rid, dataset, spaces)
        texts.update(counted.shared)
        texts.update(counted.terms)
        # its own triples first: a full publish writes only those and each shared triple once
        owned = counted.owned.encode()
        triples = owned + "".join(f"{line}\n" for line in counted.shared.values()).encode()
        kept[rid] = MappedRecord(zlib.compress(triples, 1), len(owned), counted.counts)
    return BatchResult(kept, texts, problems)


def _map(record: Training | JobSheet, vocab: Vocabulary) -> Lines:
    if isinstance(record, Training):
        return training_triples(record, vocab.profile, vocab)
    return job_sheet_triples(record, vocab.profile, vocab)
