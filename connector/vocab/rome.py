"""ROME 4.0 (France Travail CSV export) as SKOS: the job tree, the skills tree, savoirs, work contexts, links.

IRIs are minted under ``<base>rome/`` from the official codes (see docs/vocabularies.md), so they stay stable
across ROME versions. Triples are streamed into the store; only the code sets needed to check link files and the
few per-fiche tables (texts, "cœur de métier" flags) are held in memory.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from connector.namespaces import Minted
from connector.vocab.csvfiles import CsvTable, LoadReport, VocabInputError, find_file
from connector.vocab.terms import (
    DCT_,
    OWL_,
    SKOS_,
    A,
    boolean,
    fr,
    gsc,
    iri,
    plain,
)

FICHE_CODE = re.compile(r"[A-N]\d{4}")
OGR_CODE = re.compile(r"\d{1,7}")
MACRO_CODE = re.compile(r"([1-9])([A-Z])(\d)(\d{2})")

SCHEMES = {
    "metiers": "ROME 4.0 - Arborescence des métiers (grands domaines, domaines professionnels, fiches, appellations)",
    "competences": "ROME 4.0 - Compétences (domaines, enjeux, objectifs, macro-compétences, savoir-faire, savoir-être)",
    "savoirs": "ROME 4.0 - Savoirs",
    "contextes": "ROME 4.0 - Contextes de travail",
    "secteurs": "ROME 4.0 - Secteurs d'activité",
}


@dataclass
class RomeVersion:
    """What was loaded: the file-name version (``v460``) and the release note's title and date when present."""

    code: str
    title: str | None = None
    published: str | None = None

    @property
    def label(self) -> str:
        return self.title or f"ROME 4.0 {self.code}"


@dataclass
class RomeCounts:
    concepts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    digital: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    links: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def detect_version(directory: Path) -> RomeVersion:
    """The version from the export's file names (``_v460_``) and ``version.txt`` (title, publication date)."""
    main = find_file(directory, r"unix_referentiel_code_rome_v\d+_utf8\.csv")
    assert main is not None
    code = re.search(r"_(v\d+)_", main.name)
    version = RomeVersion(code.group(1) if code else "unknown")
    notes = directory / "version.txt"
    if notes.is_file():
        content = notes.read_text(encoding="utf-8", errors="replace")
        title = re.search(r"Titre/commentaire\s*:\s*(.+)", content)
        date = re.search(r"Date de publication\s*:\s*(\d{2})/(\d{2})/(\d{4})", content)
        version.title = title.group(1).strip() if title else None
        version.published = f"{date.group(3)}-{date.group(2)}-{date.group(1)}" if date else None
    return version


def slug(label: str) -> str:
    """A stable IRI segment for code-less categories (savoir categories): ascii, lower case, hyphens."""
    ascii_ = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-") or "x"


def _text(value: str) -> str:
    """France Travail texts carry SQL-doubled apostrophes (``l''optimisation``)."""
    return value.replace("''", "'").strip()


