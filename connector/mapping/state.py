"""Incremental state of the mapping jobs: per dataset, each published record's id, content hash and triples.

Kept in SQLite under ``<home>/mapping/``. A job stages its changes in a temporary table and commits them only
after the publish succeeded, so a failed or killed job leaves the state matching the published graph (or, killed
between the swap and the commit, older than it, which the next run repairs by re-mapping).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from isal import isal_zlib

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    dataset TEXT NOT NULL, id TEXT NOT NULL, hash TEXT NOT NULL, triples BLOB NOT NULL,
    file TEXT NOT NULL, location TEXT NOT NULL, PRIMARY KEY (dataset, id)
);
CREATE TABLE IF NOT EXISTS published (dataset TEXT PRIMARY KEY, triples INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS void_texts (
    dataset TEXT NOT NULL, hash BLOB NOT NULL, text TEXT NOT NULL, PRIMARY KEY (dataset, hash)
);
"""
COLUMNS = {"counts": "BLOB", "owned_bytes": "INTEGER"}
"""Columns added to ``records`` since the first version; NULL in a state written before, until the record is mapped
again."""


@dataclass
class MappedRecord:
    """What the state keeps of a record's mapping (made by the job's workers)."""

    triples: bytes
    """Its N-Triples, zlib-compressed (by ISA-L; any zlib reads them): first its triples about its own nodes, then
    those about shared nodes."""
    owned_bytes: int
    """Length of the first part (uncompressed)."""
    counts: bytes
    """Its VoID counts (:func:`connector.datasets.void_counts.count_record`)."""


