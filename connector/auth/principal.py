"""The caller as the core sees it: a subject, its roles, and the contract graphs it was granted."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("operator", "validator", "partner")
"""operator: jobs, updates, graph-store writes, configuration; validator: the validation service; partner: the
dataspace protocol and scoped SPARQL. Anonymous callers have no role."""


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    participant_id: str | None = None
    graphs: frozenset[str] = field(default_factory=frozenset)
    """Graphs of contract datasets this caller may read in addition to the open ones (from a transfer token)."""

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def anonymous(self) -> bool:
        return self.subject == "anonymous"


ANONYMOUS = Principal("anonymous")
