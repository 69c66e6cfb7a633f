"""The project's runner for the W3C SPARQL 1.1 Protocol and Graph Store Protocol manifests (HTTP-in-RDF).

Reads the manifests with rdflib, replays each test's requests in order on one HTTP session against a running
endpoint and checks status, format, boolean answers, graph bodies (by isomorphism) and Location templates.

Path prefixes are mapped as the manifests ask: ``/sparql/`` goes to the query URL, or to the update URL for
requests that carry an update (``update=`` form field or ``application/sparql-update``); ``/gsp`` goes to the graph
store URL. One test (``bad_query_method``) names no method: it means "a method other than GET or POST", and is
sent as PUT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

_STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
_RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}
_TABULAR = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}


@dataclass
class Expected:
    statuses: list[str]
    """Status names: ``OK``/``Created``/... or classes ``StatusCode2xx``."""
    format: str | None = None
    boolean: bool | None = None
    content_type: str | None = None
    body: str | None = None
    location_var: str | None = None

    def status_ok(self, status: int) -> bool:
        for name in self.statuses:
            if name.startswith("StatusCode") and str(status)[0] == name[len("StatusCode")]:
                return True
            if _STATUS.get(name) == status:
                return True
        return False


@dataclass
class Step:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected: Expected


@dataclass
class Case:
    iri: str
    name: str
    steps: list[Step]
    graph_data: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.iri.rsplit("#", 1)[-1]


def load_cases(manifest: Path) -> list[Case]:
    """All test cases of ``manifest`` and the manifests it includes, in manifest order."""
    graph = Graph()
    graph.parse(manifest, format="turtle", publicID=manifest.resolve().as_uri())
    root = URIRef(manifest.resolve().as_uri())
    cases: list[Case] = []
    for include in graph.objects(root, MF.include):
        for item in Collection(graph, include) if (include, RDF.first, None) in graph else [include]:
            cases += load_cases(Path(urlsplit(str(item)).path))
    for entries in graph.objects(root, MF.entries):
        for test in Collection(graph, entries):
            cases.append(_case(graph, test))
    return cases


def _case(graph: Graph, test: URIRef) -> Case:
    action = graph.value(test, MF.action)
    steps = [_step(graph, r) for r in Collection(graph, graph.value(action, HT.requests))]
    data = [
        (Path(urlsplit(str(graph.value(g, UT.graph))).path), str(graph.value(g, RDFS.label)))
        for g in graph.objects(test, UT.graphData)
    ]
    return Case(str(test), str(graph.value(test, MF.name)), steps, data)


def _headers(graph: Graph, node: URIRef | None) -> dict[str, str]:
    if node is None:
        return {}
    headers = {}
    for h in Collection(graph, graph.value(node, HT.headers)) if graph.value(node, HT.headers) else []:
        headers[str(graph.value(h, HT.fieldName)).lower()] = str(graph.value(h, HT.fieldValue))
    return headers


def _step(graph: Graph, request: URIRef) -> Step:
    body_node = graph.value(request, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower())
    resp = graph.value(request, HT.resp)
    resp_body = graph.value(resp, HT.body)

    def value(predicate: URIRef) -> object:
        found = graph.value(resp, predicate)
        return None if found is None else found.toPython()

    expected = Expected(
        statuses=[str(s).rsplit("#", 1)[-1] for s in graph.objects(resp, MF.expectedStatus)],
        format=value(MF.expectedFormat),  # type: ignore[arg-type]
        boolean=value(MF.expectedBoolean),  # type: ignore[arg-type]
        content_type=_headers(graph, resp).get("content-type"),
        body=str(graph.value(resp_body, CNT.chars)) if resp_body is not None else None,
        location_var=value(MF.expectedLocation),  # type: ignore[arg-type]
    )
    return Step(
        method=str(graph.value(request, HT.methodName) or "PUT"),
        path=str(graph.value(request, HT.absolutePath)),
        headers=_headers(graph, request),
        body=body,
        expected=expected,
    )


@dataclass
class Endpoint:
    query_url: str
    update_url: str
    gsp_url: str
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request (the operator credential)."""


def _is_update(step: Step) -> bool:
    content_type = step.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/sparql-update":
        return True
    body = (step.body or b"").decode("utf-8", "replace")
    return content_type == "application/x-www-form-urlencoded" and any(p.startswith("update=") for p in body.split("&"))


def _url(endpoint: Endpoint, step: Step, variables: dict[str, str]) -> str:
    path = step.path
    for name, value in variables.items():
        path = path.replace(name, value)
    if path.startswith("/sparql/"):
        base = endpoint.update_url if step.method == "POST" and _is_update(step) else endpoint.query_url
        return base + path[len("/sparql/") :]
    if path.startswith("/gsp"):
        return endpoint.gsp_url + path[len("/gsp") :]
    raise ValueError(f"unexpected path {path}")


def run_case(case: Case, endpoint: Endpoint) -> None:
    """Run one test from an empty store; raise AssertionError describing the first difference."""
    with requests.Session() as http:
        http.headers.update(endpoint.headers)
        reset = http.post(endpoint.update_url, data={"update": "DROP ALL"}, timeout=30)
        assert reset.status_code == 204, f"reset failed: {reset.status_code} {reset.text}"
        for path, graph in case.graph_data:
            loaded = http.put(
                endpoint.gsp_url,
                params={"graph": graph},
                data=path.read_bytes(),
                headers={"Content-Type": "application/n-triples"},
                timeout=30,
            )
            assert loaded.status_code in (201, 204), f"loading {path.name}: {loaded.status_code} {loaded.text}"
        variables: dict[str, str] = {}
        for number, step in enumerate(case.steps, 1):
            body = step.body
            if body is not None:
                for name, value in variables.items():
                    body = body.replace(name.encode(), value.encode())
            response = http.request(
                step.method, _url(endpoint, step, variables), data=body, headers=step.headers, timeout=30
            )
            where = f"request {number} ({step.method} {step.path[:80]})"
            _check(step.expected, response, where, variables)


def _check(expected: Expected, response: requests.Response, where: str, variables: dict[str, str]) -> None:
    assert expected.status_ok(response.status_code), (
        f"{where}: status {response.status_code}, expected {expected.statuses}: {response.text[:300]}"
    )
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if expected.location_var:
        assert "location" in response.headers, f"{where}: no Location header"
        variables[expected.location_var] = response.headers["location"]
    if expected.format == "boolean":
        answer = _boolean(media, response.content)
        assert expected.boolean is None or answer == expected.boolean, f"{where}: wrong boolean ({response.text})"
    elif expected.format == "tabular":
        assert media in _TABULAR, f"{where}: {media} is not a results format"
        _parse_tabular(media, response.content)
    elif expected.format == "RDF":
        assert media in _RDF_PARSERS, f"{where}: {media} is not an RDF format"
        Graph().parse(data=response.content, format=_RDF_PARSERS[media])
    if expected.content_type:
        wanted = expected.content_type.split(";")[0].strip().lower()
        assert media == wanted, f"{where}: content type {media}, expected {wanted}"
    if expected.body is not None:
        want = Graph().parse(data=expected.body, format=_RDF_PARSERS[media or "text/turtle"])
        got = Graph().parse(data=response.content, format=_RDF_PARSERS[media])
        assert isomorphic(want, got), f"{where}: graph differs:\n{response.text}"


def _boolean(media: str, content: bytes) -> bool:
    if media in ("application/sparql-results+json", "application/json"):
        return bool(json.loads(content)["boolean"])
    if media in ("application/sparql-results+xml", "application/xml"):
        tree = ElementTree.fromstring(content)
        node = tree.find("{http://www.w3.org/2005/sparql-results#}boolean")
        assert node is not None, "no <boolean> element"
        return (node.text or "").strip() == "true"
    raise AssertionError(f"{media} is not a boolean results format")


def _parse_tabular(media: str, content: bytes) -> None:
    if media == "application/sparql-results+json":
        assert "results" in json.loads(content)
    elif media == "application/sparql-results+xml":
        ElementTree.fromstring(content)
    else:
        assert content.decode("utf-8").splitlines(), "empty CSV/TSV answer"
