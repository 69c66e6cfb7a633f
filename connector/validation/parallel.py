"""The parallel engine path: record partitions validated by pyshacl in worker processes.

A *record* is a root subject (one no triple points to) with every triple reachable from it; shared nodes (an
organisation, a concept) are copied into each partition that reaches them. For shapes that only look forward from
their focus nodes, a node's results depend only on what is reachable from it, so each partition yields exactly the
results the whole graph would give for its nodes; duplicates (shared nodes) are identical and removed. Workers come
from a ``forkserver`` (safe next to the HTTP server's threads) and parse shapes once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import defaultdict
from collections.abc import Sequence

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from connector.validation.errors import ValidationTimeout
from connector.validation.report import SH, ValidationReport, ValidationResult
from connector.validation.results import result_nodes, sort_key

_UNSAFE = (SH.inversePath, SH.targetObjectsOf, SH.sparql, SH.select, SH.ask, SH.js, SH.rule, SH.target, SH.targetNode)
"""Shape features whose results can depend on triples not reachable from the focus node (``sh:targetNode``
focus nodes may be absent from a partition and would then be reported there)."""


def forward_local(shapes_graph: Graph) -> bool:
    """True when the shapes only look forward from focus nodes (see the module docstring)."""
    return not any((None, p, None) in shapes_graph for p in _UNSAFE)


def partitions(triples: Sequence[ox.Triple], parts: int) -> list[list[ox.Triple]]:
    """Cut ``triples`` into about ``parts`` lists of whole records (see the module docstring)."""
    by_subject: dict[object, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(t)
    pointed = {t.object for t in triples if t.object in by_subject}
    roots = [s for s in by_subject if s not in pointed]
    covered: set[object] = set()

    def closure(root: object) -> list[object]:
        seen, stack = {root}, [root]
        while stack:
            for t in by_subject[stack.pop()]:
                o = t.object
                if o not in seen and o in by_subject:
                    seen.add(o)
                    stack.append(o)
        covered.update(seen)
        return list(seen)

    records = [closure(r) for r in roots]
    for s in list(by_subject):  # subjects only reachable through cycles
        if s not in covered:
            records.append(closure(s))
    target = max(1, sum(sum(len(by_subject[n]) for n in rec) for rec in records) // max(1, parts))
    out: list[list[ox.Triple]] = []
    current: dict[object, None] = {}
    size = 0
    for rec in records:
        for n in rec:
            if n not in current:
                current[n] = None
                size += len(by_subject[n])
        if size >= target:
            out.append([t for n in current for t in by_subject[n]])
            current, size = {}, 0
    if current:
        out.append([t for n in current for t in by_subject[n]])
    return out


def _referenced(triples: list[ox.Triple]) -> set[ox.NamedNode]:
    return {t.object for t in triples if isinstance(t.object, ox.NamedNode)}


# -- worker side ---------------------------------------------------------------------------------------------------
_shapes: Graph | None = None
_RESULT = URIRef("urn:gsc:validation:result")


def _init_worker(shapes_nt: bytes) -> None:
    global _shapes
    from connector.validation.data import to_graph

    _shapes = to_graph(shapes_nt, "application/n-triples")


def _validate_part(chunk_nt: bytes) -> list[tuple[ValidationResult, bytes]]:
    """Results of one partition, each with its report-graph node and the blank nodes under it (N-Triples)."""
    from connector.validation.data import to_graph
    from connector.validation.engine import run_pyshacl

    assert _shapes is not None
    report = run_pyshacl(to_graph(chunk_nt, "application/n-triples"), _shapes)
    out = []
    for node, result in result_nodes(report.graph, _shapes):
        fragment = Graph()
        fragment.add((_RESULT, RDF.type, SH.ValidationResult))
        _copy_closure(report.graph, fragment, node, rename={node: _RESULT})
        out.append((result, fragment.serialize(format="nt", encoding="utf-8")))
    return out


def validate_parallel(
    triples: Sequence[ox.Triple],
    shapes_graph: Graph,
    vocabularies=None,
    *,
    workers: int | None = None,
    deadline: float | None = None,
) -> ValidationReport:
    workers = workers or max(1, min(os.cpu_count() or 1, 8))
    chunks = partitions(triples, workers * 4)
    if vocabularies is not None:
        chunks = [c + vocabularies.slice_for(_referenced(c)) for c in chunks]
    payloads = [ox.serialize(c, format=ox.RdfFormat.N_TRIPLES) for c in chunks]
    shapes_nt = shapes_graph.serialize(format="nt", encoding="utf-8")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["connector.validation.parallel", "connector.validation.engine"])
    pool = ctx.Pool(workers, initializer=_init_worker, initargs=(shapes_nt,))
    try:
        pending = pool.map_async(_validate_part, payloads, chunksize=1)
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            outputs = pending.get(timeout)
        except mp.TimeoutError:
            raise ValidationTimeout("validation exceeded its time limit and was stopped") from None
    finally:
        pool.terminate()
        pool.join()
    return merge(outputs, triples=len(triples))


def merge(outputs: list[list[tuple[ValidationResult, bytes]]], triples: int) -> ValidationReport:
    """One report from partition reports: results de-duplicated by key, one report graph holding their nodes."""
    graph = Graph()
    graph.bind("sh", SH)
    root = BNode()
    graph.add((root, RDF.type, SH.ValidationReport))
    seen: dict[tuple, ValidationResult] = {}
    for part in outputs:
        for result, fragment_nt in part:
            if result.key() in seen:
                continue
            seen[result.key()] = result
            node = BNode()
            graph.add((root, SH.result, node))
            fragment = Graph().parse(data=fragment_nt, format="nt")
            _copy_closure(fragment, graph, _RESULT, rename={_RESULT: node})
    results = sorted(seen.values(), key=sort_key)
    graph.add((root, SH.conforms, Literal(not results)))  # SHACL: conforms iff there is no result at all
    return ValidationReport(results=results, engine="pyshacl-parallel", triples=triples, graph=graph)


def _copy_closure(src: Graph, dst: Graph, node: Node, rename: dict[Node, Node]) -> None:
    """Copy ``node``'s triples and those of the blank nodes under it (a result's path, details)."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in src.predicate_objects(n):
            dst.add((rename.get(n, n), p, rename.get(o, o)))
            if isinstance(o, BNode):
                stack.append(o)
