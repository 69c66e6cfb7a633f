"""N-Triples text for the mappers: terms as strings, one record's triples kept as its owned and shared parts.

A mapping job writes about a hundred triples per record for hundreds of thousands of records; building them as
strings (rather than term objects serialised afterwards) is what keeps mapping cheap, and N-Triples is what the
gate and the store's bulk loader read anyway. Every IRI a mapper formats comes from validated input (record
identifiers, codes and IRIs checked by their patterns in :mod:`connector.mapping.fields`), so only literals need
escaping.
"""

from __future__ import annotations

from functools import lru_cache

from connector.datasets.void_counts import Triple
from connector.namespaces import RDF, SKOS, XSD


class Names:
    """The terms of one namespace as N-Triples IRIs: ``Names(SKOS).prefLabel`` -> ``"<http://...#prefLabel>"``."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        term = f"<{self._base}{name}>"
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> str:
        return self.__getattr__(name)


def iri(value: str) -> str:
    return f"<{value}>"


def _quoted(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{value}"'


def lit(value: str) -> str:
    """A plain (xsd:string) literal."""
    return _quoted(value)


def fr(value: str) -> str:
    """A French literal."""
    return _quoted(value) + "@fr"


def typed(value: str, datatype: str) -> str:
    """A typed literal; ``datatype`` is an N-Triples IRI (``xsd.date``)."""
    return f"{_quoted(value)}^^{datatype}"


xsd = Names(XSD)


class Lines:
    """Triples as N-Triples lines (provenance)."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .\n")

    def text(self) -> str:
        return "".join(self.lines)


class RecordTriples:
    """One record's triples, kept apart as publishing and VoID counting need them: those about its own nodes (its IRI
    and ``<its IRI>#...``, in no other record) as distinct ``(s, p, o)``, those about shared nodes (organisations,
    concept stubs) as distinct lines; and the vocabulary concepts it references (the validation gate adds what the
    vocabularies say about them)."""

    __slots__ = ("iri", "_own", "owned", "shared", "concepts")

    def __init__(self, iri: str) -> None:
        self.iri = f"<{iri}>"
        self._own = f"<{iri}#"
        self.owned: dict[Triple, None] = {}
        self.shared: dict[str, None] = {}
        """Lines without their newline."""
        self.concepts: set[str] = set()

    def add(self, s: str, p: str, o: str) -> None:
        if s == self.iri or s.startswith(self._own):
            self.owned[(s, p, o)] = None
        else:
            self.shared[f"{s} {p} {o} ."] = None

    def extend(self, lines: tuple[str, ...]) -> None:
        """Shared lines already formatted (:func:`concept`)."""
        for line in lines:
            self.shared[line] = None

    def link(self, s: str, p: str, concept: str) -> None:
        """``s p <concept>`` where ``concept`` (a bare IRI) belongs to a loaded vocabulary (ROME, ESCO)."""
        self.concepts.add(concept)
        self.add(s, p, f"<{concept}>")

    def owned_text(self) -> str:
        return "".join([f"{s} {p} {o} .\n" for s, p, o in self.owned])

    def shared_text(self) -> str:
        return "".join([f"{line}\n" for line in self.shared])

    def text(self) -> str:
        return self.owned_text() + self.shared_text()


@lru_cache(maxsize=4096)
def concept(node: str, scheme: str) -> tuple[str, ...]:
    """The triples the ELM shapes need about a referenced concept (its type, scheme, and the scheme's type), as
    lines without their newline."""
    return (
        f"{node} <{RDF}type> <{SKOS}Concept> .",
        f"{node} <{SKOS}inScheme> {scheme} .",
        f"{scheme} <{RDF}type> <{SKOS}ConceptScheme> .",
    )
