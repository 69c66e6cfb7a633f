"""GEN job sheets (fiches de postes aligned with ROME 4.0) from JSON, YAML or CSV to :class:`JobSheet` records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from connector.mapping import jsonfiles
from connector.mapping.fields import ESCO_SKILL, OGR_CODE, ROME_FICHE, FieldReader, fold
from connector.mapping.records import (
    FileRejected,
    JobSheet,
    JobSkill,
    Parsed,
    Problem,
    RecordRejected,
    SourceRef,
)
from connector.mapping.textfiles import check_size, keyed_csv_rows
from connector.mapping.trainings import RECORD_ID

# canonical key -> CSV header
JOB_SHEET_COLUMNS: dict[str, str] = {
    "identifiant": "Identifiant",
    "intitule": "Intitulé",
    "code_rome": "Code ROME",
    "codes_appellations": "Codes appellations",
    "definition": "Définition",
    "acces_metier": "Accès au métier",
    "competences_principales": "Compétences principales",
    "competences": "Autres compétences",
    "savoirs": "Savoirs",
    "competences_esco_essentielles": "Compétences ESCO essentielles",
    "competences_esco_optionnelles": "Compétences ESCO optionnelles",
    "contextes": "Contextes de travail",
    "mobilites": "Mobilités",
    "famille": "Famille",
}
_HEADER_KEYS = {fold(h): k for k, h in JOB_SHEET_COLUMNS.items()} | {k: k for k in JOB_SHEET_COLUMNS}


def _skills(f: FieldReader, name: str, pattern: Any, what: str, main_key: str, code_key: str) -> list[JobSkill]:
    """A JSON list of {code|uri, libelle, principale|essentielle} objects or of plain codes."""
    value = f.raw.get(name)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        return [JobSkill(c) for c in f.codes(name, pattern, what)]
    out = []
    for item in value:
        if isinstance(item, str | int):
            item = {code_key: str(item)}
        if not isinstance(item, Mapping) or not isinstance(item.get(code_key), str | int):
            f.fail(name, item, f"each entry needs a '{code_key}'")
            continue
        code = str(item[code_key]).strip()
        if not pattern.fullmatch(code):
            f.fail(name, code, f"malformed {what}")
            continue
        label = item.get("libelle")
        out.append(JobSkill(code, label if isinstance(label, str) else None, bool(item.get(main_key, False))))
    return out


def job_sheet_from_raw(raw: Mapping[str, Any], max_chars: int) -> JobSheet:
    f = FieldReader(raw, max_chars)
    record_id = f.text("identifiant", required=True)
    if record_id is not None and not RECORD_ID.fullmatch(record_id):
        f.fail("identifiant", record_id, "malformed identifier (letters, digits, '.', '_', '-'; at most 100)")
    title = f.text("intitule", required=True)
    rome = f.text("code_rome", required=True)
    if rome is not None and not ROME_FICHE.fullmatch(rome.upper()):
        f.fail("code_rome", rome, "malformed ROME 4.0 fiche code (letter A-N and 4 digits)")
    rome_what = "ROME competence code (OGR number)"
    competences = _skills(f, "competences", OGR_CODE, rome_what, "principale", "code")
    competences += [
        JobSkill(s.code, s.label, True)
        for s in _skills(f, "competences_principales", OGR_CODE, rome_what, "principale", "code")
    ]
    esco = _skills(f, "competences_esco", ESCO_SKILL, "ESCO skill IRI", "essentielle", "uri")
    esco += [
        JobSkill(s.code, s.label, True)
        for s in _skills(f, "competences_esco_essentielles", ESCO_SKILL, "ESCO skill IRI", "essentielle", "uri")
    ]
    esco += _skills(f, "competences_esco_optionnelles", ESCO_SKILL, "ESCO skill IRI", "essentielle", "uri")
    sheet = JobSheet(
        id=record_id or "",
        title=title or "",
        rome_code=(rome or "").upper(),
        appellation_codes=f.codes("codes_appellations", OGR_CODE, "ROME appellation code (OGR number)"),
        definition=f.text("definition"),
        access=f.text("acces_metier"),
        competences=tuple(competences),
        knowledge=tuple(_skills(f, "savoirs", OGR_CODE, "ROME savoir code (OGR number)", "principale", "code")),
        esco_skills=tuple(esco),
        contexts=f.codes("contextes", OGR_CODE, "ROME work-context code (OGR number)"),
        mobilities=f.codes("mobilites", ROME_FICHE, "ROME 4.0 fiche code", upper=True),
        family=f.text("famille"),
    )
    f.check()
    return sheet


def _parse(raw: Any, source: SourceRef, max_chars: int) -> Parsed:
    if not isinstance(raw, Mapping):
        return Parsed(source, None, None, [Problem(jsonfiles.not_an_object(raw, "a job sheet"))])
    rid = raw.get("identifiant")
    rid = str(rid).strip() if isinstance(rid, str | int) and str(rid).strip() else None
    try:
        return Parsed(source, job_sheet_from_raw(raw, max_chars), rid)
    except RecordRejected as exc:
        return Parsed(source, None, rid, exc.problems)


def read_job_sheets_json(path: Path, max_bytes: int, max_chars: int) -> Iterator[Parsed]:
    for location, item in jsonfiles.iter_objects(path, max_bytes, "fiches"):
        yield _parse(item, SourceRef(path.name, location), max_chars)


def read_job_sheets_yaml(path: Path, max_bytes: int, max_chars: int) -> Iterator[Parsed]:
    """One sheet per file or a list (or ``fiches: [...]``); YAML aliases are refused (no alias bombs)."""
    if check_size(path, max_bytes) == 0:
        raise FileRejected("empty file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise FileRejected("YAML aliases are not allowed in job sheets")
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise FileRejected("invalid UTF-8 in a YAML file") from None
    except yaml.YAMLError as exc:
        raise FileRejected(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        raise FileRejected("empty file")
    if isinstance(data, Mapping) and isinstance(data.get("fiches"), list):
        data, prefix = data["fiches"], "$.fiches"
    elif isinstance(data, list):
        prefix = "$"
    else:
        yield _parse(data, SourceRef(path.name, "$"), max_chars)
        return
    for i, item in enumerate(data):
        yield _parse(item, SourceRef(path.name, f"{prefix}[{i}]"), max_chars)


def read_job_sheets_csv(path: Path, max_bytes: int, max_chars: int) -> Iterator[Parsed]:
    for source, raw, problem in keyed_csv_rows(path, max_bytes, lambda h: _HEADER_KEYS.get(fold(h))):
        if problem:
            yield Parsed(source, None, raw.get("identifiant", "").strip() or None, [Problem(problem)])
            continue
        yield _parse(raw, source, max_chars)
