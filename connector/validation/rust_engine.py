"""The ``rust`` engine path: the SHACL engine of the ``shacl-rust`` package, read into the project's report model.

shacl-rust validates N-Triples text and returns plain dicts whose terms are N-Triples text; blank node labels of
both graphs are kept, so each result's source shape is found again in the (rdflib) shapes graph of the profile
registry. From there the result gets what the rest of the connector expects: the shape's stable name, its
``sh:message`` in every language (shacl-rust returns messages without language tags), and the shape's ``sh:path``
structure, so the W3C report graph built here reads like pyshacl's and every renderer works unchanged.
"""

from __future__ import annotations

import io
import time

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from connector.validation.data import parse_triples, to_graph, to_rdflib
from connector.validation.errors import ShapesError, ValidationTimeout
from connector.validation.report import SH, ValidationReport, ValidationResult, path_text, term_text
from connector.validation.results import shape_name, sort_key
from connector.validation.shapes_cache import per_shapes_graph


@per_shapes_graph
def shapes_ntriples(shapes: Graph) -> str:
    """The shapes graph as N-Triples (blank node labels kept), serialised once per graph object."""
    return shapes.serialize(format="nt")


def run_rust(
    data_nt: bytes,
    shapes: Graph,
    deadline: float | None = None,
    shapes_text: str | None = None,
    drop_focus: set[str] | None = None,
) -> ValidationReport:
    """Validate N-Triples ``data_nt`` against ``shapes``; results and report graph as :func:`engine.run_pyshacl`.

    ``shapes_text``: N-Triples of the part of ``shapes`` to validate with (default: all of it); results are still
    named and described from ``shapes``. ``drop_focus``: focus nodes (as results name them) whose results are left
    out. The Rust call cannot be interrupted: the deadline is checked before it and after it."""
    import shacl_rust

    _check(deadline)
    try:
        raw = shacl_rust.validate_file(  # from bytes: no decoded copy of large data
            io.BytesIO(data_nt),
            io.BytesIO((shapes_ntriples(shapes) if shapes_text is None else shapes_text).encode("utf-8")),
            data_format="nt",
            shapes_format="nt",
            # its interned data index: 2.2x less CPU loading a 500-training batch; the W3C core suite and the
            # hybrid differential corpus give the same results with it
            experimental_index=True,
        )
    except (ValueError, RuntimeError) as exc:
        parse_triples(data_nt, "application/n-triples")  # raises DataSyntaxError (with the line) if the data is bad
        raise ShapesError(f"the shapes cannot be applied: {exc}") from None
    _check(deadline)
    graph, results = _ReportBuilder(shapes).build(raw["results"], drop_focus or set())
    _copy_data_blank_nodes(graph, data_nt)
    return ValidationReport(
        results=sorted(results, key=sort_key),
        engine="shacl-rust",
        triples=data_nt.count(b"\n"),
        graph=graph,
    )


def _check(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise ValidationTimeout("validation exceeded its time limit and was stopped")


class _ReportBuilder:
    """A W3C ``sh:ValidationReport`` graph and the report model's results from shacl-rust's result dicts, each read
    as :func:`results.read_results` would read it from the graph. What depends on the shape alone (name, path,
    messages, copied description) is worked out once per shape."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.graph = Graph()
        self.graph.bind("sh", SH)
        self.copied: set[Node] = set()  # shapes and paths are shared by many results: describe each once
        self.per_shape: dict[tuple, tuple] = {}
        self.terms: dict[str | None, Node | None] = {}

    def term(self, text: str | None) -> Node | None:
        found = self.terms.get(text, _MISSING)
        if found is _MISSING:
            found = self.terms[text] = _term(text)
        return found  # type: ignore[return-value]

    def shape_facts(self, result: dict) -> tuple:
        key = (result.get("sourceShape"), result.get("resultPath"), tuple(result.get("messages", [])[:1]))
        facts = self.per_shape.get(key)
        if facts is None:
            shapes, shape = self.shapes, self.term(key[0])
            path = shapes.value(shape, SH.path) if shape is not None else None
            if path is None and _is_iri(key[1]):  # a node shape's result, e.g. sh:closed
                path = self.term(key[1])
            if shape is not None:
                _copy_closure(shapes, self.graph, shape, self.copied)
            if path is not None:
                _copy_closure(shapes, self.graph, path, self.copied)
            messages = _messages(result, shapes, shape)
            facts = self.per_shape[key] = (
                shape,
                path,
                messages,
                shape_name(shapes, shape) if shape is not None else "",
                path_text(self.graph, path),
                {m.language or "": str(m) for m in messages},
            )
        return facts

    def build(self, raw: list[dict], drop_focus: set[str]) -> tuple[Graph, list[ValidationResult]]:
        graph, add = self.graph, self.graph.add
        root = BNode()
        add((root, RDF.type, SH.ValidationReport))
        results = []
        for result in raw:
            focus = self.term(result.get("focusNode"))
            focus_text = term_text(focus) or ""
            if focus_text in drop_focus:
                continue
            shape, path, messages, name, path_str, message = self.shape_facts(result)
            value = self.term(result.get("value"))
            severity = self.term(result.get("severity"))
            component = self.term(result.get("sourceConstraintComponent"))
            node = BNode()
            add((root, SH.result, node))
            add((node, RDF.type, SH.ValidationResult))
            for predicate, term in (
                (SH.focusNode, focus),
                (SH.value, value),
                (SH.resultSeverity, severity),
                (SH.sourceConstraintComponent, component),
                (SH.sourceShape, shape),
                (SH.resultPath, path),
            ):
                if term is not None:
                    add((node, predicate, term))
            for m in messages:
                add((node, SH.resultMessage, m))
            results.append(
                ValidationResult(
                    focus_node=focus_text,
                    path=path_str,
                    value=term_text(value),
                    message=message,
                    severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",  # type: ignore[arg-type]
                    source_shape=name,
                    constraint=str(component).rsplit("#", 1)[-1] if component is not None else "",
                )
            )
        add((root, SH.conforms, Literal(not results)))
        return graph, results


_MISSING = object()


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
