"""The example queries partners start from (``docs/queries/*.rq``), for the console and the documentation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "docs" / "queries"
"""Kept with the documentation, which explains them; read from the source tree the connector runs from."""


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    query: str


def load_examples(directory: Path = EXAMPLES_DIR) -> list[Example]:
    """Examples in file-name order; the title is the first comment line of each file."""
    examples = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        title = first.lstrip("#").strip() if first.startswith("#") else path.stem
        examples.append(Example(path.stem, title, text))
    return examples
