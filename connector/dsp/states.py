"""Negotiation and transfer state machines of DSP 2025-1 as pure functions: (state, event, sender) -> new state.

One table per protocol serves both roles and both directions: the HTTP handlers check a message a peer sent, the
outbound actions check the message we are about to send. A transition the table does not hold is a
:class:`TransitionError` (HTTP 400 with a typed error).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PROVIDER = "provider"
    CONSUMER = "consumer"

    @property
    def other(self) -> Role:
        return Role.CONSUMER if self is Role.PROVIDER else Role.PROVIDER


class Kind(StrEnum):
    NEGOTIATION = "negotiation"
    TRANSFER = "transfer"


class NegotiationState(StrEnum):
    REQUESTED = "REQUESTED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    AGREED = "AGREED"
    VERIFIED = "VERIFIED"
    FINALIZED = "FINALIZED"
    TERMINATED = "TERMINATED"


class TransferState(StrEnum):
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


class Event(StrEnum):
    """What a message does, independent of its wire name."""

    REQUEST = "request"  # ContractRequestMessage (initial or counter-offer)
    OFFER = "offer"  # ContractOfferMessage
    ACCEPT = "accept"  # ContractNegotiationEventMessage ACCEPTED
    AGREE = "agree"  # ContractAgreementMessage
    VERIFY = "verify"  # ContractAgreementVerificationMessage
    FINALIZE = "finalize"  # ContractNegotiationEventMessage FINALIZED
    TERMINATE = "terminate"  # *TerminationMessage
    START = "start"  # TransferStartMessage (start or resume)
    COMPLETE = "complete"  # TransferCompletionMessage
    SUSPEND = "suspend"  # TransferSuspensionMessage
    # Transfer requests reuse REQUEST.


class TransitionError(Exception):
    """The event is not allowed in this state from this sender."""

    def __init__(self, state: str | None, event: Event, sender: Role) -> None:
        where = state or "no process"
        super().__init__(f"{event.value} from the {sender.value} is not allowed in state {where}")
        self.state, self.event, self.sender = state, event, sender


N, T = NegotiationState, TransferState
P, C = Role.PROVIDER, Role.CONSUMER
BOTH = (P, C)

NEGOTIATION: dict[tuple[str | None, Event, Role], NegotiationState] = {
    (None, Event.REQUEST, C): N.REQUESTED,
    (None, Event.OFFER, P): N.OFFERED,
    (N.REQUESTED, Event.OFFER, P): N.OFFERED,
    (N.REQUESTED, Event.AGREE, P): N.AGREED,
    (N.OFFERED, Event.REQUEST, C): N.REQUESTED,
    (N.OFFERED, Event.OFFER, P): N.OFFERED,
    (N.OFFERED, Event.ACCEPT, C): N.ACCEPTED,
    (N.ACCEPTED, Event.AGREE, P): N.AGREED,
    (N.AGREED, Event.VERIFY, C): N.VERIFIED,
    (N.VERIFIED, Event.FINALIZE, P): N.FINALIZED,
    # Termination "MAY be sent at any state" that is not terminal, by either side.
    **{
        (s, Event.TERMINATE, r): N.TERMINATED
        for s in (N.REQUESTED, N.OFFERED, N.ACCEPTED, N.AGREED, N.VERIFIED)
        for r in BOTH
    },
}

TRANSFER: dict[tuple[str | None, Event, Role], TransferState] = {
    (None, Event.REQUEST, C): T.REQUESTED,
    (T.REQUESTED, Event.START, P): T.STARTED,
    **{(T.SUSPENDED, Event.START, r): T.STARTED for r in BOTH},
    **{(T.STARTED, Event.COMPLETE, r): T.COMPLETED for r in BOTH},
    **{(T.STARTED, Event.SUSPEND, r): T.SUSPENDED for r in BOTH},
    **{(s, Event.TERMINATE, r): T.TERMINATED for s in (T.REQUESTED, T.STARTED, T.SUSPENDED) for r in BOTH},
}

TERMINAL = {N.FINALIZED.value, N.TERMINATED.value, T.COMPLETED.value}


def next_state(kind: Kind, state: str | None, event: Event, sender: Role) -> str:
    """The state after ``sender`` sends ``event`` in ``state`` (None: no process yet), or :class:`TransitionError`."""
    table = NEGOTIATION if kind is Kind.NEGOTIATION else TRANSFER
    try:
        return table[(state, event, sender)].value
    except KeyError:
        raise TransitionError(state, event, sender) from None


def is_terminal(state: str) -> bool:
    return state in TERMINAL
