"""Turning what callers hand to :func:`validate` into an rdflib graph pyshacl can walk.

Parsing is done by pyoxigraph (10-15x faster than rdflib's parsers, and it refuses remote JSON-LD contexts and XML
entities), then terms are converted to rdflib terms once. Accepted data:

* an ``rdflib.Graph`` (used as is, never modified);
* a ``pathlib.Path`` (format from the extension, ``.gz`` looked through);
* ``bytes`` or ``str`` with a ``media_type`` (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML);
* an iterable of ``pyoxigraph.Triple`` or ``pyoxigraph.Quad`` (graph names are dropped: all triples are validated
  together, like the union of a TriG document's graphs).
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from connector.store.formats import media_type_for_path, rdf_format
from connector.validation.errors import DataSyntaxError

logging.getLogger("rdflib.term").setLevel(logging.ERROR)
"""rdflib logs a traceback for every ill-typed literal it converts; SHACL reports them (sh:datatype) instead."""

DataInput = Graph | Path | bytes | str | Iterable[ox.Triple] | Iterable[ox.Quad]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """One pyoxigraph term as the rdflib term rdflib's own parser would have produced."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def parse_triples(data: bytes | Path, media_type: str | None = None) -> Iterable[ox.Triple | ox.Quad]:
    """Parse RDF with pyoxigraph; syntax errors become :class:`DataSyntaxError` with the parser's line."""
    if isinstance(data, Path):
        media_type = media_type or media_type_for_path(data)
        raw = data.read_bytes()
        if data.suffix.lower() == ".gz":
            raw = gzip.decompress(raw)
    else:
        raw = data
    if not media_type:
        raise DataSyntaxError("the RDF media type is required for bytes input")
    try:
        fmt = rdf_format(media_type)
    except ValueError as exc:
        raise DataSyntaxError(str(exc)) from None
    try:
        # The whole parse happens here so that errors surface before any validation starts.
        return list(ox.parse(raw, format=fmt))
    except SyntaxError as exc:
        raise DataSyntaxError(str(exc.msg if hasattr(exc, "msg") else exc), exc.lineno, exc.offset) from None


def to_graph(data: DataInput, media_type: str | None = None, into: Graph | None = None) -> Graph:
    """An rdflib graph holding ``data`` (see the module docstring for the accepted inputs); ``into`` is filled
    instead of a new plain Graph when given (an rdflib Graph input is then copied into it)."""
    if isinstance(data, Graph):
        if into is None:
            return data
        into += data
        return into
    if isinstance(data, str):
        data = data.encode("utf-8")
    triples = parse_triples(data, media_type) if isinstance(data, bytes | Path) else data
    graph = Graph() if into is None else into
    add = graph.add
    for t in triples:
        add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph
