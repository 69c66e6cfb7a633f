"""Remote store: any server speaking SPARQL 1.1 Protocol (query, update) and the Graph Store HTTP Protocol.

Three URLs because servers split the roles: Oxigraph ``/query`` ``/update`` ``/store``; Fuseki ``/ds/query``
``/ds/update`` ``/ds/data``; GraphDB ``/repositories/x`` ``/repositories/x/statements``
``/repositories/x/rdf-graphs/service``; Virtuoso ``/sparql`` ``/sparql`` ``/sparql-graph-crud-auth``.
"""

from __future__ import annotations

import gzip
import io
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox
import requests

from connector.store.base import (
    STAGING_PREFIX,
    GraphStore,
    Parts,
    QueryKind,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    RawAnswer,
    RdfSource,
    RdfSyntaxError,
    StoreError,
    StoreUnavailable,
)
from connector.store.formats import media_type_for_path, query_form, rdf_format

_CHUNK = 64 * 1024
STALE_STAGING_AGE_S = 24 * 3600
"""A staging graph older than this was left by a killed process: no load runs that long."""
_RDF_ACCEPT = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")


class RemoteStore(GraphStore):
    """Talks HTTP to a SPARQL server; holds no state but a connection pool, so replicas can share one server."""

    def __init__(
        self,
        query_url: str,
        update_url: str,
        graph_url: str,
        *,
        auth: tuple[str, str] | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.query_url, self.update_url, self.graph_url = query_url, update_url, graph_url
        self._timeout = timeout_s
        self._http = requests.Session()
        self._http.auth = auth

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        try:
            return self._http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except requests.Timeout as exc:
            raise QueryTimeout(f"remote store did not answer within {kwargs['timeout']} s") from exc
        except requests.ConnectionError as exc:
            raise StoreUnavailable(f"remote store unreachable at {url}") from exc

    def _check(self, response: requests.Response, what: str) -> requests.Response:
        if response.status_code >= 500 or response.status_code in (401, 403, 404, 405):
            detail = response.text[:500]
            response.close()
            cls = StoreUnavailable if response.status_code in (502, 503, 504) else StoreError
            raise cls(f"{what}: remote store answered {response.status_code}: {detail}")
        if response.status_code >= 400:
            detail = response.text[:1000]
            response.close()
            raise (RdfSyntaxError if what.startswith("load") else QuerySyntaxError)(detail)
        return response

    def ping(self) -> None:
        self.ask("ASK {}")

    # -- graphs ------------------------------------------------------------------------------------------------
    def graphs(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r["g"] for r in rows if not r["g"].startswith(STAGING_PREFIX))

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return int(self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])
        return int(self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"])

    def replace_graph(
        self,
        graph: str | None,
        source: RdfSource,
        media_type: str | None = None,
        *,
        trusted_syntax: bool = False,
        count: bool = True,
    ) -> int | None:  # the server parses as it does (trusted_syntax is a hint it cannot take)
        self.drop_stale_staging()
        # The creation time in the IRI lets any replica sharing the server recognise abandoned staging graphs.
        staging = f"{STAGING_PREFIX}{int(time.time())}-{uuid.uuid4()}"
        target = f"GRAPH <{graph}>" if graph else "DEFAULT"
        try:
            self._send(staging, source, media_type, method="PUT")
            # One update request is one transaction on the servers we support (Oxigraph, Fuseki TDB2, GraphDB).
            self.update(f"DROP SILENT {target} ; MOVE SILENT GRAPH <{staging}> TO {target}")
        finally:
            self.update(f"DROP SILENT GRAPH <{staging}>")
        if not count:
            return None
        return self.count(graph) if graph else self.count_default()

    def drop_stale_staging(self, max_age_s: float = STALE_STAGING_AGE_S) -> list[str]:
        """Drop staging graphs left by processes killed mid-load; unlike the embedded store, a shared server may
        hold another replica's load in progress, so only graphs older than ``max_age_s`` go."""
        rows = self.select(f'SELECT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}')
        stale = [r["g"] for r in rows if _staging_age(r["g"]) > max_age_s]
        if stale:
            self.update(" ; ".join(f"DROP SILENT GRAPH <{g}>" for g in stale))
        return stale

    def add_to_graph(self, graph: str | None, source: RdfSource, media_type: str | None = None) -> int:
        self._send(graph, source, media_type, method="POST")
        return self.count(graph) if graph else self.count_default()

    def drop_graph(self, graph: str | None) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>" if graph else "DROP SILENT DEFAULT")

    def export(self, graph: str | None, media_type: str = "application/n-triples") -> Iterator[bytes]:
        params = {"graph": graph} if graph else {"default": ""}
        response = self._check(
            self._request("GET", self.graph_url, params=params, headers={"Accept": media_type}, stream=True),
            "export",
        )
        with response:
            yield from response.iter_content(_CHUNK)

    def _send(self, graph: str | None, source: RdfSource, media_type: str | None, *, method: str) -> None:
        if isinstance(source, Parts):
            raise TypeError("a remote store loads one source at a time (concurrent_parts is 1)")
        if isinstance(source, Path):
            media_type = media_type or media_type_for_path(source)
            opener = gzip.open if source.suffix == ".gz" else open
            with opener(source, "rb") as fh:  # type: ignore[operator]
                self._put(method, graph, iter(lambda: fh.read(_CHUNK), b""), media_type)
        elif isinstance(source, bytes | bytearray):
            if media_type is None:
                raise ValueError("media_type is required when loading bytes")
            self._put(method, graph, bytes(source), media_type)
        else:
            self._put(method, graph, _ntriples_chunks(source), "application/n-triples")

    def _put(self, method: str, graph: str | None, body: bytes | Iterator[bytes], media_type: str) -> None:
        response = self._request(
            method,
            self.graph_url,
            params={"graph": graph} if graph else {"default": ""},
            data=body,
            headers={"Content-Type": media_type},
            timeout=max(self._timeout, 600.0),
        )
        self._check(response, "load").close()

    # -- SPARQL ------------------------------------------------------------------------------------------------
    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        union_default_graph: bool = False,
        result_media_type: str | None = None,
        timeout_s: float | None = None,
    ) -> QueryResult:
        if union_default_graph and default_graphs is None:
            if named_graphs is None:
                named_graphs = self.graphs()
            default_graphs = named_graphs
        form: list[tuple[str, str]] = [("query", sparql)]
        form += [("default-graph-uri", g) for g in default_graphs or ()]
        form += [("named-graph-uri", g) for g in named_graphs or ()]
        accept = result_media_type or "application/sparql-results+json, application/n-triples;q=0.9"
        response = self._check(
            self._request(
                "POST",
                self.query_url,
                data=form,
                headers={"Accept": accept},
                stream=True,
                timeout=timeout_s or self._timeout,
            ),
            "query",
        )
        media = response.headers.get("Content-Type", accept).split(";")[0].strip()
        kind: QueryKind = "construct" if media in _RDF_ACCEPT else query_form(sparql)  # type: ignore[assignment]
        return QueryResult(kind=kind, media_type=media, chunks=_stream(response))

    def evaluate(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        union_default_graph: bool = False,
        base_iri: str | None = None,
        timeout_s: float | None = None,
    ) -> RawAnswer:
        if base_iri is not None and not _BASE.match(sparql):
            sparql = f"BASE <{base_iri}>\n{sparql}"
        result = self.query(
            sparql,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            union_default_graph=union_default_graph,
            result_media_type=_RAW_ACCEPT,
            timeout_s=timeout_s,
        )
        stream = _ChunkReader(result.chunks)
        if result.media_type in _RESULTS_PARSE:
            return ox.parse_query_results(stream, _RESULTS_PARSE[result.media_type])
        return ox.parse(stream, rdf_format(result.media_type))  # type: ignore[return-value]

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        if base_iri is not None and not _BASE.match(sparql):
            sparql = f"BASE <{base_iri}>\n{sparql}"
        response = self._request("POST", self.update_url, data={"update": sparql})
        self._check(response, "update").close()


class _ChunkReader(io.RawIOBase):
    """A readable binary file over an iterator of byte chunks (a streamed HTTP body), for pyoxigraph parsers."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


_RAW_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
_RESULTS_PARSE = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_BASE = re.compile(r"\s*BASE\b", re.IGNORECASE)


def _stream(response: requests.Response) -> Iterator[bytes]:
    with response:
        yield from response.iter_content(_CHUNK)


def _ntriples_chunks(triples: Iterable[ox.Triple]) -> Iterator[bytes]:
    batch: list[str] = []
    for t in triples:
        batch.append(f"{t} .\n")
        if len(batch) >= 5000:
            yield "".join(batch).encode()
            batch.clear()
    if batch:
        yield "".join(batch).encode()


def _staging_age(iri: str) -> float:
    """Seconds since a staging graph was created; IRIs without a readable time count as infinitely old."""
    stamp = iri[len(STAGING_PREFIX) :].split("-", 1)[0]
    return time.time() - int(stamp) if stamp.isdigit() else float("inf")
