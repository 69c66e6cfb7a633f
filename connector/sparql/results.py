"""Streaming serialisation of query answers with a row cap.

SELECT solutions are written here (JSON, XML, CSV, TSV) row by row so that the cap can stop them and say so;
CONSTRUCT/DESCRIBE triples go through pyoxigraph's own streaming serialisers behind a capped iterator; ASK is one
value. Nothing builds the whole answer in memory: output leaves through ``write`` in chunks.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from connector.namespaces import XSD
from connector.store.base import QueryKind
from connector.store.formats import rdf_format, results_format

Write = Callable[[bytes], object]
RawAnswer = ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]

_XSD_STRING = f"{XSD}string"
_CHUNK = 64 * 1024
_encode = json.encoder.encode_basestring  # type: ignore[attr-defined]
_SAME_AS_PYOXIGRAPH = {"application/sparql-results+json", "text/csv"}
"""Result formats this module writes byte for byte as pyoxigraph does (tests/test_sparql_runners.py checks it)."""


def kind_of(raw: RawAnswer) -> QueryKind:
    if isinstance(raw, ox.QueryBoolean):
        return "ask"
    if isinstance(raw, ox.QuerySolutions):
        return "select"
    return "construct"


class _Chunker:
    """Collects small strings and hands ``write`` byte chunks of about 64 KiB."""

    def __init__(self, write: Write) -> None:
        self._write, self._parts, self._size = write, [], 0  # type: ignore[var-annotated]

    def __call__(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._write("".join(self._parts).encode())
            self._parts, self._size = [], 0


class _BytesWriter(io.RawIOBase):
    """A binary file object over ``write``, for pyoxigraph's serialisers."""

    def __init__(self, write: Write) -> None:
        self._write = write

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._write(bytes(data))
        return len(data)


def write_answer(
    raw: RawAnswer, media_type: str, row_cap: int, write: Write, known_rows: int | None = None
) -> tuple[int, bool]:
    """Serialise ``raw`` in ``media_type`` through ``write``; return (rows or triples written, truncated).

    ``known_rows``: the size of the answer, when known (the same plan measured on the same data). Below the cap,
    pyoxigraph then writes it alone, without a row count kept in Python, where its output is the same bytes as
    this module's (JSON and CSV results, every RDF format)."""
    if isinstance(raw, ox.QueryBoolean):
        write(raw.serialize(format=results_format(media_type)))
        return 1, False
    whole = known_rows if known_rows is not None and known_rows < row_cap else None
    if isinstance(raw, ox.QuerySolutions):
        if whole is not None and media_type in _SAME_AS_PYOXIGRAPH:
            write(raw.serialize(format=results_format(media_type)))
            return whole, False
        return _SOLUTION_WRITERS[media_type](raw, row_cap, write)
    if whole is not None:
        ox.serialize(raw, _BytesWriter(write), rdf_format(media_type))
        return whole, False
    capped = _Capped(iter(raw), row_cap)
    ox.serialize(capped, _BytesWriter(write), rdf_format(media_type))
    return capped.count, capped.truncated


class _Capped:
    """Iterates at most ``cap`` items of ``inner`` and records whether more were left."""

    def __init__(self, inner: Iterator, cap: int) -> None:
        self._inner, self._cap = inner, cap
        self.count, self.truncated = 0, False

    def __iter__(self) -> _Capped:
        return self

    def __next__(self):  # type: ignore[no-untyped-def]
        if self.count >= self._cap:
            self.truncated = next(self._inner, None) is not None
            raise StopIteration
        item = next(self._inner)
        self.count += 1
        return item


