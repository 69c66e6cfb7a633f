"""``/validate``: SHACL validation of uploaded RDF or of a published dataset, with content-negotiated reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from connector.api.deps import authorize, get_context
from connector.api.problems import Problem
from connector.context import Context
from connector.store.formats import RDF_MEDIA_TYPES
from connector.validation import (
    DataSyntaxError,
    IncomparableValues,
    ShapesError,
    UnknownProfile,
    ValidationTimeout,
    validate,
)
from connector.validation.render import MEDIA_TYPES, render
from connector.validation.service import MissingVocabulary, UnknownDataset, ValidationService

router = APIRouter(tags=["validation"])
T = TypeVar("T")

_REPORT_TYPES = {
    "application/json": "json",
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "text/html": "html",
    "text/plain": "text",
}
CONCURRENT_VALIDATIONS = 2
"""Validations run at most two at a time; more requests wait instead of starving the SPARQL endpoint."""


def service(request: Request) -> ValidationService:
    """One service per app (it caches vocabulary copies)."""
    app_state = request.app.state
    if getattr(app_state, "validation", None) is None:
        app_state.validation = ValidationService(app_state.ctx)
    return app_state.validation


@router.get("/validate/profiles", summary="SHACL profiles with versions and descriptions")
def profiles(svc: ValidationService = Depends(service)) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "iri": p.iri,
            "version": p.version,
            "title": p.title,
            "description": p.description,
            "imports": list(p.imports),
            "requires": list(svc.registry.requires(p.name)),
        }
        for p in svc.registry.list()
    ]


@router.post(
    "/validate",
    summary="Validate RDF (request body) or a published dataset (?dataset=) against a SHACL profile",
    responses={
        200: {
            "description": "The validation report (JSON summary, SHACL report graph as Turtle/JSON-LD, HTML, text)",
            "content": {t: {} for t in _REPORT_TYPES},
        }
    },
)
async def post_validate(
    request: Request,
    profile: str | None = Query(None, description="Profile name (GET /validate/profiles)."),
    dataset: str | None = Query(None, description="Validate this published dataset instead of the body."),
    format: str | None = Query(None, description="Report format, overriding Accept: json, turtle, jsonld, html, text."),
    lang: str = Query("en", description="Language of messages in HTML and text reports (en, fr)."),
    ctx: Context = Depends(get_context),
    svc: ValidationService = Depends(service),
) -> Response:
    fmt = _report_format(request, format)
    timeout = ctx.settings.validation_timeout_s
    if dataset is not None:
        await authorize(request, "validator")
        job = lambda: svc.validate_dataset(dataset, profile, timeout_s=timeout)  # noqa: E731
    else:
        if profile is None:
            raise Problem(400, "Missing profile", "give ?profile=NAME (see GET /validate/profiles) or ?dataset=ID")
        _run(lambda: svc.registry.get(profile))
        media_type = _rdf_media_type(request)
        body = await _read_body(request, ctx)
        vocabularies = await run_in_threadpool(_run, lambda: svc.vocabularies(profile))
        job = lambda: validate(  # noqa: E731
            body,
            profile,
            media_type=media_type,
            vocabularies=vocabularies,
            registry=svc.registry,
            workers=ctx.settings.validation_workers,
            timeout_s=timeout,
        )
    state = request.app.state
    if getattr(state, "validation_limiter", None) is None:
        state.validation_limiter = anyio.CapacityLimiter(CONCURRENT_VALIDATIONS)
    report = await anyio.to_thread.run_sync(_run, job, limiter=state.validation_limiter)
    if fmt == "json":
        from connector.validation.render import summary

        return JSONResponse(summary(report))
    return Response(render(report, fmt, lang), media_type=MEDIA_TYPES[fmt])  # type: ignore[arg-type]


def _run(job: Callable[[], T]) -> T:
    """Run a core call, turning its errors into problem documents."""
    try:
        return job()
    except UnknownProfile as exc:
        raise Problem(404, "Unknown profile", str(exc), known_profiles=exc.known) from None
    except UnknownDataset as exc:
        raise Problem(404, "Unknown dataset", str(exc)) from None
    except DataSyntaxError as exc:
        raise Problem(400, "Unparsable RDF", str(exc), line=exc.line, column=exc.column) from None
    except MissingVocabulary as exc:
        raise Problem(409, "Vocabulary not loaded", str(exc)) from None
    except ShapesError as exc:
        raise Problem(500, "Ill-formed shapes", str(exc)) from None
    except IncomparableValues as exc:
        raise Problem(422, "Values cannot be compared", str(exc)) from None
    except ValidationTimeout as exc:
        raise Problem(503, "Validation timeout", str(exc), headers={"Retry-After": "60"}) from None


def _report_format(request: Request, override: str | None) -> str:
    if override is not None:
        if override not in MEDIA_TYPES:
            raise Problem(400, "Unknown format", f"format must be one of {', '.join(MEDIA_TYPES)}")
        return override
    accept = request.headers.get("accept", "")
    ranked = []
    for i, part in enumerate(a for a in accept.split(",") if a.strip()):
        media, *params = (p.strip() for p in part.split(";"))
        q = next((float(p[2:]) for p in params if p.startswith("q=") and _is_float(p[2:])), 1.0)
        ranked.append((-q, i, media.lower()))
    for _, _, media in sorted(ranked):
        if media in _REPORT_TYPES:
            return _REPORT_TYPES[media]
        if media in ("*/*", "application/*"):
            return "json"
        if media == "text/*":
            return "html"
    if not ranked:
        return "json"
    raise Problem(406, "Not Acceptable", f"reports are available as {', '.join(_REPORT_TYPES)}")


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _rdf_media_type(request: Request) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in RDF_MEDIA_TYPES:
        raise Problem(
            415,
            "Unsupported Media Type",
            "send Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML with its Content-Type",
        )
    return media_type


async def _read_body(request: Request, ctx: Context) -> bytes:
    """The body, refusing oversize uploads early; above the anonymous limit the validator role is required."""
    limit, anonymous_limit = ctx.settings.validation_max_bytes, ctx.settings.validation_anonymous_max_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        await _check_size(request, int(declared), limit, anonymous_limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        await _check_size(request, size, limit, anonymous_limit)
        chunks.append(chunk)
    if size == 0:
        raise Problem(400, "Empty body", "send the RDF to validate in the request body, or use ?dataset=ID")
    return b"".join(chunks)


async def _check_size(request: Request, size: int, limit: int, anonymous_limit: int) -> None:
    if size > limit:
        raise Problem(413, "Content Too Large", f"uploads are limited to {limit:,} bytes")
    if size > anonymous_limit:
        await authorize(request, "validator")
