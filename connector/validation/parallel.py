"""The fast engine path for large data: record partitions validated by pyshacl in worker processes.

A *record* is a root subject (one no triple points to) with every triple reachable from it; shared nodes (an
organisation, a concept) are copied into each partition that reaches them, and the nodes named by ``sh:targetNode``
go into every partition. When the shapes only read forward from their focus nodes (:mod:`scope`), a node's results
depend only on what is reachable from it, so every partition gives exactly the whole graph's results for the nodes
it holds; copies of a result from shared nodes are merged. Workers come from a ``forkserver`` (safe next to an
HTTP server's threads), parse the shapes once, and take partitions as they finish the previous one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import Counter, defaultdict
from collections.abc import Sequence

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef

from connector.validation.errors import ValidationTimeout
from connector.validation.report import SH, ValidationReport, ValidationResult
from connector.validation.results import copy_closure, result_nodes, sort_key

PARTITION_TRIPLES = 20_000
"""Smallest target size of a partition: shared nodes (organisations, concepts) are copied into, and validated in,
every partition that reaches them, so partitions should be large; four per worker keep the workers busy to the end."""


def partitions(
    triples: Sequence[ox.Triple], size: int = PARTITION_TRIPLES, everywhere: Sequence[ox.NamedNode] = ()
) -> list[list[ox.Triple]]:
    """Cut ``triples`` into lists of whole records of about ``size`` triples (see the module docstring)."""
    by_subject: dict[object, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(t)
    pointed = {t.object for t in triples if t.object in by_subject}

    def closure(root: object, covered: set[object]) -> list[object]:
        seen, stack = {root}, [root]
        while stack:
            for t in by_subject[stack.pop()]:
                o = t.object
                if o not in seen and o in by_subject:
                    seen.add(o)
                    stack.append(o)
        covered.update(seen)
        return list(seen)

    covered: set[object] = set()
    shared = [n for node in everywhere if node in by_subject for n in closure(node, set())]
    records = [closure(s, covered) for s in by_subject if s not in pointed]
    for s in by_subject:  # subjects only reachable through cycles (e.g. hasPart / isPartOf)
        if s not in covered:
            records.append(closure(s, covered))
    out: list[list[ox.Triple]] = []
    current: dict[object, None] = dict.fromkeys(shared)
    size_now = 0
    for record in records:
        for node in record:
            if node not in current:
                current[node] = None
                size_now += len(by_subject[node])
        if size_now >= size:
            out.append([t for node in current for t in by_subject[node]])
            current, size_now = dict.fromkeys(shared), 0
    if size_now or not out:
        out.append([t for node in current for t in by_subject[node]])
    return out


# -- worker side ---------------------------------------------------------------------------------------------------
_shapes: Graph | None = None
_RESULT = URIRef("urn:gsc:validation:result")


def _init_worker(shapes_nt: bytes) -> None:
    global _shapes
    from connector.validation.data import to_graph
    from connector.validation.tuning import MemoGraph, tune_pyshacl

    tune_pyshacl()
    _shapes = MemoGraph(to_graph(shapes_nt, "application/n-triples"))


def _validate_part(chunk_nt: bytes) -> list[tuple[ValidationResult, bytes]]:
    """Results of one partition, each with its report-graph node and the blank nodes under it (N-Triples)."""
    from connector.validation.data import to_graph
    from connector.validation.engine import run_pyshacl
    from connector.validation.tuning import ValidationGraph

    assert _shapes is not None
    data = to_graph(chunk_nt, "application/n-triples", into=ValidationGraph(reuse_queries=True))
    report = run_pyshacl(data, _shapes)
    out = []
    for node, result in result_nodes(report.graph, _shapes):
        fragment = Graph()
        copy_closure(report.graph, fragment, node, rename={node: _RESULT})
        out.append((result, fragment.serialize(format="nt", encoding="utf-8")))
    return out


def validate_parallel(
    triples: Sequence[ox.Triple],
    shapes_graph: Graph,
    *,
    workers: int | None = None,
    deadline: float | None = None,
    partition_triples: int | None = None,
) -> ValidationReport:
    """Validate ``triples`` (vocabulary slice included) partition by partition in ``workers`` processes."""
    workers = workers or os.cpu_count() or 1
    everywhere = [ox.NamedNode(str(n)) for n in shapes_graph.objects(None, SH.targetNode) if isinstance(n, URIRef)]
    size = max(partition_triples or PARTITION_TRIPLES, len(triples) // (workers * 4))
    chunks = partitions(triples, size, everywhere)
    payloads = [ox.serialize(c, format=ox.RdfFormat.N_TRIPLES) for c in chunks]
    shapes_nt = shapes_graph.serialize(format="nt", encoding="utf-8")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["connector.validation.parallel", "connector.validation.engine"])
    pool = ctx.Pool(min(workers, len(payloads)), initializer=_init_worker, initargs=(shapes_nt,))
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
    report = merge(outputs, triples=len(triples))
    report.engine = f"pyshacl-fast ({len(chunks)} partitions, {min(workers, len(payloads))} processes)"
    return report


def merge(outputs: list[list[tuple[ValidationResult, bytes]]], triples: int) -> ValidationReport:
    """One report from partition reports: each distinct result (:meth:`ValidationResult.key`) is kept as many times
    as the partition that reported it most often (usually once).

    This is exact because every result's focus node is a focus node of its partition (nested property shapes are
    excluded by :mod:`scope`) and, wherever a shape targets a node, the node's forward closure is whole, so that
    shape's results for it are the whole graph's. The one case it cannot reproduce: a property shape shared by two
    node shapes that target the same node through ``sh:targetObjectsOf`` triples of two different records (one
    copy of the result instead of two)."""
    graph = Graph()
    graph.bind("sh", SH)
    root = BNode()
    graph.add((root, RDF.type, SH.ValidationReport))
    kept: Counter[tuple] = Counter()
    results: list[ValidationResult] = []
    for part in outputs:
        in_part = Counter(result.key() for result, _ in part)
        seen_here: Counter[tuple] = Counter()
        for result, fragment_nt in part:
            key = result.key()
            seen_here[key] += 1
            if seen_here[key] <= kept[key]:
                continue
            node = BNode()
            graph.add((root, SH.result, node))
            copy_closure(Graph().parse(data=fragment_nt, format="nt"), graph, _RESULT, rename={_RESULT: node})
            results.append(result)
        for key, count in in_part.items():
            kept[key] = max(kept[key], count)
    graph.add((root, SH.conforms, Literal(not results)))  # SHACL: conforms iff there is no result at all
    return ValidationReport(results=sorted(results, key=sort_key), engine="pyshacl-fast", triples=triples, graph=graph)
