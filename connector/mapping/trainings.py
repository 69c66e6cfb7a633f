"""GEN training catalogue (CSV or JSON, the documented input schema) to :class:`Training` records."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from itertools import chain
from pathlib import Path
from typing import Any

from connector.mapping import jsonfiles
from connector.mapping.fields import (
    CERTIFICATION,
    ESCO_SKILL,
    FORMACODE,
    INSEE_CODE,
    MODES,
    NSF,
    OGR_CODE,
    POSTAL_CODE,
    ROME_FICHE,
    URL,
    FieldReader,
    fold,
    parse_date,
    siret_ok,
)
from connector.mapping.records import (
    Certification,
    Parsed,
    Problem,
    RecordRejected,
    Session,
    SourceRef,
    Training,
)
from connector.mapping.textfiles import keyed_csv_rows

RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# canonical key -> header of a GEN CSV export (the JSON schema uses the canonical keys)
TRAINING_COLUMNS: dict[str, str] = {
    "identifiant": "Identifiant",
    "intitule": "Intitulé",
    "description": "Description",
    "organisme": "Organisme (raison sociale)",
    "siret": "SIRET",
    "adresse": "Adresse",
    "code_postal": "Code postal",
    "commune": "Commune",
    "code_insee": "Code INSEE",
    "departement": "Département",
    "region": "Région",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "duree_heures": "Durée (heures)",
    "duree_mois": "Durée (mois)",
    "niveau_entree": "Niveau d'entrée",
    "niveau_sortie": "Niveau de sortie",
    "certification_code": "Code certification",
    "certification_intitule": "Intitulé certification",
    "certification_niveau_eqf": "Niveau EQF certification",
    "codes_rome": "Codes ROME",
    "codes_appellations": "Codes appellations ROME",
    "competences_esco": "Compétences ESCO",
    "competences_rome": "Compétences ROME",
    "formacodes": "FORMACODE",
    "codes_nsf": "NSF",
    "modalites": "Modalités",
    "alternance": "Alternance",
    "public_cible": "Public cible",
    "financement": "Financement",
    "prix_euros": "Prix (€ TTC)",
    "sessions": "Sessions",
    "url": "URL",
    "date_labellisation": "Date de labellisation",
    "date_fin_labellisation": "Fin de labellisation",
}
_HEADER_KEYS = {fold(h): k for k, h in TRAINING_COLUMNS.items()} | {k: k for k in TRAINING_COLUMNS}


def training_from_raw(raw: Mapping[str, Any], max_chars: int) -> Training:
    """Validate one raw record (canonical keys) into a :class:`Training`; raise :class:`RecordRejected`."""
    f = FieldReader(raw, max_chars)
    record_id = f.text("identifiant", required=True)
    if record_id is not None and not RECORD_ID.fullmatch(record_id):
        f.fail("identifiant", record_id, "malformed identifier (letters, digits, '.', '_', '-'; at most 100)")
    title = f.text("intitule", required=True)
    provider = f.text("organisme", required=True)
    siret = f.text("siret", required=True)
    if siret is not None:
        siret = siret.replace(" ", "")
        if not siret_ok(siret):
            f.fail("siret", siret, "invalid SIRET (14 digits with a valid check key)")
    url = f.pattern("url", URL, "URL (http or https)", required=True)
    rome = f.codes("codes_rome", ROME_FICHE, "ROME 4.0 fiche code (letter A-N and 4 digits)", upper=True)
    appellations = f.codes("codes_appellations", OGR_CODE, "ROME appellation code (OGR number)")
    if not rome and not appellations and not any(p.field in ("codes_rome", "codes_appellations") for p in f.problems):
        f.fail("codes_rome", None, "missing required field (at least one ROME fiche or appellation code)")
    latitude = f.number("latitude", -90, 90)
    longitude = f.number("longitude", -180, 180)
    if (raw.get("latitude") in (None, "")) != (raw.get("longitude") in (None, "")):
        f.fail(
            "latitude" if raw.get("latitude") in (None, "") else "longitude", None, "latitude and longitude go together"
        )
    hours = f.number("duree_heures", positive=True, hi=20000)
    months = f.number("duree_mois", positive=True, hi=120)
    if hours is None and months is None and not any(p.field in ("duree_heures", "duree_mois") for p in f.problems):
        f.fail("duree_heures", None, "missing required field (duration in hours or months)")
    certification = _certification(f)
    modes = []
    for mode in f.items("modalites"):
        if fold(mode).replace("_", " ") in MODES:
            modes.append(MODES[fold(mode).replace("_", " ")])
        else:
            f.fail("modalites", mode, "unknown mode (présentiel, distanciel or hybride)")
    sessions = _sessions(f)
    label_date = f.date("date_labellisation")
    label_end = f.date("date_fin_labellisation")
    if label_date and label_end and label_end <= label_date:
        f.fail("date_fin_labellisation", label_end.isoformat(), "label end date is not after the label date")
    training = Training(
        id=record_id or "",
        title=title or "",
        provider_name=provider or "",
        provider_siret=siret or "",
        url=url or "",
        rome_codes=rome,
        description=f.text("description"),
        street=f.text("adresse"),
        postal_code=f.pattern("code_postal", POSTAL_CODE, "postal code (5 digits)"),
        city=f.text("commune"),
        insee_code=f.pattern("code_insee", INSEE_CODE, "INSEE commune code"),
        department=f.text("departement"),
        region=f.text("region"),
        latitude=latitude,
        longitude=longitude,
        duration_hours=hours,
        duration_months=months,
        entry_level=f.text("niveau_entree"),
        exit_level=f.text("niveau_sortie"),
        certification=certification,
        appellation_codes=appellations,
        esco_skills=f.codes("competences_esco", ESCO_SKILL, "ESCO skill IRI"),
        rome_competences=f.codes("competences_rome", OGR_CODE, "ROME competence code (OGR number)"),
        formacodes=f.codes("formacodes", FORMACODE, "FORMACODE (5 digits)"),
        nsf_codes=f.codes("codes_nsf", NSF, "NSF code"),
        modes=tuple(dict.fromkeys(modes)),
        work_based=f.flag("alternance"),
        target_public=f.text("public_cible"),
        funding=f.text("financement"),
        price_eur=f.number("prix_euros", lo=0, hi=1_000_000),
        sessions=sessions,
        label_date=label_date,
        label_end_date=label_end,
    )
    f.check()
    return training


def _certification(f: FieldReader) -> Certification | None:
    code = f.text("certification_code")
    level = f.number("certification_niveau_eqf", lo=1, hi=8)
    if code is None:
        return None
    match = CERTIFICATION.fullmatch(code.upper().replace(" ", ""))
    if not match:
        f.fail("certification_code", code, "malformed certification code (RNCP or RS followed by digits)")
        return None
    if level is not None and level != int(level):
        f.fail("certification_niveau_eqf", level, "EQF level must be a whole number 1-8")
    return Certification(
        kind=match.group(1),
        code=match.group(0),
        title=f.text("certification_intitule"),
        eqf_level=int(level) if level is not None else None,
    )


def _sessions(f: FieldReader) -> tuple[Session, ...]:
    raw = f.raw.get("sessions")
    pairs: list[tuple[str, str | None]] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping) and isinstance(item.get("debut"), str):
                end = item.get("fin")
                pairs.append((item["debut"], end if isinstance(end, str) and end else None))
            else:
                f.fail("sessions", item, "a session is an object with 'debut' (and 'fin') dates")
    else:
        for item in f.items("sessions"):
            start, _, end = item.partition("/")
            pairs.append((start, end or None))
    sessions = []
    for start_text, end_text in pairs:
        start = parse_date(start_text)
        end = parse_date(end_text) if end_text else None
        if start is None or (end_text and end is None):
            f.fail("sessions", f"{start_text}/{end_text or ''}", "malformed session date (expected YYYY-MM-DD)")
        elif end is not None and end <= start:
            f.fail("sessions", f"{start_text}/{end_text}", "session ends before it starts")
        else:
            sessions.append(Session(start, end))
    return tuple(sessions)


def _parse(raw: Mapping[str, Any], source: SourceRef, max_chars: int) -> Parsed:
    record_id = raw.get("identifiant")
    record_id = record_id.strip() if isinstance(record_id, str) and record_id.strip() else None
    try:
        return Parsed(source, training_from_raw(raw, max_chars), record_id)
    except RecordRejected as exc:
        return Parsed(source, None, record_id, exc.problems)


def content_text(raw: Mapping[str, Any]) -> str:
    """The raw record as one text that only an equal record gives (its content hash is taken from it).

    Every value a string (a CSV row): its sorted keys and values joined by NULs, half the cost of JSON, when none
    holds a NUL (then the text splits back into that one record); otherwise sorted JSON, which holds no NUL. Raises
    what ``json.dumps`` raises for what is not plain JSON data."""
    try:
        text = "\0".join(chain.from_iterable(sorted(raw.items())))
        if text.count("\0") == 2 * len(raw) - 1:
            return text
    except TypeError:  # a value that is not a string
        pass
    return json.dumps(raw, ensure_ascii=False, sort_keys=True)


def _deferred(raw: Mapping[str, Any], source: SourceRef, max_chars: int) -> Parsed:
    """The record with its checks deferred (see :class:`Parsed`); checked at once when its raw form is not plain
    JSON data (absurdly nested input)."""
    try:
        content = content_text(raw)
    except (RecursionError, TypeError, ValueError):
        return _parse(raw, source, max_chars)
    record_id, siret, name = raw.get("identifiant"), raw.get("siret"), raw.get("organisme")
    provider = None
    if isinstance(siret, str) and isinstance(name, str):
        provider = (siret.strip().replace(" ", ""), name.strip())
    return Parsed(
        source,
        record_id=record_id.strip() if isinstance(record_id, str) and record_id.strip() else None,
        content=content,
        check=lambda: _parse(raw, source, max_chars),
        provider=provider,
    )


def read_training_csv(path: Path, max_bytes: int, max_chars: int) -> Iterator[Parsed]:
    """Rows of a GEN CSV export; unknown columns are ignored, the ``identifiant`` column is required."""
    for source, raw, problem in keyed_csv_rows(path, max_bytes, lambda h: _HEADER_KEYS.get(fold(h))):
        if problem:
            yield Parsed(source, None, raw.get("identifiant", "").strip() or None, [Problem(problem)])
            continue
        yield _deferred(raw, source, max_chars)


def read_training_json(path: Path, max_bytes: int, max_chars: int) -> Iterator[Parsed]:
    """A JSON array of trainings, an object with a ``formations`` array, or JSON Lines (one object a line)."""
    for location, item in jsonfiles.iter_objects(path, max_bytes, "formations"):
        source = SourceRef(path.name, location)
        if not isinstance(item, Mapping):
            yield Parsed(source, None, None, [Problem(jsonfiles.not_an_object(item, "a training"))])
            continue
        yield _deferred(item, source, max_chars)
