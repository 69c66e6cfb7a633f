"""Transfer tokens: the bearer credential a pull transfer hands to the consumer, bound to one agreement.

A token is random (prefix ``dspt_``), stored only as its SHA-256 digest with its transfer, agreement, holder and
expiry. Suspending, terminating or completing the transfer revokes it at once (the resolver reads the repository on
every request, so revocation needs no cache flush). :class:`TransferTokenResolver` plugs into the HTTP layer's
credential chain and grants the graphs of the agreement's dataset.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from connector.auth import InvalidCredentials, Principal
from connector.dsp.repository import DspRepository, TransferToken
from connector.dsp.states import Kind, TransferState

TOKEN_PREFIX = "dspt_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    repo: DspRepository, transfer_pid: str, agreement_id: str, participant_id: str, ttl_s: int
) -> tuple[str, float]:
    """A new token for a started (or resumed) transfer and its expiry (epoch seconds); earlier ones are revoked."""
    repo.revoke_tokens(transfer_pid)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = time.time() + ttl_s
    repo.put_token(TransferToken(digest(token), transfer_pid, agreement_id, participant_id, expires))
    return token, expires


class TransferTokenResolver:
    """``connector.auth.CredentialResolver`` for transfer tokens: valid -> partner principal with the agreement's
    graphs; expired, revoked or unknown -> :class:`InvalidCredentials`; not a transfer token -> None."""

    def __init__(self, repo: DspRepository, graphs_of_dataset: Callable[[str], frozenset[str]]) -> None:
        self._repo = repo
        self._graphs = graphs_of_dataset

    def resolve(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        found = self._repo.get_token(digest(token))
        if found is None:
            raise InvalidCredentials("unknown transfer token")
        if found.revoked:
            raise InvalidCredentials("the transfer token was revoked (transfer suspended, completed or terminated)")
        if found.expires_at < time.time():
            raise InvalidCredentials("the transfer token expired")
        transfer = self._repo.get(Kind.TRANSFER, found.transfer_pid)
        agreement = self._repo.get_agreement(found.agreement_id)
        if transfer is None or transfer.state != TransferState.STARTED or agreement is None:
            raise InvalidCredentials("the transfer is not started")
        return Principal(
            subject=f"transfer:{found.transfer_pid}",
            roles=frozenset({"partner"}),
            participant_id=found.participant_id,
            graphs=self._graphs(agreement.dataset_id),
        )