class RomeMapper:
    """Maps one ROME 4.0 export directory to SKOS triples; ``report`` collects skipped rows and unknown codes."""

    def __init__(self, directory: Path, minted: Minted, report: LoadReport | None = None) -> None:
        if not directory.is_dir():
            raise VocabInputError(f"{directory}: not a directory")
        self.dir = directory
        self.minted = minted
        self.report = report or LoadReport()
        self.version = detect_version(directory)
        self.counts = RomeCounts()
        self.g = gsc(minted)
        self._fiches: set[str] = set()
        self._domains: set[str] = set()
        self._items: dict[str, str] = {}  # code_ogr -> kind (competence, savoir, contexte, appellation)

    # -- IRIs ---------------------------------------------------------------------------------------------------
    def node(self, kind: str, code: str) -> ox.NamedNode:
        return iri(f"{self.minted.rome}{kind}/{code}")

    def scheme(self, name: str) -> ox.NamedNode:
        return iri(f"{self.minted.rome}scheme/{name}")

    def _file(self, stem: str, required: bool = True) -> Path | None:
        return find_file(self.dir, rf"unix_{stem}_v\d+_utf8\.csv", required=required)

    def _table(self, stem: str, columns: list[str], optional: list[str] | None = None) -> CsvTable:
        path = self._file(stem)
        assert path is not None
        return CsvTable(path, columns, self.report, optional or [])

    # -- the whole export ---------------------------------------------------------------------------------------
    def triples(self) -> Iterator[ox.Triple]:
        yield from self._schemes()
        yield from self._job_tree()
        yield from self._appellations()
        yield from self._competences()
        yield from self._savoirs()
        yield from self._contexts()
        yield from self._sectors()
        yield from self._fiche_links()
        yield from self._texts()
        yield from self._mobility()
        yield from self._riasec()

    def _concept(self, s: ox.NamedNode, code: str, label: str, scheme: str, cls: str) -> Iterator[ox.Triple]:
        yield ox.Triple(s, A, SKOS_.Concept)
        yield ox.Triple(s, A, self.g[cls])
        yield ox.Triple(s, SKOS_.notation, plain(code))
        yield ox.Triple(s, SKOS_.prefLabel, fr(label))
        yield ox.Triple(s, SKOS_.inScheme, self.scheme(scheme))

    def _flags(self, s: ox.NamedNode, row: dict[str, str], kind: str) -> Iterator[ox.Triple]:
        num = row.get("transition_num", "")
        if num in ("O", "N"):
            yield ox.Triple(s, self.g.digitalTransition, boolean(num == "O"))
            if num == "O":
                self.counts.digital[kind] += 1
        eco = row.get("transition_eco", "")
        if eco in ("O", "N"):
            yield ox.Triple(s, self.g.ecologicalTransition, boolean(eco == "O"))
        elif eco:
            yield ox.Triple(s, self.g.ecologicalCategory, fr(eco))
        if row.get("transition_demo") in ("O", "N"):
            yield ox.Triple(s, self.g.demographicTransition, boolean(row["transition_demo"] == "O"))
        if row.get("emploi_reglemente") in ("O", "N"):
            yield ox.Triple(s, self.g.regulatedOccupation, boolean(row["emploi_reglemente"] == "O"))
        if row.get("emploi_cadre") in ("O", "N"):
            yield ox.Triple(s, self.g.managerialOccupation, boolean(row["emploi_cadre"] == "O"))

    def _schemes(self) -> Iterator[ox.Triple]:
        source = "https://www.data.gouv.fr/fr/datasets/repertoire-operationnel-des-metiers-et-des-emplois-rome/"
        for name, title in SCHEMES.items():
            s = self.scheme(name)
            yield ox.Triple(s, A, SKOS_.ConceptScheme)
            yield ox.Triple(s, SKOS_.prefLabel, fr(title))
            yield ox.Triple(s, DCT_.title, fr(title))
            yield ox.Triple(s, OWL_.versionInfo, plain(self.version.code))
            yield ox.Triple(s, DCT_.hasVersion, plain(self.version.label))
            if self.version.published:
                yield ox.Triple(s, DCT_.issued, ox.Literal(self.version.published, datatype=iri(f"{XSD_DATE}")))
            yield ox.Triple(s, DCT_.publisher, fr("France Travail"))
            yield ox.Triple(s, DCT_.source, iri(source))
            yield ox.Triple(s, DCT_.license, iri("https://www.etalab.gouv.fr/licence-ouverte-open-licence/"))

    # -- job tree -----------------------------------------------------------------------------------------------
    def _job_tree(self) -> Iterator[ox.Triple]:
        gd_table = self._table("grand_domaine", ["code_grand_domaine", "libelle_grand_domaine"])
        grand: set[str] = set()
        for line, row in gd_table.rows():
            code = row["code_grand_domaine"]
            if not re.fullmatch(r"[A-N]", code) or not row["libelle_grand_domaine"]:
                self.report.bad_row(gd_table.name, line, f"bad grand domaine {code!r}")
                continue
            grand.add(code)
            s = self.node("grand-domaine", code)
            yield from self._concept(s, code, row["libelle_grand_domaine"], "metiers", "RomeGrandDomaine")
            yield ox.Triple(s, SKOS_.topConceptOf, self.scheme("metiers"))
            yield ox.Triple(self.scheme("metiers"), SKOS_.hasTopConcept, s)
            self.counts.concepts["grands_domaines"] += 1
        dp = self._table("domaine_professionnel", ["code_domaine_professionnel", "libelle_domaine_professionnel"])
        for line, row in dp.rows():
            code = row["code_domaine_professionnel"]
            if not re.fullmatch(r"[A-N]\d{2}", code) or not row["libelle_domaine_professionnel"]:
                self.report.bad_row(dp.name, line, f"bad domaine professionnel {code!r}")
                continue
            self._domains.add(code)
            s = self.node("domaine", code)
            yield from self._concept(s, code, row["libelle_domaine_professionnel"], "metiers", "RomeDomaine")
            if code[0] in grand:
                yield ox.Triple(s, SKOS_.broader, self.node("grand-domaine", code[0]))
                yield ox.Triple(self.node("grand-domaine", code[0]), SKOS_.narrower, s)
            else:
                self.report.unknown_code(dp.name, line, "grand domaine", code[0])
            self.counts.concepts["domaines"] += 1
        fiches = self._table(
            "referentiel_code_rome",
            ["code_rome", "libelle_rome"],
            [
                "code_ogr",
                "transition_eco",
                "transition_num",
                "transition_demo",
                "emploi_reglemente",
                "emploi_cadre",
                "code_rome_parent",
            ],
        )
        parents: list[tuple[int, str, str]] = []
        for line, row in fiches.rows():
            code = row["code_rome"]
            if not FICHE_CODE.fullmatch(code) or not row["libelle_rome"]:
                self.report.bad_row(fiches.name, line, f"bad fiche code {code!r} or empty label")
                continue
            self._fiches.add(code)
            s = self.node("fiche", code)
            yield from self._concept(s, code, row["libelle_rome"], "metiers", "RomeFiche")
            if code[:3] in self._domains:
                yield ox.Triple(s, SKOS_.broader, self.node("domaine", code[:3]))
                yield ox.Triple(self.node("domaine", code[:3]), SKOS_.narrower, s)
            else:
                self.report.unknown_code(fiches.name, line, "domaine professionnel", code[:3])
            if row["code_ogr"]:
                yield ox.Triple(s, self.g.ogrCode, plain(row["code_ogr"]))
            yield from self._flags(s, row, "fiches")
            if row["code_rome_parent"] and row["code_rome_parent"] != code:
                parents.append((line, code, row["code_rome_parent"]))
            self.counts.concepts["fiches"] += 1
        for line, code, parent in parents:
            if parent in self._fiches:
                yield ox.Triple(self.node("fiche", code), self.g.historicalParent, self.node("fiche", parent))
            else:
                self.report.unknown_code(fiches.name, line, "parent fiche", parent)

    def _appellations(self) -> Iterator[ox.Triple]:
        table = self._table(
            "referentiel_appellation",
            ["code_ogr", "libelle_appellation_long", "code_rome"],
            [
                "libelle_appellation_court",
                "transition_eco",
                "transition_num",
                "transition_demo",
                "emploi_reglemente",
                "emploi_cadre",
                "classification",
                "peu_usite",
            ],
        )
        for line, row in table.rows():
            code, fiche = row["code_ogr"], row["code_rome"]
            if not OGR_CODE.fullmatch(code) or not row["libelle_appellation_long"]:
                self.report.bad_row(table.name, line, f"bad appellation code {code!r} or empty label")
                continue
            if fiche not in self._fiches:
                self.report.unknown_code(table.name, line, "fiche", fiche)
                continue
            self._items[code] = "appellation"
            s = self.node("appellation", code)
            yield from self._concept(s, code, row["libelle_appellation_long"], "metiers", "RomeAppellation")
            short = row["libelle_appellation_court"]
            if short and short != row["libelle_appellation_long"]:
                yield ox.Triple(s, SKOS_.altLabel, fr(short))
            f = self.node("fiche", fiche)
            yield ox.Triple(s, SKOS_.broader, f)
            yield ox.Triple(f, SKOS_.narrower, s)
            if row["classification"] == "PRINCIPALE":
                yield ox.Triple(f, self.g.principalAppellation, s)
            if row["peu_usite"] in ("O", "N"):
                yield ox.Triple(s, self.g.rarelyUsed, boolean(row["peu_usite"] == "O"))
            yield from self._flags(s, row, "appellations")
            self.counts.concepts["appellations"] += 1

    # -- skills tree --------------------------------------------------------------------------------------------
    def _tree_labels(self) -> dict[str, str]:
        """Labels of domaines/enjeux/objectifs, from the arborescence file when the export has it."""
        path = self._file("arborescence_competences", required=False)
        if path is None:
            return {}
        labels: dict[str, str] = {}
        cols = ["code_domaine_competence", "domaine_competence", "code_enjeu", "enjeu", "code_objectif", "objectif"]
        for _, row in CsvTable(path, cols, self.report).rows():
            for code, label in (cols[0:2], cols[2:4], cols[4:6]):
                if row[code] and row[label]:
                    labels[row[code]] = row[label]
        return labels

    def _competences(self) -> Iterator[ox.Triple]:
        labels = self._tree_labels()
        table = self._table(
            "referentiel_competence",
            ["code_ogr", "nature", "libelle_competence"],
            [
                "definition",
                "code_ogr_macro_comp",
                "code_macro_comp",
                "cat_comp",
                "sous_cat_comp",
                "transition_eco",
                "transition_num",
            ],
        )
        tree: set[str] = set()
        pending: list[tuple[int, str, str]] = []
        macros: set[str] = set()
        for line, row in table.rows():
            code = row["code_ogr"]
            if not OGR_CODE.fullmatch(code) or not row["libelle_competence"]:
                self.report.bad_row(table.name, line, f"bad compétence code {code!r} or empty label")
                continue
            self._items[code] = "competence"
            s = self.node("competence", code)
            macro = row["nature"].lower().startswith("macro")
            cls = "RomeMacroCompetence" if macro else "RomeCompetence"
            yield from self._concept(s, code, row["libelle_competence"], "competences", cls)
            if row["definition"]:
                yield ox.Triple(s, SKOS_.definition, fr(_text(row["definition"])))
            if row["cat_comp"]:
                yield ox.Triple(s, self.g.competenceCategory, fr(row["cat_comp"]))
            if row["sous_cat_comp"]:
                yield ox.Triple(s, self.g.competenceSubcategory, fr(row["sous_cat_comp"]))
            yield from self._flags(s, row, "macro_competences" if macro else "competences")
            if macro:
                macros.add(code)
                self.counts.concepts["macro_competences"] += 1
                m = MACRO_CODE.fullmatch(row["code_macro_comp"])
                if m:
                    yield ox.Triple(s, self.g.macroCompetenceCode, plain(row["code_macro_comp"]))
                    dom, enjeu, objectif = m.group(1), m.group(1) + m.group(2), m.group(1) + m.group(2) + m.group(3)
                    yield ox.Triple(s, SKOS_.broader, self.node("objectif", objectif))
                    yield ox.Triple(self.node("objectif", objectif), SKOS_.narrower, s)
                    for kind, c, parent in (
                        ("domaine-competence", dom, None),
                        ("enjeu", enjeu, ("domaine-competence", dom)),
                        ("objectif", objectif, ("enjeu", enjeu)),
                    ):
                        if (kind, c) in tree:
                            continue
                        tree.add((kind, c))  # type: ignore[arg-type]
                        yield from self._tree_node(kind, c, labels, parent)
                elif row["code_macro_comp"]:
                    self.report.bad_row(table.name, line, f"bad macro-compétence code {row['code_macro_comp']!r}")
            else:
                self.counts.concepts["competences"] += 1
                if row["code_ogr_macro_comp"]:
                    pending.append((line, code, row["code_ogr_macro_comp"]))
        for line, code, macro in pending:
            if macro in macros:
                yield ox.Triple(self.node("competence", code), SKOS_.broader, self.node("competence", macro))
                yield ox.Triple(self.node("competence", macro), SKOS_.narrower, self.node("competence", code))
            else:
                self.report.unknown_code(table.name, line, "macro-compétence", macro)

    def _tree_node(
        self, kind: str, code: str, labels: dict[str, str], parent: tuple[str, str] | None
    ) -> Iterator[ox.Triple]:
        names = {"domaine-competence": "Domaine de compétences", "enjeu": "Enjeu", "objectif": "Objectif"}
        classes = {"domaine-competence": "RomeDomaineCompetence", "enjeu": "RomeEnjeu", "objectif": "RomeObjectif"}
        s = self.node(kind, code)
        yield from self._concept(s, code, labels.get(code) or f"{names[kind]} {code}", "competences", classes[kind])
        if parent is None:
            yield ox.Triple(s, SKOS_.topConceptOf, self.scheme("competences"))
            yield ox.Triple(self.scheme("competences"), SKOS_.hasTopConcept, s)
        else:
            p = self.node(*parent)
            yield ox.Triple(s, SKOS_.broader, p)
            yield ox.Triple(p, SKOS_.narrower, s)
        self.counts.concepts[{"enjeu": "enjeux"}.get(kind, kind.replace("-", "_") + "s")] += 1

    def _savoirs(self) -> Iterator[ox.Triple]:
        table = self._table(
            "referentiel_savoir",
            ["code_ogr_savoir", "libelle_savoir"],
            ["categorie_savoir", "sous_categorie_savoir", "transition_eco", "transition_num"],
        )
        categories: set[str] = set()
        for line, row in table.rows():
            code = row["code_ogr_savoir"]
            if not OGR_CODE.fullmatch(code) or not row["libelle_savoir"]:
                self.report.bad_row(table.name, line, f"bad savoir code {code!r} or empty label")
                continue
            self._items[code] = "savoir"
            s = self.node("savoir", code)
            yield from self._concept(s, code, row["libelle_savoir"], "savoirs", "RomeSavoir")
            yield from self._flags(s, row, "savoirs")
            self.counts.concepts["savoirs"] += 1
            cat, sub = row["categorie_savoir"], row["sous_categorie_savoir"]
            parent = None
            if cat:
                parent = self.node("categorie-savoir", slug(cat))
                if cat not in categories:
                    categories.add(cat)
                    yield from self._category(parent, slug(cat), cat, None)
                if sub:
                    sub_code = f"{slug(cat)}.{slug(sub)}"
                    sub_node = self.node("categorie-savoir", sub_code)
                    if sub_code not in categories:
                        categories.add(sub_code)
                        yield from self._category(sub_node, sub_code, sub, parent)
                    parent = sub_node
            if parent is not None:
                yield ox.Triple(s, SKOS_.broader, parent)
                yield ox.Triple(parent, SKOS_.narrower, s)

    def _category(self, s: ox.NamedNode, code: str, label: str, parent: ox.NamedNode | None) -> Iterator[ox.Triple]:
        yield from self._concept(s, code, label, "savoirs", "RomeSavoirCategory")
        self.counts.concepts["categories_savoirs"] += 1
        if parent is None:
            yield ox.Triple(s, SKOS_.topConceptOf, self.scheme("savoirs"))
            yield ox.Triple(self.scheme("savoirs"), SKOS_.hasTopConcept, s)
        else:
            yield ox.Triple(s, SKOS_.broader, parent)
            yield ox.Triple(parent, SKOS_.narrower, s)

    def _contexts(self) -> Iterator[ox.Triple]:
        table = self._table(
            "referentiel_contexte_travail",
            ["code_ogr", "libelle_cont_travail"],
            ["code_type_cont_trav", "libelle_type_cont_trav"],
        )
        types: set[str] = set()
        for line, row in table.rows():
            code = row["code_ogr"]
            if not OGR_CODE.fullmatch(code) or not row["libelle_cont_travail"]:
                self.report.bad_row(table.name, line, f"bad contexte code {code!r} or empty label")
                continue
            self._items[code] = "contexte"
            s = self.node("contexte", code)
            yield from self._concept(s, code, row["libelle_cont_travail"], "contextes", "RomeContexteTravail")
            self.counts.concepts["contextes"] += 1
            t = row["code_type_cont_trav"]
            if t:
                tn = self.node("type-contexte", t)
                if t not in types:
                    types.add(t)
                    label = row["libelle_type_cont_trav"] or f"Type de contexte {t}"
                    yield from self._concept(tn, t, label, "contextes", "RomeContexteType")
                    yield ox.Triple(tn, SKOS_.topConceptOf, self.scheme("contextes"))
                    yield ox.Triple(self.scheme("contextes"), SKOS_.hasTopConcept, tn)
                yield ox.Triple(s, SKOS_.broader, tn)
                yield ox.Triple(tn, SKOS_.narrower, s)

    def _sectors(self) -> Iterator[ox.Triple]:
        """Secteurs d'activité and sous-secteurs, and the fiches filed under them (optional files)."""
        sectors = self._file("secteur_activite", required=False)
        if sectors is None:
            return
        known: set[str] = set()
        for line, row in CsvTable(sectors, ["code_sect_activite", "libelle_sect_activite"], self.report).rows():
            code = row["code_sect_activite"]
            if not code or not row["libelle_sect_activite"]:
                self.report.bad_row(sectors.name, line, "empty sector code or label")
                continue
            known.add(code)
            s = self.node("secteur", code)
            yield from self._concept(s, code, row["libelle_sect_activite"], "secteurs", "RomeSecteur")
            yield ox.Triple(s, SKOS_.topConceptOf, self.scheme("secteurs"))
            yield ox.Triple(self.scheme("secteurs"), SKOS_.hasTopConcept, s)
        subs = self._file("sous_secteur_activite", required=False)
        if subs is not None:
            cols = ["code_ss_sect_activite", "libelle_ss_sect_activite", "code_sect_activite"]
            for line, row in CsvTable(subs, cols, self.report).rows():
                code, parent = row["code_ss_sect_activite"], row["code_sect_activite"]
                if not code or parent not in known:
                    self.report.unknown_code(subs.name, line, "secteur", parent)
                    continue
                s = self.node("secteur", code)
                yield from self._concept(s, code, row["libelle_ss_sect_activite"], "secteurs", "RomeSecteur")
                yield ox.Triple(s, SKOS_.broader, self.node("secteur", parent))
                yield ox.Triple(self.node("secteur", parent), SKOS_.narrower, s)
                known.add(code)
        tree = self._file("arborescence_secteur_activite", required=False)
        if tree is not None:
            cols = ["code_sect_activite", "code_rome"]
            for line, row in CsvTable(tree, cols, self.report, ["code_ss_sect_activite", "principal"]).rows():
                sector = row["code_ss_sect_activite"] or row["code_sect_activite"]
                if row["code_rome"] not in self._fiches or sector not in known:
                    self.report.unknown_code(tree.name, line, "fiche or secteur", f"{row['code_rome']}/{sector}")
                    continue
                p = self.g.mainSector if row["principal"] == "oui" else self.g.sector
                yield ox.Triple(self.node("fiche", row["code_rome"]), p, self.node("secteur", sector))

    # -- fiche contents -----------------------------------------------------------------------------------------
    def _core_flags(self) -> dict[tuple[str, str], str]:
        table = self._table("coherence_item", ["code_rome", "code_ogr", "coeur_metier"])
        return {(r["code_rome"], r["code_ogr"]): r["coeur_metier"] for _, r in table.rows() if r["coeur_metier"]}

    def _fiche_links(self) -> Iterator[ox.Triple]:
        """Bloc 5 (savoir-faire, savoir-être, savoirs) and bloc 6 (contextes) of each fiche.

        A "Principale" (cœur de métier) item is an essential skill of the fiche, any other an optional one, as ESCO
        does for occupations; "Émergente" items are also flagged ``gsc:emergingSkill``.
        """
        core = self._core_flags()
        table = self._table("liens_rome_referentiels", ["code_rome", "code_compo_bloc", "code_ogr"], ["code_rubrique"])
        for line, row in table.rows():
            fiche, bloc, code = row["code_rome"], row["code_compo_bloc"], row["code_ogr"]
            if bloc not in ("5", "6"):
                continue  # blocs 1-2 (code, appellations) are already in the job tree
            if fiche not in self._fiches:
                self.report.unknown_code(table.name, line, "fiche", fiche)
                continue
            kind = self._items.get(code)
            if kind not in ("competence", "savoir", "contexte"):
                self.report.unknown_code(table.name, line, "item", code)
                continue
            f, item = self.node("fiche", fiche), self.node(kind, code)
            if kind == "contexte":
                yield ox.Triple(f, self.g.workContext, item)
                self.counts.links["contextes"] += 1
                continue
            flag = core.get((fiche, code), "")
            essential = flag == "Principale"
            yield ox.Triple(f, ESCO_RELATED_ESSENTIAL if essential else ESCO_RELATED_OPTIONAL, item)
            if flag and not essential:
                yield ox.Triple(f, self.g.emergingSkill, item)
            self.counts.links["essential" if essential else "optional"] += 1

    def _texts(self) -> Iterator[ox.Triple]:
        table = self._table("texte", ["code_rome", "code_compo_bloc", "libelle_texte"], ["position_phrase"])
        parts: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for line, row in table.rows():
            if row["code_rome"] not in self._fiches:
                self.report.unknown_code(table.name, line, "fiche", row["code_rome"])
                continue
            pos = int(row["position_phrase"]) if row["position_phrase"].isdigit() else 0
            parts[(row["code_rome"], row["code_compo_bloc"])].append((pos, _text(row["libelle_texte"])))
        for (fiche, bloc), sentences in sorted(parts.items()):
            body = "\n".join(t for _, t in sorted(sentences) if t)
            p = SKOS_.definition if bloc == "3" else self.g.accessToJob if bloc == "4" else None
            if p is not None and body:
                yield ox.Triple(self.node("fiche", fiche), p, fr(body))

    def _mobility(self) -> Iterator[ox.Triple]:
        table = self._table("rubrique_mobilite", ["code_rome", "code_rome_cible"], ["numero_ordre"])
        for line, row in table.rows():
            src, dst = row["code_rome"], row["code_rome_cible"]
            if src not in self._fiches or dst not in self._fiches:
                self.report.unknown_code(table.name, line, "fiche", src if src not in self._fiches else dst)
                continue
            yield ox.Triple(self.node("fiche", src), self.g.mobilityTo, self.node("fiche", dst))
            self.counts.links["mobilites"] += 1

    def _riasec(self) -> Iterator[ox.Triple]:
        path = self._file("referentiel_code_rome_riasec", required=False)
        if path is None:
            return
        for line, row in CsvTable(path, ["code_rome", "riasec_majeur"], self.report, ["riasec_mineur"]).rows():
            if row["code_rome"] not in self._fiches:
                self.report.unknown_code(path.name, line, "fiche", row["code_rome"])
                continue
            s = self.node("fiche", row["code_rome"])
            if row["riasec_majeur"]:
                yield ox.Triple(s, self.g.riasecMajor, plain(row["riasec_majeur"]))
            if row["riasec_mineur"]:
                yield ox.Triple(s, self.g.riasecMinor, plain(row["riasec_mineur"]))


XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
ESCO_RELATED_ESSENTIAL = iri("http://data.europa.eu/esco/model#relatedEssentialSkill")
ESCO_RELATED_OPTIONAL = iri("http://data.europa.eu/esco/model#relatedOptionalSkill")
