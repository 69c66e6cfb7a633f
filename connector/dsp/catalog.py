"""The DCAT catalog the provider serves: one Dataset per published dataset, with ODRL offers and distributions.

Entries come from the dataset registry (title, licence, publisher, coverage), the metadata jobs recorded in the catalog
graph (version, dates, coverage) and the triple counts (VoID, recorded by jobs or counted). They are cached (30 s,
refreshed in the background) so that a large catalog serves pages quickly; filtering and pagination work on the
cached entries.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.config import DspPolicy
from connector.dsp.messages import CONTEXT_LIST, PULL_FORMAT
from connector.dsp.policies import offer_id, permission
from connector.namespaces import DCAT, DCT, FOAF, VOID

log = logging.getLogger("connector.dsp")
VOID_TRIPLES = f"{VOID}triples"
IANA = "https://www.iana.org/assignments/media-types/"
DISTRIBUTIONS = (
    ("SPARQL 1.1 query endpoint scoped to the agreement", "application/sparql-results+json"),
    ("N-Triples / Turtle dump", "application/n-triples"),
)


@dataclass(frozen=True)
class Entry:
    """One dataset as the catalog shows it."""

    id: str
    """Dataset IRI (the DSP ``@id``)."""
    key: str
    """Short dataset id (registry id, or a TCK id such as ``ACN0101``)."""
    graph: str
    title: dict[str, str]
    description: dict[str, str]
    policies: tuple[DspPolicy, ...]
    publisher: str | None = None
    licence: str | None = None
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    spatial: str | None = None
    triples: int | None = None
    metadata: dict[str, list[str]] = field(default_factory=dict)
    offer_ids: tuple[str, ...] = ()
    """Explicit offer ids (TCK seeds); default: ``<base>policy/<key>/<policy id>``."""


class FilterError(ValueError):
    """A catalog filter this connector does not support (HTTP 400 with a CatalogError)."""


FILTER_KEYS = ("@id", "dct:identifier", "dct:title", "dct:description", "dcat:keyword", "dcat:theme", "dct:publisher")


def _lang(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": v, "@language": lang} for lang, v in sorted(values.items())]


def _agent(name: str) -> dict[str, Any]:
    """A DCAT-AP publisher: a foaf:Agent with its name (full IRIs: the DSP context has no foaf prefix)."""
    return {"@type": f"{FOAF}Agent", f"{FOAF}name": name}


def _compact(predicate: str) -> str:
    for prefix, ns in (("dct", DCT), ("dcat", DCAT)):
        if predicate.startswith(ns):
            return f"{prefix}:{predicate[len(ns) :]}"
    return predicate


class Catalog:
    def __init__(
        self,
        participant_id: str,
        dsp_base_url: str,
        policy_ns: str,
        base_iri: str,
        load: Callable[[], Sequence[Entry]],
        ttl_s: float = 30.0,
        publisher: str | None = None,
        licence: str | None = None,
    ) -> None:
        self.publisher, self.licence = publisher, licence
        self.participant_id = participant_id
        self.endpoint = dsp_base_url
        self.service_id = f"{dsp_base_url}#dsp"
        self.policy_ns, self.base_iri = policy_ns, base_iri
        self._load, self._ttl = load, ttl_s
        self._cached: tuple[float, list[Entry], dict[str, Entry], dict[str, tuple[Entry, DspPolicy]]] | None = None
        self._refreshing = False
        self._lock = threading.Lock()

    # entries ---------------------------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        return self._index()[0]

    def _index(self) -> tuple[list[Entry], dict[str, Entry], dict[str, tuple[Entry, DspPolicy]]]:
        """The cached entries; once stale they are rebuilt in the background while the old ones keep serving."""
        with self._lock:
            if self._cached is None:
                self._cached = self._build()
            elif time.monotonic() - self._cached[0] > self._ttl and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="catalog-refresh", daemon=True).start()
            return self._cached[1], self._cached[2], self._cached[3]

    def _build(self) -> tuple[float, list[Entry], dict[str, Entry], dict[str, tuple[Entry, DspPolicy]]]:
        entries = list(self._load())
        by_id = {e.id: e for e in entries} | {e.key: e for e in entries}
        by_offer = {oid: (e, p) for e in entries for oid, p in self.offers(e)}
        return time.monotonic(), entries, by_id, by_offer

    def _refresh(self) -> None:
        try:
            fresh = self._build()
            with self._lock:
                self._cached = fresh
        except Exception:  # a background job: keep serving the previous entries, say why
            log.exception("catalog refresh failed; serving the previous entries")
        finally:
            self._refreshing = False

    def find(self, dataset_id: str) -> Entry | None:
        """A dataset by IRI or short id."""
        return self._index()[1].get(dataset_id)

    def offers(self, entry: Entry) -> list[tuple[str, DspPolicy]]:
        ids = entry.offer_ids or tuple(offer_id(self.policy_ns, entry.key, p.id) for p in entry.policies)
        return list(zip(ids, entry.policies, strict=True))

    def find_offer(self, offer: str) -> tuple[Entry, DspPolicy] | None:
        """The dataset and template of a catalog offer id."""
        return self._index()[2].get(offer)

    # rendering -------------------------------------------------------------------------------------------------
    def _service(self) -> dict[str, Any]:
        return {
            "@id": self.service_id,
            "@type": "DataService",
            "endpointURL": self.endpoint,
            "dct:title": "Dataspace Protocol 2025-1 endpoint",
        }

    def dataset_json(self, entry: Entry, *, embed_service: bool = False) -> dict[str, Any]:
        service: Any = self._service() if embed_service else self.service_id
        node: dict[str, Any] = {"@id": entry.id, "@type": "Dataset", "dct:identifier": entry.key}
        if entry.title:
            node["dct:title"] = _lang(entry.title)
        if entry.description:
            node["dct:description"] = _lang(entry.description)
        if entry.publisher:
            node["dct:publisher"] = _agent(entry.publisher)
        if entry.licence:
            node["dct:license"] = {"@id": entry.licence}
        if entry.keywords:
            node["dcat:keyword"] = list(entry.keywords)
        if entry.themes:
            node["dcat:theme"] = [{"@id": t} for t in entry.themes]
        if entry.spatial:
            node["dct:spatial"] = {"@id": entry.spatial}
        for predicate, values in sorted(entry.metadata.items()):
            safe = [
                v if isinstance(v, str | int) or (isinstance(v, float) and math.isfinite(v)) else str(v) for v in values
            ]
            node.setdefault(_compact(predicate), safe[0] if len(safe) == 1 else safe)
        if entry.triples is not None:
            node[VOID_TRIPLES] = entry.triples
        node["hasPolicy"] = [
            {"@id": oid, "@type": "Offer", "permission": [permission(policy, self.base_iri)]}
            for oid, policy in self.offers(entry)
        ]
        node["distribution"] = [
            {
                "@type": "Distribution",
                "format": PULL_FORMAT,
                "accessService": service,
                "dct:title": title,
                "dcat:accessURL": {"@id": self.endpoint},
                "dcat:mediaType": {"@id": IANA + media_type},
                **({"dct:license": {"@id": entry.licence}} if entry.licence else {}),
            }
            for title, media_type in DISTRIBUTIONS
        ]
        return node

    def dataset_document(self, entry: Entry) -> dict[str, Any]:
        return {"@context": CONTEXT_LIST, **self.dataset_json(entry, embed_service=True)}

    def page(self, filters: list[Any], offset: int, limit: int) -> tuple[dict[str, Any], bool]:
        """The catalog document for one page, and whether a next page exists."""
        matching = [e for e in self.entries() if all(_matches(e, f) for f in _parse_filters(filters))]
        chosen = matching[offset : offset + limit]
        doc: dict[str, Any] = {
            "@context": CONTEXT_LIST,
            "@id": f"{self.endpoint}/catalog",
            "@type": "Catalog",
            "participantId": self.participant_id,
            "dct:title": "GEN skills dataspace connector catalog",
            "dct:description": "Datasets of this connector (ESCO, ROME 4.0, alignments, GEN trainings and job "
            "sheets) with their ODRL offers; access through a contract negotiation and a pull transfer.",
            "service": [self._service()],
        }
        if self.publisher:
            doc["dct:publisher"] = _agent(self.publisher)
        if self.licence:
            doc["dct:license"] = {"@id": self.licence}
        if chosen:  # the schema wants at least one dataset when the key is present
            doc["dataset"] = [self.dataset_json(e) for e in chosen]
        return doc, offset + limit < len(matching)


def _parse_filters(filters: list[Any]) -> list[tuple[str, str]]:
    parsed = []
    for item in filters:
        if not isinstance(item, dict) or not item:
            raise FilterError('each filter is an object such as {"dcat:keyword": "ESCO"}')
        for key, value in item.items():
            if key == "@type":
                continue
            if key not in FILTER_KEYS or not isinstance(value, str):
                raise FilterError(f"unsupported filter {key!r}; supported (string values): {', '.join(FILTER_KEYS)}")
            parsed.append((key, value.casefold()))
    return parsed


def _matches(entry: Entry, condition: tuple[str, str]) -> bool:
    key, wanted = condition
    values: list[str] = {
        "@id": [entry.id],
        "dct:identifier": [entry.key],
        "dct:title": list(entry.title.values()),
        "dct:description": list(entry.description.values()),
        "dcat:keyword": list(entry.keywords),
        "dcat:theme": list(entry.themes),
        "dct:publisher": [entry.publisher or ""],
    }[key]
    if key in ("@id", "dct:identifier", "dcat:theme"):
        return any(v.casefold() == wanted for v in values)
    return any(wanted in v.casefold() for v in values)
