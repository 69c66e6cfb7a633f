"""The validation entry point: one function every face (CLI, HTTP, mapping jobs' publish gate, tests) calls.

Engine paths (``engine=``); all but ``rust`` give exactly the reference's results:

* ``hybrid`` (the default, ``auto``): shacl-rust for what it evaluates like pyshacl, pyshacl on exactly the rest
  (:mod:`hybrid`); when its split cannot be exact for the shapes and data, the ``fast`` path runs and the report's
  ``engine`` says why;
* ``reference``: one plain ``pyshacl.validate`` call over the whole data graph (the W3C-conformance reference);
* ``fast``: pyshacl with behaviour-preserving speed-ups (:mod:`tuning`) and, for data above
  ``PARTITION_MIN_TRIPLES`` whose shapes only read forward from their focus nodes (:mod:`scope`), record partitions
  validated in worker processes (:mod:`parallel`);
* ``rust``: the SHACL engine of ``shacl-rust`` alone (:mod:`rust_engine`), read into the same report model; its
  known differences from ``reference`` are listed in docs/validation.md (the mapping jobs' publish gate asks for it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Literal

import pyoxigraph as ox
import pyshacl
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, URIRef

from connector import events
from connector.config import DEFAULT_BASE_IRI
from connector.validation.data import DataInput, parse_triples, to_graph, to_rdflib
from connector.validation.errors import IncomparableValues, ShapesError, ValidationTimeout
from connector.validation.profiles import ProfileRegistry, load_shapes
from connector.validation.report import ValidationReport
from connector.validation.results import SourceIndex, read_results
from connector.validation.scope import partition_safety
from connector.validation.tuning import ValidationGraph, memo_shapes, tune_pyshacl
from connector.validation.vocabularies import Vocabularies

Engine = Literal["auto", "hybrid", "reference", "fast", "rust"]
NT = "application/n-triples"
PARTITION_MIN_TRIPLES = 30_000
"""Below this size one in-process call is as fast as partitions (worker start-up is ~0.5 s)."""

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
    row to results about our own records. ``engine``: ``auto``/``hybrid``, ``reference``, ``fast`` or ``rust``
    (module docstring);
    ``workers``: processes for partitions (default: CPU count). ``timeout_s``: stop the work and raise
    :class:`ValidationTimeout`.

    Raises :class:`UnknownProfile`, :class:`ShapesError`, :class:`DataSyntaxError`, :class:`ValidationTimeout`.
    """
    started = time.perf_counter()
    registry = registry or default_registry()
    if (profile is None) == (shapes is None):
        raise ValueError("give either a profile name or shapes, not both")
    if profile is not None:
        version: str | None = registry.get(profile).version
        shapes_graph = registry.shapes_graph(profile)
    else:
        shapes_graph = load_shapes(list(shapes or []))
        version = None
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    data_graph: Graph | None = None
    hybrid, not_exact = None, None
    if engine in ("auto", "hybrid"):
        hybrid, not_exact = _run_hybrid(data, media_type, vocabularies, shapes_graph, deadline)
    if engine == "reference":
        data_graph = _with_slice(to_graph(data, media_type), vocabularies)
        report = run_pyshacl(data_graph, shapes_graph, deadline)
    elif engine == "rust":
        from connector.validation.rust_engine import run_rust

        report = run_rust(_ntriples(data, media_type, vocabularies), shapes_graph, deadline)
    elif hybrid is not None:
        report = hybrid
    else:
        tune_pyshacl()
        triples = None if isinstance(data, Graph) else _as_triples(data, media_type)
        size = len(data) if isinstance(data, Graph) else len(triples or ())
        unsafe = partition_safety(shapes_graph) if size >= PARTITION_MIN_TRIPLES else "small data"
        if unsafe is None and triples is not None:
            from connector.validation.parallel import validate_parallel

            if vocabularies is not None:
                triples = triples + vocabularies.slice_for(_referenced(triples))
            report = validate_parallel(triples, shapes_graph, workers=workers, deadline=deadline)
        else:
            graph = ValidationGraph(deadline, reuse_queries=True)
            data_graph = to_graph(data if triples is None else triples, media_type, into=graph)
            if vocabularies is not None:
                data_graph.addN((*t, data_graph) for t in _slice(data_graph, vocabularies))
            report = run_pyshacl(data_graph, memo_shapes(shapes_graph), deadline)
            report.engine = f"pyshacl-fast (one process: {unsafe or 'graph input'})"
        if not_exact:
            report.engine += f" (hybrid not exact here: {not_exact})"
    report.profile, report.profile_version = profile, version
    if provenance is not None:
        report = attach_sources(report, provenance, data_graph or to_graph(data, media_type), base_iri)
    report.seconds = time.perf_counter() - started
    # here, not in the CLI or HTTP faces: every validation (upload, file, published dataset) passes through
    events.validation_finished(
        profile or "custom", report.conforms, report.counts, engine=report.engine, seconds=round(report.seconds, 3)
    )
    return report


