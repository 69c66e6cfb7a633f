"""ODRL offers from policy templates and their evaluation: purpose, membership, date range; refusals name why."""

from __future__ import annotations

from datetime import UTC, datetime

from connector.config import DEFAULT_DSP_POLICIES, DspPolicy
from connector.dsp.policies import RequestFacts, declared_purposes, evaluate, permission

BASE = "https://w3id.org/gen-skills/"
GEN = next(p for p in DEFAULT_DSP_POLICIES if "trainings" in p.datasets)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def facts(purposes=None, member=True, now=NOW) -> RequestFacts:
    return RequestFacts("did:web:b", member, None if purposes is None else frozenset(purposes), now)


def test_gen_offer_states_its_constraints() -> None:
    rule = permission(GEN, BASE)
    assert rule["action"] == "use"
    by_operand = {c["leftOperand"]: c for c in rule["constraint"]}
    assert by_operand["odrl:purpose"] == {
        "leftOperand": "odrl:purpose",
        "operator": "isAnyOf",
        "rightOperand": ["skills-matching", "research"],
    }
    assert by_operand[f"{BASE}ontology#dataspaceMembership"]["rightOperand"] == "member"
    assert rule["duty"] == [{"action": "odrl:attribute"}]


def test_narrowed_permission_for_an_agreement() -> None:
    rule = permission(GEN, BASE, ["research"])
    purpose = next(c for c in rule["constraint"] if c["leftOperand"] == "odrl:purpose")
    assert purpose == {"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": "research"}


def test_evaluation_reasons() -> None:
    assert evaluate(GEN, facts(["research"])) == []
    assert evaluate(GEN, facts(["skills-matching", "research"])) == []
    (reason,) = evaluate(GEN, facts(["advertising"]))
    assert "advertising is not allowed" in reason
    (reason,) = evaluate(GEN, facts(None))
    assert reason.startswith("purpose required")
    (reason,) = evaluate(GEN, facts(["research"], member=False))
    assert "not a member" in reason


def test_date_range() -> None:
    window = DspPolicy(
        id="w", datasets=["esco"], not_before=datetime(2026, 1, 1, tzinfo=UTC), not_after=datetime(2026, 12, 31)
    )
    assert evaluate(window, facts(now=NOW)) == []
    assert "valid from" in evaluate(window, facts(now=datetime(2025, 6, 1, tzinfo=UTC)))[0]
    assert "expired" in evaluate(window, facts(now=datetime(2027, 6, 1, tzinfo=UTC)))[0]
    operators = {c["operator"] for c in permission(window, BASE)["constraint"]}
    assert operators == {"gteq", "lteq"}


def test_declared_purposes_read_every_spelling() -> None:
    rules = [
        {"action": "use", "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "research"}]}
    ]
    assert declared_purposes(rules) == {"research"}
    rules[0]["constraint"][0]["leftOperand"] = "http://www.w3.org/ns/odrl/2/purpose"
    assert declared_purposes(rules) == {"research"}
    assert declared_purposes([{"action": "use"}]) is None
