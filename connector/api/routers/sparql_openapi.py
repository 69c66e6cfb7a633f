"""The OpenAPI description of ``/sparql``, which is a plain ASGI endpoint (FastAPI documents only its own routes).

Written from the SPARQL 1.1 Protocol: GET with ``query``, POST as a form or as ``application/sparql-query``, the
``default-graph-uri`` / ``named-graph-uri`` parameters, the answer formats and the problem documents of errors.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from connector.api.problems import PROBLEM_JSON
from connector.sparql.negotiation import RDF_TYPES, RESULTS_TYPES
from connector.sparql.protocol import FORM, QUERY_TYPE

_GRAPHS = {"type": "array", "items": {"type": "string", "format": "iri"}}
_DATASET_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": _GRAPHS,
        "style": "form",
        "explode": True,
    }
    for name, description in (
        ("default-graph-uri", "Graphs whose merge is the default graph (overrides the query's FROM)."),
        ("named-graph-uri", "Graphs available as named graphs (overrides the query's FROM NAMED)."),
    )
]
_ANSWERS = {
    "200": {
        "description": "The answer (SELECT/ASK results or CONSTRUCT/DESCRIBE graph), in the format chosen from "
        "Accept. Headers X-SPARQL-Row-Cap and, for answers sent whole, X-SPARQL-Truncated say whether the row "
        "cap cut it.",
        "content": {media: {} for media in dict.fromkeys(RESULTS_TYPES + RDF_TYPES)},
    },
    "default": {
        "description": "A problem document: malformed query (400), graph outside the caller's scope (403), "
        "no acceptable format (406), query too large (413), unsupported content type (415), too many queries or "
        "timeout (503).",
        "content": {PROBLEM_JSON: {"schema": {"type": "object"}}},
    },
}
QUERY_OPERATIONS: dict[str, Any] = {
    "get": {
        "tags": ["sparql"],
        "summary": "SPARQL 1.1 query (GET); without a query, the SPARQL Service Description",
        "operationId": "sparql_query_get",
        "parameters": [
            {
                "name": "query",
                "in": "query",
                "required": False,
                "description": "The SPARQL 1.1 query (read-only; SERVICE refused).",
                "schema": {"type": "string"},
            },
            *_DATASET_PARAMETERS,
        ],
        "responses": _ANSWERS,
    },
    "post": {
        "tags": ["sparql"],
        "summary": "SPARQL 1.1 query (POST form or POST direct)",
        "operationId": "sparql_query_post",
        "parameters": _DATASET_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "default-graph-uri": _GRAPHS,
                            "named-graph-uri": _GRAPHS,
                        },
                        "required": ["query"],
                    }
                },
                QUERY_TYPE: {"schema": {"type": "string"}},
            },
        },
        "responses": _ANSWERS,
    },
}


def describe_query(app: FastAPI) -> None:
    """Add ``/sparql`` to the app's OpenAPI document (generated once, on first request, as FastAPI does)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema["paths"] = {"/sparql": QUERY_OPERATIONS, **schema["paths"]}
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
