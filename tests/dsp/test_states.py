"""The DSP state machines as pure functions: every allowed transition, and everything else refused."""

from __future__ import annotations

import itertools

import pytest

from connector.dsp.states import (
    NEGOTIATION,
    TRANSFER,
    Event,
    Kind,
    NegotiationState,
    Role,
    TransferState,
    TransitionError,
    is_terminal,
    next_state,
)

P, C = Role.PROVIDER, Role.CONSUMER


@pytest.mark.parametrize(
    ("state", "event", "sender", "expected"),
    [
        (None, Event.REQUEST, C, "REQUESTED"),
        (None, Event.OFFER, P, "OFFERED"),
        ("REQUESTED", Event.OFFER, P, "OFFERED"),
        ("REQUESTED", Event.AGREE, P, "AGREED"),
        ("OFFERED", Event.REQUEST, C, "REQUESTED"),
        ("OFFERED", Event.ACCEPT, C, "ACCEPTED"),
        ("ACCEPTED", Event.AGREE, P, "AGREED"),
        ("AGREED", Event.VERIFY, C, "VERIFIED"),
        ("VERIFIED", Event.FINALIZE, P, "FINALIZED"),
        ("AGREED", Event.TERMINATE, P, "TERMINATED"),
        ("REQUESTED", Event.TERMINATE, C, "TERMINATED"),
    ],
)
def test_negotiation_allowed(state, event, sender, expected) -> None:
    assert next_state(Kind.NEGOTIATION, state, event, sender) == expected


@pytest.mark.parametrize(
    ("state", "event", "sender"),
    [
        ("REQUESTED", Event.REQUEST, C),  # a second counter-offer before the provider answered (TCK CN:03-04)
        ("OFFERED", Event.VERIFY, C),  # TCK CN:03-02
        ("ACCEPTED", Event.VERIFY, C),  # TCK CN:03-03
        ("OFFERED", Event.AGREE, P),  # TCK CN_C:03-02
        ("REQUESTED", Event.FINALIZE, P),  # TCK CN_C:03-01
        ("ACCEPTED", Event.OFFER, P),  # TCK CN_C:03-05
        ("OFFERED", Event.ACCEPT, P),  # the provider cannot accept
        ("VERIFIED", Event.FINALIZE, C),  # the consumer cannot finalize
        ("FINALIZED", Event.TERMINATE, C),  # terminal (TCK CN:03-01)
        ("TERMINATED", Event.TERMINATE, P),
        (None, Event.AGREE, P),
    ],
)
def test_negotiation_refused(state, event, sender) -> None:
    with pytest.raises(TransitionError, match="not allowed"):
        next_state(Kind.NEGOTIATION, state, event, sender)


def test_terminal_states_accept_nothing() -> None:
    for kind, table, terminal in (
        (Kind.NEGOTIATION, NEGOTIATION, ("FINALIZED", "TERMINATED")),
        (Kind.TRANSFER, TRANSFER, ("COMPLETED", "TERMINATED")),
    ):
        for state, event, sender in itertools.product(terminal, Event, Role):
            assert (state, event, sender) not in table
            with pytest.raises(TransitionError):
                next_state(kind, state, event, sender)
            assert is_terminal(state)


def test_transfer_machine() -> None:
    t = Kind.TRANSFER
    assert next_state(t, None, Event.REQUEST, C) == TransferState.REQUESTED
    assert next_state(t, "REQUESTED", Event.START, P) == "STARTED"
    assert next_state(t, "SUSPENDED", Event.START, C) == "STARTED"  # the consumer may resume
    for sender in Role:
        assert next_state(t, "STARTED", Event.SUSPEND, sender) == "SUSPENDED"
        assert next_state(t, "STARTED", Event.COMPLETE, sender) == "COMPLETED"
        assert next_state(t, "SUSPENDED", Event.TERMINATE, sender) == "TERMINATED"
    for state, event, sender in [
        ("REQUESTED", Event.START, C),  # only the provider starts
        ("REQUESTED", Event.COMPLETE, C),  # TCK TP:03-01
        ("REQUESTED", Event.SUSPEND, P),  # TCK TP:03-02
        ("SUSPENDED", Event.COMPLETE, C),  # TCK TP:03-03
        ("STARTED", Event.START, P),
    ]:
        with pytest.raises(TransitionError):
            next_state(t, state, event, sender)


def test_every_negotiation_state_is_reachable() -> None:
    reached = {to for to in NEGOTIATION.values()}
    assert reached == set(NegotiationState)
