"""Report renderers: the SHACL report graph (Turtle, JSON-LD), a JSON summary, an HTML page and plain text.

Nothing here knows about HTTP or terminals; the CLI and the router pick a format and write the bytes.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, select_autoescape

from connector.validation.report import SEVERITIES, SH, ValidationReport, ValidationResult

Format = Literal["text", "json", "turtle", "jsonld", "html"]
MEDIA_TYPES: dict[str, str] = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json": "application/json",
    "html": "text/html",
    "text": "text/plain",
}
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(report: ValidationReport, fmt: Format, lang: str = "en") -> bytes:
    """The report in ``fmt`` (see :data:`MEDIA_TYPES` for the media type to announce)."""
    if fmt == "turtle":
        return report.graph.serialize(format="turtle", encoding="utf-8")
    if fmt == "jsonld":
        context = {"sh": str(SH), "xsd": "http://www.w3.org/2001/XMLSchema#"}
        return report.graph.serialize(format="json-ld", encoding="utf-8", context=context)
    if fmt == "json":
        return json.dumps(summary(report), ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == "html":
        return _env.get_template("report.html").render(report=report, groups=by_shape(report), lang=lang).encode()
    if fmt == "text":
        return text(report, lang).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(MEDIA_TYPES)}")


def result_dict(r: ValidationResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "focus_node": r.focus_node,
        "path": r.path,
        "value": r.value,
        "message": r.message,
        "severity": r.severity,
        "source_shape": r.source_shape,
        "constraint": r.constraint,
    }
    if r.source is not None:
        out["source"] = {"file": r.source.file, "location": r.source.location}
    return out


def summary(report: ValidationReport) -> dict[str, Any]:
    """The JSON summary: verdict, counts by severity, by shape and by path, then every result."""
    return {
        "conforms": report.conforms,
        "profile": report.profile,
        "profile_version": report.profile_version,
        "engine": report.engine,
        "triples": report.triples,
        "seconds": round(report.seconds, 3),
        "counts": report.counts,
        "by_shape": report.counts_by("source_shape"),
        "by_path": report.counts_by("path"),
        "results": [result_dict(r) for r in report.results],
    }


def by_shape(report: ValidationReport) -> OrderedDict[str, list[ValidationResult]]:
    """Results grouped by source shape, most severe and most frequent groups first."""
    groups: dict[str, list[ValidationResult]] = {}
    for r in report.results:
        groups.setdefault(r.source_shape, []).append(r)

    def rank(item: tuple[str, list[ValidationResult]]) -> tuple[int, int, str]:
        worst = min(SEVERITIES.index(r.severity) for r in item[1])
        return (worst, -len(item[1]), item[0])

    return OrderedDict(sorted(groups.items(), key=rank))


def text(report: ValidationReport, lang: str = "en") -> str:
    """A terminal-friendly report: one block per result, then the verdict line."""
    lines = []
    for r in report.results:
        where = f" [{r.source}]" if r.source is not None else ""
        lines.append(f"{r.severity}: {r.text(lang)}{where}")
        lines.append(f"  focus: {r.focus_node}")
        if r.path:
            lines.append(f"  path:  {r.path}")
        if r.value is not None:
            lines.append(f"  value: {r.value}")
        lines.append(f"  shape: {r.source_shape} ({r.constraint})")
    counts = report.counts
    verdict = "conforms" if report.conforms else "does not conform"
    profile = f" to {report.profile} {report.profile_version}" if report.profile else ""
    lines.append(
        f"{verdict}{profile}: {counts['Violation']} violation(s), {counts['Warning']} warning(s), "
        f"{counts['Info']} info(s); {report.triples:,} triples in {report.seconds:.2f} s"
    )
    return "\n".join(lines) + "\n"
