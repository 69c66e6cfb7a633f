"""The validation report as the rest of the connector sees it: plain results plus the SHACL report graph.

Results are read from the report graph pyshacl produces (the W3C ``sh:ValidationReport`` vocabulary), so every
renderer and every engine path shares one model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from rdflib import RDF, BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")
Severity = TypingLiteral["Violation", "Warning", "Info"]
SEVERITIES: tuple[Severity, ...] = ("Violation", "Warning", "Info")


@dataclass(frozen=True)
class SourceLocation:
    """Where one of our records came from: the input file and the row/line/XPath inside it (provenance graph)."""

    file: str
    location: str | None = None

    def __str__(self) -> str:
        return f"{self.file}, {self.location}" if self.location else self.file


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult``. Terms are rendered as text: IRIs bare, blank nodes ``_:id``, literals in N3."""

    focus_node: str
    path: str | None
    value: str | None
    message: dict[str, str]
    """Message by language tag ('en', 'fr'; '' for an untagged message)."""
    severity: Severity
    source_shape: str
    """The shape that produced the result: its IRI, or for an anonymous property shape
    ``<parent shape IRI> / <path>`` so that the name is stable across parses of the shapes file."""
    constraint: str
    """Local name of the constraint component, e.g. ``MinCountConstraintComponent``."""
    source: SourceLocation | None = None

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``, else English, else any."""
        return self.message.get(lang) or self.message.get("en") or next(iter(self.message.values()), "")

    def key(self) -> tuple[str, str | None, str | None, str, str, str]:
        """Identity of a result for set comparisons (engine paths must produce equal key sets)."""
        return (self.focus_node, self.path, self.value, self.severity, self.source_shape, self.constraint)


@dataclass
class ValidationReport:
    """Outcome of one validation. ``conforms`` is the publish gate: True when there is no ``sh:Violation`` (Warnings
    and Infos allowed). The report graph keeps SHACL's own ``sh:conforms`` (false as soon as there is any result)."""

    results: list[ValidationResult]
    profile: str | None = None
    profile_version: str | None = None
    engine: str = "pyshacl"
    triples: int = 0
    seconds: float = 0.0
    graph: Graph = field(default_factory=Graph, repr=False)
    """The W3C SHACL validation report graph (``sh:ValidationReport``)."""

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        """Number of results by severity (all three keys always present)."""
        found = Counter(r.severity for r in self.results)
        return {s: found.get(s, 0) for s in SEVERITIES}

    def counts_by(self, attribute: str) -> dict[str, dict[str, int]]:
        """Counts by severity for each distinct ``source_shape`` or ``path``."""
        out: dict[str, Counter[str]] = {}
        for r in self.results:
            out.setdefault(str(getattr(r, attribute)), Counter())[r.severity] += 1
        return {k: dict(v) for k, v in sorted(out.items())}


def term_text(term: Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return term.n3()


def path_text(graph: Graph, path: Node | None) -> str | None:
    """A SHACL path as SPARQL property-path text (IRIs in angle brackets only when complex)."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)

    def render(node: Node) -> str:
        if isinstance(node, URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in graph:
            return "(" + " / ".join(render(n) for n in Collection(graph, node)) + ")"
        for pred, fmt in (
            (SH.inversePath, "^{}"),
            (SH.zeroOrMorePath, "{}*"),
            (SH.oneOrMorePath, "{}+"),
            (SH.zeroOrOnePath, "{}?"),
        ):
            inner = graph.value(node, pred)
            if inner is not None:
                return fmt.format(render(inner))
        alt = graph.value(node, SH.alternativePath)
        if alt is not None:
            return "(" + " | ".join(render(n) for n in Collection(graph, alt)) + ")"
        return f"_:{node}"

    return render(path)
