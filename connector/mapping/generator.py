"""Deterministic, realistic GEN inputs built from the bundled ROME 4.0 export, ESCO digital skills and real communes.

``generate()`` writes trainings (GEN CSV, GEN JSON or LHEO 2.3) and job sheets (JSON), and, when asked, a share of
defective records covering every kind of bad input the job engine must quarantine, plus one file per file-level
defect under ``defects/``. ``expected-defects.json`` lists each defective record id with its defect kind, so tests
can check the quarantine. Organisations are invented (names and SIRET with valid check keys); certification codes
follow the RNCP/RS formats and titles of real digital titres professionnels but are illustrative.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from connector.mapping.fields import luhn_ok
from connector.mapping.job_sheets import JOB_SHEET_COLUMNS
from connector.mapping.trainings import TRAINING_COLUMNS

FORMATS = ("csv", "json", "lheo")
RECORD_DEFECTS = (
    "missing-required",
    "malformed-date",
    "malformed-duration",
    "coordinates-out-of-range",
    "unknown-rome",
    "unknown-esco",
    "duplicate-id",
    "oversize-field",
    "session-end-before-start",
    "invalid-siret",
    "wrong-encoding",  # CSV only
    "mixed-separator",  # CSV only
)
CSV_ONLY = {"wrong-encoding", "mixed-separator"}
JOB_SHEET_DEFECTS = ("missing-required", "unknown-rome", "unknown-esco", "duplicate-id", "oversize-field")
CERTIFICATIONS = [
    ("RNCP37674", "Développeur web et web mobile", 5),
    ("RNCP37873", "Concepteur développeur d'applications", 6),
    ("RNCP37681", "Technicien d'assistance en informatique", 4),
    ("RNCP37682", "Technicien supérieur systèmes et réseaux", 5),
    ("RNCP37680", "Administrateur d'infrastructures sécurisées", 6),
    ("RNCP37805", "Designer web", 5),
    ("RNCP36581", "Data analyst", 6),
    ("RS5487", "Développer des applications avec des outils no code", None),
    ("RS6170", "Sensibilisation à la cybersécurité", None),
]
ORG_WORDS = (
    ("École", "Fabrique", "Académie", "Campus", "Atelier", "Simplon", "Code", "Labo", "Passerelle"),
    ("du Numérique", "Digitale", "du Code", "des Développeurs", "Solidaire du Web", "Numérique Inclusive", "Data"),
)
PUBLICS = (
    "Demandeurs d'emploi",
    "Jeunes de 16 à 25 ans",
    "Femmes en reconversion",
    "Résidents des quartiers prioritaires (QPV)",
    "Personnes en situation de handicap",
    "Tout public",
)
FUNDINGS = (
    "Gratuit (financement Région)",
    "France Travail (AIF)",
    "CPF",
    "PIC - Plan d'investissement dans les compétences",
    "OPCO",
)
LEVELS = ("Sans diplôme", "Niveau 3 (CAP, BEP)", "Niveau 4 (Bac)", "Niveau 5 (Bac+2)")


@dataclass
class Fiche:
    code: str
    label: str
    domain: str
    appellations: list[tuple[str, str]]
    competences: list[tuple[str, bool]]  # (code, core)
    savoirs: list[str]
    contexts: list[str]
    mobilities: list[str]
    definition: str
    access: str


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def load_rome(data_dir: Path) -> list[Fiche]:
    """The ROME 4.0 digital fiches (transition_num = O) with their appellations, competences and texts."""
    rome = data_dir / "rome-4.0-v460"
    fiches = {
        r["code_rome"]: r["libelle_rome"]
        for r in _csv_rows(rome / "unix_referentiel_code_rome_v460_utf8.csv.gz")
        if r["transition_num"] == "O"
    }
    domains = {
        r["code_rome"]: r["libelle_domaine_professionel"]
        for r in _csv_rows(rome / "unix_cr_gd_dp_v460_utf8.csv.gz")
        if r["code_rome"] in fiches
    }
    appellations: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in _csv_rows(rome / "unix_referentiel_appellation_v460_utf8.csv.gz"):
        if r["code_rome"] in fiches:
            entry = (r["code_ogr"], r["libelle_appellation_long"])
            (
                appellations[r["code_rome"]].insert(0, entry)
                if r["classification"] == "PRINCIPALE"
                else appellations[r["code_rome"]].append(entry)
            )
    core = {
        (r["code_rome"], r["code_ogr"])
        for r in _csv_rows(rome / "unix_coherence_item_v460_utf8.csv.gz")
        if r["code_rome"] in fiches and r["coeur_metier"] == "Principale"
    }
    links: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in _csv_rows(rome / "unix_liens_rome_referentiels_v460_utf8.csv.gz"):
        if r["code_rome"] in fiches:
            links[r["code_rome"]][f"{r['code_compo_bloc']}/{r['code_rubrique']}"].append(r["code_ogr"])
    texts: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for r in _csv_rows(rome / "unix_texte_v460_utf8.csv.gz"):
        if r["code_rome"] in fiches:
            texts[(r["code_rome"], r["code_compo_bloc"])].append((int(r["position_phrase"] or 0), r["libelle_texte"]))
    mobilities: dict[str, list[str]] = defaultdict(list)
    for r in _csv_rows(rome / "unix_rubrique_mobilite_v460_utf8.csv.gz"):
        if r["code_rome"] in fiches:
            mobilities[r["code_rome"]].append(r["code_rome_cible"])
    out = []
    for code in sorted(fiches):
        fl = links[code]
        out.append(
            Fiche(
                code=code,
                label=fiches[code],
                domain=domains.get(code, ""),
                appellations=appellations[code],
                competences=[(c, (code, c) in core) for c in fl["5/1"] + fl["5/2"]],
                savoirs=fl["5/3"],
                contexts=fl["6/"],
                mobilities=mobilities[code],
                definition=" ".join(t for _, t in sorted(texts[(code, "3")])).replace("''", "'"),
                access=" ".join(t for _, t in sorted(texts[(code, "4")])).replace("''", "'"),
            )
        )
    return out


def load_esco_digital(data_dir: Path) -> list[tuple[str, str]]:
    """ESCO digital skills (IRI, French label), sorted for determinism."""
    rows = _csv_rows(data_dir / "esco-v1.1.1-fr" / "digitalSkillsCollection_fr.csv.gz")
    return sorted((r["conceptUri"], r["preferredLabel"]) for r in rows if r["conceptUri"].startswith("http"))


def load_communes(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "communes-fr" / "communes.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def siret(rng: random.Random) -> str:
    """A SIRET with valid Luhn keys for both the SIREN (9 digits) and the SIRET (14 digits)."""
    while True:
        siren8 = f"{rng.randrange(10**7, 10**8)}"
        siren = next(siren8 + str(k) for k in range(10) if luhn_ok(siren8 + str(k)))
        nic4 = f"{rng.randrange(1, 1000):04d}"
        for k in range(10):
            candidate = siren + nic4 + str(k)
            if luhn_ok(candidate) and not candidate.startswith("356000000"):
                return candidate


class Generator:
    def __init__(self, data_dir: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fiches = [f for f in load_rome(data_dir) if f.appellations]
        self.skills = load_esco_digital(data_dir)
        self.communes = load_communes(data_dir)
        self.orgs = [self._organisation(i) for i in range(max(20, len(self.communes)))]
        self.known_rome = {f.code for f in load_rome_all_codes(data_dir)}

    def _organisation(self, i: int) -> dict[str, Any]:
        rng = self.rng
        commune = self.communes[i % len(self.communes)]
        name = f"{rng.choice(ORG_WORDS[0])} {rng.choice(ORG_WORDS[1])} {commune['nom'].split(' ')[0]}"
        street = f"{rng.randrange(1, 180)} {rng.choice(('rue', 'avenue', 'boulevard', 'allée', 'quai'))} " + rng.choice(
            ("Victor Hugo", "Jean Jaurès", "de la République", "Pasteur", "Gambetta", "du Général Leclerc", "des Lilas")
        )
        return {"name": name, "siret": siret(rng), "commune": commune, "street": street}

    # -- trainings ----------------------------------------------------------------------------------------------------
    def training(self, n: int) -> dict[str, Any]:
        rng = self.rng
        fiche = rng.choice(self.fiches)
        org = rng.choice(self.orgs)
        commune = org["commune"]
        appellation = rng.choice(fiche.appellations[:6])
        cert = rng.choice(CERTIFICATIONS) if rng.random() < 0.7 else None
        hours = rng.choice((280, 400, 455, 600, 735, 800, 910, 1050, 1200))
        months = max(1, round(hours / 140))
        start = date(2026, 1, 5) + timedelta(days=7 * rng.randrange(0, 52))
        sessions = []
        for _ in range(rng.randrange(1, 4)):
            end = start + timedelta(days=30 * months + rng.randrange(0, 20))
            sessions.append({"debut": start.isoformat(), "fin": end.isoformat()})
            start = end + timedelta(days=7 * rng.randrange(2, 12))
        skills = rng.sample(self.skills, rng.randrange(3, 8))
        competences = [c for c, _core in fiche.competences[:12]]
        modes = rng.choice((["présentiel"], ["distanciel"], ["hybride"], ["présentiel", "distanciel"]))
        label_date = date(2023, 1, 1) + timedelta(days=rng.randrange(0, 900))
        title = appellation[1] if rng.random() < 0.5 else fiche.label
        return {
            "identifiant": f"GEN-{n:06d}",
            "intitule": f"Formation {title}",
            "description": f"Formation intensive pour devenir {appellation[1]}. {fiche.definition[:400]}".strip(),
            "organisme": org["name"],
            "siret": org["siret"],
            "adresse": org["street"],
            "code_postal": commune["code_postal"],
            "commune": commune["nom"],
            "code_insee": commune["code_insee"],
            "departement": commune["departement"],
            "region": commune["region"],
            "latitude": float(commune["latitude"]) + rng.uniform(-0.01, 0.01),
            "longitude": float(commune["longitude"]) + rng.uniform(-0.01, 0.01),
            "duree_heures": hours,
            "duree_mois": months,
            "niveau_entree": rng.choice(LEVELS),
            "niveau_sortie": f"Niveau {cert[2]}" if cert and cert[2] else None,
            "certification_code": cert[0] if cert else None,
            "certification_intitule": cert[1] if cert else None,
            "certification_niveau_eqf": cert[2] if cert else None,
            "codes_rome": [fiche.code],
            "codes_appellations": [appellation[0]],
            "competences_esco": [s for s, _ in skills],
            "competences_rome": rng.sample(competences, min(len(competences), rng.randrange(1, 5))),
            "formacodes": [rng.choice(("31054", "31067", "31025", "31088", "46270"))],
            "codes_nsf": ["326t" if fiche.code.startswith("M18") else "320"],
            "modalites": modes,
            "alternance": rng.random() < 0.3,
            "public_cible": rng.choice(PUBLICS),
            "financement": rng.choice(FUNDINGS),
            "prix_euros": rng.choice((0, 0, 3900, 5200, 6500, 7800, 9100)),
            "sessions": sessions,
            "url": f"https://formations.example.fr/{n:06d}",
            "date_labellisation": label_date.isoformat(),
            "date_fin_labellisation": (label_date + timedelta(days=3 * 365)).isoformat(),
        }

    def break_training(self, record: dict[str, Any], kind: str, previous_id: str | None) -> dict[str, Any]:
        rng = self.rng
        if kind == "missing-required":
            record["intitule"] = ""
        elif kind == "malformed-date":
            record["sessions"][0]["debut"] = "31/02/2026"
        elif kind == "malformed-duration":
            record["duree_heures"], record["duree_mois"] = "huit cents", None
        elif kind == "coordinates-out-of-range":
            record["latitude"] = 123.4
        elif kind == "unknown-rome":
            record["codes_rome"] = [
                next(c for c in (f"M{rng.randrange(1000, 10000)}" for _ in iter(int, 1)) if c not in self.known_rome)
            ]
        elif kind == "unknown-esco":
            record["competences_esco"] = [
                f"http://data.europa.eu/esco/skill/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
            ]
        elif kind == "duplicate-id" and previous_id:
            record["identifiant"] = previous_id
        elif kind == "oversize-field":
            record["description"] = "Lorem ipsum dolor sit amet. " * 800
        elif kind == "session-end-before-start":
            s = record["sessions"][0]
            s["debut"], s["fin"] = s["fin"], s["debut"]
        elif kind == "invalid-siret":
            record["siret"] = record["siret"][:-1] + str((int(record["siret"][-1]) + 1) % 10)
        return record

    # -- job sheets ---------------------------------------------------------------------------------------------
    def job_sheet(self, n: int, fiche: Fiche) -> dict[str, Any]:
        rng = self.rng
        return {
            "identifiant": f"GEN-FP-{n:03d}",
            "intitule": fiche.appellations[0][1] if fiche.appellations else fiche.label,
            "code_rome": fiche.code,
            "codes_appellations": [a for a, _ in fiche.appellations[:6]],
            "definition": fiche.definition or None,
            "acces_metier": fiche.access or None,
            "competences": [{"code": c, "principale": core} for c, core in fiche.competences[:25]],
            "savoirs": [{"code": c} for c in fiche.savoirs[:15]],
            "competences_esco": [
                {"uri": s, "libelle": label, "essentielle": i < 3}
                for i, (s, label) in enumerate(rng.sample(self.skills, rng.randrange(4, 10)))
            ],
            "contextes": fiche.contexts[:6],
            "mobilites": [m for m in fiche.mobilities[:6] if m in self.known_rome],
            "famille": fiche.domain or None,
        }


def load_rome_all_codes(data_dir: Path) -> list[Fiche]:
    """Every ROME fiche code (to pick codes that do not exist for the unknown-code defect)."""
    rows = _csv_rows(data_dir / "rome-4.0-v460" / "unix_referentiel_code_rome_v460_utf8.csv.gz")
    return [Fiche(r["code_rome"], "", "", [], [], [], [], [], "", "") for r in rows]


def _defect_plan(rng: random.Random, count: int, share: float, kinds: tuple[str, ...]) -> dict[int, str]:
    """Which record indexes get which defect: ``share`` of them, cycling through every kind."""
    n = round(count * share)
    if n == 0:
        return {}
    chosen = sorted(rng.sample(range(1, count), min(n, count - 1))) if count > 1 else []
    return {i: kinds[k % len(kinds)] for k, i in enumerate(chosen)}


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.5f}"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "|".join(f"{s['debut']}/{s.get('fin') or ''}" for s in value)
        return "|".join(str(v) for v in value)
    return str(value)


def write_training_csv(path: Path, records: list[tuple[dict[str, Any], str | None]]) -> None:
    keys = list(TRAINING_COLUMNS)
    with path.open("wb") as fh:
        fh.write(("\ufeff" + ";".join(TRAINING_COLUMNS.values()) + "\r\n").encode("utf-8"))
        for record, defect in records:
            buf = io.StringIO()
            separator = "," if defect == "mixed-separator" else ";"
            csv.writer(buf, delimiter=separator, lineterminator="\r\n").writerow(
                [_csv_cell(record.get(k)) for k in keys]
            )
            line = buf.getvalue()
            fh.write(line.encode("cp1252", errors="replace") if defect == "wrong-encoding" else line.encode("utf-8"))


def _lheo_formation(r: dict[str, Any]) -> str:
    def el(name: str, value: Any) -> str:
        return "" if value in (None, "") else f"<{name}>{escape(str(value))}</{name}>"

    cert = r.get("certification_code") or ""
    cert_xml = ""
    if cert.startswith("RNCP"):
        cert_xml = f"<certification>{el('code-RNCP', cert[4:])}</certification>"
    elif cert.startswith("RS"):
        cert_xml = f"<certification>{el('code-RS', cert[2:])}</certification>"
    sessions = "".join(
        "<session><periode>"
        + el("debut", str(s["debut"]).replace("-", ""))
        + el("fin", str(s.get("fin") or "").replace("-", ""))
        + "</periode><adresse-inscription><adresse><ligne>Voir organisme</ligne></adresse>"
        + "</adresse-inscription></session>"
        for s in r["sessions"]
    )
    mode = {"présentiel": "0", "distanciel": "1", "hybride": "2"}.get((r.get("modalites") or [""])[0], "0")
    adresse = (
        "<adresse>"
        + el("ligne", r.get("adresse"))
        + el("codepostal", r.get("code_postal"))
        + el("ville", r.get("commune"))
        + el("departement", r.get("departement"))
        + el("code-INSEE-commune", r.get("code_insee"))
        + el("region", r.get("region"))
        + "<geolocalisation>"
        + el("latitude", r.get("latitude"))
        + el("longitude", r.get("longitude"))
        + "</geolocalisation></adresse>"
    )
    return (
        f'<formation numero="{escape(str(r["identifiant"]))}">'
        "<domaine-formation>"
        + "".join(el("code-FORMACODE", c) for c in r.get("formacodes") or [])
        + "".join(el("code-NSF", c) for c in r.get("codes_nsf") or [])
        + "".join(el("code-ROME", c) for c in r.get("codes_rome") or [])
        + "</domaine-formation>"
        + el("intitule-formation", r.get("intitule"))
        + el("objectif-formation", r.get("description"))
        + "<resultats-attendus>Certification visée</resultats-attendus>"
        + "<contenu-formation>Voir le programme</contenu-formation>"
        + el("certifiante", 1 if cert else 0)
        + "<contact-formation><coordonnees><nom>Accueil</nom></coordonnees></contact-formation>"
        + "<parcours-de-formation>1</parcours-de-formation>"
        + el("code-niveau-entree", r.get("niveau_entree"))
        + cert_xml
        + f"<url-formation><urlweb>{escape(r['url'])}</urlweb></url-formation>"
        + "<organisme-formation-responsable>"
        + f"<SIRET-organisme-formation><SIRET>{escape(str(r['siret']))}</SIRET></SIRET-organisme-formation>"
        + el("raison-sociale", r.get("organisme"))
        + "</organisme-formation-responsable>"
        + "<action>"
        + el("code-public-vise", r.get("public_cible"))
        + el("modalites-enseignement", mode)
        + f"<lieu-de-formation><coordonnees>{adresse}</coordonnees></lieu-de-formation>"
        + sessions
        + el("prix-total-TTC", r.get("prix_euros"))
        + el("nombre-heures-total", r.get("duree_heures"))
        + el("detail-conditions-prise-en-charge", r.get("financement"))
        + "</action></formation>"
    )


def write_lheo(path: Path, records: list[tuple[dict[str, Any], str | None]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="http://lheo.gouv.fr/2.3"><offres>\n')
        for record, _ in records:
            fh.write(_lheo_formation(record) + "\n")
        fh.write("</offres></lheo>\n")


FILE_DEFECTS = {
    "empty.csv": b"",
    "utf16.csv": "Identifiant;Intitulé\r\nX1;Test\r\n".encode("utf-16"),
    "invalid.xml": b'<?xml version="1.0"?>\n<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="X">\n',
    "entity-bomb.xml": (
        b'<?xml version="1.0"?>\n<!DOCTYPE lheo [\n <!ENTITY a "aaaaaaaaaa">\n'
        b' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
        b' <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">\n]>\n'
        b'<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="B">'
        b"<intitule-formation>&d;&d;&d;</intitule-formation>"
        b"</formation></offres></lheo>\n"
    ),
    "not-json.json": b'[{"identifiant": "X1", ',
}


def generate(
    data_dir: Path, out: Path, trainings: int, job_sheets: int, seed: int, fmt: str, defects: float = 0.0
) -> list[tuple[Path, int]]:
    """Write the sample files into ``out``; return (path, records) for each file written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(data_dir, seed)
    written: list[tuple[Path, int]] = []
    expected: dict[str, Any] = {"trainings": {}, "job_sheets": {}}
    kinds = RECORD_DEFECTS if fmt == "csv" else tuple(k for k in RECORD_DEFECTS if k not in CSV_ONLY)
    plan = _defect_plan(gen.rng, trainings, defects, kinds)
    records: list[tuple[dict[str, Any], str | None]] = []
    for i in range(trainings):
        record = gen.training(i + 1)
        defect = plan.get(i)
        if defect:
            record = gen.break_training(record, defect, records[i - 1][0]["identifiant"] if i else None)
            expected["trainings"][f"{record['identifiant']}@{i + 1}"] = defect
        records.append((record, defect))
    if trainings:
        if fmt == "csv":
            path = out / "trainings.csv"
            write_training_csv(path, records)
        elif fmt == "json":
            path = out / "trainings.json"
            path.write_text(json.dumps([r for r, _ in records], ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            path = out / "trainings.lheo.xml"
            write_lheo(path, records)
        written.append((path, trainings))
    if job_sheets:
        fiches = sorted(gen.rng.sample(gen.fiches, min(job_sheets, len(gen.fiches))), key=lambda f: f.code)
        sheet_plan = _defect_plan(gen.rng, len(fiches), defects, JOB_SHEET_DEFECTS)
        sheets = []
        for i, fiche in enumerate(fiches):
            sheet = gen.job_sheet(i + 1, fiche)
            defect = sheet_plan.get(i)
            if defect == "missing-required":
                sheet["intitule"] = ""
            elif defect == "unknown-rome":
                sheet["code_rome"] = "M1999" if "M1999" not in gen.known_rome else "N9999"
            elif defect == "unknown-esco":
                sheet["competences_esco"][0]["uri"] = (
                    "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000000"
                )
            elif defect == "duplicate-id" and sheets:
                sheet["identifiant"] = sheets[-1]["identifiant"]
            elif defect == "oversize-field":
                sheet["definition"] = "Définition trop longue. " * 800
            if defect:
                expected["job_sheets"][f"{sheet['identifiant']}@{i + 1}"] = defect
            sheets.append(sheet)
        path = out / "job-sheets.json"
        path.write_text(json.dumps(sheets, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append((path, len(sheets)))
    if defects > 0:
        folder = out / "defects"
        folder.mkdir(exist_ok=True)
        for name, content in FILE_DEFECTS.items():
            (folder / name).write_bytes(content)
            written.append((folder / name, 0))
        (out / "expected-defects.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False), encoding="utf-8")
    return written


__all__ = ["FORMATS", "JOB_SHEET_COLUMNS", "generate"]
