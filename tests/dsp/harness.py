"""Test harness for the DSP tests: official JSON Schema validation, in-thread uvicorn servers, and a counter-party.

The counter-party plays the Eclipse TCK's side: it records every DSP message the connector under test (CUT) sends
to it (validating each against the official 2025-1 schema of its ``@type``), acknowledges it, and answers the
consumer-side requests (``/negotiations/request``, ``/transfers/request``) like the TCK's provider does.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import requests
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pyld import jsonld
from referencing import Registry, Resource

from tests.servers import free_port

SPEC = Path(__file__).parent / "spec"
DCAT = "http://www.w3.org/ns/dcat#"
CONTEXT = ["https://w3id.org/dspace/2025/1/context.jsonld"]
SCHEMA_OF_TYPE = {
    "Catalog": "catalog/catalog-schema.json",
    "Dataset": "catalog/dataset-schema.json",
    "CatalogError": "catalog/catalog-error-schema.json",
    "CatalogRequestMessage": "catalog/catalog-request-message-schema.json",
    "ContractRequestMessage": "negotiation/contract-request-message-schema.json",
    "ContractOfferMessage": "negotiation/contract-offer-message-schema.json",
    "ContractAgreementMessage": "negotiation/contract-agreement-message-schema.json",
    "ContractAgreementVerificationMessage": "negotiation/contract-agreement-verification-message-schema.json",
    "ContractNegotiationEventMessage": "negotiation/contract-negotiation-event-message-schema.json",
    "ContractNegotiationTerminationMessage": "negotiation/contract-negotiation-termination-message-schema.json",
    "ContractNegotiation": "negotiation/contract-negotiation-schema.json",
    "ContractNegotiationError": "negotiation/contract-negotiation-error-schema.json",
    "TransferRequestMessage": "transfer/transfer-request-message-schema.json",
    "TransferStartMessage": "transfer/transfer-start-message-schema.json",
    "TransferCompletionMessage": "transfer/transfer-completion-message-schema.json",
    "TransferSuspensionMessage": "transfer/transfer-suspension-message-schema.json",
    "TransferTerminationMessage": "transfer/transfer-termination-message-schema.json",
    "TransferProcess": "transfer/transfer-process-schema.json",
    "TransferError": "transfer/transfer-error-schema.json",
}


def load_schema(path: Path) -> dict[str, Any]:
    """A schema as published, except one errata: ``#definitions/…`` refs lack the JSON-pointer slash."""
    return json.loads(path.read_text().replace("json#definitions/", "json#/definitions/"))


def _registry() -> Registry:
    resources = []
    for path in SPEC.rglob("*-schema.json"):
        schema = load_schema(path)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()
_VALIDATORS: dict[str, Any] = {}
CONTEXTS = {
    "https://w3id.org/dspace/2025/1/context.jsonld": SPEC / "context" / "dspace.jsonld",
    "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": SPEC / "context" / "odrl.jsonld",
}
DSPACE = "https://w3id.org/dspace/2025/1/"


def _offline_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    """Like the TCK's loader: only the two DSP 2025-1 contexts exist; any other remote context is an error."""
    if url not in CONTEXTS:
        raise jsonld.JsonLdError(
            f"unknown remote context {url}", "jsonld.LoadDocumentError", code="loading document failed"
        )
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(CONTEXTS[url].read_text())}


