"""The consumer's side of the catalog and the data plane: discover a provider, read its catalog, pick an offer,
query with a transfer token. (Negotiations and transfers themselves go through :class:`DspService`.)"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from connector.dsp.client import DspClient, PeerError
from connector.dsp.messages import CONTEXT_LIST, DataAddress
from connector.dsp.policies import PURPOSE
from connector.dsp.repository import Process
from connector.dsp.states import TransferState


@dataclass(frozen=True)
class Provider:
    base: str
    """The provider's DSP base URL (``<root><path>`` of its 2025-1 version entry)."""
    id: str | None
    """Its participant id (``serviceId`` of the version metadata), if it says."""


def discover(client: DspClient, url: str) -> Provider:
    """Find the 2025-1 binding of a connector from its root URL (or accept a DSP base URL as is)."""
    url = url.rstrip("/")
    try:
        reply = client.get(f"{url}/.well-known/dspace-version", None, peer_address=False)
    except PeerError as exc:
        raise PeerError(f"{url} does not publish /.well-known/dspace-version ({exc})") from None
    versions = reply.body.get("protocolVersions") if isinstance(reply.body, dict) else None
    for version in versions or []:
        if isinstance(version, dict) and version.get("version") == "2025-1" and version.get("binding") == "HTTPS":
            path = str(version.get("path", "")).rstrip("/")
            base = path if path.startswith("http") else f"{url}{path}"
            return Provider(base, version.get("serviceId"))
    raise PeerError(f"{url} does not speak DSP 2025-1 over HTTPS")


def catalog(client: DspClient, provider: Provider, max_pages: int = 100) -> dict[str, Any]:
    """The provider's whole catalog (pages followed through Link rel=next), datasets merged into one document."""
    body = {"@context": CONTEXT_LIST, "@type": "CatalogRequestMessage", "filter": []}
    url: str | None = f"{provider.base}/catalog/request"
    merged: dict[str, Any] | None = None
    for _ in range(max_pages):
        if url is None:
            break
        reply = client.post(url, body, provider.id, peer_address=False)
        if merged is None:
            merged = {**reply.body, "dataset": []}
        merged["dataset"].extend(reply.body.get("dataset", []))
        links = requests.utils.parse_header_links(reply.headers.get("Link", ""))
        url = next((link["url"] for link in links if link.get("rel") == "next"), None)
    return merged or {}


def dataset(client: DspClient, provider: Provider, dataset_id: str) -> dict[str, Any]:
    reply = client.get(
        f"{provider.base}/catalog/datasets/{quote(dataset_id, safe='')}", provider.id, peer_address=False
    )
    return reply.body


def choose_offer(dataset: dict[str, Any], offer_id: str | None, purpose: str | None) -> dict[str, Any]:
    """The offer to request: the given one (or the first), targeted at the dataset, its purpose narrowed."""
    offers = dataset.get("hasPolicy") or []
    chosen = next((o for o in offers if offer_id in (None, o.get("@id"))), None)
    if chosen is None:
        known = ", ".join(o.get("@id", "?") for o in offers)
        raise ValueError(f"dataset {dataset.get('@id')} has no offer {offer_id}; offers: {known}")
    offer = copy.deepcopy(chosen)
    offer["target"] = dataset["@id"]
    if purpose:
        for rule in offer.get("permission") or []:
            constraints = [c for c in rule.get("constraint") or [] if c.get("leftOperand") != PURPOSE]
            rule["constraint"] = [{"leftOperand": PURPOSE, "operator": "eq", "rightOperand": purpose}, *constraints]
    return offer


def query(transfer: Process, sparql: str, timeout_s: float = 60.0) -> requests.Response:
    """Run a SPARQL query on the provider's endpoint with the transfer's token."""
    if transfer.state != TransferState.STARTED or "data_address" not in transfer.data:
        raise PeerError(f"transfer {transfer.local_pid} is {transfer.state}; it must be STARTED with a data address")
    address = DataAddress.model_validate(transfer.data["data_address"])
    token = address.property("authorization")
    if not address.endpoint or not token:
        raise PeerError("the transfer's data address has no endpoint or token")
    return requests.post(
        address.endpoint,
        data={"query": sparql},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/sparql-results+json"},
        timeout=timeout_s,
        allow_redirects=False,
    )
