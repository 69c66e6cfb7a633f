"""LHEO 2.3 and 2.2 training offers (offres/formation/action/session) to :class:`Training` records.

Parsed as a stream with defusedxml: entity declarations (billion-laughs bombs) and external references are refused,
no DTD or network access happens, the file size is limited, and each ``formation`` element is dropped once mapped so
memory does not grow with the file. Elements are matched by local name, so LHEO 2.2 (``http://www.lheo.org/2.2``),
2.3 (``http://lheo.gouv.fr/2.3``) and documents without a namespace all read the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from connector.mapping.records import FileRejected, Parsed, RecordRejected, SourceRef
from connector.mapping.textfiles import check_size
from connector.mapping.trainings import training_from_raw

NAMESPACES = {"http://lheo.gouv.fr/2.3": "2.3", "http://www.lheo.org/2.2": "2.2"}
MODES = {"0": "présentiel", "1": "distanciel", "2": "hybride"}
UNKNOWN_DATES = {"00000000", "99999999"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el: Element | None, *path: str) -> Element | None:
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _all(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _text(el: Element | None, *path: str) -> str | None:
    found = _find(el, *path) if path else el
    if found is None:
        return None
    text = "".join(found.itertext()).strip()
    return text or None


def formation_to_raw(formation: Element) -> dict[str, Any]:
    """The canonical raw record (same keys as the GEN CSV/JSON input) of one LHEO ``formation``."""
    domaine = _find(formation, "domaine-formation")
    organisme = _find(formation, "organisme-formation-responsable")
    actions = _all(formation, "action")
    first = actions[0] if actions else None
    lieu = _find(first, "lieu-de-formation", "coordonnees", "adresse") or _find(
        organisme, "coordonnees-organisme", "coordonnees", "adresse"
    )
    geo = _find(lieu, "geolocalisation")
    certification = _find(formation, "certification")
    rncp = _text(certification, "code-RNCP")
    rs = _text(certification, "code-RS")
    cert_code = f"RNCP{rncp}" if rncp and rncp.isdigit() else rncp or (f"RS{rs}" if rs and rs.isdigit() else rs)
    sessions = []
    for action in actions:
        for session in _all(action, "session"):
            start = _text(session, "periode", "debut")
            end = _text(session, "periode", "fin")
            if start in UNKNOWN_DATES:
                continue
            sessions.append({"debut": start or "", "fin": None if end in UNKNOWN_DATES else end})
    modes = [MODES.get(_text(a, "modalites-enseignement") or "", "") for a in actions]
    streets = [_text(line) for line in _all(lieu, "ligne")]
    description = "\n\n".join(
        t for t in (_text(formation, "objectif-formation"), _text(formation, "contenu-formation")) if t
    )
    return {
        "identifiant": formation.get("numero") or _text(formation, "identifiant-module"),
        "intitule": _text(formation, "intitule-formation"),
        "description": description or None,
        "organisme": _text(organisme, "raison-sociale") or _text(organisme, "nom-organisme"),
        "siret": _text(organisme, "SIRET-organisme-formation", "SIRET"),
        "adresse": ", ".join(s for s in streets if s) or None,
        "code_postal": _text(lieu, "codepostal"),
        "commune": _text(lieu, "ville"),
        "code_insee": _text(lieu, "code-INSEE-commune"),
        "departement": _text(lieu, "departement"),
        "region": _text(lieu, "region"),
        "latitude": _text(geo, "latitude"),
        "longitude": _text(geo, "longitude"),
        "duree_heures": _text(first, "nombre-heures-total"),
        "niveau_entree": _text(formation, "code-niveau-entree"),
        "niveau_sortie": _text(formation, "code-niveau-sortie"),
        "certification_code": cert_code,
        "codes_rome": [t for t in (_text(c) for c in _all(domaine, "code-ROME")) if t],
        "formacodes": [t for t in (_text(c) for c in _all(domaine, "code-FORMACODE")) if t],
        "codes_nsf": [t for t in (_text(c) for c in _all(domaine, "code-NSF")) if t],
        "modalites": [m for m in dict.fromkeys(modes) if m],
        "alternance": "oui" if _text(first, "modalites-alternance") else None,
        "public_cible": _text(first, "code-public-vise"),
        "financement": _text(first, "detail-conditions-prise-en-charge"),
        "prix_euros": _text(first, "prix-total-TTC"),
        "sessions": sessions,
        "url": _text(formation, "url-formation", "urlweb") or _text(first, "url-action", "urlweb"),
    }


def read_lheo(path: Path, max_bytes: int, max_chars: int) -> Iterator[Parsed]:
    """Each ``formation`` of an LHEO document, located by its XPath (``/lheo/offres/formation[3]``)."""
    check_size(path, max_bytes)
    index = 0
    root: Element | None = None
    version = None
    depth = 0
    try:
        for event, el in iterparse(str(path), events=("start", "end"), forbid_dtd=False, forbid_entities=True):
            if event == "start":
                depth += 1
                if root is None:
                    root = el
                    if _local(el.tag) != "lheo":
                        raise FileRejected(f"not an LHEO document (root element is <{_local(el.tag)}>)")
                    namespace = el.tag[1:].split("}")[0] if el.tag.startswith("{") else ""
                    version = NAMESPACES.get(namespace, "unknown")
                continue
            depth -= 1
            if _local(el.tag) != "formation" or depth != 2:
                continue
            index += 1
            source = SourceRef(path.name, f"/lheo/offres/formation[{index}]")
            raw = formation_to_raw(el)
            record_id = raw.get("identifiant")
            try:
                yield Parsed(source, training_from_raw(raw, max_chars), record_id)
            except RecordRejected as exc:
                yield Parsed(source, None, record_id, exc.problems)
            el.clear()
            offres = _find(root, "offres")
            if offres is not None:
                offres.clear()
    except DefusedXmlException as exc:
        raise FileRejected(
            f"XML refused for safety ({type(exc).__name__}: entity declarations are not allowed)"
        ) from None
    except ParseError as exc:
        raise FileRejected(f"invalid XML: {exc}") from None
    if root is None:
        raise FileRejected("empty file")
    if index == 0:
        raise FileRejected(f"no <formation> in this LHEO {version} document")
