"""The publish gate: SHACL validation of the records a job changed, against the dataset's profile.

Behind one function, :func:`validate_batch`, which the job calls in-process or in its worker processes, batch by
batch. It goes through the project's one validation entry point and profile registry (:mod:`connector.validation`)
with the ``rust`` engine (shacl-rust, about 30 times faster than pyshacl on the ELM shapes, see
docs/benchmarks.md); ``tests/mapping/test_gate.py`` checks it finds the same violations as the reference engine.
Each result's focus node is traced back to its record by the job (every node a record owns has an IRI under the
record's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connector.validation import validate
from connector.validation.engine import default_registry
from connector.validation.rust_engine import shapes_ntriples


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    value: str | None
    message: str
    """The English message (the report keeps both languages)."""


def validate_batch(ntriples: bytes, profile: str) -> list[Violation]:
    """Violations (severity sh:Violation only; warnings and infos never block) of an N-Triples batch."""
    report = validate(ntriples, profile, media_type="application/n-triples", engine="rust")
    return [
        Violation(focus=r.focus_node, path=r.path, value=r.value, message=r.text("en") or "SHACL violation")
        for r in report.results
        if r.severity == "Violation"
    ]


def prepare(profiles: Iterable[str]) -> None:
    """Read the shapes of ``profiles`` now (rdflib parses every shapes file: about 0.45 s of CPU), so that processes
    forked afterwards inherit them instead of each reading them again."""
    registry = default_registry()
    for profile in profiles:
        shapes_ntriples(registry.shapes_graph(profile))
