"""Property-based fuzzing of the DSP endpoints: whatever the body, headers or path, the answer is never a 5xx and
every error is a typed DSP error object."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.api.app import create_app
from connector.config import load_settings
from connector.context import Context
from tests.dsp.harness import CONTEXT

TYPES = [
    "CatalogRequestMessage", "ContractRequestMessage", "ContractOfferMessage", "ContractAgreementMessage",
    "ContractAgreementVerificationMessage", "ContractNegotiationEventMessage", "ContractNegotiationTerminationMessage",
    "TransferRequestMessage", "TransferStartMessage", "TransferCompletionMessage", "TransferSuspensionMessage",
    "TransferTerminationMessage", "Offer", "Agreement", "Nonsense",
]  # fmt: skip
KEYS = [
    "@context", "@type", "@id", "providerPid", "consumerPid", "offer", "agreement", "callbackAddress", "eventType",
    "agreementId", "format", "dataAddress", "filter", "code", "reason", "target", "permission", "assigner", "assignee",
]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(TYPES + ["ACCEPTED", "FINALIZED", "HttpData-PULL", "CD123:ACN0101:456", "ACN0101", "ATP0101",
                             "http://127.0.0.1:1/cb", "urn:uuid:x", CONTEXT[0]]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=15,
)
messages = st.fixed_dictionaries(
    {"@context": st.one_of(st.just(CONTEXT), values), "@type": st.one_of(st.sampled_from(TYPES), values)},
    optional={k: values for k in KEYS[2:]},
)
PATHS = [
    "/catalog/request", "/negotiations/request", "/negotiations/offers", "/negotiations/{pid}/request",
    "/negotiations/{pid}/events", "/negotiations/{pid}/agreement/verification", "/negotiations/{pid}/termination",
    "/negotiations/{pid}/offers", "/negotiations/{pid}/agreement", "/transfers/request", "/transfers/{pid}/start",
    "/transfers/{pid}/completion", "/transfers/{pid}/suspension", "/transfers/{pid}/termination",
]  # fmt: skip
ERROR_TYPES = {"CatalogError", "ContractNegotiationError", "TransferError"}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    ctx = Context(
        load_settings(home=tmp_path_factory.mktemp("fuzz"), dsp_tck_mode=True, public_url="http://testserver")
    )
    with TestClient(create_app(ctx)) as c:
        yield c
    ctx.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(PATHS),
    pid=st.one_of(st.just("urn:uuid:unknown"), st.text(alphabet="abc:-_%.", min_size=1, max_size=12)),
    body=st.one_of(messages.map(json.dumps), values.map(json.dumps), st.binary(max_size=64).map(repr)),
    auth=st.sampled_from(["Bearer tck-token", "", "Bearer wrong", "Bearer a.b.c"]),
    content_type=st.sampled_from(["application/json", "application/ld+json", "text/plain", ""]),
)
def test_no_5xx_on_any_post(client: TestClient, path, pid, body, auth, content_type) -> None:
    headers = {k: v for k, v in (("Authorization", auth), ("Content-Type", content_type)) if v}
    r = client.post("/dsp/2025-1" + path.replace("{pid}", pid), content=body, headers=headers)
    assert r.status_code < 500, (r.status_code, r.text)
    if r.status_code >= 400 and r.status_code not in (404, 405):
        assert r.json()["@type"] in ERROR_TYPES, r.text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["negotiations", "transfers", "catalog/datasets"]), pid=st.text(min_size=1, max_size=30))
def test_no_5xx_on_any_get(client: TestClient, kind, pid) -> None:
    r = client.get(f"/dsp/2025-1/{kind}/{quote(pid, safe='')}", headers={"Authorization": "Bearer tck-token"})
    assert r.status_code < 500, (r.status_code, r.text)
