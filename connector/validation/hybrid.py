"""The ``hybrid`` engine: shacl-rust where it is known to agree with pyshacl, pyshacl on exactly the rest.

shacl-rust is 8-30x faster than pyshacl but differs from it (the reference) in a few well-delimited places, found by
the W3C core suite and by the differential tests of ``tests/validation/test_hybrid.py``:

* **Literal forms.** pyshacl sees literals as rdflib builds them: canonical lexical forms (``"01"^^xsd:integer`` is
  ``"1"``, ``"1"^^xsd:boolean`` is ``"true"``, two spellings of one value are one triple) and lower-case language
  tags. The data handed to shacl-rust is rewritten to the same forms (:func:`normalise`), so patterns, lengths,
  ``sh:in``/``sh:hasValue`` and counts see what pyshacl sees.
* **Risky values.** shacl-rust does not check lexical forms (``"six mois"^^xsd:duration`` passes ``sh:datatype``),
  and its regular expressions are Rust's, not Python's: ``$`` before a final line break, and ``\\w \\s \\d \\b``
  or case folding on marks, ``No``/``Pc``/format/control characters and a few special letters. A literal or IRI with
  such a value (:func:`risky`) makes every node that reaches it a *risky node*; risky nodes are validated by pyshacl
  on their forward closure and shacl-rust's results about them are dropped.
* **Risky shapes.** Value comparisons (``sh:min/maxInclusive/Exclusive``, ``sh:lessThan(OrEquals)``: rdflib and
  Rust order mixed or ill-typed values differently), ``sh:qualifiedValueShape`` (shacl-rust never matches literals
  there), SPARQL constraints (two SPARQL engines), and patterns or flags outside the portable subset of both regex
  dialects (:func:`portable_pattern`). The top-level shapes that reach such a constraint (with every shape sharing a
  node with them) are validated by pyshacl, on the forward closure of their focus nodes only.

Exactness needs shapes that read forward from their focus nodes (:func:`scope.partition_safety`): a node's results
then depend only on what is reachable from it. When they do not, or shacl-rust is not installed, the engine runs
pyshacl over everything and says so in ``report.engine``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from connector.validation.data import to_rdflib
from connector.validation.report import SH, ValidationReport, ValidationResult, term_text
from connector.validation.results import copy_closure, result_nodes, sort_key
from connector.validation.scope import partition_safety
from connector.validation.shapes_cache import per_shapes_graph

RUST_UNSAFE = {
    SH.minInclusive: "value comparison",
    SH.maxInclusive: "value comparison",
    SH.minExclusive: "value comparison",
    SH.maxExclusive: "value comparison",
    SH.lessThan: "value comparison",
    SH.lessThanOrEquals: "value comparison",
    SH.qualifiedValueShape: "sh:qualifiedValueShape (shacl-rust never matches literals there)",
    SH.sparql: "SPARQL constraint",
    SH.target: "SPARQL-based target",
}
"""Constraint parameters shacl-rust evaluates differently from pyshacl: shapes reaching them go to pyshacl."""

NESTED = (SH.node, SH["or"], SH["and"], SH.xone, SH["not"], SH.qualifiedValueShape, RDF.first, RDF.rest)
"""Parameters that validate value nodes (or the focus node) as focus nodes of other shapes."""
LITERAL_FOCUS_UNSAFE = {SH.node, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals}
"""shacl-rust differs from pyshacl when these are evaluated with a *literal* focus node: ``sh:node`` then never
conforms, the property-pair constraints compare differently."""
PRUNE_MAX_TRIPLES = 20_000
"""Below this size, shacl-rust gets only the shapes the data can trigger (:meth:`Plan.rust_text_for`)."""
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
_XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")

# -- regular expressions -------------------------------------------------------------------------------------------
_CLASS_ESCAPES = set("dD")
_SAFE_ESCAPES = set(".-\\/()[]{}*+?^$|nt") | _CLASS_ESCAPES | set("wWsSbB")
_QUANTIFIER = re.compile(r"\{[0-9]+(,[0-9]*)?\}")


def portable_pattern(pattern: str, flags: str | None) -> bool:
    """True when ``pattern`` means the same to Python's ``re`` (pyshacl) and Rust's ``regex`` (shacl-rust) on
    values :func:`risky` accepts: literal characters, ``.``, anchors, classes with ranges, the escapes ``\\d \\w \\s
    \\b`` and their negations, groups, ``(?:``, a leading ``(?i)``, alternation and quantifiers; flags ``i``, ``m``,
    ``s``. No look-around, back-references, named groups, nested or set-operation classes, ``{,n}``."""
    if flags and set(flags) - set("ims"):
        return False
    i, in_class = 0, False
    if pattern.startswith("(?i)"):
        i = 4
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1] not in _SAFE_ESCAPES:
                return False
            i += 2
            continue
        if in_class:
            if c == "[" or pattern.startswith(("&&", "--", "~~"), i):
                return False
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern.startswith("[^]", i) or pattern.startswith("[]", i):
                return False  # a leading ']' is a literal in Python, an error in Rust
        elif c == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
            return False
        elif c == "{":
            m = _QUANTIFIER.match(pattern, i)
            if m is None:
                return False
            i = m.end()
            continue
        i += 1
    return not in_class


_RISKY_CATEGORIES = {"Mn", "Mc", "Me", "No", "Pc", "Cf", "Cc", "Co", "Cs", "Cn"}


def _risky_char(c: str) -> bool:
    """Python and Rust classify ``c`` differently for ``\\w``, ``\\s``, ``\\d`` or case-insensitive matching."""
    if c.isascii():
        return c in "\n\r\x1c\x1d\x1e\x1f"
    if unicodedata.category(c) in _RISKY_CATEGORIES:
        return True
    return c.casefold() != c.lower() or c.upper().lower() != c.lower()


def risky_text(text: str) -> bool:
    if text.isascii():
        return "\n" in text or "\r" in text or any(c in text for c in "\x1c\x1d\x1e\x1f")
    return any(_risky_char(c) for c in set(text))


# -- data ----------------------------------------------------------------------------------------------------------
class Normaliser:
    """Rewrites literals to rdflib's forms and remembers which terms are risky (module docstring)."""

    def __init__(self) -> None:
        self._seen: dict[ox.Literal, tuple[ox.Literal, bool]] = {}
        self._iris: dict[ox.NamedNode, bool] = {}

    def literal(self, term: ox.Literal) -> tuple[ox.Literal, bool, bool]:
        """The literal as rdflib writes it, whether it is ill-typed, whether its text is risky for patterns."""
        found = self._seen.get(term)
        if found is None and (term.language or term.datatype == _XSD_STRING):  # rdflib keeps these as they are
            found = self._seen[term] = (term, False, risky_text(term.value))
        if found is None:
            rdf = to_rdflib(term)
            if getattr(rdf, "ill_typed", False):  # kept as is: rdflib keeps the original too, beside the flag
                found = self._seen[term] = (term, True, risky_text(term.value))
                return found
            if rdf.language:
                out = ox.Literal(str(rdf), language=rdf.language)
            elif rdf.datatype is not None:
                out = ox.Literal(str(rdf), datatype=ox.NamedNode(str(rdf.datatype)))
            else:
                out = ox.Literal(str(rdf))
            found = self._seen[term] = (out, False, risky_text(str(rdf)))
        return found

    def iri(self, term: ox.NamedNode) -> bool:
        found = self._iris.get(term)
        if found is None:
            found = self._iris[term] = risky_text(term.value)
        return found


def normalise(
    triples: Iterable[ox.Triple], literal_predicates: set | None = None, pattern_predicates: set | None = None
) -> tuple[list[ox.Triple], set]:
    """The triples with rdflib's literal forms (duplicates that collapse are dropped, as in an rdflib graph), and
    the subjects holding a risky value: an ill-typed literal, a literal with risky text for a predicate whose values
    reach a pattern (``pattern_predicates``; None: any predicate), a literal for one of ``literal_predicates``, or
    a risky IRI."""
    literal_predicates = literal_predicates or set()
    norm = Normaliser()
    literal, iri = norm.literal, norm.iri
    out: list[ox.Triple] = []
    risky: set = set()
    changed = False
    for t in triples:
        s, o = t.subject, t.object
        if type(o) is ox.Literal:
            new, ill_typed, text = literal(o)
            p = t.predicate
            if (
                ill_typed
                or p in literal_predicates
                or (text and (pattern_predicates is None or p in pattern_predicates))
            ):
                risky.add(s)
            if new is not o:
                t, changed = ox.Triple(s, p, new), True
        elif type(o) is ox.NamedNode and iri(o):
            risky.update((s, o))
        if type(s) is ox.NamedNode and iri(s):
            risky.add(s)
        out.append(t)
    return (list(dict.fromkeys(out)) if changed else out), risky


class DataIndex:
    """Triples by subject, and (built on first use, only risky data needs it) by object, for closures and targets."""

    def __init__(self, triples: Sequence[ox.Triple]) -> None:
        self.triples = triples
        self.by_subject: dict[object, list[ox.Triple]] = defaultdict(list)
        for t in triples:
            self.by_subject[t.subject].append(t)
        self._by_object: dict[object, list[ox.Triple]] | None = None

    @property
    def by_object(self) -> dict[object, list[ox.Triple]]:
        if self._by_object is None:
            self._by_object = defaultdict(list)
            for t in self.triples:
                self._by_object[t.object].append(t)
        return self._by_object

    def ancestors(self, nodes: Iterable[object]) -> set:
        """``nodes`` and every node with a path to one of them."""
        seen = set(nodes)
        stack = list(seen)
        while stack:
            for t in self.by_object.get(stack.pop(), ()):
                if t.subject not in seen:
                    seen.add(t.subject)
                    stack.append(t.subject)
        return seen

    def closure(self, nodes: Iterable[object]) -> dict[ox.Triple, None]:
        """Every triple reachable forward from ``nodes``, plus the data's ``rdfs:subClassOf`` triples (class targets
        follow them)."""
        out: dict[ox.Triple, None] = dict.fromkeys(t for t in self.triples if t.predicate == _SUBCLASS)
        seen = set(nodes)
        stack = list(seen)
        while stack:
            for t in self.by_subject.get(stack.pop(), ()):
                out[t] = None
                if t.object not in seen and t.object in self.by_subject:
                    seen.add(t.object)
                    stack.append(t.object)
        return out

    def instances(self, cls: ox.NamedNode) -> set:
        """Subjects typed ``cls`` or a subclass of it (``rdfs:subClassOf*`` in the data)."""
        classes, stack = {cls}, [cls]
        subclass = [t for t in self.triples if t.predicate == _SUBCLASS] if self._has_subclasses() else []
        while stack:
            c = stack.pop()
            for t in subclass:
                if t.object == c and t.subject not in classes:
                    classes.add(t.subject)
                    stack.append(t.subject)
        return {t.subject for t in self.triples if t.predicate == _RDF_TYPE and t.object in classes}

    def _has_subclasses(self) -> bool:
        return any(t.predicate == _SUBCLASS for t in self.triples)


# -- shapes --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RustPart:
    """A top-level shape for shacl-rust (N-Triples lines of everything it reaches) with what can give it focus nodes:
    small data is validated against the shapes it can trigger only (shacl-rust parses its shapes on every call)."""

    lines: frozenset[str]
    classes: frozenset[ox.NamedNode]
    subject_predicates: frozenset[ox.NamedNode]
    object_predicates: frozenset[ox.NamedNode]
    nodes: frozenset[object]

    def triggered(self, types: set, predicates: set) -> bool:
        """Whether the data can give this shape a focus node (a ``sh:targetNode`` always does, even a node the
        data does not mention)."""
        return bool(
            self.nodes or self.classes & types or (self.subject_predicates | self.object_predicates) & predicates
        )


def _rust_part(shapes: Graph, root: Node, nodes: set[Node]) -> RustPart:
    part = Graph()
    for node in nodes:
        for p, o in shapes.predicate_objects(node):
            part.add((node, p, o))

    def targets(p) -> frozenset:
        return frozenset(to_ox(o) for o in shapes.objects(root, p) if isinstance(o, URIRef))

    implicit = {ox.NamedNode(str(root))} if (root, RDF.type, RDFS.Class) in shapes else set()
    return RustPart(
        lines=frozenset(part.serialize(format="nt").splitlines()),
        classes=targets(SH.targetClass) | implicit,
        subject_predicates=targets(SH.targetSubjectsOf),
        object_predicates=targets(SH.targetObjectsOf),
        nodes=frozenset(to_ox(o) for o in shapes.objects(root, SH.targetNode)),
    )


@dataclass
class Plan:
    """How one shapes graph is split between the two engines (computed once per shapes graph)."""

    rust_shapes: Graph
    rust_text: str
    pyshacl_shapes: Graph | None
    pyshacl_roots: list[Node]
    rust_parts: list[RustPart] = field(default_factory=list)
    pattern_predicates: set[ox.NamedNode] | None = None
    """Predicates whose values reach a ``sh:pattern`` (None: possibly any): only their literals' text can be risky."""
    literal_predicates: set[ox.NamedNode] = field(default_factory=set)
    """Predicates whose literal values shacl-rust would validate as literal focus nodes
    (:data:`LITERAL_FOCUS_UNSAFE`): a subject with such a value is risky."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Top-level shape -> why pyshacl validates it."""
    unsafe: str | None = None
    """Why the split is not exact for these shapes (then pyshacl validates everything)."""
    _texts: dict[frozenset[int], str] = field(default_factory=dict, repr=False)

    def rust_text_for(self, data: Sequence[ox.Triple]) -> str:
        """The shapes shacl-rust needs for ``data``: the parts whose targets the data can trigger (all of them for
        large data, or data with ``rdfs:subClassOf`` triples)."""
        if len(data) > PRUNE_MAX_TRIPLES:
            return self.rust_text
        predicates = {t.predicate for t in data}
        if _SUBCLASS in predicates:
            return self.rust_text
        types = {t.object for t in data if t.predicate == _RDF_TYPE}
        chosen = frozenset(i for i, p in enumerate(self.rust_parts) if p.triggered(types, predicates))
        text = self._texts.get(chosen)
        if text is None:
            if len(self._texts) >= 64:  # data of many different shapes: keep the cache small
                self._texts.clear()
            lines = set().union(*(self.rust_parts[i].lines for i in chosen))
            text = self._texts[chosen] = "".join(f"{line}\n" for line in sorted(lines))
        return text


def _roots(shapes: Graph) -> list[Node]:
    found = {s for p in TARGETS for s in shapes.subjects(p, None)}
    for kind in (SH.NodeShape, SH.PropertyShape):
        found.update(s for s in shapes.subjects(RDF.type, kind) if (s, RDF.type, RDFS.Class) in shapes)
    return sorted(found, key=str)


def _closure(shapes: Graph, root: Node) -> set[Node]:
    """Nodes of the shapes graph reachable from ``root`` that have triples of their own (shapes, lists, paths)."""
    seen, stack = {root}, [root]
    while stack:
        for o in shapes.objects(stack.pop(), None):
            if o not in seen and isinstance(o, BNode | URIRef) and (o, None, None) in shapes:
                seen.add(o)
                stack.append(o)
    return seen


def _literal_focus_unsafe(shapes: Graph, node: Node) -> bool:
    """``node`` (a shape validating value nodes) reaches a :data:`LITERAL_FOCUS_UNSAFE` parameter with them as focus."""
    if (node, SH.node, None) in shapes:
        return True
    seen, stack = set(), [o for p in NESTED if p != SH.node for o in shapes.objects(node, p)]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if any((n, p, None) in shapes for p in LITERAL_FOCUS_UNSAFE):
            return True
        stack.extend(o for p in NESTED for o in shapes.objects(n, p))
    return False


def _reaches_pattern(shapes: Graph, node: Node) -> bool:
    seen, stack = set(), [node]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if (n, SH.pattern, None) in shapes:
            return True
        stack.extend(o for p in NESTED for o in shapes.objects(n, p))
    return False


def _pattern_predicates(shapes: Graph, roots: list[Node]) -> set[ox.NamedNode] | None:
    """Predicates whose values a ``sh:pattern`` tests (directly or through nested shapes); None when a pattern may
    test other literals (values of a complex path, focus nodes given by sh:targetNode/sh:targetObjectsOf)."""
    out: set[ox.NamedNode] = set()
    for node, path in shapes.subject_objects(SH.path):
        if _reaches_pattern(shapes, node):
            if not isinstance(path, URIRef):
                return None
            out.add(ox.NamedNode(str(path)))
    for root in roots:
        literal_focus = any((root, p, None) in shapes for p in (SH.targetNode, SH.targetObjectsOf))
        if literal_focus and (root, SH.path, None) not in shapes and _reaches_pattern(shapes, root):
            return None
    return out


def _why_unsafe(shapes: Graph, nodes: set[Node], roots: list[Node], literal_predicates: set) -> str | None:
    """Why shacl-rust cannot validate a component (its top-level ``roots`` and the shapes graph ``nodes`` they
    reach); fills ``literal_predicates``."""
    for root in roots:
        literal_focus = any((root, p, None) in shapes for p in (SH.targetNode, SH.targetObjectsOf))
        if literal_focus and (root, SH.path, None) not in shapes and _literal_focus_unsafe(shapes, root):
            return "sh:node or a property pair on focus nodes that may be literals"
    for node in nodes:
        path = shapes.value(node, SH.path)
        if path is not None and _literal_focus_unsafe(shapes, node):
            if not isinstance(path, URIRef):
                return "sh:node or a property pair on the values of a complex path"
            literal_predicates.add(ox.NamedNode(str(path)))
    for node in nodes:
        for p, o in shapes.predicate_objects(node):
            if p in RUST_UNSAFE:
                return RUST_UNSAFE[p]
            if p == SH.pattern:
                flags = shapes.value(node, SH.flags)
                if not portable_pattern(str(o), str(flags) if flags is not None else None):
                    return f"pattern {str(o)!r} outside the portable regex subset"
            if p == SH.uniqueLang and not (isinstance(o, Literal) and o.datatype is not None and str(o) == "true"):
                return "sh:uniqueLang with a value other than true"
    return None


def make_plan(shapes: Graph) -> Plan:
    roots = _roots(shapes)
    closures = {r: _closure(shapes, r) for r in roots}
    # components of top-level shapes that share a node go to the same engine
    parent: dict[Node, Node] = {r: r for r in roots}

    def find(x: Node) -> Node:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[Node, Node] = {}
    for r in roots:
        for n in closures[r]:
            if n in owner:
                parent[find(r)] = find(owner[n])
            else:
                owner[n] = r
    components: dict[Node, list[Node]] = defaultdict(list)
    for r in roots:
        components[find(r)].append(r)
    py_nodes: set[Node] = set()
    py_roots: list[Node] = []
    reasons: dict[str, str] = {}
    literal_predicates: set[ox.NamedNode] = set()
    rust_parts: list[RustPart] = []
    for members in components.values():
        nodes = set().union(*(closures[m] for m in members))
        predicates: set[ox.NamedNode] = set()
        why = _why_unsafe(shapes, nodes, members, predicates)
        if not why:
            literal_predicates |= predicates
            rust_parts.extend(_rust_part(shapes, root, closures[root]) for root in members)
        else:
            py_nodes |= nodes
            py_roots.extend(members)
            reasons.update({str(m): why for m in members})
    rust_shapes, py_shapes = Graph(), Graph()
    for t in shapes:
        (py_shapes if t[0] in py_nodes else rust_shapes).add(t)
    for target in (rust_shapes, py_shapes):
        for prefix, ns in shapes.namespaces():
            target.bind(prefix, ns, override=False)
    return Plan(
        rust_shapes=rust_shapes,
        rust_text=rust_shapes.serialize(format="nt"),
        rust_parts=rust_parts,
        pyshacl_shapes=py_shapes if py_roots else None,
        pyshacl_roots=py_roots,
        literal_predicates=literal_predicates,
        pattern_predicates=_pattern_predicates(shapes, roots),
        reasons=reasons,
        unsafe=partition_safety(shapes),
    )


plan_for = per_shapes_graph(make_plan)
"""The plan of a shapes graph, made once per graph object."""


def _focus_nodes(shapes: Graph, roots: list[Node], index: DataIndex) -> set:
    """Focus nodes of the ``roots`` shapes in the data (SPARQL targets never get here: they make a plan unsafe)."""
    out: set = set()
    for root in roots:
        classes = list(shapes.objects(root, SH.targetClass))
        if (root, RDF.type, RDFS.Class) in shapes:
            classes.append(root)
        for cls in classes:
            if isinstance(cls, URIRef):
                out |= index.instances(ox.NamedNode(str(cls)))
        for node in shapes.objects(root, SH.targetNode):
            out.add(to_ox(node))
        for p in shapes.objects(root, SH.targetSubjectsOf):
            out.update(t.subject for t in index.triples if t.predicate == ox.NamedNode(str(p)))
        for p in shapes.objects(root, SH.targetObjectsOf):
            out.update(t.object for t in index.triples if t.predicate == ox.NamedNode(str(p)))
    return out


def to_ox(node: Node):
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    lit = node
    if lit.language:
        return ox.Literal(str(lit), language=lit.language)
    if lit.datatype is not None:
        return ox.Literal(str(lit), datatype=ox.NamedNode(str(lit.datatype)))
    return ox.Literal(str(lit))


def _texts(nodes: Iterable[object]) -> set[str]:
    """Nodes as results name their focus nodes (:func:`report.term_text`)."""
    return {term_text(to_rdflib(n)) or "" for n in nodes}


# -- the engine ----------------------------------------------------------------------------------------------------
class HybridNotExact(Exception):
    """The split cannot be exact for these shapes and this data (the message says why)."""


def run_hybrid(triples: Sequence[ox.Triple], shapes: Graph, deadline: float | None = None) -> ValidationReport:
    """Validate ``triples`` (vocabulary slice included) against ``shapes``; the results equal one plain pyshacl
    call's (module docstring)."""
    from connector.validation.engine import run_pyshacl
    from connector.validation.rust_engine import run_rust
    from connector.validation.tuning import ValidationGraph, memo_shapes

    plan = plan_for(shapes)
    data, risky = normalise(triples, plan.literal_predicates, plan.pattern_predicates)
    if plan.unsafe and (risky or plan.pyshacl_roots):
        raise HybridNotExact(plan.unsafe)
    index = DataIndex(data) if risky or plan.pyshacl_roots else None
    risky_nodes = index.ancestors(risky) if index is not None and risky else set()
    data_nt = ox.serialize(data, format=ox.RdfFormat.N_TRIPLES)
    risky_names = _texts(risky_nodes)
    report = run_rust(data_nt, shapes, deadline, shapes_text=plan.rust_text_for(data), drop_focus=risky_names)
    notes = []
    if risky_nodes:
        assert index is not None
        graph = _rdflib_graph(index.closure(risky_nodes), ValidationGraph(deadline, reuse_queries=True))
        part = run_pyshacl(graph, memo_shapes(plan.rust_shapes), deadline)
        graft(report, part, shapes, lambda r: r.focus_node in risky_names)
        notes.append(f"{len(risky_nodes)} risky nodes by pyshacl")
    if plan.pyshacl_shapes is not None:
        assert index is not None
        focus = _focus_nodes(shapes, plan.pyshacl_roots, index)
        closure = index.closure(focus)
        targeting = {ox.NamedNode(str(p)) for r in plan.pyshacl_roots for p in shapes.objects(r, SH.targetObjectsOf)}
        if targeting:  # the triples that make a node a target of sh:targetObjectsOf
            closure.update((t, None) for f in focus for t in index.by_object.get(f, ()) if t.predicate in targeting)
        graph = _rdflib_graph(closure, ValidationGraph(deadline, reuse_queries=True))
        graft(report, run_pyshacl(graph, memo_shapes(plan.pyshacl_shapes), deadline), shapes, lambda r: True)
        notes.append(f"{len(plan.pyshacl_roots)} shapes by pyshacl")
    report.triples = len(data)
    report.engine = "hybrid (shacl-rust" + "".join(f"; {n}" for n in notes) + ")"
    return report


def _rdflib_graph(triples: Iterable[ox.Triple], into: Graph) -> Graph:
    from connector.validation.data import to_graph

    return to_graph(list(triples), into=into)


def graft(
    into: ValidationReport, part: ValidationReport, shapes: Graph, keep: Callable[[ValidationResult], bool]
) -> None:
    """Add the results of ``part`` that ``keep`` accepts (and their report-graph nodes) to ``into``."""
    graph = into.graph
    root = next(graph.subjects(RDF.type, SH.ValidationReport))
    added = False
    for node, result in result_nodes(part.graph, shapes):
        if keep(result):
            graph.add((root, SH.result, node))
            copy_closure(part.graph, graph, node)
            into.results.append(result)
            added = True
    if added:
        graph.set((root, SH.conforms, Literal(False)))
        into.results.sort(key=sort_key)