class RecordState:
    def __init__(self, path: Path, dataset: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dataset = dataset
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # no fsync per commit: a commit lost to a power cut leaves the state older than the graph, which the next
        # run repairs by re-mapping (as after a job killed between the swap and the commit)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        present = {row[1] for row in self.db.execute("PRAGMA table_info(records)")}
        for name, kind in COLUMNS.items():
            if name not in present:
                self.db.execute(f"ALTER TABLE records ADD COLUMN {name} {kind}")
        # the big triples BLOB last: SQLite reaches a column by walking the overflow pages of those before it, and
        # the end of a job reads every staged row's other columns (provenance, VoID counts)
        self.db.execute(
            "CREATE TEMP TABLE staged (id TEXT PRIMARY KEY, hash TEXT, file TEXT, location TEXT, counts BLOB, "
            "owned_bytes INTEGER, triples BLOB)"
        )
        self.db.execute("CREATE TEMP TABLE staged_texts (hash BLOB PRIMARY KEY, text TEXT)")
        self.db.execute("CREATE TEMP TABLE gone (id TEXT PRIMARY KEY)")
        self.db.execute("CREATE TEMP TABLE moved (id TEXT PRIMARY KEY, file TEXT, location TEXT)")

    def close(self) -> None:
        self.db.close()

    def known(self) -> dict[str, tuple[str, str, str]]:
        """id -> (hash, file, location) of the published records."""
        rows = self.db.execute("SELECT id, hash, file, location FROM records WHERE dataset = ?", (self.dataset,))
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def stage(self, records: list[tuple[str, str, MappedRecord, str, str]]) -> None:
        """Stage new versions: (id, hash, mapping, file, location) of each record (one statement per batch)."""
        self.db.executemany(
            "INSERT OR REPLACE INTO staged (id, hash, file, location, counts, owned_bytes, triples) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (rid, digest, file, location, m.counts, m.owned_bytes, m.triples)
                for rid, digest, m, file, location in records
            ],
        )

    def stage_texts(self, texts: dict[bytes, str]) -> None:
        """Keep the text behind the hashes the records' VoID counts hold (shared triples, counted terms)."""
        self.db.executemany("INSERT OR IGNORE INTO staged_texts VALUES (?, ?)", texts.items())

    def void_texts(self) -> dict[bytes, str]:
        """Hash -> text of every shared triple and counted term of the dataset's records, past and staged (a
        superset of those the records published now use)."""
        rows = self.db.execute(
            "SELECT hash, text FROM void_texts WHERE dataset = ? UNION SELECT hash, text FROM staged_texts",
            (self.dataset,),
        )
        return dict(rows)

    def remove(self, ids: list[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO gone VALUES (?)", [(i,) for i in ids])

    def move(self, record_id: str, file: str, location: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO moved VALUES (?, ?, ?)", (record_id, file, location))

    def staged_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM staged").fetchone()[0]

    def replaced_content(self) -> Iterator[bytes]:
        """N-Triples currently published for the records this job changes or removes."""
        rows = self.db.execute(
            "SELECT triples FROM records WHERE dataset = ? AND (id IN (SELECT id FROM staged) "
            "OR id IN (SELECT id FROM gone))",
            (self.dataset,),
        )
        for (blob,) in rows:
            yield isal_zlib.decompress(blob)

    def staged_content(self) -> Iterator[bytes]:
        for (blob,) in self.db.execute("SELECT triples FROM staged"):
            yield isal_zlib.decompress(blob)

    def kept_content(self) -> Iterator[bytes]:
        """N-Triples of the published records this job leaves as they are."""
        rows = self.db.execute(
            "SELECT triples FROM records WHERE dataset = ? AND id NOT IN (SELECT id FROM staged) "
            "AND id NOT IN (SELECT id FROM gone)",
            (self.dataset,),
        )
        for (blob,) in rows:
            yield isal_zlib.decompress(blob)

    def new_records(self, with_triples: bool = True) -> Iterator[tuple[bytes | None, int | None, bytes | None]]:
        """(N-Triples, length of the owned part, VoID counts) of each record of the dataset after this job: kept
        records, then staged ones; the last two are None for a record mapped before the state kept them, the first
        when not ``with_triples``."""
        columns = "triples, owned_bytes, counts" if with_triples else "NULL, owned_bytes, counts"
        rows = self.db.execute(
            f"SELECT {columns} FROM records WHERE dataset = ? AND id NOT IN (SELECT id FROM staged) "  # noqa: S608
            f"AND id NOT IN (SELECT id FROM gone) UNION ALL SELECT {columns} FROM staged",
            (self.dataset,),
        )
        for blob, owned, counts in rows:
            yield (None if blob is None else isal_zlib.decompress(blob)), owned, counts

    def staged_sources(self) -> Iterator[tuple[str, str, str, str]]:
        """(id, hash, file, location) of staged and moved records (their provenance is rewritten)."""
        yield from self.db.execute("SELECT id, hash, file, location FROM staged")
        yield from self.db.execute(
            "SELECT m.id, r.hash, m.file, m.location FROM moved m JOIN records r ON r.id = m.id AND r.dataset = ?",
            (self.dataset,),
        )

    def changed_ids(self) -> Iterator[str]:
        """Records whose provenance is replaced or dropped: staged, moved and removed."""
        for table in ("staged", "moved", "gone"):
            for (rid,) in self.db.execute(f"SELECT id FROM {table}"):  # noqa: S608 - fixed table names
                yield rid

    def published_triples(self) -> int | None:
        """Size of the dataset graph after this state's last publish (to notice a graph changed behind our back)."""
        row = self.db.execute("SELECT triples FROM published WHERE dataset = ?", (self.dataset,)).fetchone()
        return None if row is None else row[0]

    def prepare(self) -> None:
        """Write the staged changes into the state, in a transaction that only :meth:`commit` ends: the copy (about a
        second for 20,000 trainings) can run while the caller waits for its publish. Closing the state, or a crash,
        before the commit leaves the state as it was."""
        if self.db.in_transaction:
            return
        self.db.execute("BEGIN")
        try:
            self.db.execute(
                "DELETE FROM records WHERE dataset = ? "
                "AND (id IN (SELECT id FROM staged) OR id IN (SELECT id FROM gone))",
                (self.dataset,),
            )
            self.db.execute(
                "INSERT INTO records (dataset, id, hash, triples, file, location, counts, owned_bytes) "
                "SELECT ?, id, hash, triples, file, location, counts, owned_bytes FROM staged",
                (self.dataset,),
            )
            self.db.execute("INSERT OR IGNORE INTO void_texts SELECT ?, hash, text FROM staged_texts", (self.dataset,))
            self.db.execute(
                "UPDATE records SET file = (SELECT file FROM moved WHERE moved.id = records.id), "
                "location = (SELECT location FROM moved WHERE moved.id = records.id) "
                "WHERE dataset = ? AND id IN (SELECT id FROM moved)",
                (self.dataset,),
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def commit(self, published_triples: int | None = None) -> None:
        """Make the staged changes the new state (one transaction, prepared earlier or now)."""
        self.prepare()
        try:
            if published_triples is not None:
                self.db.execute("INSERT OR REPLACE INTO published VALUES (?, ?)", (self.dataset, published_triples))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
