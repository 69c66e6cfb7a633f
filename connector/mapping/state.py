"""Incremental state of the mapping jobs: per dataset, each published record's id, content hash and triples.

Kept in SQLite under ``<home>/mapping/``. A job stages its changes in a temporary table and commits them only
after the publish succeeded, so a failed or killed job leaves the state matching the published graph (or, killed
between the swap and the commit, older than it, which the next run repairs by re-mapping).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    dataset TEXT NOT NULL, id TEXT NOT NULL, hash TEXT NOT NULL, triples BLOB NOT NULL,
    file TEXT NOT NULL, location TEXT NOT NULL, PRIMARY KEY (dataset, id)
);
CREATE TABLE IF NOT EXISTS published (dataset TEXT PRIMARY KEY, triples INTEGER NOT NULL);
"""
COUNTS_COLUMN = "ALTER TABLE records ADD COLUMN counts BLOB"
"""Each record's VoID counts (:func:`connector.datasets.void_counts.count_record`); NULL in a state written before
they were kept, until the record is mapped again."""


class RecordState:
    def __init__(self, path: Path, dataset: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dataset = dataset
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        if "counts" not in {row[1] for row in self.db.execute("PRAGMA table_info(records)")}:
            self.db.execute(COUNTS_COLUMN)
        self.db.execute(
            "CREATE TEMP TABLE staged (id TEXT PRIMARY KEY, hash TEXT, triples BLOB, file TEXT, location TEXT, "
            "counts BLOB)"
        )
        self.db.execute("CREATE TEMP TABLE gone (id TEXT PRIMARY KEY)")
        self.db.execute("CREATE TEMP TABLE moved (id TEXT PRIMARY KEY, file TEXT, location TEXT)")

    def close(self) -> None:
        self.db.close()

    def known(self) -> dict[str, tuple[str, str, str]]:
        """id -> (hash, file, location) of the published records."""
        rows = self.db.execute("SELECT id, hash, file, location FROM records WHERE dataset = ?", (self.dataset,))
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def stage(self, record_id: str, digest: str, compressed: bytes, counts: bytes, file: str, location: str) -> None:
        """Stage a record's new version: its N-Triples, zlib-compressed, and its VoID counts (by the job's workers)."""
        self.db.execute(
            "INSERT OR REPLACE INTO staged VALUES (?, ?, ?, ?, ?, ?)",
            (record_id, digest, compressed, file, location, counts),
        )

    def remove(self, ids: list[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO gone VALUES (?)", [(i,) for i in ids])

    def move(self, record_id: str, file: str, location: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO moved VALUES (?, ?, ?)", (record_id, file, location))

    def staged_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM staged").fetchone()[0]

    def new_content(self) -> Iterator[bytes]:
        """N-Triples of the dataset after this job: kept records, then staged ones."""
        yield from self.kept_content()
        yield from self.staged_content()

    def replaced_content(self) -> Iterator[bytes]:
        """N-Triples currently published for the records this job changes or removes."""
        rows = self.db.execute(
            "SELECT triples FROM records WHERE dataset = ? AND (id IN (SELECT id FROM staged) "
            "OR id IN (SELECT id FROM gone))",
            (self.dataset,),
        )
        for (blob,) in rows:
            yield zlib.decompress(blob)

    def staged_content(self) -> Iterator[bytes]:
        for (blob,) in self.db.execute("SELECT triples FROM staged"):
            yield zlib.decompress(blob)

    def kept_content(self) -> Iterator[bytes]:
        """N-Triples of the published records this job leaves as they are."""
        rows = self.db.execute(
            "SELECT triples FROM records WHERE dataset = ? AND id NOT IN (SELECT id FROM staged) "
            "AND id NOT IN (SELECT id FROM gone)",
            (self.dataset,),
        )
        for (blob,) in rows:
            yield zlib.decompress(blob)

    def new_counts(self) -> Iterator[bytes | None]:
        """VoID counts of each record of the dataset after this job (None for a record counted by no job yet)."""
        rows = self.db.execute(
            "SELECT counts FROM records WHERE dataset = ? AND id NOT IN (SELECT id FROM staged) "
            "AND id NOT IN (SELECT id FROM gone) UNION ALL SELECT counts FROM staged",
            (self.dataset,),
        )
        for (blob,) in rows:
            yield blob

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

    def commit(self, published_triples: int | None = None) -> None:
        """Make the staged changes the new state (one transaction)."""
        with self.db:
            self.db.execute("BEGIN")
            if published_triples is not None:
                self.db.execute("INSERT OR REPLACE INTO published VALUES (?, ?)", (self.dataset, published_triples))
            self.db.execute(
                "DELETE FROM records WHERE dataset = ? "
                "AND (id IN (SELECT id FROM staged) OR id IN (SELECT id FROM gone))",
                (self.dataset,),
            )
            self.db.execute(
                "INSERT INTO records (dataset, id, hash, triples, file, location, counts) "
                "SELECT ?, id, hash, triples, file, location, counts FROM staged",
                (self.dataset,),
            )
            self.db.execute(
                "UPDATE records SET file = (SELECT file FROM moved WHERE moved.id = records.id), "
                "location = (SELECT location FROM moved WHERE moved.id = records.id) "
                "WHERE dataset = ? AND id IN (SELECT id FROM moved)",
                (self.dataset,),
            )
