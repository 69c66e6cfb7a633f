"""The W3C SHACL core test suite (98 tests) run through the project's validation entry point.

Each test's data and shapes graphs go through ``connector.validation.validate`` with each engine: the reference one,
the fast one (whose speed-ups must not change any result), the fast one forced into partitions, shacl-rust, and the
hybrid one (``auto``: shacl-rust plus pyshacl on what shacl-rust gets wrong) which must fail exactly where the
reference fails. The
SHACL report graph is compared with the expected report by pyshacl's conformance checker (results compared ignoring
messages, as the suite asks).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pyoxigraph as ox
import pytest
from pyshacl.validator_conformance import check_sht_result
from rdflib import RDF, Graph, Namespace, URIRef

import connector.validation.engine as engine_module
from connector.validation import ShapesError, parallel, validate

SUITE = Path(__file__).parent / "shacl" / "core"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")

UNIQUE_LANG_1 = (
    'sh:uniqueLang "1"^^xsd:boolean is activated as if it were true; the suite expects only the literal true to '
    "activate it, so a result is reported where none is expected"
)
EXPECTED_FAILURES = {
    ("pyshacl", "property/uniqueLang-002"): f"pyshacl 0.40: {UNIQUE_LANG_1}",
    ("rust", "property/uniqueLang-002"): "the shapes graph is an rdflib Graph (as every profile of the registry), "
    'and rdflib normalises the lexical form "1" of xsd:boolean to "true" before it reaches shacl-rust: '
    + UNIQUE_LANG_1,
}


def _path(iri: URIRef) -> Path:
    return Path(url2pathname(urlparse(str(iri)).path))


def _includes(manifest: Path) -> list[Path]:
    graph = Graph().parse(manifest, format="turtle", publicID=manifest.resolve().as_uri())
    return sorted(_path(i) for i in graph.objects(None, MF.include))


def _test_files() -> list[Path]:
    return [test for sub in _includes(SUITE / "manifest.ttl") for test in _includes(sub)]


def _params() -> list:
    params = []
    for engine in ("reference", "fast", "partitioned", "rust", "hybrid"):
        for f in _test_files():
            name = f"{f.parent.name}/{f.stem}"
            reason = EXPECTED_FAILURES.get(("rust" if engine == "rust" else "pyshacl", name))
            xfail = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(f, engine, id=f"{engine}:{name}", marks=xfail))
    return params


def test_the_suite_has_98_core_tests() -> None:
    assert len(_test_files()) == 98


@pytest.mark.parametrize(("path", "engine"), _params())
def test_core(path: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())
    entry = next(manifest.subjects(RDF.type, SHT.Validate))
    action = manifest.value(entry, MF.action)
    expected = manifest.value(entry, MF.result)
    data = _graph(manifest.value(action, SHT.dataGraph), path)
    shapes = _graph(manifest.value(action, SHT.shapesGraph), path)
    if engine == "partitioned":  # every record in its own partition, when the shapes allow partitions
        monkeypatch.setattr(engine_module, "PARTITION_MIN_TRIPLES", 0)
        monkeypatch.setattr(parallel, "PARTITION_TRIPLES", 1)
    if engine in ("partitioned", "rust", "hybrid"):  # as the mapping jobs and the service hand data: parsed text
        data = _ox_triples(manifest.value(action, SHT.dataGraph), path)
    try:
        report = validate(data, shapes=[shapes], engine="fast" if engine == "partitioned" else engine, workers=2)
    except ShapesError as exc:
        assert expected == SHT.Failure, f"unexpected shapes error: {exc}"
        return
    graph = report.graph
    for prefix, namespace in manifest.namespaces():
        graph.bind(prefix, namespace, override=False)
    assert check_sht_result(graph, manifest, expected, logging.getLogger("w3c-shacl"))


def _graph(ref: URIRef, test_file: Path) -> Graph:
    target = _path(ref)
    if target == test_file.resolve():
        return Graph().parse(test_file, format="turtle", publicID=test_file.resolve().as_uri())
    return Graph().parse(target, format="turtle", publicID=target.as_uri())


def _ox_triples(ref: URIRef, test_file: Path) -> list[ox.Triple]:
    """The data graph parsed by pyoxigraph (rdflib would normalise ill-typed literals' lexical forms)."""
    target = _path(ref) if _path(ref) != test_file.resolve() else test_file
    quads = ox.parse(path=str(target), format=ox.RdfFormat.TURTLE, base_iri=target.resolve().as_uri())
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
