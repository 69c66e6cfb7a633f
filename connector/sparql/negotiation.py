"""HTTP content negotiation for SPARQL answers (RFC 9110 §12.5.1 ``Accept`` with q-values and wildcards)."""

from __future__ import annotations

from functools import lru_cache

from connector.store.base import QueryKind

RESULTS_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "application/xml",
    "text/xml",
)
"""SELECT and ASK answers, in server preference order (the first is the default)."""

BOOLEAN_TYPES = RESULTS_TYPES[:2] + ("application/json", "application/xml", "text/xml")
"""ASK answers: CSV and TSV define no boolean form."""

RDF_TYPES = (
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/n-quads",
    "application/trig",
    "text/plain",
    "application/x-turtle",
)
"""CONSTRUCT and DESCRIBE answers, in server preference order."""

CANONICAL = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
}
"""Aliases clients send, and the type we answer with."""


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """``(media range, q, position)`` entries of an Accept header; malformed entries are skipped."""
    if not header or not header.strip():
        return [("*/*", 1.0, 0)]
    ranges = []
    for position, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q, position))
    return ranges


def _quality(media: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int]:
    """(q, specificity, -position) of the most specific range matching ``media``; q=0 when none matches."""
    best = (0.0, -1, 0)
    main = media.split("/")[0]
    for media_range, q, position in ranges:
        if media_range == media:
            specificity = 2
        elif media_range == f"{main}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (q, specificity, -position)
    return best


def choose(accept: str | None, kind: QueryKind) -> str | None:
    """The media type to answer a ``kind`` query with, or None when the client accepts none we produce."""
    return best(accept, offered(kind))


@lru_cache(maxsize=256)
def best(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """The offer the Accept header prefers (aliases answered with their canonical type), or None.

    Cached: clients send few distinct Accept headers, and every query is negotiated."""
    ranges = parse_accept(accept)
    scored = []
    for preference, media in enumerate(offers):
        q, specificity, position = _quality(media, ranges)
        if q > 0:
            # Highest q first; among equals, an exact match beats a wildcard, then the client's order, then ours.
            scored.append((-q, -specificity if specificity == 2 else 0, -position, preference, media))
    if not scored:
        return None
    best = min(scored)[-1]
    return CANONICAL.get(best, best)


def offered(kind: QueryKind) -> tuple[str, ...]:
    """Media types a ``kind`` answer can be sent in."""
    return RDF_TYPES if kind == "construct" else BOOLEAN_TYPES if kind == "ask" else RESULTS_TYPES
