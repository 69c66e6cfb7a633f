"""VoID statistics counted from the N-Triples a job publishes, record by record, instead of scanning the store.

Re-measuring a 2.4-million-triple graph with SPARQL takes longer than loading it; a mapping job already has every
record's triples as text. Each record is counted once, when it is mapped (:func:`count_record`, in the job's worker
processes), and its counts are kept in the job's state beside its triples; a publish adds up the counts of the
records it leaves published (:class:`VoidCounter`), so the figures stay exact after records are added, changed or
removed.

This relies on how the mappers mint IRIs: every node a record owns is the record's IRI or ``<record IRI>#...``, so
its triples (those whose subject it owns) are its alone, and its own nodes appear in no other record. Only what
several records may share needs de-duplicating across records: the triples about shared nodes (organisations,
concept stubs) and the objects that are not the record's own nodes (literals, shared IRIs). A record keeps their
64-bit hashes; the text of the shared triples, a few per organisation and concept, is kept once per dataset.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

import numpy as np

from connector.datasets.void import VoidStatistics
from connector.namespaces import RDF

RDF_TYPE = f"<{RDF}type>"
_HEADER = struct.Struct("<II")
_subject, _predicate, _object = itemgetter(0), itemgetter(1), itemgetter(2)


@lru_cache(maxsize=1 << 16)
def _shared_key(term: str) -> bytes:
    """:func:`_key` of a term or triple that recurs across records (concepts, organisations): computed once."""
    return _key(term)


def _key(term: str) -> bytes:
    return hashlib.blake2b(term.encode(), digest_size=8).digest()


@dataclass
class RecordCounts:
    counts: bytes
    """The record's counts, for :meth:`VoidCounter.add` (kept in the job's state)."""
    owned: str
    """The record's distinct triples about its own nodes, as N-Triples lines."""
    shared: dict[bytes, str]
    """Hash -> line of the triples about nodes the record does not own (kept once per dataset)."""


@dataclass
class _Tally:
    """Counts that add up across records."""

    triples: int = 0
    subjects: int = 0
    objects: int = 0
    """Distinct objects that are records' own nodes."""
    properties: Counter[str] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)
    links: Counter[str] = field(default_factory=Counter)
    """``"<target> <predicate IRI>"`` -> triples."""

    def add(self, triples: list[list[str]], targets: tuple[tuple[str, str], ...]) -> None:
        """Count distinct ``[s, p, "o ."]`` triples (the object keeps the line's closing `` .``)."""
        self.triples += len(triples)
        self.properties.update(map(_predicate, triples))
        self.classes.update([o for _, p, o in triples if p == RDF_TYPE and o[0] == "<"])
        spaces = tuple(space for _, space in targets)
        for _, p, o in [t for t in triples if t[2].startswith(spaces)]:
            self.links[next(f"{t} {p}" for t, space in targets if o.startswith(space))] += 1


def _targets(spaces: dict[str, str], dataset_id: str) -> tuple[tuple[str, str], ...]:
    """(target dataset, ``<`` + its URI space) of the datasets a link may point to."""
    return tuple((t, f"<{space}") for t, space in spaces.items() if t != dataset_id)


def count_record(text: str, iri: str, dataset_id: str, spaces: dict[str, str]) -> RecordCounts:
    """One record's VoID counts from its N-Triples ``text``; ``iri`` is the record's own IRI, ``spaces`` the URI
    space of each dataset (:func:`connector.datasets.void.uri_spaces`)."""
    own = (f"<{iri}> ", f"<{iri}#")
    lines = set(text.split("\n"))
    lines.discard("")
    owned_lines = [line for line in lines if line.startswith(own)]
    shared = {_shared_key(line): line for line in lines.difference(owned_lines)}
    owned = [line.split(" ", 2) for line in owned_lines]
    tally = _Tally()
    tally.add(owned, _targets(spaces, dataset_id))
    objects = set(map(_object, owned))
    own_objects = [o for o in objects if o.startswith(own[1]) or o == f"<{iri}> ."]
    objects.difference_update(own_objects)
    doc = {
        "t": tally.triples,
        "s": len(set(map(_subject, owned))),
        "o": len(own_objects),
        "p": tally.properties,
        "c": tally.classes,
        "l": tally.links,
    }
    head = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    object_keys = b"".join([_shared_key(o) if o[0] == "<" else _key(o) for o in objects])
    blob = _HEADER.pack(len(head), len(object_keys)) + head + object_keys + b"".join(shared)
    return RecordCounts(zlib.compress(blob, 1), "".join(f"{line}\n" for line in owned_lines), shared)


class VoidCounter:
    """Adds up the counts of the records of one dataset into its :class:`VoidStatistics`."""

    def __init__(self, dataset_id: str, spaces: dict[str, str]) -> None:
        self.dataset_id = dataset_id
        self.targets = _targets(spaces, dataset_id)
        self.tally = _Tally()
        self.object_keys = bytearray()
        self.shared_keys = bytearray()

    def add(self, counts: bytes) -> None:
        data = zlib.decompress(counts)
        head_size, keys_size = _HEADER.unpack_from(data)
        start = _HEADER.size + head_size
        doc = json.loads(data[_HEADER.size : start])
        tally = self.tally
        tally.triples += doc["t"]
        tally.subjects += doc["s"]
        tally.objects += doc["o"]
        tally.properties.update(doc["p"])
        tally.classes.update(doc["c"])
        tally.links.update(doc["l"])
        self.object_keys += data[start : start + keys_size]
        self.shared_keys += data[start + keys_size :]

    def shared_keys_used(self) -> set[bytes]:
        """Hashes of the distinct shared triples of the records added so far."""
        keys = np.unique(np.frombuffer(self.shared_keys, dtype=np.uint64))
        return {k.tobytes() for k in keys}

    def statistics(self, shared_lines: Iterable[str]) -> VoidStatistics:
        """The dataset's statistics: the records' own counts plus those of its distinct ``shared_lines`` (the text
        of :meth:`shared_keys_used`)."""
        own = self.tally
        tally = _Tally(
            own.triples, own.subjects, own.objects, Counter(own.properties), Counter(own.classes), Counter(own.links)
        )
        shared = [line.split(" ", 2) for line in shared_lines]
        tally.add(shared, self.targets)
        subjects = set(map(_subject, shared))
        object_keys = b"".join({_key(o) for o in map(_object, shared)})
        keys = np.concatenate(
            [np.frombuffer(self.object_keys, dtype=np.uint64), np.frombuffer(object_keys, dtype=np.uint64)]
        )
        links: dict[tuple[str, str], int] = {}
        for key, n in tally.links.items():
            target, prop = key.split(" ", 1)
            links[(target, prop[1:-1])] = n
        return VoidStatistics(
            self.dataset_id,
            triples=tally.triples,
            entities=tally.subjects + sum(1 for s in subjects if s[0] == "<"),
            distinct_subjects=tally.subjects + len(subjects),
            distinct_objects=tally.objects + len(np.unique(keys)),
            properties={p[1:-1]: n for p, n in tally.properties.items()},
            classes={c[1:-3]: n for c, n in tally.classes.items()},
            links=links,
        )
