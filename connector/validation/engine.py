"""The validation entry point: one function every face (CLI, HTTP, mapping jobs' publish gate, tests) calls.

Two engine paths give the same results:

* ``reference``: one ``pyshacl.validate`` call over the whole data graph (the W3C-conformance reference);
* ``parallel``: the data is cut into record partitions (each root subject with everything reachable from it) that
  worker processes validate with pyshacl, results merged and de-duplicated. It is exact for shapes that only look
  *forward* from their focus nodes (no inverse paths, no ``sh:targetObjectsOf``, no SPARQL or JS parts); for other
  shapes ``auto`` falls back to the reference path.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pyoxigraph as ox
import pyshacl
from pyshacl.errors import ReportableRuntimeError
from rdflib import Graph, URIRef

from connector.config import DEFAULT_BASE_IRI
from connector.validation.data import DataInput, parse_triples, to_graph, to_rdflib
from connector.validation.deadline import DeadlineGraph
from connector.validation.errors import ShapesError, ValidationTimeout
from connector.validation.profiles import ProfileRegistry, load_shapes
from connector.validation.report import ValidationReport
from connector.validation.results import SourceIndex, read_results
from connector.validation.vocabularies import Vocabularies

Engine = Literal["auto", "reference", "parallel"]
PARALLEL_MIN_TRIPLES = 50_000
"""Below this size the reference path is as fast (process start-up and partitioning are not free)."""

_default_registry: ProfileRegistry | None = None


def default_registry() -> ProfileRegistry:
    """The registry of the repository's ``shapes/`` folder."""
    global _default_registry
    if _default_registry is None:
        _default_registry = ProfileRegistry()
    return _default_registry


def list_profiles(registry: ProfileRegistry | None = None):
    """Profiles with name, IRI, version, titles and descriptions (see :class:`Profile`)."""
    return (registry or default_registry()).list()


def validate(
    data: DataInput,
    profile: str | None = None,
    *,
    shapes: Iterable[Path | Graph] | None = None,
    media_type: str | None = None,
    vocabularies: Vocabularies | None = None,
    provenance: Graph | None = None,
    base_iri: str = DEFAULT_BASE_IRI,
    registry: ProfileRegistry | None = None,
    engine: Engine = "auto",
    workers: int | None = None,
    timeout_s: float | None = None,
) -> ValidationReport:
    """Validate ``data`` against a profile (by name) or explicit ``shapes`` files/graphs.

    ``data``: an rdflib Graph, a Path, bytes/str with ``media_type``, or an iterable of pyoxigraph triples/quads.
    ``vocabularies``: loaded ROME/ESCO... consulted by "referenced concept exists" checks (see
    :mod:`connector.validation.vocabularies`). ``provenance``: the provenance graph, to attach the source file and
    row to results about our own records. ``timeout_s``: stop the work and raise :class:`ValidationTimeout`.

    Raises :class:`UnknownProfile`, :class:`ShapesError`, :class:`DataSyntaxError`, :class:`ValidationTimeout`.
    """
    started = time.perf_counter()
    registry = registry or default_registry()
    if (profile is None) == (shapes is None):
        raise ValueError("give either a profile name or shapes, not both")
    if profile is not None:
        prof = registry.get(profile)
        shapes_graph = registry.shapes_graph(profile)
        version: str | None = prof.version
    else:
        shapes_graph = load_shapes(list(shapes or []))
        version = None
    deadline = None if timeout_s is None else time.monotonic() + timeout_s

    if engine != "reference" and _parallel_possible(data, shapes_graph, engine):
        from connector.validation.parallel import validate_parallel

        triples = _as_triples(data, media_type)
        report = validate_parallel(triples, shapes_graph, vocabularies, workers=workers, deadline=deadline)
        data_graph = None
    else:
        data_graph = to_graph(data, media_type)
        if vocabularies is not None:
            data_graph = with_vocabulary_slice(data_graph, vocabularies)
        report = run_pyshacl(data_graph, shapes_graph, deadline)
    report.profile, report.profile_version = profile, version
    if provenance is not None:
        report = attach_sources(report, provenance, data_graph or to_graph(data, media_type), base_iri)
    report.seconds = time.perf_counter() - started
    return report


def run_pyshacl(data_graph: Graph, shapes_graph: Graph, deadline: float | None = None) -> ValidationReport:
    """The reference path: one pyshacl call, no inference, data graph untouched."""
    target = data_graph
    if deadline is not None:
        target = DeadlineGraph(deadline)
        target += data_graph
    try:
        _, report_graph, _ = pyshacl.validate(target, shacl_graph=shapes_graph, inference="none", inplace=True)
    except ValidationTimeout:
        raise
    except ReportableRuntimeError as exc:
        raise ShapesError(f"the shapes cannot be applied: {exc.message}") from None
    return ValidationReport(
        results=read_results(report_graph, shapes_graph),
        engine="pyshacl",
        triples=len(data_graph),
        graph=report_graph,
    )


def with_vocabulary_slice(data_graph: Graph, vocabularies: Vocabularies) -> Graph:
    """A copy of ``data_graph`` plus the vocabulary triples it references."""
    referenced = {ox.NamedNode(str(o)) for o in data_graph.objects() if isinstance(o, URIRef)}
    merged = Graph()
    merged += data_graph
    for t in vocabularies.slice_for(referenced):
        merged.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return merged


def attach_sources(report: ValidationReport, provenance: Graph, data: Graph, base_iri: str) -> ValidationReport:
    from dataclasses import replace

    index = SourceIndex(provenance, data, base_iri)
    report.results = [replace(r, source=index.find(_term(r.focus_node))) for r in report.results]
    return report


def _term(text: str):
    from rdflib import BNode

    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def _as_triples(data: DataInput, media_type: str | None) -> list[ox.Triple]:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if isinstance(data, bytes | Path):
        return [ox.Triple(t.subject, t.predicate, t.object) for t in parse_triples(data, media_type)]
    return [ox.Triple(t.subject, t.predicate, t.object) for t in data]  # type: ignore[union-attr]


def _parallel_possible(data: DataInput, shapes_graph: Graph, engine: Engine) -> bool:
    from connector.validation.parallel import forward_local

    if isinstance(data, Graph):
        return False
    if not forward_local(shapes_graph):
        if engine == "parallel":
            raise ShapesError("these shapes look backwards or use SPARQL; only the reference engine can run them")
        return False
    if engine == "parallel":
        return True
    if isinstance(data, Path):
        return data.stat().st_size > PARALLEL_MIN_TRIPLES * 60
    if isinstance(data, bytes | str):
        return len(data) > PARALLEL_MIN_TRIPLES * 60
    return False
