"""``skills-connector validate``: check RDF files against a SHACL profile; the exit code is the verdict."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from connector.cli.common import EXIT_FAILURE, EXIT_USAGE, core_context, fail
from connector.cli.progress import console
from connector.validation import (
    DataSyntaxError,
    ShapesError,
    UnknownProfile,
    ValidationServiceError,
    Vocabularies,
    list_profiles,
    validate,
)
from connector.validation.render import MEDIA_TYPES, render
from connector.validation.service import ValidationService


def validate_command(
    files: list[Path] = typer.Argument(None, help="RDF files (.ttl .nt .nq .trig .jsonld .rdf, optionally .gz)."),
    profile: str | None = typer.Option(None, "--profile", "-p", help="Profile name (see --list-profiles)."),
    shapes: list[Path] = typer.Option(None, "--shapes", help="SHACL shapes file(s) to use instead of a profile."),
    fmt: str = typer.Option("text", "--format", "-f", help=f"Report format: {', '.join(MEDIA_TYPES)}."),
    lang: str = typer.Option("en", "--lang", help="Message language: en or fr."),
    vocab: list[Path] = typer.Option(
        None, "--vocab", help="Vocabulary file(s) for 'referenced concept exists' checks (default: from the store)."
    ),
    provenance: Path | None = typer.Option(None, "--provenance", help="Provenance graph file, to show sources."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here (default: stdout)."),
    engine: str = typer.Option(
        "auto",
        "--engine",
        help="auto (= hybrid: shacl-rust plus pyshacl where shacl-rust differs, same results as reference), "
        "reference (one plain pyshacl call), fast (tuned pyshacl in processes) or rust (shacl-rust alone).",
    ),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes for large data (default: CPUs)."),
    list_only: bool = typer.Option(False, "--list-profiles", help="List the profiles and exit."),
) -> None:
    """Validate RDF files against a profile or shapes files. Exit 0: conforms, 1: violations, 2: usage/input error."""
    if list_only:
        from connector.validation.engine import default_registry

        for p in list_profiles():
            console.print(f"{p.name:<16} {p.version:<14} {p.title.get(lang) or p.title.get('en', '')}", highlight=False)
        for name, reason in default_registry().broken().items():
            console.print(f"{name:<16} unusable: {reason}", highlight=False)
        return
    if not files:
        raise fail("give at least one RDF file", EXIT_USAGE)
    if (profile is None) == (not shapes):
        raise fail("give either --profile NAME or --shapes FILE...", EXIT_USAGE)
    if fmt not in MEDIA_TYPES:
        raise fail(f"unknown --format {fmt!r}; use one of {', '.join(MEDIA_TYPES)}", EXIT_USAGE)
    if engine not in ("auto", "hybrid", "fast", "reference", "rust"):
        raise fail(f"unknown --engine {engine!r}; use auto, hybrid, fast, reference or rust", EXIT_USAGE)
    missing = [str(f) for f in [*files, *(shapes or []), *(vocab or [])] if not f.is_file()]
    if missing:
        raise fail(f"no such file: {', '.join(missing)}", EXIT_USAGE)
    try:
        vocabularies = _vocabularies(profile, vocab)
        data = _read(files)
        prov = _provenance(provenance)
        report = validate(
            data,
            profile,
            shapes=shapes or None,
            vocabularies=vocabularies,
            provenance=prov,
            engine=engine,  # type: ignore[arg-type]
            workers=workers,
        )
    except DataSyntaxError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    except (UnknownProfile, ShapesError) as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    except ValidationServiceError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    body = render(report, fmt, lang)  # type: ignore[arg-type]
    if output:
        output.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    if not report.conforms:
        raise typer.Exit(EXIT_FAILURE)


def _read(files: list[Path]) -> list:
    """All files as one list of triples (each parsed with its own format)."""
    from connector.validation.data import parse_triples

    triples: list = []
    for f in files:
        try:
            triples.extend(parse_triples(f))
        except DataSyntaxError as exc:
            raise DataSyntaxError(f"{f.name}: {exc}", exc.line, exc.column) from None
        except ValueError as exc:  # unknown extension
            raise DataSyntaxError(str(exc)) from None
    return triples


def _vocabularies(profile: str | None, files: list[Path] | None) -> Vocabularies | None:
    if files:
        return Vocabularies.load(files)
    if profile is None:
        return None
    from connector.validation.engine import default_registry

    if not default_registry().requires(profile):
        return None
    with core_context() as ctx:
        return ValidationService(ctx).vocabularies(profile)


def _provenance(path: Path | None):
    if path is None:
        return None
    from connector.validation.data import parse_triples, to_graph

    return to_graph(parse_triples(path))
