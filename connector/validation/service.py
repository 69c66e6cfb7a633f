"""Validation against the connector's own store: published datasets, loaded vocabularies, provenance.

This is the part of the core that knows the :class:`Context` (store + dataset registry); :func:`validate` itself
only knows RDF. Both the CLI and the HTTP router call these functions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from connector.context import Context
from connector.namespaces import DCT, PROV
from connector.validation.data import to_graph, to_rdflib
from connector.validation.engine import Engine, attach_sources, default_registry, validate
from connector.validation.errors import ValidationServiceError
from connector.validation.profiles import ProfileRegistry
from connector.validation.report import ValidationReport
from connector.validation.vocabularies import Vocabularies

DATASET_PROFILES = {
    "trainings": "gen-training",
    "job-sheets": "gen-job-sheet",
    "rome": "rome",
    "esco": "esco",
    "alignment": "alignment",
    "catalog": "catalog",
    "provenance": "provenance",
}
"""The profile a published dataset is checked against unless the caller names another."""

OWN_DATA = ("trainings", "job-sheets")
"""Datasets whose records have provenance (source file and row) in the provenance graph."""


class MissingVocabulary(ValidationServiceError):
    """A profile checks references against vocabulary datasets that are not loaded."""


class UnknownDataset(ValidationServiceError, LookupError):
    """No dataset of that id (the message lists the known ones)."""


@dataclass
class _Cached:
    key: tuple
    vocabularies: Vocabularies


class ValidationService:
    """Validation for one :class:`Context`; vocabulary copies (remote stores) are cached until the graphs change."""

    def __init__(self, ctx: Context, registry: ProfileRegistry | None = None) -> None:
        self.ctx = ctx
        shapes_dir = ctx.settings.shapes_dir
        self.registry = registry or (ProfileRegistry(shapes_dir) if shapes_dir else default_registry())
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, ...], _Cached] = {}

    def vocabularies(self, profile: str) -> Vocabularies | None:
        """The vocabulary datasets the profile requires, from the store; None when it requires none."""
        required = self.registry.requires(profile)
        if not required:
            return None
        graphs = tuple(self.ctx.datasets.get(d).graph for d in required)
        key = tuple(self.ctx.store.count(g) for g in graphs)
        empty = [d for d, n in zip(required, key, strict=True) if n == 0]
        if empty:
            raise MissingVocabulary(
                f"profile {profile!r} checks references against {', '.join(required)}, but "
                f"{', '.join(empty)} is not loaded (run `skills-connector demo` or load it first)"
            )
        with self._lock:
            cached = self._cache.get(graphs)
            if cached is None or cached.key != key:
                cached = _Cached(key, Vocabularies.from_store(self.ctx.store, graphs))
                self._cache[graphs] = cached
            return cached.vocabularies

    def validate_dataset(
        self,
        dataset: str,
        profile: str | None = None,
        *,
        engine: Engine = "auto",
        timeout_s: float | None = None,
    ) -> ValidationReport:
        """Validate a published dataset's graph (its default profile unless ``profile`` is given)."""
        if dataset not in self.ctx.datasets:
            raise UnknownDataset(f"unknown dataset {dataset!r}; known: {', '.join(d.id for d in self.ctx.datasets)}")
        profile = profile or DATASET_PROFILES[dataset]
        self.registry.get(profile)  # unknown profile fails before any export
        graph = self.ctx.datasets.get(dataset).graph
        data = b"".join(self.ctx.store.export(graph, "application/n-triples"))
        report = validate(
            data,
            profile,
            media_type="application/n-triples",
            vocabularies=self.vocabularies(profile),
            registry=self.registry,
            engine=engine,
            workers=self.ctx.settings.validation_workers,
            timeout_s=timeout_s,
        )
        if dataset in OWN_DATA and report.results:
            focus = sorted({r.focus_node for r in report.results if not r.focus_node.startswith("_:")})
            provenance = self.provenance_for(graph, focus)
            data_graph = to_graph(data, "application/n-triples")
            report = attach_sources(report, provenance, data_graph, self.ctx.settings.base_iri)
        return report

    def provenance_for(self, data_graph: str, focus_iris: list[str]) -> Graph:
        """Provenance triples of the records holding ``focus_iris`` (the record itself or one linking to it)."""
        prov_graph = self.ctx.datasets.get("provenance").graph
        location = self.ctx.minted.ontology + "sourceLocation"
        out = Graph()
        for start in range(0, len(focus_iris), 500):
            values = " ".join(f"<{iri}>" for iri in focus_iris[start : start + 500])
            query = f"""CONSTRUCT {{ ?record <{PROV}wasDerivedFrom> ?src . ?src <{DCT}source> ?file ;
                                       <{location}> ?loc . }}
            WHERE {{
              VALUES ?focus {{ {values} }}
              {{ BIND(?focus AS ?record) }} UNION {{ GRAPH <{data_graph}> {{ ?record ?link ?focus }} }}
              GRAPH <{prov_graph}> {{ ?record <{PROV}wasDerivedFrom> ?src . ?src <{DCT}source> ?file .
                                     OPTIONAL {{ ?src <{location}> ?loc }} }}
            }}"""
            result = self.ctx.store.query(query, result_media_type="application/n-triples")
            for t in ox.parse(result.read(), format=ox.RdfFormat.N_TRIPLES):
                out.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return out