def run_pyshacl(data_graph: Graph, shapes_graph: Graph, deadline: float | None = None) -> ValidationReport:
    """One pyshacl call, no inference, data graph untouched (copied into a :class:`ValidationGraph` when a
    deadline must be enforced and it is not one already)."""
    target = data_graph
    if deadline is not None and not isinstance(data_graph, ValidationGraph):
        target = ValidationGraph(deadline)
        target += data_graph
    try:
        _, report_graph, _ = pyshacl.validate(target, shacl_graph=shapes_graph, inference="none", inplace=True)
    except ValidationTimeout:
        raise
    except ReportableRuntimeError as exc:
        raise ShapesError(f"the shapes cannot be applied: {exc.message}") from None
    except (TypeError, ArithmeticError) as exc:  # raised by rdflib's literal comparisons inside pyshacl
        raise IncomparableValues(
            "the data holds values a comparison constraint (sh:lessThan, sh:minInclusive, ...) cannot order, "
            f"e.g. a date against a plain string or NaN: {type(exc).__name__}: {exc}; check the literals' datatypes"
        ) from None
    return ValidationReport(
        results=read_results(report_graph, shapes_graph),
        engine="pyshacl",
        triples=len(data_graph),
        graph=report_graph,
    )


def _run_hybrid(
    data: DataInput,
    media_type: str | None,
    vocabularies: Vocabularies | None,
    shapes_graph: Graph,
    deadline: float | None,
) -> tuple[ValidationReport | None, str | None]:
    """The hybrid engine's report, or None and why it cannot give exact results for this data and these shapes."""
    try:
        import shacl_rust  # noqa: F401
    except ImportError:
        return None, "shacl-rust is not installed"
    from connector.validation.hybrid import HybridNotExact, run_hybrid

    triples = _graph_triples(data) if isinstance(data, Graph) else _as_triples(data, media_type)
    if vocabularies is not None:
        triples = triples + vocabularies.slice_for(_referenced(triples))
    try:
        return run_hybrid(triples, shapes_graph, deadline), None
    except HybridNotExact as exc:
        return None, str(exc)


def _graph_triples(graph: Graph) -> list[ox.Triple]:
    from connector.validation.hybrid import to_ox

    return [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in graph]


def _with_slice(data_graph: Graph, vocabularies: Vocabularies | None) -> Graph:
    """``data_graph``, plus (in a copy) the vocabulary triples it references."""
    if vocabularies is None:
        return data_graph
    merged = Graph()
    merged += data_graph
    merged.addN((*t, merged) for t in _slice(data_graph, vocabularies))
    return merged


def _slice(data_graph: Graph, vocabularies: Vocabularies) -> list[tuple]:
    referenced = {ox.NamedNode(str(o)) for o in data_graph.objects() if isinstance(o, URIRef)}
    return [
        (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in vocabularies.slice_for(referenced)
    ]


def _referenced(triples: list[ox.Triple]) -> set[ox.NamedNode]:
    return {t.object for t in triples if isinstance(t.object, ox.NamedNode)}


def attach_sources(report: ValidationReport, provenance: Graph, data: Graph, base_iri: str) -> ValidationReport:
    """Give each result the source file and row of the record it is about (provenance graph, iri.md)."""
    index = SourceIndex(provenance, data, base_iri)
    report.results = [replace(r, source=index.find(_term(r.focus_node))) for r in report.results]
    return report


def _term(text: str) -> BNode | URIRef:
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def _ntriples(data: DataInput, media_type: str | None, vocabularies: Vocabularies | None) -> bytes:
    """The data (plus the vocabulary triples it references) as N-Triples; pyoxigraph parses non-graph input, so
    ill-typed literals keep their lexical form. N-Triples text goes through as is (the mapping jobs' batches): a
    syntax error in it is then found when shacl-rust refuses it (:func:`rust_engine.run_rust`)."""
    if isinstance(data, bytes | str) and vocabularies is None and (media_type or "").split(";")[0].strip() == NT:
        return data.encode("utf-8") if isinstance(data, str) else data
    if isinstance(data, Graph):
        return _with_slice(data, vocabularies).serialize(format="nt", encoding="utf-8")
    triples = _as_triples(data, media_type)
    if vocabularies is not None:
        triples = triples + vocabularies.slice_for(_referenced(triples))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def _as_triples(data: DataInput, media_type: str | None) -> list[ox.Triple]:
    if isinstance(data, str):
        data = data.encode("utf-8")
    source = parse_triples(data, media_type) if isinstance(data, bytes | Path) else data
    return [t if isinstance(t, ox.Triple) else ox.Triple(t.subject, t.predicate, t.object) for t in source]
