"""Reading pyshacl's report graph into :class:`ValidationResult` objects, with the source of our own records."""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, URIRef
from rdflib.term import Node

from connector.namespaces import DCT, PROV, Minted
from connector.validation.report import SH, SourceLocation, ValidationResult, path_text, term_text


def shape_name(shapes: Graph, node: Node) -> str:
    """A stable name for a shape: its IRI, or ``<parent name> / <path>`` for an anonymous property shape."""
    if not isinstance(node, BNode):
        return str(node)
    parent = shapes.value(None, SH.property, node)
    path = path_text(shapes, shapes.value(node, SH.path))
    if parent is not None:
        return f"{shape_name(shapes, parent)} / {path}"
    return f"_:{node}" if path is None else f"_:{node} / {path}"


def read_results(report: Graph, shapes: Graph) -> list[ValidationResult]:
    """The top-level results of a pyshacl report graph, sorted (nested ``sh:detail`` results stay in the graph)."""
    return sorted((r for _, r in result_nodes(report, shapes)), key=sort_key)


def sort_key(r: ValidationResult) -> tuple[str, str, str, str, str]:
    return (r.source_shape, r.focus_node, r.path or "", r.value or "", r.constraint)


def result_nodes(report: Graph, shapes: Graph) -> list[tuple[Node, ValidationResult]]:
    """Each ``sh:result`` node of the report with the result read from it."""
    out = []
    for root in report.subjects(RDF.type, SH.ValidationReport):
        for node in report.objects(root, SH.result):
            severity = report.value(node, SH.resultSeverity)
            component = report.value(node, SH.sourceConstraintComponent)
            shape = report.value(node, SH.sourceShape)
            result = ValidationResult(
                focus_node=term_text(report.value(node, SH.focusNode)) or "",
                path=path_text(report, report.value(node, SH.resultPath)),
                value=term_text(report.value(node, SH.value)),
                message={m.language or "": str(m) for m in report.objects(node, SH.resultMessage)},
                severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
                source_shape=shape_name(shapes, shape) if shape is not None else "",
                constraint=str(component).rsplit("#", 1)[-1] if component is not None else "",
            )
            out.append((node, result))
    return out


class SourceIndex:
    """Where our records came from, per the provenance graph (iri.md): ``?record prov:wasDerivedFrom ?src .
    ?src dct:source "<file>" ; gsc:sourceLocation "row 12"``. Nodes inside a record (blank nodes, sub-resources)
    take the source of the nearest record that links to them in the data graph."""

    def __init__(self, provenance: Graph, data: Graph, base_iri: str) -> None:
        self.data = data
        location = URIRef(Minted(base_iri).ontology + "sourceLocation")
        derived, source = URIRef(PROV + "wasDerivedFrom"), URIRef(DCT + "source")
        self._by_record: dict[Node, SourceLocation] = {}
        for record, src in provenance.subject_objects(derived):
            file = provenance.value(src, source)
            if file is not None:
                loc = provenance.value(src, location)
                self._by_record[record] = SourceLocation(str(file), str(loc) if loc is not None else None)

    def find(self, node: Node, depth: int = 6) -> SourceLocation | None:
        seen: set[Node] = set()
        frontier = [node]
        for _ in range(depth):
            nxt = []
            for n in frontier:
                if n in self._by_record:
                    return self._by_record[n]
                seen.add(n)
                nxt.extend(s for s in self.data.subjects(None, n) if s not in seen)
            if not nxt:
                return None
            frontier = nxt
        return None


def copy_closure(src: Graph, dst: Graph, node: Node, rename: dict[Node, Node] | None = None) -> None:
    """Copy ``node``'s triples and those of the blank nodes under it (a result's path, details) from one report
    graph into another, renaming the nodes in ``rename`` on the way."""
    rename = rename or {}
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in src.predicate_objects(n):
            dst.add((rename.get(n, n), p, rename.get(o, o)))
            if isinstance(o, BNode):
                stack.append(o)
