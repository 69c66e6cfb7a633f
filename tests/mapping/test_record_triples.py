"""A record's triples as the mappers build them: its own triples apart from those about shared nodes, each once."""

from __future__ import annotations

from connector.mapping.ntriples import RecordTriples, concept

IRI = "https://w3id.org/gen-skills/gen/training/T1"
P, Q = "<https://x/p>", "<https://x/q>"


def test_triples_are_split_by_subject_and_kept_once() -> None:
    r = RecordTriples(IRI)
    r.add(f"<{IRI}>", P, '"a"')
    r.add(f"<{IRI}>", P, '"a"')
    r.add(f"<{IRI}#part>", Q, f"<{IRI}>")
    r.add(f"<{IRI}0>", P, '"b"')  # another record's IRI that starts like this one's: not its own
    r.add("<https://w3id.org/gen-skills/gen/organisation/1>", P, '"c"')
    r.link(f"<{IRI}>", Q, "http://data.europa.eu/esco/skill/s1")
    r.extend(concept("<https://x/c>", "<https://x/scheme>"))
    r.extend(concept("<https://x/c>", "<https://x/scheme>"))
    assert list(r.owned) == [
        (f"<{IRI}>", P, '"a"'),
        (f"<{IRI}#part>", Q, f"<{IRI}>"),
        (f"<{IRI}>", Q, "<http://data.europa.eu/esco/skill/s1>"),
    ]
    assert list(r.shared) == [
        f'<{IRI}0> {P} "b" .',
        f'<https://w3id.org/gen-skills/gen/organisation/1> {P} "c" .',
        *concept("<https://x/c>", "<https://x/scheme>"),
    ]
    assert r.concepts == {"http://data.europa.eu/esco/skill/s1"}
    assert r.text() == r.owned_text() + r.shared_text()
    assert r.owned_text().count("\n") == 3 and r.shared_text().count("\n") == 5
    assert r.owned_text().startswith(f'<{IRI}> {P} "a" .\n')
