"""ODRL offers built from the configured policy templates, and their evaluation against a contract request.

A template (``DspPolicy`` in the settings) says which datasets it covers and what a request must meet: purposes,
dataspace membership, a date range, attribution. The offer shown in the catalog states those constraints in the DSP
ODRL profile; a contract request names the offer and may narrow the purpose (``purpose eq research``). Evaluation
returns the list of refusal reasons (empty = agreed), each naming the constraint that failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connector.config import DspPolicy

PURPOSE = "odrl:purpose"
DATE_TIME = "odrl:dateTime"
MEMBERSHIP_SUFFIX = "ontology#dataspaceMembership"
"""Left operand for "the assignee is a member of the dataspace" (no ODRL term exists; minted under the base IRI)."""


@dataclass(frozen=True)
class RequestFacts:
    """What evaluation knows about a request: who asks, whether they are a member, which purposes they declare."""

    participant_id: str
    member: bool
    purposes: frozenset[str] | None
    """None: the request declares no purpose."""
    now: datetime


def offer_id(policy_ns: str, dataset_id: str, policy_id: str) -> str:
    """Offer IRIs are unique per dataset: ``<base>policy/<dataset>/<policy>``."""
    return f"{policy_ns}{dataset_id}/{policy_id}"


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")


def constraints(policy: DspPolicy, base_iri: str) -> list[dict[str, Any]]:
    """The ODRL atomic constraints of a template (a conjunction)."""
    found: list[dict[str, Any]] = []
    if policy.purposes:
        found.append({"leftOperand": PURPOSE, "operator": "isAnyOf", "rightOperand": list(policy.purposes)})
    if policy.members_only:
        found.append({"leftOperand": base_iri + MEMBERSHIP_SUFFIX, "operator": "eq", "rightOperand": "member"})
    if policy.not_before:
        found.append({"leftOperand": DATE_TIME, "operator": "gteq", "rightOperand": _iso(policy.not_before)})
    if policy.not_after:
        found.append({"leftOperand": DATE_TIME, "operator": "lteq", "rightOperand": _iso(policy.not_after)})
    return found


def permission(policy: DspPolicy, base_iri: str, purposes: Iterable[str] | None = None) -> dict[str, Any]:
    """The ``use`` permission of a template; ``purposes`` narrows the purpose constraint (for an agreement)."""
    rule: dict[str, Any] = {"action": "use"}
    found = constraints(policy, base_iri)
    if purposes is not None:
        narrowed = sorted(purposes)
        for c in found:
            if c["leftOperand"] == PURPOSE:
                c.update(
                    {"operator": "eq", "rightOperand": narrowed[0]}
                    if len(narrowed) == 1
                    else {"operator": "isAnyOf", "rightOperand": narrowed}
                )
    if found:
        rule["constraint"] = found
    if policy.attribution:
        rule["duty"] = [{"action": "odrl:attribute"}]
    return rule


def _local(term: Any) -> str:
    text = term.get("@id", "") if isinstance(term, dict) else str(term)
    return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]


def declared_purposes(requested_rules: list[dict[str, Any]] | None) -> frozenset[str] | None:
    """Purposes a request declares through ``purpose eq|isAnyOf`` constraints of its permissions."""
    found: set[str] | None = None
    for rule in requested_rules or []:
        for c in rule.get("constraint") or []:
            if not isinstance(c, dict) or _local(c.get("leftOperand")) != "purpose":
                continue
            value = c.get("rightOperand")
            values = value if isinstance(value, list) else [value]
            found = (found or set()) | {v.get("@value", "") if isinstance(v, dict) else str(v) for v in values}
    return frozenset(found) if found is not None else None


def evaluate(policy: DspPolicy, facts: RequestFacts) -> list[str]:
    """Reasons to refuse the request under this template (empty list: the request meets every constraint)."""
    reasons = []
    if policy.purposes:
        allowed = set(policy.purposes)
        if facts.purposes is None:
            reasons.append(f"purpose required: declare one of {', '.join(sorted(allowed))} (odrl:purpose eq …)")
        elif not facts.purposes <= allowed:
            bad = ", ".join(sorted(facts.purposes - allowed))
            reasons.append(f"purpose {bad} is not allowed; allowed: {', '.join(sorted(allowed))}")
    if policy.members_only and not facts.member:
        reasons.append(f"participant {facts.participant_id} is not a member of the dataspace")
    now = facts.now
    if policy.not_before and now < _aware(policy.not_before):
        reasons.append(f"the offer is valid from {_iso(policy.not_before)}")
    if policy.not_after and now > _aware(policy.not_after):
        reasons.append(f"the offer expired on {_iso(policy.not_after)}")
    return reasons


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
