"""The protocol service: handles incoming DSP messages (both roles), sends ours, and decides the next step.

Incoming messages are checked and applied under a per-process lock (concurrent messages for one process are
serialized; across processes the repository's version check does the same), then acknowledged; the follow-up
(offer, agreement, start, ...) is sent afterwards by :meth:`DspService.react`, which the HTTP layer runs in the
background once the reply is out. Our own messages change the local state before they are sent (so a fast answer
from the peer finds the new state) and terminate the process locally when the peer cannot be told.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from connector import events
from connector.config import DspPolicy, Settings
from connector.dsp import messages as m
from connector.dsp.catalog import Catalog, Entry
from connector.dsp.client import DspClient, PeerError
from connector.dsp.identity import CallbackRefused, IdentityError, Participants
from connector.dsp.policies import RequestFacts, declared_purposes, evaluate, permission
from connector.dsp.repository import Agreement, ConcurrentUpdate, DspRepository, DuplicateProcess, Process
from connector.dsp.states import (
    Event,
    Kind,
    NegotiationState,
    Role,
    TransferState,
    TransitionError,
    is_terminal,
    next_state,
)
from connector.dsp.tokens import issue

log = logging.getLogger("connector.dsp")


class DspError(Exception):
    """A protocol error to answer with a typed DSP error body (ContractNegotiationError, TransferError, ...)."""

    def __init__(self, status: int, reasons: list[str] | str, consumer_pid: str = "", provider_pid: str = "") -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else reasons
        super().__init__("; ".join(self.reasons))
        self.status, self.code = status, str(status)
        self.consumer_pid, self.provider_pid = consumer_pid or "", provider_pid or ""


class Action(StrEnum):
    """Steps this side can take on its own initiative."""

    OFFER = "offer"
    AGREE = "agree"
    FINALIZE = "finalize"
    ACCEPT = "accept"
    COUNTER_OFFER = "counter-offer"
    VERIFY = "verify"
    TERMINATE = "terminate"
    START = "start"
    COMPLETE = "complete"
    SUSPEND = "suspend"
    IDLE = "idle"


Script = Callable[[Process], Action | None]
"""Scripted behaviour (TCK mode): the action for a process, IDLE to wait, None for the default."""

_EVENT = {
    Action.OFFER: Event.OFFER,
    Action.AGREE: Event.AGREE,
    Action.FINALIZE: Event.FINALIZE,
    Action.ACCEPT: Event.ACCEPT,
    Action.COUNTER_OFFER: Event.REQUEST,
    Action.VERIFY: Event.VERIFY,
    Action.TERMINATE: Event.TERMINATE,
    Action.START: Event.START,
    Action.COMPLETE: Event.COMPLETE,
    Action.SUSPEND: Event.SUSPEND,
}

_SUFFIX = {
    (Kind.NEGOTIATION, Action.OFFER): "offers",
    (Kind.NEGOTIATION, Action.AGREE): "agreement",
    (Kind.NEGOTIATION, Action.FINALIZE): "events",
    (Kind.NEGOTIATION, Action.ACCEPT): "events",
    (Kind.NEGOTIATION, Action.COUNTER_OFFER): "request",
    (Kind.NEGOTIATION, Action.VERIFY): "agreement/verification",
    (Kind.NEGOTIATION, Action.TERMINATE): "termination",
    (Kind.TRANSFER, Action.START): "start",
    (Kind.TRANSFER, Action.COMPLETE): "completion",
    (Kind.TRANSFER, Action.SUSPEND): "suspension",
    (Kind.TRANSFER, Action.TERMINATE): "termination",
}


_EVENT_OF: dict[type, Event] = {
    m.ContractRequestMessage: Event.REQUEST,
    m.ContractOfferMessage: Event.OFFER,
    m.ContractAgreementMessage: Event.AGREE,
    m.ContractAgreementVerificationMessage: Event.VERIFY,
    m.ContractNegotiationEventMessage: Event.ACCEPT,  # or FINALIZE, by eventType
    m.ContractNegotiationTerminationMessage: Event.TERMINATE,
    m.TransferStartMessage: Event.START,
    m.TransferCompletionMessage: Event.COMPLETE,
    m.TransferSuspensionMessage: Event.SUSPEND,
    m.TransferTerminationMessage: Event.TERMINATE,
}
"""The state-machine event of each message a peer may send on an existing process."""


def new_pid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Incoming:
    """An incoming message on an existing process, reduced to what the state machine needs."""

    kind: Kind
    local_pid: str
    event: Event
    provider_pid: str
    consumer_pid: str
    digest: str
    """Hash of the raw body: the same message sent again is acknowledged without a second transition."""


class DspService:
    def __init__(
        self,
        settings: Settings,
        repo: DspRepository,
        catalog: Catalog,
        participants: Participants,
        client: DspClient,
        graphs_of_dataset: Callable[[str], frozenset[str]],
        script: Script | None = None,
        tck_mode: bool = False,
    ) -> None:
        self.settings = settings
        self.repo, self.catalog, self.participants, self.client = repo, catalog, participants, client
        self.graphs_of_dataset = graphs_of_dataset
        self.script, self.tck_mode = script, tck_mode
        self.participant_id = settings.participant_id
        self.dsp_url = settings.base_url + m.DSP_PATH
        self._locks: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()

    def _lock(self, pid: str) -> Any:
        """The lock of one process (one per pid, so a process never waits for an unrelated one)."""
        with self._locks_guard:
            lock = self._locks.get(pid)
            if lock is None:
                lock = self._locks[pid] = threading.RLock()
            return lock

    def identify(self, authorization: str | None) -> str:
        """The calling participant (:class:`IdentityError` if unknown). In TCK mode an unknown or missing credential
        is the TCK, whatever header value its configuration replays."""
        try:
            return self.participants.identify(authorization)
        except IdentityError:
            if self.tck_mode:
                return self.settings.dsp_tck_participant
            raise

    # -- reading -------------------------------------------------------------------------------------------------------
    def process_for(self, kind: Kind, local_pid: str, participant: str) -> Process:
        """The process with this local pid if it belongs to ``participant``, else 404 (whether or not it exists)."""
        p = self.repo.get(kind, local_pid)
        if p is None or p.counterparty_id != participant:
            raise DspError(404, f"no {kind.value} {local_pid}")
        return p

    @staticmethod
    def ack(p: Process) -> dict[str, Any]:
        cls = m.ContractNegotiation if p.kind is Kind.NEGOTIATION else m.TransferProcess
        return cls(providerPid=p.provider_pid or "", consumerPid=p.consumer_pid or "", state=p.state).dump()

    # -- provider: contract requests -----------------------------------------------------------------------------------
    def _check_offer(self, participant: str, offer: m.Policy, pids: tuple[str, str]) -> tuple[Entry, DspPolicy]:
        found = self.catalog.find_offer(offer.id)
        if found is None:
            raise DspError(400, f"unknown offer {offer.id}: request one of the catalog's offers", *pids)
        entry, policy = found
        if offer.target is not None and offer.target not in (entry.id, entry.key):
            raise DspError(400, f"offer {offer.id} is for dataset {entry.id}, not {offer.target}", *pids)
        peer = self.participants.get(participant)
        facts = RequestFacts(
            participant, bool(peer and peer.member), declared_purposes(offer.permission), datetime.now(UTC)
        )
        reasons = evaluate(policy, facts)
        if reasons:
            raise DspError(403, reasons, *pids)
        return entry, policy

    def negotiation_requested(self, participant: str, msg: m.ContractRequestMessage) -> tuple[Process, bool]:
        """Initial ContractRequestMessage: a new provider process in REQUESTED (or the existing one on a retry)."""
        pids = (msg.consumerPid, "")
        existing = self.repo.find_by_remote(Kind.NEGOTIATION, Role.PROVIDER, participant, msg.consumerPid)
        if existing is not None:
            return existing, False
        try:
            callback = self.participants.check_callback(participant, msg.callbackAddress or "")
        except CallbackRefused as exc:
            raise DspError(400, str(exc), *pids) from None
        entry, policy = self._check_offer(participant, msg.offer, pids)
        pid = new_pid()
        p = Process(
            Kind.NEGOTIATION,
            Role.PROVIDER,
            pid,
            pid,
            msg.consumerPid,
            participant,
            callback,
            next_state(Kind.NEGOTIATION, None, Event.REQUEST, Role.CONSUMER),
            {
                "dataset": entry.key,
                "target": entry.id,
                "policy": policy.id,
                "offer": msg.offer.dump(),
                "purposes": sorted(declared_purposes(msg.offer.permission) or []),
                "requests": 1,
            },
        )
        return self._insert_new(p)

    def _insert_new(self, p: Process) -> tuple[Process, bool]:
        """Store a process opened by a peer's initial message; a concurrent twin of that message gets the first."""
        try:
            self.repo.insert(p)
        except DuplicateProcess:
            existing = self.repo.find_by_remote(p.kind, p.role, p.counterparty_id, p.remote_pid or "")
            if existing is None:
                raise
            return existing, False
        return p, True

    # -- consumer: provider-initiated offers ---------------------------------------------------------------------------
    def offer_received(self, participant: str, msg: m.ContractOfferMessage) -> tuple[Process, bool]:
        """Initial ContractOfferMessage (provider-initiated): a new consumer process in OFFERED."""
        pids = ("", msg.providerPid)
        existing = self.repo.find_by_remote(Kind.NEGOTIATION, Role.CONSUMER, participant, msg.providerPid)
        if existing is not None:
            return existing, False
        try:
            callback = self.participants.check_callback(participant, msg.callbackAddress or "")
        except CallbackRefused as exc:
            raise DspError(400, str(exc), *pids) from None
        pid = new_pid()
        p = Process(
            Kind.NEGOTIATION,
            Role.CONSUMER,
            pid,
            msg.providerPid,
            pid,
            participant,
            callback,
            next_state(Kind.NEGOTIATION, None, Event.OFFER, Role.PROVIDER),
            {"dataset": msg.offer.target, "offer": msg.offer.dump(), "peer_address": True},
        )
        return self._insert_new(p)

    # -- provider: transfer requests -----------------------------------------------------------------------------------
    def transfer_requested(self, participant: str, msg: m.TransferRequestMessage) -> tuple[Process, bool]:
        pids = (msg.consumerPid, "")
        existing = self.repo.find_by_remote(Kind.TRANSFER, Role.PROVIDER, participant, msg.consumerPid)
        if existing is not None:
            return existing, False
        try:
            callback = self.participants.check_callback(participant, msg.callbackAddress)
        except CallbackRefused as exc:
            raise DspError(400, str(exc), *pids) from None
        agreement = self.repo.get_agreement(msg.agreementId)
        if agreement is None or agreement.consumer_id != participant or agreement.provider_id != self.participant_id:
            raise DspError(400, f"no agreement {msg.agreementId} between {participant} and this provider", *pids)
        if msg.format != m.PULL_FORMAT and not (self.tck_mode and msg.format == "HTTP-PULL"):
            raise DspError(400, f"unsupported format {msg.format!r}; supported: {m.PULL_FORMAT}", *pids)
        expired = _agreement_expired(agreement)
        if expired:
            raise DspError(403, expired, *pids)
        pid = new_pid()
        p = Process(
            Kind.TRANSFER,
            Role.PROVIDER,
            pid,
            pid,
            msg.consumerPid,
            participant,
            callback,
            next_state(Kind.TRANSFER, None, Event.REQUEST, Role.CONSUMER),
            {"agreement": agreement.id, "dataset": agreement.dataset_id, "format": msg.format},
        )
        return self._insert_new(p)

    # -- any role: a message on an existing process --------------------------------------------------------------------
    def handle(self, participant: str, local_pid: str, msg: m.Message, digest: str) -> Process:
        """Apply a peer's message on one of our processes (the path names ``local_pid``)."""
        event = _EVENT_OF.get(type(msg))
        if event is None:
            raise DspError(400, f"{msg.TYPE} is not accepted here")
        if isinstance(msg, m.ContractNegotiationEventMessage):
            event = Event.ACCEPT if msg.eventType == "ACCEPTED" else Event.FINALIZE
        kind = Kind.TRANSFER if msg.TYPE.startswith("Transfer") else Kind.NEGOTIATION
        consumer_pid = getattr(msg, "consumerPid", None) or ""
        provider_pid = getattr(msg, "providerPid", None) or ""
        incoming = Incoming(kind, local_pid, event, provider_pid, consumer_pid, digest)
        return self.receive(participant, incoming, lambda p: self._record(participant, msg, p))

    def _record(self, participant: str, msg: m.Message, p: Process) -> None:
        """Keep what a peer's message carries (offer, agreement, data address, reason) on the process."""
        pids = (p.consumer_pid or "", p.provider_pid or "")
        if isinstance(msg, m.ContractRequestMessage):  # a counter-offer: checked like an initial request
            entry, policy = self._check_offer(participant, msg.offer, pids)
            p.data.update(
                offer=msg.offer.dump(), dataset=entry.key, target=entry.id, policy=policy.id,
                purposes=sorted(declared_purposes(msg.offer.permission) or []), requests=p.data.get("requests", 1) + 1,
            )  # fmt: skip
        elif isinstance(msg, m.ContractOfferMessage):
            p.data["offer"] = msg.offer.dump()
        elif isinstance(msg, m.ContractAgreementMessage):
            if msg.agreement.assignee != self.participant_id and not self.tck_mode:
                raise DspError(400, f"the agreement's assignee must be {self.participant_id}", *pids)
            p.data["agreement"] = msg.agreement.dump()
        elif isinstance(msg, m.TransferStartMessage) and msg.dataAddress is not None:
            p.data["data_address"] = msg.dataAddress.model_dump(by_alias=True, exclude_none=True)
        elif isinstance(msg, m.ContractNegotiationTerminationMessage | m.TransferTerminationMessage):
            p.data["peer_reason"] = {"code": msg.code, "reason": msg.reason}

    def receive(self, participant: str, incoming: Incoming, apply: Callable[[Process], None]) -> Process:
        """Check and apply a peer's message to one of our processes; returns the updated process."""
        for _ in range(5):
            try:
                return self._receive_once(participant, incoming, apply)
            except ConcurrentUpdate:
                time.sleep(0.01)
        raise DspError(409, "the process is being changed concurrently; retry", incoming.consumer_pid)

    def _receive_once(self, participant: str, msg: Incoming, apply: Callable[[Process], None]) -> Process:
        pids = (msg.consumer_pid, msg.provider_pid)
        with self._lock(msg.local_pid):
            p = self.repo.get(msg.kind, msg.local_pid)
            if p is None or p.counterparty_id != participant:
                raise DspError(404, f"no {msg.kind.value} {msg.local_pid}", *pids)
            own_pid = msg.provider_pid if p.role is Role.PROVIDER else msg.consumer_pid
            peer_pid = msg.consumer_pid if p.role is Role.PROVIDER else msg.provider_pid
            if own_pid != p.local_pid:
                raise DspError(400, f"the message's {p.role.value}Pid does not match the path", *pids)
            if p.remote_pid is not None and peer_pid != p.remote_pid:
                raise DspError(400, f"the message's {p.role.other.value}Pid does not match the process", *pids)
            if p.data.get("last_in") == msg.digest:
                return p  # the same message again (a retry): acknowledged, applied once
            try:
                new = next_state(msg.kind, p.state, msg.event, p.role.other)
            except TransitionError as exc:
                raise DspError(400, str(exc), *pids) from None
            if p.role is Role.CONSUMER and p.provider_pid is None:
                p.provider_pid = msg.provider_pid
            old, p.state = p.state, new
            apply(p)
            p.data["last_in"] = msg.digest
            self.repo.save(p)
            self._after_change(p, old)
            return p

    def _after_change(self, p: Process, old: str) -> None:
        events.dsp_transition(
            p.kind.value, p.local_pid, p.state, participant=p.counterparty_id, previous=old, role=p.role.value
        )
        # Suspension needs no revocation: the resolver only honours tokens of STARTED transfers.
        if p.kind is Kind.TRANSFER and p.role is Role.PROVIDER and p.state in ("COMPLETED", "TERMINATED"):
            self.repo.revoke_tokens(p.local_pid)
        if p.kind is Kind.NEGOTIATION and p.state == NegotiationState.FINALIZED and "agreement" in p.data:
            a = p.data["agreement"]
            provider, consumer = (
                (self.participant_id, p.counterparty_id)
                if p.role is Role.PROVIDER
                else (p.counterparty_id, self.participant_id)
            )
            self.repo.put_agreement(
                Agreement(a["@id"], p.data.get("dataset") or a["target"], provider, consumer, a, time.time())
            )

    # -- our own steps -------------------------------------------------------------------------------------------------
    def decide(self, p: Process) -> Action | None:
        """What to do next on a process: the script's choice in TCK mode, else the production default."""
        if self.script is not None:
            scripted = self.script(p)
            if scripted is not None:
                return None if scripted is Action.IDLE else scripted
        if p.kind is Kind.NEGOTIATION and p.role is Role.PROVIDER:
            return {"REQUESTED": Action.AGREE, "ACCEPTED": Action.AGREE, "VERIFIED": Action.FINALIZE}.get(p.state)
        if p.kind is Kind.NEGOTIATION:
            return {"OFFERED": Action.ACCEPT, "AGREED": Action.VERIFY}.get(p.state)
        if p.role is Role.PROVIDER and p.state == TransferState.REQUESTED:
            return Action.START
        return None

    def react(self, kind: Kind, local_pid: str) -> None:
        """Take the next steps on a process until it waits for the peer (run after the reply was sent)."""
        for _ in range(10):
            p = self.repo.get(kind, local_pid)
            action = self.decide(p) if p else None
            if p is None or action is None:
                return
            try:
                self.act(p, action)
            except ConcurrentUpdate:
                continue  # another replica or message changed it meanwhile: read it again and decide anew
            except (TransitionError, PeerError, DspError) as exc:
                log.warning("%s %s: %s failed: %s", kind.value, local_pid, action.value, exc)
                return

    def resume_pending(self) -> int:
        """Take the next step of every open process that is waiting on us (e.g. the server stopped after
        acknowledging a message but before sending the follow-up); returns how many were resumed."""
        resumed = 0
        for kind in Kind:
            for p in self.repo.recent(kind, limit=100_000, open_only=True):
                if self.decide(p) is not None:
                    self.react(kind, p.local_pid)
                    resumed += 1
        return resumed

    def act(self, p: Process, action: Action, reason: str | None = None) -> Process:
        """Send one of our messages on ``p``: the state changes first, then the peer is told; if the peer cannot
        be told, the process is terminated locally (its state would otherwise diverge)."""
        event = _EVENT[action]
        with self._lock(p.local_pid):
            p = self.repo.get(p.kind, p.local_pid) or p
            new = next_state(p.kind, p.state, event, p.role)
            body = self._message(p, action, reason)
            old, p.state = p.state, new
            if action is Action.COUNTER_OFFER:
                p.data["requests"] = p.data.get("requests", 0) + 1
            if action is Action.SUSPEND:
                p.data["suspensions"] = p.data.get("suspensions", 0) + 1
            self.repo.save(p)
            self._after_change(p, old)
            url = f"{p.counterparty_address}/{'negotiations' if p.kind is Kind.NEGOTIATION else 'transfers'}/"
            url += f"{p.remote_pid}/{_SUFFIX[(p.kind, action)]}"
            try:
                self.client.post(url, body, p.counterparty_id, peer_address=p.data.get("peer_address", True))
            except PeerError as exc:
                events.dsp_callback_failed(p.kind.value, p.local_pid, url, str(exc))
                if action is not Action.TERMINATE:
                    self._fail(p, f"{action.value} could not be delivered: {exc}")
                raise
            return p

    def _fail(self, p: Process, reason: str) -> None:
        current = self.repo.get(p.kind, p.local_pid)
        if current is None or is_terminal(current.state):
            return
        old, current.state = current.state, "TERMINATED"
        current.data["error"] = reason
        self.repo.save(current)
        self._after_change(current, old)

    def _message(self, p: Process, action: Action, reason: str | None) -> dict[str, Any]:
        pids = {"providerPid": p.provider_pid or "", "consumerPid": p.consumer_pid or ""}
        if action is Action.OFFER:
            return m.ContractOfferMessage(**pids, offer=self._catalog_offer(p)).dump()
        if action is Action.AGREE:
            p.data["agreement"] = self._agreement(p)
            return m.ContractAgreementMessage(**pids, agreement=p.data["agreement"]).dump()
        if action in (Action.ACCEPT, Action.FINALIZE):
            event = "ACCEPTED" if action is Action.ACCEPT else "FINALIZED"
            return m.ContractNegotiationEventMessage(**pids, eventType=event).dump()
        if action is Action.COUNTER_OFFER:
            return m.ContractRequestMessage(**pids, offer=p.data["offer"]).dump()
        if action is Action.VERIFY:
            return m.ContractAgreementVerificationMessage(**pids).dump()
        if action is Action.START:
            return m.TransferStartMessage(**pids, dataAddress=self._data_address(p)).dump()
        if action is Action.COMPLETE:
            return m.TransferCompletionMessage(**pids).dump()
        extra = (
            {"code": "terminated" if action is Action.TERMINATE else "suspended", "reason": [reason]} if reason else {}
        )
        if action is Action.SUSPEND:
            return m.TransferSuspensionMessage(**pids, **extra).dump()
        cls = m.ContractNegotiationTerminationMessage if p.kind is Kind.NEGOTIATION else m.TransferTerminationMessage
        return cls(**pids, **extra).dump()

    def _catalog_offer(self, p: Process) -> dict[str, Any]:
        entry = self.catalog.find(p.data["dataset"])
        if entry is None:
            raise DspError(400, f"dataset {p.data['dataset']} is no longer offered")
        oid, policy = next(
            ((o, pol) for o, pol in self.catalog.offers(entry) if pol.id == p.data.get("policy")),
            self.catalog.offers(entry)[0],
        )
        rule = permission(policy, self.settings.base_iri)
        return {"@id": oid, "@type": "Offer", "target": entry.id, "permission": [rule]}

    def _agreement(self, p: Process) -> dict[str, Any]:
        entry = self.catalog.find(p.data["dataset"])
        policy = next((pol for pol in (entry.policies if entry else ()) if pol.id == p.data.get("policy")), None)
        rules = (
            [permission(policy, self.settings.base_iri, p.data.get("purposes") or None)]
            if policy
            else p.data["offer"].get("permission") or [{"action": "use"}]
        )
        return {
            "@id": new_pid(),
            "@type": "Agreement",
            "target": p.data.get("target") or p.data["dataset"],
            "assigner": self.participant_id,
            "assignee": p.counterparty_id,
            "timestamp": _now_iso(),
            "permission": rules,
        }

    def _data_address(self, p: Process) -> dict[str, Any]:
        token, expires = issue(
            self.repo, p.local_pid, p.data["agreement"], p.counterparty_id, self.settings.dsp_transfer_token_ttl_s
        )
        base = self.settings.base_url
        expires_iso = datetime.fromtimestamp(expires, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return {
            "@type": "DataAddress",
            "endpointType": m.HTTP_ENDPOINT_TYPE,
            "endpoint": f"{base}/sparql",
            "endpointProperties": [
                {"@type": "EndpointProperty", "name": "authorization", "value": token},
                {"@type": "EndpointProperty", "name": "authType", "value": "bearer"},
                {"@type": "EndpointProperty", "name": "expiresAt", "value": expires_iso},
                {"@type": "EndpointProperty", "name": "dumpEndpoint", "value": f"{base}/dsp/data/{p.data['dataset']}"},
                {"@type": "EndpointProperty", "name": "agreementId", "value": p.data["agreement"]},
            ],
        }

    # -- consumer: starting negotiations and transfers -----------------------------------------------------------------
    def request_negotiation(
        self, provider_url: str, provider_id: str, offer: dict[str, Any], *, peer_address: bool = False
    ) -> Process:
        """Send an initial ContractRequestMessage; the process is REQUESTED once the provider acknowledges."""
        pid = new_pid()
        p = Process(
            Kind.NEGOTIATION,
            Role.CONSUMER,
            pid,
            None,
            pid,
            provider_id,
            provider_url.rstrip("/"),
            NegotiationState.REQUESTED,
            {"dataset": offer.get("target"), "offer": offer, "peer_address": peer_address},
        )
        body = m.ContractRequestMessage(consumerPid=pid, offer=offer, callbackAddress=self.dsp_url).dump()
        return self._initiate(p, f"{p.counterparty_address}/negotiations/request", body)

    def request_transfer(
        self, provider_url: str, provider_id: str, agreement_id: str, fmt: str = m.PULL_FORMAT, *, peer_address=False
    ) -> Process:
        """Send a TransferRequestMessage for an agreement this connector holds as consumer."""
        agreement = self.repo.get_agreement(agreement_id)
        if agreement is None and not self.tck_mode:
            raise DspError(400, f"no agreement {agreement_id} is known here; negotiate first")
        if agreement is not None and agreement.provider_id != provider_id:
            raise DspError(400, f"agreement {agreement_id} is with {agreement.provider_id}, not {provider_id}")
        pid = new_pid()
        p = Process(
            Kind.TRANSFER,
            Role.CONSUMER,
            pid,
            None,
            pid,
            provider_id,
            provider_url.rstrip("/"),
            TransferState.REQUESTED,
            {"agreement": agreement_id, "format": fmt, "peer_address": peer_address},
        )
        body = m.TransferRequestMessage(
            consumerPid=pid, agreementId=agreement_id, format=fmt, callbackAddress=self.dsp_url
        ).dump()
        return self._initiate(p, f"{p.counterparty_address}/transfers/request", body)

    def _initiate(self, p: Process, url: str, body: dict[str, Any]) -> Process:
        self.repo.insert(p)
        try:
            reply = self.client.post(url, body, p.counterparty_id, peer_address=p.data["peer_address"])
        except PeerError as exc:
            self._fail(p, str(exc))
            detail = exc.body.get("reason") if isinstance(exc.body, dict) else None
            raise DspError(exc.status if 400 <= exc.status < 500 else 502, detail or str(exc), p.local_pid) from None
        provider_pid = reply.body.get("providerPid") if isinstance(reply.body, dict) else None
        if not isinstance(provider_pid, str) or not provider_pid:
            self._fail(p, "the provider's acknowledgement has no providerPid")
            raise DspError(502, "the provider's acknowledgement has no providerPid", p.local_pid)
        for _ in range(5):
            current = self.repo.get(p.kind, p.local_pid)
            if current is None or current.provider_pid:
                break
            current.provider_pid = provider_pid
            try:
                self.repo.save(current)
                break
            except ConcurrentUpdate:
                continue
        return self.repo.get(p.kind, p.local_pid) or p

    def wait(self, kind: Kind, local_pid: str, states: set[str], timeout_s: float) -> Process:
        """Poll until the process reaches one of ``states`` or a terminal state (or the timeout passes)."""
        deadline = time.monotonic() + timeout_s
        while True:
            p = self.repo.get(kind, local_pid)
            if p is None:
                raise DspError(404, f"no {kind.value} {local_pid}")
            if p.state in states or is_terminal(p.state) or time.monotonic() > deadline:
                return p
            time.sleep(0.01)


def _agreement_expired(agreement: Agreement) -> str | None:
    """A reason when a ``dateTime lteq`` constraint of the agreement has passed."""
    now = datetime.now(UTC)
    for rule in agreement.policy.get("permission") or []:
        for c in rule.get("constraint") or []:
            if str(c.get("leftOperand", "")).endswith("dateTime") and c.get("operator") in ("lt", "lteq"):
                try:
                    until = datetime.fromisoformat(str(c.get("rightOperand")).replace("Z", "+00:00"))
                except ValueError:
                    continue
                if (until if until.tzinfo else until.replace(tzinfo=UTC)) < now:
                    return f"agreement {agreement.id} expired on {c.get('rightOperand')}"
    return None
