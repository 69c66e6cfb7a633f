"""The records the readers produce and the mappers consume, independent of the source format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SourceRef:
    """Where a record comes from: the input file name and its place in it ("row 12", "line 7", an XPath)."""

    file: str
    location: str


@dataclass(frozen=True)
class Problem:
    """Why a record (or one of its fields) is rejected."""

    reason: str
    field: str | None = None
    value: str | None = None


class RecordRejected(Exception):
    """Raised by field parsers; carries every problem found in the record."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.reason for p in problems))
        self.problems = problems


class FileRejected(Exception):
    """The whole input file cannot be read (encoding, empty, invalid XML, too large): nothing of it is usable."""


@dataclass(frozen=True)
class Session:
    start: date
    end: date | None = None


@dataclass(frozen=True)
class Certification:
    kind: str  # "RNCP" or "RS"
    code: str  # e.g. "RNCP37674"
    title: str | None = None
    eqf_level: int | None = None


@dataclass(frozen=True)
class Training:
    """A training offer, whatever its source format (GEN CSV/JSON or LHEO)."""

    id: str
    title: str
    provider_name: str
    provider_siret: str
    url: str
    rome_codes: tuple[str, ...]
    description: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    insee_code: str | None = None
    department: str | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    duration_hours: float | None = None
    duration_months: float | None = None
    entry_level: str | None = None
    exit_level: str | None = None
    certification: Certification | None = None
    appellation_codes: tuple[str, ...] = ()
    esco_skills: tuple[str, ...] = ()
    rome_competences: tuple[str, ...] = ()
    formacodes: tuple[str, ...] = ()
    nsf_codes: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    work_based: bool | None = None
    target_public: str | None = None
    funding: str | None = None
    price_eur: float | None = None
    sessions: tuple[Session, ...] = ()
    label_date: date | None = None
    label_end_date: date | None = None

    kind = "training"


@dataclass(frozen=True)
class JobSkill:
    """A competence of a job sheet: a ROME item (OGR code) or an ESCO skill IRI."""

    code: str
    label: str | None = None
    main: bool = False


@dataclass(frozen=True)
class JobSheet:
    """A GEN job sheet (fiche de poste) aligned with ROME 4.0."""

    id: str
    title: str
    rome_code: str
    appellation_codes: tuple[str, ...] = ()
    definition: str | None = None
    access: str | None = None
    competences: tuple[JobSkill, ...] = ()
    knowledge: tuple[JobSkill, ...] = ()
    esco_skills: tuple[JobSkill, ...] = ()
    contexts: tuple[str, ...] = ()
    mobilities: tuple[str, ...] = ()
    family: str | None = None

    kind = "job-sheet"


Record = Training | JobSheet


@dataclass
class Parsed:
    """One item read from a source: a record, or the problems that reject it (with its identifier when known).

    Readers may defer checking a record's fields (``content`` and ``check`` set, ``record`` not yet): a job then
    recognises a record it already published, unchanged, by the hash of ``content`` alone, and calls :meth:`checked`
    for the others.
    """

    source: SourceRef
    record: Record | None = None
    record_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    content: str | None = None
    """Deferred records: the raw fields as read, as text."""
    check: Callable[[], Parsed] | None = None
    """Deferred records: checks the fields and returns the record or its problems."""
    provider: tuple[str, str] | None = None
    """Deferred trainings: (SIRET, name) of the provider as given (an unchanged training still sets the spelling of
    its organisation's name in the job)."""

    def checked(self) -> Parsed:
        """This item with its fields checked (now, for a deferred record)."""
        return self.check() if self.check is not None else self
