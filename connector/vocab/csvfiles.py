"""Reading the official CSV exports: by header name, gzip or plain, bad rows reported and skipped.

France Travail and ESCO both publish UTF-8 CSV with a header line. Columns are found by name, never by position, so
newer exports with extra or reordered columns still load; a missing column is a clear error naming file and column.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

csv.field_size_limit(10 * 1024 * 1024)

MAX_LISTED = 50
"""How many bad rows / unknown codes the report lists per file (all are counted)."""


class VocabInputError(Exception):
    """The input cannot be loaded at all (missing file or column); the message names the file and the column."""


@dataclass
class FileIssues:
    """What went wrong in one input file: rows skipped and codes that point nowhere."""

    bad_rows: int = 0
    bad_row_samples: list[str] = field(default_factory=list)
    unknown_codes: int = 0
    unknown_code_samples: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    """The job report of a load: rows read, rows skipped (with file and line), unknown codes in link files."""

    rows: int = 0
    files: dict[str, FileIssues] = field(default_factory=dict)

    def _issues(self, file: str) -> FileIssues:
        return self.files.setdefault(file, FileIssues())

    def bad_row(self, file: str, line: int, message: str) -> None:
        issues = self._issues(file)
        issues.bad_rows += 1
        if len(issues.bad_row_samples) < MAX_LISTED:
            issues.bad_row_samples.append(f"{file} line {line}: {message}")

    def unknown_code(self, file: str, line: int, kind: str, code: str) -> None:
        issues = self._issues(file)
        issues.unknown_codes += 1
        if len(issues.unknown_code_samples) < MAX_LISTED:
            issues.unknown_code_samples.append(f"{file} line {line}: unknown {kind} {code!r}")

    @property
    def bad_rows(self) -> int:
        return sum(i.bad_rows for i in self.files.values())

    @property
    def unknown_codes(self) -> int:
        return sum(i.unknown_codes for i in self.files.values())

    def lines(self) -> list[str]:
        """Human-readable report lines (every listed problem)."""
        out = []
        for name, issues in sorted(self.files.items()):
            if issues.bad_rows:
                out.append(f"{name}: {issues.bad_rows} row(s) skipped")
                out.extend(f"  {s}" for s in issues.bad_row_samples)
            if issues.unknown_codes:
                out.append(f"{name}: {issues.unknown_codes} unknown code(s)")
                out.extend(f"  {s}" for s in issues.unknown_code_samples)
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "unknown_codes": self.unknown_codes,
            "files": {
                name: {
                    "bad_rows": i.bad_rows,
                    "bad_row_samples": i.bad_row_samples,
                    "unknown_codes": i.unknown_codes,
                    "unknown_code_samples": i.unknown_code_samples,
                }
                for name, i in sorted(self.files.items())
            },
        }


def find_file(directory: Path, pattern: str, *, required: bool = True) -> Path | None:
    """The file in ``directory`` whose name (minus ``.gz``) matches the regex ``pattern``.

    Export names carry a version (``unix_referentiel_code_rome_v460_utf8.csv``, ``occupations_en.csv``), so files are
    found by pattern; a missing required file is an error naming the directory and what was looked for.
    """
    regex = re.compile(pattern)
    hits = sorted(p for p in directory.iterdir() if p.is_file() and regex.fullmatch(p.name.removesuffix(".gz")))
    if not hits:
        if required:
            raise VocabInputError(f"{directory}: no file matching {pattern!r}")
        return None
    return hits[0]


class CsvTable:
    """One CSV file read as dictionaries keyed by the columns the caller asked for.

    ``rows()`` yields ``(line, row)``; a row with the wrong number of fields or that the CSV parser rejects is
    reported in the :class:`LoadReport` with its file and line and skipped, and reading goes on.
    """

    def __init__(self, path: Path, columns: Sequence[str], report: LoadReport, optional: Sequence[str] = ()) -> None:
        self.path = path
        self.name = path.name
        self.report = report
        self._columns = list(columns)
        self._optional = list(optional)

    def _open(self) -> io.TextIOBase:
        raw = gzip.open(self.path, "rb") if self.path.suffix == ".gz" else open(self.path, "rb")  # noqa: SIM115
        return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        with self._open() as fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                raise VocabInputError(f"{self.name}: empty file, expected a header line") from None
            except (csv.Error, UnicodeDecodeError) as exc:
                raise VocabInputError(f"{self.name}: unreadable header: {exc}") from None
            index = {h: i for i, h in enumerate(header)}
            missing = [c for c in self._columns if c not in index]
            if missing:
                raise VocabInputError(
                    f"{self.name}: missing column {', '.join(repr(c) for c in missing)} (header: {', '.join(header)})"
                )
            wanted = [(c, index[c]) for c in self._columns] + [(c, index[c]) for c in self._optional if c in index]
            absent = [c for c in self._optional if c not in index]
            width = len(header)
            while True:
                start = reader.line_num + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    self.report.bad_row(self.name, start, f"unreadable: {exc}")
                    continue
                if not fields or fields == [""]:
                    continue
                if any("\ufffd" in f for f in fields):
                    self.report.bad_row(self.name, start, "not valid UTF-8")
                    continue
                if len(fields) != width:
                    self.report.bad_row(self.name, start, f"{len(fields)} field(s), the header has {width}")
                    continue
                self.report.rows += 1
                row = {c: fields[i].strip() for c, i in wanted}
                for c in absent:
                    row[c] = ""
                yield start, row
