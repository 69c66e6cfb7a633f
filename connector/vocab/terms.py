"""RDF terms the vocabulary loaders and the alignment emit, built once (pyoxigraph nodes are immutable)."""

from __future__ import annotations

from functools import lru_cache

import pyoxigraph as ox

from connector.namespaces import DCT, ESCO, ESCO_DATA, OWL, RDF, RDFS, SKOS, SKOSXL, SSSOM, XSD, Minted

ISO_THES = "http://purl.org/iso25964/skos-thes#"
PAV = "http://purl.org/pav/"


def iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def fr(text: str) -> ox.Literal:
    return ox.Literal(text, language="fr")


def text(value: str, lang: str) -> ox.Literal:
    return ox.Literal(value, language=lang)


def plain(value: str) -> ox.Literal:
    return ox.Literal(value)


TRUE = ox.Literal("true", datatype=ox.NamedNode(f"{XSD}boolean"))
FALSE = ox.Literal("false", datatype=ox.NamedNode(f"{XSD}boolean"))


def boolean(value: bool) -> ox.Literal:
    return TRUE if value else FALSE


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(f"{XSD}integer"))


def decimal(value: float) -> ox.Literal:
    return ox.Literal(f"{value:.3f}", datatype=ox.NamedNode(f"{XSD}double"))


def datetime(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(f"{XSD}dateTime"))


class _Ns:
    """Attribute access to the terms of one namespace: ``SKOS_.prefLabel``."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __getattr__(self, name: str) -> ox.NamedNode:
        node = ox.NamedNode(self._base + name)
        setattr(self, name, node)
        return node

    def term(self, name: str) -> ox.NamedNode:
        return getattr(self, name)


RDF_ = _Ns(RDF)
RDFS_ = _Ns(RDFS)
OWL_ = _Ns(OWL)
SKOS_ = _Ns(SKOS)
SKOSXL_ = _Ns(SKOSXL)
DCT_ = _Ns(DCT)
ESCO_ = _Ns(ESCO)
ISO_THES_ = _Ns(ISO_THES)
SSSOM_ = _Ns(SSSOM)
PAV_ = _Ns(PAV)
A = RDF_.type
ESCO_OCCUPATION = f"{ESCO_DATA}occupation/"
ESCO_SKILL = f"{ESCO_DATA}skill/"


@lru_cache(maxsize=8)
def gsc(minted: Minted) -> _Ns:
    """The application-profile namespace (``gsc:``) for this base IRI."""
    return _Ns(minted.ontology)
