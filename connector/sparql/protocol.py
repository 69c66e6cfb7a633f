"""SPARQL 1.1 Protocol request parsing: GET, POST form and POST direct, for queries and updates.

Works on plain values (method, URL parameters, content type, body bytes) so that it knows nothing of the web
framework; every mistake becomes a :class:`SparqlError` with a 4xx status and a message saying what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl

import pyoxigraph as ox

from connector.sparql.errors import SparqlError

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"


@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graphs: list[str] = field(default_factory=list)
    """``default-graph-uri`` parameters (they override the query's FROM clauses)."""
    named_graphs: list[str] = field(default_factory=list)
    """``named-graph-uri`` parameters (they override the query's FROM NAMED clauses)."""


@dataclass(frozen=True)
class UpdateRequest:
    update: str
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``(type/subtype, parameters)`` of a Content-Type header, lower-cased type and parameter names."""
    if not content_type:
        return "", {}
    main, *params = content_type.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), parsed


def _decode(body: bytes, what: str, charset: str = "utf-8") -> str:
    if charset.lower() not in ("utf-8", "utf8"):
        raise SparqlError(
            415, "Unsupported charset", f"the {what} must be sent in UTF-8 (charset={charset} is not accepted)"
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SparqlError(
            400, "Invalid UTF-8", f"the {what} is not valid UTF-8: {exc.reason} at byte {exc.start}"
        ) from None


def _params(raw: str | bytes, what: str) -> list[tuple[str, str]]:
    text = _decode(raw, what) if isinstance(raw, bytes) else raw
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise SparqlError(
            400, "Invalid UTF-8", f"the {what} contains percent-encoded bytes that are not UTF-8"
        ) from None


CACHED_QUERY_STRING_BYTES = 8192
"""URL query strings up to this size are decoded once and remembered (the 256 most recent): partners, dashboards and
the console send the same queries again, and percent-decoding a query costs more than the rest of its parsing."""


@lru_cache(maxsize=256)
def _cached_url_params(raw: bytes) -> tuple[tuple[str, str], ...]:
    return tuple(_params(raw, "URL query string"))


def _url_params(raw: str | bytes) -> list[tuple[str, str]]:
    if isinstance(raw, bytes) and len(raw) <= CACHED_QUERY_STRING_BYTES:
        return list(_cached_url_params(raw))
    return _params(raw, "URL query string")


def graph_iri(value: str, parameter: str) -> str:
    """Validate an absolute IRI given in a protocol parameter."""
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise SparqlError(400, "Bad graph IRI", f"{parameter}={value!r} is not an absolute IRI: {exc}") from None
    return value


def _single(params: list[tuple[str, str]], name: str, other: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise SparqlError(400, f"Several {name}s", f"send exactly one '{name}' parameter (got {len(values)})")
    if any(k == other for k, _ in params):
        raise SparqlError(
            400,
            f"Unexpected '{other}' parameter",
            f"this endpoint takes '{name}'; send '{other}' requests to the "
            + ("update endpoint /sparql/update" if other == "update" else "query endpoint /sparql"),
        )
    return values[0] if values else None


def _check_size(text: str, max_bytes: int, what: str) -> str:
    size = len(text.encode())
    if size > max_bytes:
        raise SparqlError(
            413, f"{what.capitalize()} too large", f"the {what} has {size} bytes; the limit is {max_bytes}"
        )
    return text


def parse_query_request(
    method: str, url_query: str | bytes, content_type: str | None, body: bytes, *, max_bytes: int
) -> QueryRequest | None:
    """The query of a protocol request, or None for a GET without parameters (the service description).

    ``url_query`` is the URL's query string, percent-encoded, as text or as the raw bytes of the request line."""
    url_params = _url_params(url_query)
    if method in ("GET", "HEAD"):
        if not url_params:
            return None
        params, query = url_params, _single(url_params, "query", "update")
    elif method == "POST":
        params, query = _posted(url_params, content_type, body, "query", QUERY_TYPE)
    else:
        raise SparqlError(405, "Method Not Allowed", "query with GET or POST", headers={"Allow": "GET, POST"})
    if query is None or not query.strip():
        raise SparqlError(400, "Missing query", "send the SPARQL query in the 'query' parameter")
    return QueryRequest(
        query=_check_size(query, max_bytes, "query"),
        default_graphs=[graph_iri(v, k) for k, v in params if k == "default-graph-uri"],
        named_graphs=[graph_iri(v, k) for k, v in params if k == "named-graph-uri"],
    )


def _posted(
    url_params: list[tuple[str, str]], content_type: str | None, body: bytes, name: str, direct_type: str
) -> tuple[list[tuple[str, str]], str | None]:
    """The parameters and the operation text (``name``: query or update) of a POST, form-encoded or direct."""
    other, article, plural = ("update", "a", "queries") if name == "query" else ("query", "an", "updates")
    kind, options = media_type(content_type)
    if kind == FORM:
        params = url_params + _params(body, "form body")
        return params, _single(params, name, other)
    if kind == direct_type:
        _single(url_params, name, other)
        if any(k == name for k, _ in url_params):
            raise SparqlError(
                400,
                f"Two {plural}",
                f"a direct POST carries the {name} in its body, not in ?{name}=",
            )
        return url_params, _decode(body, name, options.get("charset", "utf-8"))
    if not kind:
        raise SparqlError(
            400,
            "Missing Content-Type",
            f"POST {article} {name} as {FORM} ({name}=...) or as {direct_type} (the {name} text)",
        )
    raise SparqlError(
        415,
        "Unsupported Media Type",
        f"POST {plural} as {FORM} or {direct_type}, not {kind}",
    )


def parse_update_request(
    method: str, url_query: str, content_type: str | None, body: bytes, *, max_bytes: int
) -> UpdateRequest:
    """The update of a protocol request (POST form or POST direct only)."""
    if method != "POST":
        raise SparqlError(405, "Method Not Allowed", "send updates with POST", headers={"Allow": "POST"})
    params, update = _posted(_url_params(url_query), content_type, body, "update", UPDATE_TYPE)
    if update is None or not update.strip():
        raise SparqlError(400, "Missing update", "send the SPARQL update in the 'update' parameter")
    return UpdateRequest(
        update=_check_size(update, max_bytes, "update"),
        using_graphs=[graph_iri(v, k) for k, v in params if k == "using-graph-uri"],
        using_named_graphs=[graph_iri(v, k) for k, v in params if k == "using-named-graph-uri"],
    )