# -- SPARQL 1.1 Query Results JSON ---------------------------------------------------------------------------------
def _json_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    if isinstance(term, ox.NamedNode):
        return f'{{"type":"uri","value":{_encode(term.value)}}}'
    if isinstance(term, ox.Literal):
        language = term.language
        if language:
            return f'{{"type":"literal","value":{_encode(term.value)},"xml:lang":{_encode(language)}}}'
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return f'{{"type":"literal","value":{_encode(term.value)}}}'
        return f'{{"type":"literal","value":{_encode(term.value)},"datatype":{_encode(datatype)}}}'
    if isinstance(term, ox.BlankNode):
        return f'{{"type":"bnode","value":{_encode(term.value)}}}'
    return (
        f'{{"type":"triple","value":{{"subject":{_json_term(term.subject)},'
        f'"predicate":{_json_term(term.predicate)},"object":{_json_term(term.object)}}}}}'
    )


def _write_json(solutions: ox.QuerySolutions, cap: int, write: Write) -> tuple[int, bool]:
    keys = [_encode(v.value) for v in solutions.variables]
    out = _Chunker(write)
    out(f'{{"head":{{"vars":[{",".join(keys)}]}},"results":{{"bindings":[')
    rows = _Capped(iter(solutions), cap)
    separator = ""
    for row in rows:  # a row iterates its values in variable order (None when unbound): cheaper than row[name]
        cells = ",".join([f"{key}:{_json_term(term)}" for key, term in zip(keys, row, strict=True) if term is not None])
        out(f"{separator}{{{cells}}}")
        separator = ","
    out("]}" + (',"truncated":true}' if rows.truncated else "}"))
    out.flush()
    return rows.count, rows.truncated


# -- SPARQL Query Results XML --------------------------------------------------------------------------------------
def _xml_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value == _XSD_STRING:
            return f"<literal>{escape(term.value)}</literal>"
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


def _write_xml(solutions: ox.QuerySolutions, cap: int, write: Write) -> tuple[int, bool]:
    names = [quoteattr(v.value) for v in solutions.variables]
    out = _Chunker(write)
    head = "".join(f"<variable name={n}/>" for n in names)
    out(f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{head}</head><results>')
    rows = _Capped(iter(solutions), cap)
    for row in rows:
        cells = "".join(
            [
                f"<binding name={name}>{_xml_term(term)}</binding>"
                for name, term in zip(names, row, strict=True)
                if term is not None
            ]
        )
        out(f"<result>{cells}</result>")
    out("</results></sparql>\n" + ("<!-- truncated: row cap reached -->\n" if rows.truncated else ""))
    out.flush()
    return rows.count, rows.truncated


# -- SPARQL 1.1 CSV and TSV ----------------------------------------------------------------------------------------
def _csv_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def _write_csv(solutions: ox.QuerySolutions, cap: int, write: Write) -> tuple[int, bool]:
    names = [v.value for v in solutions.variables]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    out = _Chunker(write)
    rows = _Capped(iter(solutions), cap)
    for row in rows:
        writer.writerow([_csv_value(term) for term in row])
        if buffer.tell() >= _CHUNK:
            out(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    out(buffer.getvalue())
    out.flush()
    return rows.count, rows.truncated


def _tsv_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """N-Triples syntax, as SPARQL TSV asks (pyoxigraph escapes tabs and newlines in literals)."""
    return "" if term is None else str(term)


def _write_tsv(solutions: ox.QuerySolutions, cap: int, write: Write) -> tuple[int, bool]:
    names = [v.value for v in solutions.variables]
    out = _Chunker(write)
    out("\t".join(f"?{n}" for n in names) + "\n")
    rows = _Capped(iter(solutions), cap)
    for row in rows:
        out("\t".join([_tsv_value(term) for term in row]) + "\n")
    out.flush()
    return rows.count, rows.truncated


_SOLUTION_WRITERS: dict[str, Callable[[ox.QuerySolutions, int, Write], tuple[int, bool]]] = {
    "application/sparql-results+json": _write_json,
    "application/sparql-results+xml": _write_xml,
    "text/csv": _write_csv,
    "text/tab-separated-values": _write_tsv,
}
