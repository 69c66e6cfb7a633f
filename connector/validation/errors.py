"""Errors of the validation service. Each carries what a user needs to fix the input, never a traceback."""

from __future__ import annotations


class ValidationServiceError(Exception):
    """Base class: the validation could not run (as opposed to data that does not conform)."""


class UnknownProfile(ValidationServiceError, LookupError):
    """No profile of that name; ``known`` lists the profiles that exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown profile {name!r}; known profiles: {', '.join(known) or '(none)'}")
        self.name, self.known = name, known


class ShapesError(ValidationServiceError):
    """A shapes graph is ill-formed; the message names the file and the shape at fault."""


class DataSyntaxError(ValidationServiceError, ValueError):
    """The data does not parse; ``line``/``column`` locate the error when the parser says where."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


class ValidationTimeout(ValidationServiceError):
    """Validation ran longer than its time limit and was stopped."""


class IncomparableValues(ValidationServiceError):
    """pyshacl stopped on values a comparison constraint (``sh:lessThan``, ``sh:minInclusive``...) cannot order,
    such as a date against a plain string or ``"NaN"^^xsd:decimal``; SHACL would report them, pyshacl raises."""
