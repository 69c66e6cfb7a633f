"""DSP 2025-1 messages as pydantic models, in the compact JSON-LD form of the official context.

Incoming bodies are parsed as compact JSON (the spec allows plain-JSON processing): the ``@context`` array must hold
the 2025-1 context, ``@type`` picks the model, unknown properties are kept (peers and the TCK add a top-level ``@id``).
Every failure becomes a :class:`MessageError` whose reason names the offending field.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DSP_PATH = "/dsp/2025-1"
"""Where this connector serves the 2025-1 HTTPS binding, under its public URL."""
CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
CONTEXT_LIST = [CONTEXT]
HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP"
PULL_FORMAT = "HttpData-PULL"


class MessageError(ValueError):
    """The body is not an acceptable DSP message; ``reasons`` say why (one per problem)."""

    def __init__(self, reasons: list[str], consumer_pid: str = "", provider_pid: str = "") -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.consumer_pid, self.provider_pid = consumer_pid, provider_pid


M = TypeVar("M", bound="Message")
Pid = Field(..., min_length=1, max_length=512)


class Message(BaseModel):
    """Common shape: ``@context`` containing the 2025-1 context, a ``@type``, anything else tolerated."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)
    TYPE: ClassVar[str] = ""

    context: list[str] = Field(default_factory=lambda: list(CONTEXT_LIST), alias="@context")
    type: str = Field(alias="@type")

    @field_validator("context", mode="before")
    @classmethod
    def _context(cls, value: Any) -> Any:
        if not isinstance(value, list) or CONTEXT not in value:
            raise ValueError(f"@context must be an array containing {CONTEXT}")
        return value

    def dump(self) -> dict[str, Any]:
        """The compact JSON-LD object to send (aliases, no empty fields)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def _rules_ok(value: Any) -> Any:
    if value is None:
        return value
    if not isinstance(value, list) or not value or not all(isinstance(r, dict) and "action" in r for r in value):
        raise ValueError("rules must be a non-empty array of objects with an 'action'")
    return value


class Policy(BaseModel):
    """An ODRL Offer or Agreement; rules are kept as the JSON the peer sent (evaluation reads them)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    id: str = Field(alias="@id", min_length=1, max_length=1024)
    type: Literal["Offer", "Agreement"] = Field("Offer", alias="@type")
    target: str | None = None
    assigner: str | None = None
    assignee: str | None = None
    timestamp: str | None = None
    permission: list[dict[str, Any]] | None = None
    prohibition: list[dict[str, Any]] | None = None
    obligation: list[dict[str, Any]] | None = None

    @field_validator("permission", "prohibition", "obligation")
    @classmethod
    def _rules(cls, value: Any) -> Any:
        return _rules_ok(value)

    @model_validator(mode="after")
    def _has_rules(self) -> Policy:
        if self.permission is None and self.prohibition is None:
            raise ValueError("a policy needs 'permission' or 'prohibition'")
        return self

    def dump(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class CatalogRequestMessage(Message):
    TYPE: ClassVar[str] = "CatalogRequestMessage"
    type: Literal["CatalogRequestMessage"] = Field("CatalogRequestMessage", alias="@type")
    filter: list[Any] = Field(default_factory=list)


class ContractRequestMessage(Message):
    TYPE: ClassVar[str] = "ContractRequestMessage"
    type: Literal["ContractRequestMessage"] = Field("ContractRequestMessage", alias="@type")
    consumerPid: str = Pid
    providerPid: str | None = Field(None, min_length=1, max_length=512)
    offer: Policy
    callbackAddress: str | None = Field(None, min_length=1, max_length=2048)

    @model_validator(mode="after")
    def _one_of(self) -> ContractRequestMessage:
        # offer.target is optional here (as in the schema): the offer id names the dataset.
        if (self.callbackAddress is None) == (self.providerPid is None):
            raise ValueError("exactly one of 'callbackAddress' (initial request) or 'providerPid' (counter-offer)")
        return self


class ContractOfferMessage(Message):
    TYPE: ClassVar[str] = "ContractOfferMessage"
    type: Literal["ContractOfferMessage"] = Field("ContractOfferMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str | None = Field(None, min_length=1, max_length=512)
    offer: Policy
    callbackAddress: str | None = Field(None, min_length=1, max_length=2048)

    @model_validator(mode="after")
    def _one_of(self) -> ContractOfferMessage:
        if (self.callbackAddress is None) == (self.consumerPid is None):
            raise ValueError("exactly one of 'callbackAddress' (initial offer) or 'consumerPid'")
        if not self.offer.target:
            raise ValueError("offer.target (the dataset id) is required")
        return self


class ContractAgreementMessage(Message):
    TYPE: ClassVar[str] = "ContractAgreementMessage"
    type: Literal["ContractAgreementMessage"] = Field("ContractAgreementMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid
    agreement: Policy

    @model_validator(mode="after")
    def _agreement(self) -> ContractAgreementMessage:
        a = self.agreement
        if a.type != "Agreement" or not (a.target and a.assigner and a.assignee):
            raise ValueError("agreement must be an Agreement with target, assigner and assignee")
        return self


class ContractAgreementVerificationMessage(Message):
    TYPE: ClassVar[str] = "ContractAgreementVerificationMessage"
    type: Literal["ContractAgreementVerificationMessage"] = Field("ContractAgreementVerificationMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid


class ContractNegotiationEventMessage(Message):
    TYPE: ClassVar[str] = "ContractNegotiationEventMessage"
    type: Literal["ContractNegotiationEventMessage"] = Field("ContractNegotiationEventMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid
    eventType: Literal["ACCEPTED", "FINALIZED"]


class ContractNegotiationTerminationMessage(Message):
    TYPE: ClassVar[str] = "ContractNegotiationTerminationMessage"
    type: Literal["ContractNegotiationTerminationMessage"] = Field(
        "ContractNegotiationTerminationMessage", alias="@type"
    )
    providerPid: str = Pid
    consumerPid: str = Pid
    code: str | None = Field(None, max_length=256)
    reason: list[Any] | None = Field(None, min_length=1)


class ContractNegotiation(Message):
    TYPE: ClassVar[str] = "ContractNegotiation"
    type: Literal["ContractNegotiation"] = Field("ContractNegotiation", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid
    state: Literal["REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED", "TERMINATED"]


class EndpointProperty(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)
    type: Literal["EndpointProperty"] = Field("EndpointProperty", alias="@type")
    name: str = Field(..., min_length=1, max_length=256)
    value: str = Field(..., max_length=16_384)


class DataAddress(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)
    type: Literal["DataAddress"] = Field("DataAddress", alias="@type")
    endpointType: str = Field(..., min_length=1)
    endpoint: str | None = None
    endpointProperties: list[EndpointProperty] | None = Field(None, min_length=1)

    def property(self, name: str) -> str | None:
        """A property by name; EDC sends full IRIs (``…/ns/authorization``), so the local name also matches."""
        for prop in self.endpointProperties or []:
            if prop.name == name or prop.name.rsplit("/", 1)[-1].rsplit("#", 1)[-1] == name:
                return prop.value
        return None


class TransferRequestMessage(Message):
    TYPE: ClassVar[str] = "TransferRequestMessage"
    type: Literal["TransferRequestMessage"] = Field("TransferRequestMessage", alias="@type")
    consumerPid: str = Pid
    agreementId: str = Field(..., min_length=1, max_length=1024)
    format: str = Field(..., min_length=1, max_length=256)
    callbackAddress: str = Field(..., min_length=1, max_length=2048)
    dataAddress: DataAddress | None = None


class TransferStartMessage(Message):
    TYPE: ClassVar[str] = "TransferStartMessage"
    type: Literal["TransferStartMessage"] = Field("TransferStartMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid
    dataAddress: DataAddress | None = None


class TransferCompletionMessage(Message):
    TYPE: ClassVar[str] = "TransferCompletionMessage"
    type: Literal["TransferCompletionMessage"] = Field("TransferCompletionMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid


class TransferSuspensionMessage(Message):
    TYPE: ClassVar[str] = "TransferSuspensionMessage"
    type: Literal["TransferSuspensionMessage"] = Field("TransferSuspensionMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid
    code: str | None = Field(None, max_length=256)
    reason: list[Any] | None = Field(None, min_length=1)


class TransferTerminationMessage(Message):
    TYPE: ClassVar[str] = "TransferTerminationMessage"
    type: Literal["TransferTerminationMessage"] = Field("TransferTerminationMessage", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid
    code: str | None = Field(None, max_length=256)
    reason: list[Any] | None = Field(None, min_length=1)


class TransferProcess(Message):
    TYPE: ClassVar[str] = "TransferProcess"
    type: Literal["TransferProcess"] = Field("TransferProcess", alias="@type")
    providerPid: str = Pid
    consumerPid: str = Pid
    state: Literal["REQUESTED", "STARTED", "SUSPENDED", "COMPLETED", "TERMINATED"]


def error_body(kind: str, code: str, reasons: list[str], consumer_pid: str = "", provider_pid: str = "") -> dict:
    """A CatalogError, ContractNegotiationError or TransferError (``kind``); pids only for process errors."""
    body: dict[str, Any] = {"@context": CONTEXT_LIST, "@type": kind}
    if kind != "CatalogError":
        body["providerPid"] = provider_pid
        body["consumerPid"] = consumer_pid
    body["code"] = code
    body["reason"] = reasons or ["error"]
    return body


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body, or :class:`MessageError`."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise MessageError(["the body is not valid JSON"]) from None
    if not isinstance(value, dict):
        raise MessageError(["the body must be a JSON object"])
    return value


def parse(value: dict[str, Any], *models: type[M]) -> M:
    """Validate ``value`` as one of ``models`` (chosen by ``@type``), or raise :class:`MessageError`."""
    pids = {k: v for k in ("consumerPid", "providerPid") if isinstance(v := value.get(k), str)}
    if "@context" not in value:
        raise MessageError(
            [f"@context is required: [{CONTEXT!r}]"], pids.get("consumerPid", ""), pids.get("providerPid", "")
        )
    given = value.get("@type")
    model = next((m for m in models if given == m.TYPE), None)
    if model is None:
        expected = " or ".join(m.TYPE for m in models)
        raise MessageError(
            [f"@type must be {expected}, got {given!r}"], pids.get("consumerPid", ""), pids.get("providerPid", "")
        )
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        reasons = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            reasons.append(f"{loc}: {err['msg']}" if loc else err["msg"])
        raise MessageError(reasons, pids.get("consumerPid", ""), pids.get("providerPid", "")) from None
