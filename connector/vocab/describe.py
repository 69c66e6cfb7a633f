"""Descriptions of minted ROME concepts for dereferencing: the concept's triples, its neighbours' labels and its
ESCO matches with their SSSOM records, plus a view model for the HTML page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from connector.context import Context
from connector.namespaces import ESCO, OWL, RDF, RDFS, SKOS, SSSOM

ROME_KINDS = frozenset(
    {
        "grand-domaine",
        "domaine",
        "fiche",
        "appellation",
        "competence",
        "savoir",
        "contexte",
        "type-contexte",
        "categorie-savoir",
        "domaine-competence",
        "enjeu",
        "objectif",
        "secteur",
        "scheme",
    }
)
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}")
MATCHES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")


@dataclass
class Link:
    iri: str
    label: str
    code: str | None = None


@dataclass
class Match:
    relation: str
    target: Link
    confidence: float | None
    justification: str | None
    label_en: str | None = None


@dataclass
class ConceptView:
    iri: str
    label: str
    code: str | None
    types: list[str]
    definition: str | None
    scheme: Link | None
    broader: list[Link] = field(default_factory=list)
    narrower: list[Link] = field(default_factory=list)
    related: dict[str, list[Link]] = field(default_factory=dict)
    properties: dict[str, list[str]] = field(default_factory=dict)
    matches: list[Match] = field(default_factory=list)


def rome_iri(ctx: Context, kind: str, code: str) -> str | None:
    """The minted IRI for a path, or None when the kind or code cannot be one of ours."""
    if kind not in ROME_KINDS or not CODE.fullmatch(code):
        return None
    return f"{ctx.minted.rome}{kind}/{code}"


def describe(ctx: Context, iri: str) -> list[ox.Triple]:
    """The concept's own triples, labels/codes of what it points to, its matches and their SSSOM records.

    Empty when the IRI is not in the rome graph (the caller answers 404).
    """
    rome, esco, alignment = (ctx.datasets.get(d).graph for d in ("rome", "esco", "alignment"))
    query = f"""
    CONSTRUCT {{
      <{iri}> ?p ?o . ?o <{SKOS}prefLabel> ?label . ?o <{SKOS}notation> ?code .
      ?r <{OWL}annotatedSource> <{iri}> ; <{OWL}annotatedProperty> ?mp ; <{OWL}annotatedTarget> ?t ;
         <{SSSOM}confidence> ?c ; <{SSSOM}mapping_justification> ?j ; <{RDFS}comment> ?cm .
    }} WHERE {{
      {{ GRAPH <{rome}> {{ <{iri}> ?p ?o
          OPTIONAL {{ ?o <{SKOS}prefLabel> ?label }} OPTIONAL {{ ?o <{SKOS}notation> ?code }} }} }}
      UNION {{ GRAPH <{alignment}> {{ <{iri}> ?p ?o }}
               OPTIONAL {{ GRAPH <{esco}> {{ ?o <{SKOS}prefLabel> ?label }} }} }}
      UNION {{ GRAPH <{alignment}> {{ ?r <{OWL}annotatedSource> <{iri}> ; <{OWL}annotatedProperty> ?mp ;
                 <{OWL}annotatedTarget> ?t ; <{SSSOM}confidence> ?c ; <{SSSOM}mapping_justification> ?j ;
                 <{RDFS}comment> ?cm }} }}
    }}"""
    result = ctx.store.query(query, result_media_type="application/n-triples")
    triples = [q.triple for q in ox.parse(result.read(), ox.RdfFormat.N_TRIPLES)]
    subject = ox.NamedNode(iri)
    if not any(t.subject == subject and t.predicate.value.startswith(RDF) for t in triples):
        return []
    return triples


def view(iri: str, triples: list[ox.Triple], minted_ontology: str) -> ConceptView:
    """What the HTML page shows."""
    me = ox.NamedNode(iri)
    out: dict[str, list[ox.Term]] = {}
    labels: dict[str, dict[str, str]] = {}
    codes: dict[str, str] = {}
    records: dict[str, dict[str, str]] = {}
    for t in triples:
        if t.subject == me:
            out.setdefault(t.predicate.value, []).append(t.object)
        elif t.predicate.value == f"{SKOS}prefLabel" and isinstance(t.object, ox.Literal):
            labels.setdefault(t.subject.value, {})[t.object.language or ""] = t.object.value
        elif t.predicate.value == f"{SKOS}notation":
            codes[t.subject.value] = t.object.value
        else:
            records.setdefault(t.subject.value, {})[t.predicate.value] = t.object.value

    def link(node: ox.Term) -> Link:
        names = labels.get(node.value, {})
        return Link(node.value, names.get("fr") or names.get("en") or node.value, codes.get(node.value))

    def first(p: str) -> str | None:
        values = out.get(p)
        return values[0].value if values else None

    by_target = {(r.get(f"{OWL}annotatedProperty"), r.get(f"{OWL}annotatedTarget")): r for r in records.values()}
    matches = []
    for rel in MATCHES:
        for target in out.get(f"{SKOS}{rel}", []):
            rec = by_target.get((f"{SKOS}{rel}", target.value), {})
            conf = rec.get(f"{SSSOM}confidence")
            matches.append(
                Match(
                    rel,
                    link(target),
                    float(conf) if conf else None,
                    rec.get(f"{RDFS}comment"),
                    labels.get(target.value, {}).get("en"),
                )
            )
    matches.sort(key=lambda m: (MATCHES.index(m.relation), -(m.confidence or 0)))
    skip = {f"{SKOS}{p}" for p in ("prefLabel", "notation", "definition", "broader", "narrower", "inScheme", *MATCHES)}
    skip.add(f"{RDF}type")
    related: dict[str, list[Link]] = {}
    properties: dict[str, list[str]] = {}
    for p, values in sorted(out.items()):
        if p in skip:
            continue
        name = _short(p, minted_ontology)
        if all(isinstance(v, ox.NamedNode) for v in values):
            related[name] = sorted((link(v) for v in values), key=lambda lk: lk.label)
        else:
            properties[name] = sorted(v.value for v in values)
    scheme = out.get(f"{SKOS}inScheme")
    return ConceptView(
        iri=iri,
        label=first(f"{SKOS}prefLabel") or first(f"{RDFS}label") or iri,
        code=first(f"{SKOS}notation"),
        types=sorted(_short(t.value, minted_ontology) for t in out.get(f"{RDF}type", [])),
        definition=first(f"{SKOS}definition"),
        scheme=link(scheme[0]) if scheme else None,
        broader=sorted((link(v) for v in out.get(f"{SKOS}broader", [])), key=lambda lk: lk.label),
        narrower=sorted((link(v) for v in out.get(f"{SKOS}narrower", [])), key=lambda lk: lk.label),
        related=related,
        properties=properties,
        matches=matches,
    )


def _short(iri: str, ontology: str) -> str:
    for prefix, ns in (
        ("gsc", ontology),
        ("skos", SKOS),
        ("esco", ESCO),
        ("dct", "http://purl.org/dc/terms/"),
        ("owl", OWL),
        ("rdfs", RDFS),
    ):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri
