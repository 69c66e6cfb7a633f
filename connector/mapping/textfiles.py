"""Reading operator files safely: size limit, empty files, BOM, UTF-8 or Windows-1252/Latin-1, CSV separators.

French exports come as UTF-8 (with or without BOM) or Windows-1252; the encoding is decided by one fast pass over
the bytes. A UTF-8 file with a few rows in another encoding keeps its good rows: only the lines that are not valid
UTF-8 are rejected.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from connector.mapping.records import FileRejected, SourceRef

CHUNK = 1 << 20
SEPARATORS = (";", ",", "\t")


@dataclass
class TextInfo:
    """What the first pass learnt about a text file."""

    encoding: str
    bom: bool
    bad_lines: set[int] = field(default_factory=set)  # 1-based lines that are not valid in ``encoding``


def check_size(path: Path, max_bytes: int) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRejected(f"cannot read file: {exc.strerror}") from None
    if size > max_bytes:
        raise FileRejected(f"file is {size:,} bytes, more than the limit of {max_bytes:,}")
    return size


def sniff_text(path: Path, max_bytes: int) -> TextInfo:
    """Decide the encoding: UTF-8 unless no non-ASCII line is valid UTF-8 (then Windows-1252)."""
    if check_size(path, max_bytes) == 0:
        raise FileRejected("empty file")
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
            raise FileRejected("unsupported encoding (UTF-16 or binary); use UTF-8 or Latin-1")
        fh.seek(0)
        bom = head.startswith(codecs.BOM_UTF8)
        good_non_ascii = 0
        bad: set[int] = set()
        for number, line in enumerate(fh, start=1):
            if number == 1 and bom:
                line = line[3:]
            if line.isascii():
                continue
            if b"\x00" in line:
                raise FileRejected(f"line {number}: NUL byte (binary file?)")
            try:
                line.decode("utf-8")
                good_non_ascii += 1
            except UnicodeDecodeError:
                bad.add(number)
    if not bad:
        return TextInfo("utf-8", bom)
    if good_non_ascii == 0 and not bom:
        return TextInfo("cp1252", False)
    return TextInfo("utf-8", bom, bad)


def decoded_lines(path: Path, info: TextInfo) -> Iterator[str]:
    """The file's lines as text (line ends kept); invalid lines are decoded with replacement characters."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and info.bom:
                raw = raw[3:]
            if info.encoding == "cp1252":
                yield raw.decode("cp1252", errors="replace")
            else:
                yield raw.decode("utf-8", errors="replace")


def detect_separator(header: str) -> str:
    """The separator of a CSV header line: the most frequent of ; , TAB outside quotes."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(SEPARATORS, key=lambda s: counts[s])
    if counts[best] == 0:
        raise FileRejected("no separator (; , or TAB) found in the CSV header line")
    return best


@dataclass
class CsvRow:
    line: int  # first physical line of the row
    row: int  # data row number (1 = first row after the header)
    values: dict[str, str]
    problem: str | None = None


def read_csv(path: Path, max_bytes: int) -> tuple[TextInfo, list[str], Iterator[CsvRow]]:
    """Header and a stream of rows; rows with a wrong field count or bad bytes carry a ``problem``."""
    info = sniff_text(path, max_bytes)
    lines = decoded_lines(path, info)
    offset = 1  # physical lines before the first data line
    first = next(lines, "")
    while first.strip() == "":
        offset += 1
        first = next(lines, None)  # type: ignore[arg-type]
        if first is None:
            raise FileRejected("empty file")
    separator = detect_separator(first)
    header = next(csv.reader(io.StringIO(first), delimiter=separator))
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise FileRejected("duplicate column names in the CSV header")

    def rows() -> Iterator[CsvRow]:
        reader = csv.reader(lines, delimiter=separator)
        number = 0
        consumed = 0
        try:
            for values in reader:
                start, end = consumed + offset + 1, reader.line_num + offset
                consumed = reader.line_num
                if not values or all(not v.strip() for v in values):
                    continue
                number += 1
                problem = None
                span = set(range(start, end + 1))
                if span & info.bad_lines:
                    problem = "invalid UTF-8 byte sequence (wrong encoding for this row)"
                elif len(values) != len(header):
                    problem = (
                        f"row has {len(values)} fields, the header has {len(header)} "
                        f"(wrong or mixed separator? the file uses {separator!r})"
                    )
                yield CsvRow(start, number, dict(zip(header, values, strict=False)), problem)
        except csv.Error as exc:
            raise FileRejected(f"CSV syntax error near line {reader.line_num + 1}: {exc}") from None

    return info, header, rows()


def keyed_csv_rows(
    path: Path, max_bytes: int, key_of: Callable[[str], str | None]
) -> Iterator[tuple[SourceRef, dict[str, str], str | None]]:
    """Rows of a GEN CSV export as (source, values by schema key, problem): ``key_of`` maps a header to its schema
    key (unknown columns are dropped); the ``identifiant`` column is required."""
    _info, header, rows = read_csv(path, max_bytes)
    keys = [key_of(h) for h in header]
    if "identifiant" not in keys:
        raise FileRejected("no 'Identifiant' column in the CSV header (see docs/input-formats.md)")
    for row in rows:
        raw = {k: row.values.get(h, "") for h, k in zip(header, keys, strict=True) if k}
        yield SourceRef(path.name, f"row {row.row}"), raw, row.problem
