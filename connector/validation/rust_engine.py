"""The ``rust`` engine path: the SHACL engine of the ``shacl-rust`` package, read into the project's report model.

shacl-rust validates N-Triples text and returns plain dicts whose terms are N-Triples text; blank node labels of
both graphs are kept, so each result's source shape is found again in the (rdflib) shapes graph of the profile
registry. From there the result gets what the rest of the connector expects: the shape's stable name, its
``sh:message`` in every language (shacl-rust returns messages without language tags), and the shape's ``sh:path``
structure, so the W3C report graph built here reads like pyshacl's and every renderer works unchanged.
"""

from __future__ import annotations

import threading
import time
import weakref

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from connector.validation.data import parse_triples, to_graph, to_rdflib
from connector.validation.errors import ShapesError, ValidationTimeout
from connector.validation.report import SH, ValidationReport
from connector.validation.results import read_results

_shapes_text: weakref.WeakKeyDictionary[Graph, str] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def shapes_ntriples(shapes: Graph) -> str:
    """The shapes graph as N-Triples (blank node labels kept), serialised once per graph object."""
    with _lock:
        text = _shapes_text.get(shapes)
        if text is None:
            text = _shapes_text[shapes] = shapes.serialize(format="nt")
    return text


def run_rust(
    data_nt: bytes, shapes: Graph, deadline: float | None = None, shapes_text: str | None = None
) -> ValidationReport:
    """Validate N-Triples ``data_nt`` against ``shapes``; results and report graph as :func:`engine.run_pyshacl`.

    ``shapes_text``: N-Triples of the part of ``shapes`` to validate with (default: all of it); results are still
    named and described from ``shapes``. The Rust call cannot be interrupted: the deadline is checked before it and
    after it."""
    import shacl_rust

    _check(deadline)
    try:
        raw = shacl_rust.validate(
            data_nt.decode("utf-8"),
            shapes_ntriples(shapes) if shapes_text is None else shapes_text,
            data_format="nt",
            shapes_format="nt",
        )
    except (ValueError, RuntimeError) as exc:
        parse_triples(data_nt, "application/n-triples")  # raises DataSyntaxError (with the line) if the data is bad
        raise ShapesError(f"the shapes cannot be applied: {exc}") from None
    _check(deadline)
    graph = report_graph(raw["results"], shapes)
    _copy_data_blank_nodes(graph, data_nt)
    return ValidationReport(
        results=read_results(graph, shapes),
        engine="shacl-rust",
        triples=data_nt.count(b"\n"),
        graph=graph,
    )


def _check(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise ValidationTimeout("validation exceeded its time limit and was stopped")


def report_graph(results: list[dict], shapes: Graph) -> Graph:
    """A W3C ``sh:ValidationReport`` graph from shacl-rust's result dicts."""
    graph = Graph()
    graph.bind("sh", SH)
    root = BNode()
    graph.add((root, RDF.type, SH.ValidationReport))
    graph.add((root, SH.conforms, Literal(not results)))
    copied: set[Node] = set()  # shapes and paths are shared by many results: describe each once
    for result in results:
        node = BNode()
        graph.add((root, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        shape = _term(result.get("sourceShape"))
        for predicate, key in (
            (SH.focusNode, "focusNode"),
            (SH.value, "value"),
            (SH.resultSeverity, "severity"),
            (SH.sourceConstraintComponent, "sourceConstraintComponent"),
        ):
            term = _term(result.get(key))
            if term is not None:
                graph.add((node, predicate, term))
        if shape is not None:
            graph.add((node, SH.sourceShape, shape))
            _copy_closure(shapes, graph, shape, copied)
        path = shapes.value(shape, SH.path) if shape is not None else None
        if path is None and _is_iri(result.get("resultPath")):  # a node shape's result, e.g. sh:closed
            path = _term(result["resultPath"])
        if path is not None:
            graph.add((node, SH.resultPath, path))
            _copy_closure(shapes, graph, path, copied)
        for message in _messages(result, shapes, shape):
            graph.add((node, SH.resultMessage, message))
    return graph


def _copy_data_blank_nodes(graph: Graph, data_nt: bytes) -> None:
    """Describe blank focus nodes and values with their data triples, as pyshacl's report does (a bare blank node
    would say nothing to the reader)."""
    blanks = [o for p in (SH.focusNode, SH.value) for o in graph.objects(None, p) if isinstance(o, BNode)]
    if blanks:
        data = to_graph(data_nt, "application/n-triples")
        for node in blanks:
            _copy_closure(data, graph, node)


def _messages(result: dict, shapes: Graph, shape: Node | None) -> list[Literal]:
    """The shape's own ``sh:message`` values (with their languages), else shacl-rust's default message.

    Message templates such as ``{$this}`` or ``{?value}`` are not filled in (the project's shapes use none)."""
    own = list(shapes.objects(shape, SH.message)) if shape is not None else []
    sparql = list(shapes.objects(shape, SH.sparql)) if shape is not None else []
    if not own and len(sparql) == 1:  # a SPARQL constraint's messages are on the constraint node
        own = list(shapes.objects(sparql[0], SH.message))
    if own:
        return [m for m in own if isinstance(m, Literal)]
    return [Literal(m) for m in result.get("messages", [])[:1]]


def _is_iri(text: str | None) -> bool:
    return text is not None and text.startswith("<") and text.endswith(">") and " " not in text


def _term(text: str | None) -> Node | None:
    """An rdflib term from shacl-rust's N-Triples text of it."""
    if text is None:
        return None
    if text.startswith("_:"):
        return BNode(text[2:])
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    line = f"<urn:x> <urn:x> {text} .".encode()  # a literal: pyoxigraph decodes escapes and keeps the lexical form
    return to_rdflib(next(iter(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))).object)


def _copy_closure(src: Graph, dst: Graph, node: Node, seen: set[Node] | None = None) -> None:
    """Copy a blank node's triples and those of the blank nodes under it (a shape, an RDF list path), skipping the
    nodes in ``seen`` (updated)."""
    stack, seen = [node], set() if seen is None else seen
    while stack:
        n = stack.pop()
        if not isinstance(n, BNode) or n in seen:
            continue
        seen.add(n)
        for p, o in src.predicate_objects(n):
            dst.add((n, p, o))
            stack.append(o)
