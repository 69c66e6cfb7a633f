"""RDF terms the vocabulary loaders and the alignment emit, built once (pyoxigraph nodes are immutable)."""

from __future__ import annotations

from functools import lru_cache

import pyoxigraph as ox

from connector.namespaces import DCT, ESCO, ESCO_DATA, OWL, RDF, RDFS, SKOS, SKOSXL, SSSOM, XSD, Minted, Terms

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


RDF_ = Terms(RDF)
RDFS_ = Terms(RDFS)
OWL_ = Terms(OWL)
SKOS_ = Terms(SKOS)
SKOSXL_ = Terms(SKOSXL)
DCT_ = Terms(DCT)
ESCO_ = Terms(ESCO)
ISO_THES_ = Terms(ISO_THES)
SSSOM_ = Terms(SSSOM)
PAV_ = Terms(PAV)
A = RDF_.type
ESCO_OCCUPATION = f"{ESCO_DATA}occupation/"
ESCO_SKILL = f"{ESCO_DATA}skill/"


@lru_cache(maxsize=8)
def gsc(minted: Minted) -> Terms:
    """The application-profile namespace (``gsc:``) for this base IRI."""
    return Terms(minted.ontology)
