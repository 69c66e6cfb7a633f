"""Our message models accept every official 2025-1 example and write back schema-valid JSON."""

from __future__ import annotations

import json

import pytest

from connector.dsp import messages as m
from tests.dsp.harness import SPEC, validate

MODELS = {
    cls.TYPE: cls for cls in vars(m).values() if isinstance(cls, type) and issubclass(cls, m.Message) and cls.TYPE
}
EXAMPLES = sorted(p for p in SPEC.glob("*/example/*.json") if json.loads(p.read_text()).get("@type") in MODELS)


def test_every_message_type_has_examples() -> None:
    assert len(EXAMPLES) >= 17


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_official_examples_parse_and_round_trip(path) -> None:
    example = json.loads(path.read_text())
    parsed = m.parse(example, MODELS[example["@type"]])
    written = parsed.dump()
    assert written["@type"] == example["@type"]
    if example["@type"] != "CatalogRequestMessage":
        validate(written)
    for key in ("providerPid", "consumerPid", "agreementId", "callbackAddress", "state", "eventType"):
        assert written.get(key) == example.get(key)


def test_unknown_type_and_wrong_context_name_the_field() -> None:
    with pytest.raises(m.MessageError, match="@type must be ContractRequestMessage"):
        m.parse({"@context": m.CONTEXT_LIST, "@type": "Bogus"}, m.ContractRequestMessage)
    with pytest.raises(m.MessageError, match="@context"):
        m.parse({"@context": ["https://w3id.org/dspace/2024/1/context.json"], "@type": "TransferCompletionMessage",
                 "providerPid": "a", "consumerPid": "b"}, m.TransferCompletionMessage)  # fmt: skip
    with pytest.raises(m.MessageError) as caught:
        m.parse({"@context": m.CONTEXT_LIST, "@type": "TransferCompletionMessage"}, m.TransferCompletionMessage)
    assert {r.split(":")[0] for r in caught.value.reasons} == {"providerPid", "consumerPid"}
