"""SHACL validation service: profiles from ``shapes/``, one entry point, reports for people and machines.

Use::

    from connector.validation import validate
    report = validate(Path("trainings.ttl"), "gen-training", vocabularies=vocabs)
    if not report.conforms: ...   # True when no sh:Violation (Warnings and Infos do not block a publish)

``validate(data, profile, *, shapes=, media_type=, vocabularies=, provenance=, base_iri=, registry=, engine=,
workers=, timeout_s=)``: ``data`` is an rdflib ``Graph``, a ``Path`` (format from its extension), ``bytes``/``str``
with ``media_type`` (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML), or an iterable of pyoxigraph
``Triple``/``Quad``. ``vocabularies`` (:class:`Vocabularies`) are loaded once and consulted by "referenced concept
exists" checks. The report's ``results`` carry focus node, path, value, message by language, severity, source shape,
constraint component and (with ``provenance``) the source file and row of our own records.
"""

from connector.validation.engine import list_profiles, validate
from connector.validation.errors import (
    DataSyntaxError,
    IncomparableValues,
    ShapesError,
    UnknownProfile,
    ValidationServiceError,
    ValidationTimeout,
)
from connector.validation.profiles import Profile, ProfileRegistry
from connector.validation.report import SEVERITIES, SourceLocation, ValidationReport, ValidationResult
from connector.validation.vocabularies import Vocabularies

__all__ = [
    "SEVERITIES",
    "DataSyntaxError",
    "IncomparableValues",
    "Profile",
    "ProfileRegistry",
    "ShapesError",
    "SourceLocation",
    "UnknownProfile",
    "ValidationReport",
    "ValidationResult",
    "ValidationServiceError",
    "ValidationTimeout",
    "Vocabularies",
    "list_profiles",
    "validate",
]
