"""Media types the store layer reads and writes, mapped to pyoxigraph formats."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

RDF_MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
"""RDF graph/dataset serialisations, by media type (the first listed per format is its canonical name)."""

RESULTS_MEDIA_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
"""SELECT/ASK result serialisations, by media type."""

_SUFFIXES = {
    ".nt": "application/n-triples",
    ".ttl": "text/turtle",
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".owl": "application/rdf+xml",
    ".xml": "application/rdf+xml",
}


def media_type_for_path(path: Path) -> str:
    """Guess an RDF media type from a file name (``.gz`` is looked through)."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    for suffix in reversed(suffixes):
        if suffix in _SUFFIXES:
            return _SUFFIXES[suffix]
    raise ValueError(f"cannot tell the RDF format of {path.name}; name it .nt, .ttl, .nq, .trig, .jsonld or .rdf")


def rdf_format(media_type: str) -> ox.RdfFormat:
    """pyoxigraph format for an RDF media type (parameters such as charset are ignored)."""
    base = media_type.split(";")[0].strip().lower()
    try:
        return RDF_MEDIA_TYPES[base]
    except KeyError:
        raise ValueError(f"unsupported RDF media type: {media_type}") from None


def results_format(media_type: str) -> ox.QueryResultsFormat:
    """pyoxigraph results format for a SPARQL results media type."""
    base = media_type.split(";")[0].strip().lower()
    try:
        return RESULTS_MEDIA_TYPES[base]
    except KeyError:
        raise ValueError(f"unsupported SPARQL results media type: {media_type}") from None


_PROLOGUE = re.compile(
    r"""\s*(?:\#[^\n]*\n|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>|\s+)*""", re.IGNORECASE | re.VERBOSE
)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(sparql: str) -> str:
    """The form of a SPARQL query: 'select', 'ask' or 'construct' (DESCRIBE answers like CONSTRUCT).

    Used where an engine's answer does not say it (a remote server's media type); unknown text reads as 'select'.
    """
    match = _FORM.match(sparql, _PROLOGUE.match(sparql).end())
    form = match.group(1).lower() if match else "select"
    return "construct" if form == "describe" else form
