"""VoID statistics counted from the N-Triples a job publishes, record by record, instead of scanning the store.

Re-measuring a 2.4-million-triple graph with SPARQL takes longer than loading it; a mapping job already has every
record's triples, as the terms its mapper formatted (nothing is parsed again). Each record is counted once, when it
is mapped (:func:`count_record`, in the job's worker processes), and its counts are kept in the job's state beside
its triples; a publish adds up the counts of the records it leaves published (:class:`VoidCounter`), so the figures
stay exact after records are added, changed or removed.

This relies on how the mappers mint IRIs: every node a record owns is the record's IRI or ``<record IRI>#...``, so
its triples (those whose subject it owns) are its alone, and its own nodes appear in no other record. Only what
several records may share needs de-duplicating across records: the triples about shared nodes (organisations,
concept stubs) and the objects that are not the record's own nodes (literals, shared IRIs). A record's counts are
64-bit hashes (of those, and of the properties, classes and links it counts) with numbers, added up with numpy; the
text behind the hashes of shared triples and counted terms, a few thousand per dataset, is kept once.
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

import numpy as np

from connector.datasets.void import VoidStatistics
from connector.namespaces import RDF

RDF_TYPE = f"<{RDF}type>"
_HEADER = struct.Struct("<8I")
"""triples, distinct subjects, own objects; then how many properties, classes, links, other objects, shared triples."""
_predicate, _object = itemgetter(1), itemgetter(2)
_KEYS = np.dtype("<u8")
_NUMBERS = np.dtype("<u4")
COMPACT_BYTES = 16 << 20
"""A counter's buffer of one kind is reduced to its distinct keys (summing their numbers) past this size, or past
twice its size after the last reduction."""


@lru_cache(maxsize=1 << 16)
def _shared_key(term: str) -> bytes:
    """:func:`_key` of a term or triple that recurs across records (concepts, organisations): computed once."""
    return _key(term)


def _key(term: str) -> bytes:
    return hashlib.blake2b(term.encode(), digest_size=8).digest()


Triple = tuple[str, str, str]
"""A triple as N-Triples terms."""


@dataclass
class RecordCounts:
    counts: bytes
    """The record's counts, for :meth:`VoidCounter.add` (kept in the job's state)."""
    shared: dict[bytes, str]
    """Hash -> line of the triples about nodes the record does not own."""
    terms: dict[bytes, str]
    """Hash -> text of the properties, classes and links counted (``shared`` and ``terms`` are kept once per
    dataset)."""


@dataclass
class _Terms:
    """Triples counted by a term: properties (by predicate), classes (by ``rdf:type`` object), links (by target
    dataset and predicate)."""

    properties: Counter[str]
    classes: Counter[str]
    links: Counter[str]

    @classmethod
    def of(cls, triples: Collection[Triple], targets: tuple[tuple[str, str], ...]) -> _Terms:
        """Count distinct triples. A class is counted under its IRI followed by `` .`` (the text the counts in the
        state were first hashed from, when it was cut from a line)."""
        spaces = tuple(space for _, space in targets)
        links: Counter[str] = Counter()
        for _, p, o in [t for t in triples if t[2].startswith(spaces)]:
            links[next(f"{t} {p}" for t, space in targets if o.startswith(space))] += 1
        classes = Counter([f"{o} ." for _, p, o in triples if p == RDF_TYPE and o[0] == "<"])
        return cls(Counter(map(_predicate, triples)), classes, links)


def _targets(spaces: dict[str, str], dataset_id: str) -> tuple[tuple[str, str], ...]:
    """(target dataset, ``<`` + its URI space) of the datasets a link may point to."""
    return tuple((t, f"<{space}") for t, space in spaces.items() if t != dataset_id)


def _pack(counter: Counter[str], terms: dict[bytes, str]) -> tuple[bytes, bytes]:
    keys = [_shared_key(term) for term in counter]
    terms.update(zip(keys, counter, strict=True))
    return b"".join(keys), array("I", counter.values()).tobytes()


@lru_cache(maxsize=1 << 16)
def _object_key(o: str) -> bytes:
    """The hash of an object: of its text followed by `` .`` (as first cut from its line); computed once for those
    that recur (concepts, shared labels)."""
    return _key(f"{o} .")


def count_record(
    iri: str, owned: Collection[Triple], shared: Iterable[str], dataset_id: str, spaces: dict[str, str]
) -> RecordCounts:
    """One record's VoID counts. ``iri``: the record's own IRI; ``owned``: its distinct triples about its own nodes
    (``<iri>``, ``<iri>#...``); ``shared``: its distinct other triples, as N-Triples lines without their newline;
    ``spaces``: the URI space of each dataset (:func:`connector.datasets.void.uri_spaces`)."""
    own_iri, own_prefix = f"<{iri}>", f"<{iri}#"
    objects = {o for _, _, o in owned}
    own_objects = [o for o in objects if o == own_iri or o.startswith(own_prefix)]
    objects.difference_update(own_objects)
    shared_lines = {_shared_key(line): line for line in shared}
    counted = _Terms.of(owned, _targets(spaces, dataset_id))
    terms: dict[bytes, str] = {}
    sections = [_pack(c, terms) for c in (counted.properties, counted.classes, counted.links)]
    head = _HEADER.pack(
        len(owned),
        len({s for s, _, _ in owned}),
        len(own_objects),
        len(counted.properties),
        len(counted.classes),
        len(counted.links),
        len(objects),
        len(shared_lines),
    )
    blob = b"".join([head, *(k + n for k, n in sections), *map(_object_key, objects), *shared_lines])
    return RecordCounts(blob, shared_lines, terms)


class VoidCounter:
    """Adds up the counts of the records of one dataset into its :class:`VoidStatistics`."""

    def __init__(self, dataset_id: str, spaces: dict[str, str]) -> None:
        self.dataset_id = dataset_id
        self.targets = _targets(spaces, dataset_id)
        self.totals = [0, 0, 0]
        self.keys = [bytearray() for _ in range(5)]  # properties, classes, links, other objects, shared triples
        self.numbers = [bytearray() for _ in range(3)]  # properties, classes, links
        self.limits = [COMPACT_BYTES] * 5

    def add(self, counts: bytes) -> None:
        head = _HEADER.unpack_from(counts)
        for i in range(3):
            self.totals[i] += head[i]
        at = _HEADER.size
        for i, n in enumerate(head[3:]):
            self.keys[i] += counts[at : at + 8 * n]
            at += 8 * n
            if i < 3:
                self.numbers[i] += counts[at : at + 4 * n]
                at += 4 * n
            if len(self.keys[i]) > self.limits[i]:
                self._compact(i)
                self.limits[i] = max(COMPACT_BYTES, 2 * len(self.keys[i]))

    def _compact(self, i: int) -> None:
        """Keep each key of buffer ``i`` once (with the sum of its numbers): memory grows with the distinct
        objects and shared triples of the dataset, not with its records."""
        if i < 3:
            keys, sums = self._distinct(i)
            self.numbers[i] = bytearray(sums.astype(_NUMBERS).tobytes())
        else:
            keys = np.unique(np.frombuffer(self.keys[i], dtype=_KEYS))
        self.keys[i] = bytearray(keys.tobytes())

    def _distinct(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        keys, inverse = np.unique(np.frombuffer(self.keys[i], dtype=_KEYS), return_inverse=True)
        sums = np.bincount(inverse, weights=np.frombuffer(self.numbers[i], dtype=_NUMBERS), minlength=len(keys))
        return keys, sums

    def shared_keys_used(self) -> set[bytes]:
        """Hashes of the distinct shared triples of the records added so far."""
        return {k.tobytes() for k in np.unique(np.frombuffer(self.keys[4], dtype=_KEYS))}

    def _sums(self, i: int, texts: Mapping[bytes, str]) -> Counter[str]:
        keys, sums = self._distinct(i)
        return Counter({texts[k.tobytes()]: int(n) for k, n in zip(keys, sums, strict=True)})

    def statistics(self, shared_lines: list[str], texts: Mapping[bytes, str]) -> VoidStatistics:
        """The dataset's statistics: the records' own counts plus those of its distinct ``shared_lines`` (the text
        of :meth:`shared_keys_used`); ``texts`` gives the text of each hash of a counted term (KeyError if not)."""
        shared = [tuple(line[:-2].split(" ", 2)) for line in shared_lines]
        counted = _Terms.of(shared, self.targets)
        properties, classes, links = (self._sums(i, texts) for i in range(3))
        properties.update(counted.properties)
        classes.update(counted.classes)
        links.update(counted.links)
        subjects = {s for s, _, _ in shared}
        object_keys = np.frombuffer(b"".join({_object_key(o) for o in map(_object, shared)}), dtype=_KEYS)
        objects = np.unique(np.concatenate([np.frombuffer(self.keys[3], dtype=_KEYS), object_keys]))
        triples, own_subjects, own_objects = self.totals
        return VoidStatistics(
            self.dataset_id,
            triples=triples + len(shared),
            entities=own_subjects + sum(1 for s in subjects if s[0] == "<"),
            distinct_subjects=own_subjects + len(subjects),
            distinct_objects=own_objects + len(objects),
            properties={p[1:-1]: n for p, n in properties.items()},
            classes={c[1:-3]: n for c, n in classes.items()},
            links={(key.split(" ", 1)[0], key.split(" ", 1)[1][1:-1]): n for key, n in links.items()},
        )