def expand(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON-LD expansion with the official contexts, offline (what the TCK does to every response)."""
    return jsonld.expand(obj, {"documentLoader": _offline_loader})


def validate(obj: Any) -> None:
    """Validate a DSP object against the official schema of its ``@type`` (AssertionError if it has no known type)."""
    assert isinstance(obj, dict) and isinstance(obj.get("@type"), str), f"not a typed DSP object: {obj!r}"
    kind = obj["@type"]
    assert kind in SCHEMA_OF_TYPE, f"unknown @type {kind}"
    if kind not in _VALIDATORS:
        schema = load_schema(SPEC / SCHEMA_OF_TYPE[kind])
        _VALIDATORS[kind] = jsonschema.Draft201909Validator(schema, registry=REGISTRY)
    _VALIDATORS[kind].validate(obj)
    (node,) = expand(obj)
    assert node["@type"] == [(DCAT if kind in ("Catalog", "Dataset") else DSPACE) + kind]
    for pid in ("providerPid", "consumerPid"):
        if obj.get(pid) and not kind.endswith("Error"):
            assert node[DSPACE + pid] == [{"@id": obj[pid]}], node
    if "state" in obj:
        assert node[DSPACE + "state"] == [{"@id": DSPACE + obj["state"]}], node


def validate_version(obj: Any) -> None:
    schema = load_schema(SPEC / "common/protocol-version-schema.json")
    jsonschema.Draft201909Validator(schema, registry=REGISTRY).validate(obj)


@contextmanager
def serve_app(app: Any, port: int | None = None) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on a free loopback port; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@dataclass
class Received:
    path: str
    body: dict[str, Any]


@dataclass
class CounterParty:
    """The TCK's side: records what the CUT sends; answers initial requests like a provider."""

    received: list[Received] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    errors: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["POST"])
        async def record(path: str, request: Request) -> JSONResponse:
            body = await request.json()
            try:
                validate(body)
            except Exception as exc:  # recorded, asserted by the tests
                self.errors.append(f"{path}: {exc}")
            with self.cond:
                self.received.append(Received("/" + path, body))
                self.cond.notify_all()
            if path == "negotiations/request":
                ack = {"@context": CONTEXT, "@type": "ContractNegotiation", "providerPid": new_pid(),
                       "consumerPid": body.get("consumerPid"), "state": "REQUESTED"}  # fmt: skip
                return JSONResponse(ack, status_code=200)  # the TCK answers 200, not 201
            if path == "transfers/request":
                ack = {"@context": CONTEXT, "@type": "TransferProcess", "providerPid": new_pid(),
                       "consumerPid": body.get("consumerPid"), "state": "REQUESTED"}  # fmt: skip
                return JSONResponse(ack, status_code=200)
            return JSONResponse({}, status_code=200)

        return app

    def wait(self, type_: str, path_part: str = "", timeout: float = 5.0, after: int = 0) -> Received:
        """The first message of ``type_`` (received at index >= after) whose path contains ``path_part``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for msg in self.received[after:]:
                    if msg.body.get("@type") == type_ and path_part in msg.path:
                        return msg
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(r.path, r.body.get("@type")) for r in self.received]
                    raise AssertionError(f"no {type_} at *{path_part}* within {timeout} s; received {seen}")
                self.cond.wait(remaining)

    def count(self) -> int:
        with self.cond:
            return len(self.received)


def new_pid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


class Peer:
    """Sends TCK-style messages (compact 2025-1 JSON-LD with a random top-level @id) to the CUT."""

    def __init__(self, base: str, token: str = "tck-token") -> None:
        self.base = base
        self.dsp = f"{base}/dsp/2025-1"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, type_: str, **fields: Any) -> requests.Response:
        body = {"@context": CONTEXT, "@id": new_pid(), "@type": type_, **fields}
        return requests.post(self.dsp + path, data=json.dumps(body), headers=self.headers, timeout=10)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.dsp + path, headers=self.headers, timeout=10)

    def state(self, kind: str, pid: str, expected: str, timeout: float = 5.0) -> None:
        """Poll the CUT's process until it is in ``expected`` (the TCK polls the same way)."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.get(f"/{kind}/{pid}")
            assert r.status_code == 200, r.text
            validate(r.json())
            if r.json()["state"] == expected or time.monotonic() > deadline:
                assert r.json()["state"] == expected, r.json()
                return
            time.sleep(0.02)


def assert_error(r: requests.Response, type_: str) -> None:
    """The TCK's rule for an expected failure: 4xx but not 404, with a typed error body."""
    assert 400 <= r.status_code < 500 and r.status_code != 404, (r.status_code, r.text)
    validate(r.json())
    assert r.json()["@type"] == type_
