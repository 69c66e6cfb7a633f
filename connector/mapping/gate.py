"""The publish gate: SHACL validation of the records a job changed, against the dataset's profile.

Behind one function, :func:`validate_batch`, so that switching engines is a one-line change. It runs the Rust
SHACL engine of ``shacl-rust`` (about 30 times faster than pyshacl on the ELM shapes, see docs/benchmarks.md);
``tests/mapping/test_gate.py`` checks it finds the same violations as the project's validation service
(``connector.validation``, pyshacl). Records are validated in batches spread over worker processes; each result's
focus node is traced back to its record by the job (every node a record owns has an IRI under the record's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from connector.namespaces import OWL, SH

REPO = Path(__file__).resolve().parent.parent.parent
SHAPES_DIR = REPO / "shapes"
PROFILE_IRI = re.compile(r"^https://w3id\.org/gen-skills/shapes/([a-z0-9-]+)$")
VIOLATION = f"<{SH}Violation>"


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    value: str | None
    message: str


def _resolve(iri: str) -> Path | None:
    match = PROFILE_IRI.match(iri)
    return SHAPES_DIR / f"{match.group(1)}.ttl" if match else None


@lru_cache(maxsize=4)
def load_profile(profile: str) -> tuple[str, frozenset[str]]:
    """The profile's shapes (owl:imports resolved to files of this repository, never the network) as N-Triples,
    and its French messages (the report shows the English one)."""
    triples: list[ox.Triple] = []
    todo, seen = [SHAPES_DIR / f"{profile}.ttl"], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        if not path.exists():
            raise FileNotFoundError(f"SHACL profile file not found: {path.name}")
        seen.add(path)
        part = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        for t in part:
            if t.predicate.value == OWL + "imports" and (target := _resolve(t.object.value)) is not None:
                todo.append(target)
        triples += part
    french = frozenset(
        t.object.value
        for t in triples
        if t.predicate.value == SH + "message" and isinstance(t.object, ox.Literal) and t.object.language == "fr"
    )
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), french


def _term(text: str | None) -> str | None:
    if text is None:
        return None
    return text[1:-1] if text.startswith("<") and text.endswith(">") else text


def validate_batch(ntriples: bytes, profile: str) -> list[Violation]:
    """Violations (severity sh:Violation only; warnings and infos never block) of an N-Triples batch."""
    import shacl_rust

    shapes, french = load_profile(profile)
    report = shacl_rust.validate(ntriples.decode(), shapes, data_format="nt", shapes_format="nt")
    out = []
    for result in report["results"]:
        if result.get("severity") != VIOLATION:
            continue
        messages = [m for m in result.get("messages", []) if m not in french]
        out.append(
            Violation(
                focus=_term(result["focusNode"]) or "",
                path=_term(result.get("resultPath")),
                value=_term(result.get("value")),
                message=messages[-1] if messages else "SHACL violation",
            )
        )
    return out
