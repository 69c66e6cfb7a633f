"""Which triples a shapes graph can read: the condition for validating record partitions separately.

Validating each record partition (a root subject and everything reachable from it) gives the results of the whole
graph only when every shape reads *forward* from its focus nodes: targets by class, by subject or object of a
predicate; constraints through forward paths; SPARQL constraints whose triple patterns all start at ``$this`` or at a
variable reached from it. Anything else (inverse paths, SPARQL targets or components, rules, pre-bound shapes
graph, a pattern about a fixed IRI, property shapes nested in property shapes) makes :func:`partition_safety`
answer with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Graph, Literal, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from connector.validation.report import SH

_UNSAFE_PREDICATES = {
    SH.inversePath: "sh:inversePath reads backwards from the focus node",
    SH.target: "SPARQL-based targets",
    SH.rule: "SHACL rules",
    SH.js: "SHACL-JS",
    SH.validator: "SPARQL-based constraint components",
    SH.nodeValidator: "SPARQL-based constraint components",
    SH.propertyValidator: "SPARQL-based constraint components",
}
_UNSAFE_ALGEBRA = {"Graph", "GraphGraphPattern", "ServiceGraphPattern", "values", "ToMultiSet"}
THIS = Variable("this")


def partition_safety(shapes: Graph) -> str | None:
    """None when record partitions can be validated separately with exact results; else the reason why not."""
    for predicate, reason in _UNSAFE_PREDICATES.items():
        if (None, predicate, None) in shapes:
            return reason
    for shape in shapes.subjects(SH.property, None):
        if (shape, SH.path, None) in shapes:
            # their results name the value node reached through another record as focus node, so copies of one
            # result from two records could not be told from the same result found in two partitions
            return "property shapes nested in property shapes"
    for constraint in shapes.objects(None, SH.sparql):
        query = shapes.value(constraint, SH.select) or shapes.value(constraint, SH.ask)
        if query is None:
            return "a SPARQL constraint without sh:select"
        reason = _sparql_reason(str(query), _prefixes(shapes, constraint))
        if reason:
            owner = shapes.value(None, SH.sparql, constraint)
            return f"the SPARQL constraint of {owner if isinstance(owner, URIRef) else 'a shape'}: {reason}"
    return None


def _prefixes(shapes: Graph, constraint) -> str:
    lines = []
    for declarations in shapes.objects(constraint, SH.prefixes):
        for declare in shapes.objects(declarations, SH.declare):
            prefix, namespace = shapes.value(declare, SH.prefix), shapes.value(declare, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(lines) + "\n"


def _sparql_reason(query: str, prefixes: str) -> str | None:
    if any(v in query for v in ("$shapesGraph", "$currentShape", "$PATH", "?shapesGraph", "?currentShape")):
        return "uses $shapesGraph, $currentShape or $PATH"
    try:
        algebra = prepareQuery(prefixes + query).algebra
    except Exception as exc:  # pyparsing and rdflib raise assorted types
        return f"cannot be analysed ({type(exc).__name__})"
    patterns: list[tuple] = []
    for node in _walk(algebra):
        if isinstance(node, CompValue) and node.name in _UNSAFE_ALGEBRA:
            return f"uses {node.name}"
        if isinstance(node, CompValue) and "triples" in node:
            patterns.extend(tuple(t) for t in node["triples"])
    reached = {THIS}
    pending = list(patterns)
    while pending:
        progress = [p for p in pending if p[0] in reached]
        if not progress:
            return "a triple pattern does not start from $this or a node reached from it"
        for _, p, o in progress:
            if isinstance(p, Path) and not _forward(p):
                return "an inverse property path"
            if isinstance(o, Variable):
                reached.add(o)
        pending = [p for p in pending if p not in progress]
    return None


def _walk(node) -> Iterator[object]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple) and not isinstance(node, Literal):
        for item in node:
            yield from _walk(item)


def _forward(path: Path) -> bool:
    if isinstance(path, InvPath):
        return False
    if isinstance(path, SequencePath | AlternativePath):
        return all(_forward(a) if isinstance(a, Path) else True for a in path.args)
    if isinstance(path, MulPath):
        return _forward(path.path) if isinstance(path.path, Path) else True
    if isinstance(path, NegatedPath):
        return not any(isinstance(a, InvPath) for a in path.args)
    return True
