"""Cut the small ROME / ESCO fixtures of the vocabulary tests from the bundled exports in data/.

Run from the repository root: ``.venv/bin/python tests/data/make_vocab_fixtures.py``. The fixtures keep the
official file names, headers and quoting; only rows about a few digital jobs (and one farming job) are kept.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
OUT = Path(__file__).resolve().parent
csv.field_size_limit(10 * 1024 * 1024)
FICHES = {"M1855", "M1805", "M1811", "M1419", "A1101"}
OCCUPATIONS = {
    "c40a2919-48a9-40ea-b506-1f34f693496d",  # web developer
    "f2b15a0e-e65a-438a-affb-29b9d50b77d1",  # software developer
    "258e46f9-0075-4a2e-adae-1ff0477e0f30",  # data scientist
    "aaeec9a7-dc57-4485-890c-86b3eef735f9",  # ICT help desk agent
}


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write(path: Path, header: list[str], rows: list[list[str]], quote_all: bool) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(buf.getvalue().encode(), mtime=0))
    else:
        path.write_text(buf.getvalue(), encoding="utf-8")


def rome() -> None:
    src, dst = DATA / "rome-4.0-v460", OUT / "rome-mini"
    links_h, links = read(src / "unix_liens_rome_referentiels_v460_utf8.csv.gz")
    keep_links = [r for r in links if r[0] in FICHES]
    items = {r[3] for r in keep_links}
    comp_h, comps = read(src / "unix_referentiel_competence_v460_utf8.csv.gz")
    macros = {r[4] for r in comps if r[0] in items}
    codes = items | macros
    domains = {f[:3] for f in FICHES}
    letters = {f[0] for f in FICHES}
    rules = {
        "grand_domaine": lambda r, h: r[0] in letters,
        "domaine_professionnel": lambda r, h: r[0] in domains,
        "referentiel_code_rome": lambda r, h: r[0] in FICHES,
        "referentiel_appellation": lambda r, h: r[h.index("code_rome")] in FICHES,
        "referentiel_competence": lambda r, h: r[0] in codes,
        "referentiel_savoir": lambda r, h: r[0] in codes,
        "referentiel_contexte_travail": lambda r, h: r[0] in codes,
        "liens_rome_referentiels": lambda r, h: r[0] in FICHES,
        "coherence_item": lambda r, h: r[0] in FICHES,
        "texte": lambda r, h: r[0] in FICHES,
        "rubrique_mobilite": lambda r, h: r[0] in FICHES and r[1] in FICHES,
        "referentiel_code_rome_riasec": lambda r, h: r[0] in FICHES,
    }
    for stem, keep in rules.items():
        header, rows = read(src / f"unix_{stem}_v460_utf8.csv.gz")
        write(dst / f"unix_{stem}_v460_utf8.csv.gz", header, [r for r in rows if keep(r, header)], True)
    (dst / "version.txt").write_text((src / "version.txt").read_text(encoding="utf-8"), encoding="utf-8")


def esco() -> None:
    en, fr, labels, dst = DATA / "esco-v1.1.1-en", DATA / "esco-v1.1.1-fr", DATA / "esco-fr-labels", OUT / "esco-mini"
    occ = {f"http://data.europa.eu/esco/occupation/{u}" for u in OCCUPATIONS}
    rel_h, rels = read(en / "occupationSkillRelations.csv.gz")
    rels = [r for r in rels if r[0] in occ]
    skills = {r[3] for r in rels}
    occ_h, occs = read(en / "occupations_en.csv.gz")
    iscos = {f"http://data.europa.eu/esco/isco/C{r[2][:n]}" for r in occs if r[1] in occ for n in (1, 2, 3, 4)}
    concepts = occ | skills | iscos
    write(dst / "en" / "occupationSkillRelations.csv", rel_h, rels, False)
    for name, folder, column in (
        ("occupations_en", en, 1),
        ("skills_en", en, 1),
        ("ISCOGroups_en", en, 1),
        ("broaderRelationsOccPillar", en, 1),
        ("occupations_fr", fr, 1),
        ("ISCOGroups_fr", fr, 1),
        ("digitalSkillsCollection_fr", fr, 1),
    ):
        header, rows = read(folder / f"{name}.csv.gz")
        sub = "fr" if folder == fr else "en"
        write(dst / sub / f"{name}.csv", header, [r for r in rows if r[column] in concepts], False)
    header, rows = read(en / "conceptSchemes_en.csv.gz")
    write(dst / "en" / "conceptSchemes_en.csv", header, [r[:6] + [""] for r in rows], False)
    header, rows = read(labels / "skills_fr_v1.2.1-api.csv.gz")
    write(dst / "fr-labels" / "skills_fr_v1.2.1-api.csv", header, [r for r in rows if r[0] in skills], False)


if __name__ == "__main__":
    rome()
    esco()
