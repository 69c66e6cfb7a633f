"""Persistence of DSP state behind a small interface: processes (negotiations and transfers), agreements, tokens.

Writes of a process use optimistic concurrency: :meth:`DspRepository.save` only succeeds when the stored ``version``
is still the one that was read, so two connector processes (or a CLI next to the server) sharing one database never
overwrite each other's transitions. The SQL of :mod:`connector.dsp.sqlite` is kept portable so that a PostgreSQL
implementation is the same statements with another driver.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from connector.dsp.states import Kind, Role


@dataclass
class Process:
    """A negotiation or a transfer as one side sees it. ``data`` holds what differs per kind (offer, agreement id,
    dataset, data address, counters used by scripted behaviour)."""

    kind: Kind
    role: Role
    local_pid: str
    provider_pid: str | None
    consumer_pid: str | None
    counterparty_id: str
    counterparty_address: str
    state: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    updated_at: float = field(default_factory=time.time)

    @property
    def remote_pid(self) -> str | None:
        return self.consumer_pid if self.role is Role.PROVIDER else self.provider_pid


@dataclass(frozen=True)
class Agreement:
    id: str
    dataset_id: str
    provider_id: str
    consumer_id: str
    policy: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class TransferToken:
    digest: str
    transfer_pid: str
    agreement_id: str
    participant_id: str
    expires_at: float
    revoked: bool = False


class ConcurrentUpdate(Exception):
    """The process changed since it was read; reload and retry."""


class DuplicateProcess(Exception):
    """A process for this peer pid exists already (a concurrent or repeated initial message)."""


class DspRepository(ABC):
    """What the protocol services need from storage. Implementations: SQLite (default)."""

    # processes
    @abstractmethod
    def insert(self, process: Process) -> None:
        """Store a new process (``version`` becomes 1); :class:`DuplicateProcess` if one with the same peer and peer
        pid exists."""

    @abstractmethod
    def save(self, process: Process) -> None:
        """Store a changed process if nobody changed it since it was read, else :class:`ConcurrentUpdate`;
        increments ``process.version``."""

    @abstractmethod
    def get(self, kind: Kind, local_pid: str) -> Process | None: ...

    @abstractmethod
    def find_by_remote(self, kind: Kind, role: Role, counterparty_id: str, remote_pid: str) -> Process | None:
        """The process this side keeps for the peer's pid (makes repeated initial requests idempotent)."""

    @abstractmethod
    def recent(self, kind: Kind, limit: int = 100, *, open_only: bool = False) -> list[Process]:
        """Most recently updated first; ``open_only``: not in a terminal state."""

    # agreements
    @abstractmethod
    def put_agreement(self, agreement: Agreement) -> None:
        """Insert or replace."""

    @abstractmethod
    def get_agreement(self, agreement_id: str) -> Agreement | None: ...

    # transfer tokens (stored as SHA-256 digests only)
    @abstractmethod
    def put_token(self, token: TransferToken) -> None: ...

    @abstractmethod
    def get_token(self, digest: str) -> TransferToken | None: ...

    @abstractmethod
    def revoke_tokens(self, transfer_pid: str) -> int:
        """Revoke every token of a transfer; returns how many were live."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
