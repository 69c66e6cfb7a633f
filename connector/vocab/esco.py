"""ESCO as SKOS with the official IRIs and model, from the CSV exports (any languages) or the official RDF dump.

CSV inputs are directories (``esco-v1.1.1-en/``, ``esco-v1.1.1-fr/``, a folder of extra French label files) or
single files; the RDF dump (``.ttl``, ``.nt``, ``.rdf``, optionally gzipped) is streamed as it is. Each concept's
structural triples come from the first file that describes it; labels come from every language. A concept gets
one ``skos:prefLabel`` per language: the first source wins, a different preferred label from a later source
becomes an ``skos:altLabel`` (so mixing official files with label dumps of another version stays valid SKOS).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from connector.store.formats import media_type_for_path, rdf_format
from connector.vocab.csvfiles import CsvTable, LoadReport, VocabInputError
from connector.vocab.terms import (
    DCT_,
    ESCO_,
    ISO_THES_,
    SKOS_,
    A,
    datetime,
    iri,
    plain,
    text,
)

ESCO = "http://data.europa.eu/esco/"
DIGITAL_SCHEME = f"{ESCO}concept-scheme/6c930acd-c104-4ece-acf7-f44fd7333036"
COLLECTION_SCHEMES = {
    "digitalSkillsCollection": DIGITAL_SCHEME,
    "greenSkillsCollection": f"{ESCO}concept-scheme/green",
    "digCompSkillsCollection": f"{ESCO}concept-scheme/digcomp",
    "researchSkillsCollection": f"{ESCO}concept-scheme/research",
    "researchOccupationsCollection": f"{ESCO}concept-scheme/8ae4b9f3-507e-4057-a145-2f96f0132613",
    "transversalSkillsCollection": None,
    "languageSkillsCollection": None,
}
SKILL_TYPES = {"skill/competence": "skill", "knowledge": "knowledge", "skill": "skill"}
RDF_SUFFIXES = (".ttl", ".nt", ".rdf", ".owl", ".nq", ".trig", ".jsonld")
ESCO_URI = re.compile(r"http://data\.europa\.eu/esco/[a-z-]+/[A-Za-z0-9._-]+")
# Kinds of CSV file in the order they are mapped: concepts before the files that refer to them.
ORDER = [
    "conceptSchemes",
    "ISCOGroups",
    "occupations",
    "skillGroups",
    "skills",
    "broaderRelationsOccPillar",
    "broaderRelationsSkillPillar",
    "occupationSkillRelations",
    "skillSkillRelations",
    *COLLECTION_SCHEMES,
    "labels",
]


@dataclass
class EscoCounts:
    occupations: int = 0
    skills: int = 0
    isco_groups: int = 0
    skill_groups: int = 0
    relations: int = 0
    labels: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Concepts (occupations + skills) with a preferred label, per language."""
    occupation_labels: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skill_labels: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rdf_triples: int = 0


@dataclass
class CsvInput:
    kind: str
    lang: str | None
    path: Path
    version: str | None


def _split(value: str) -> list[str]:
    """Multi-valued cells: newline in the official files, '|' in label dumps, ',\\n' in inScheme."""
    return [v.strip() for v in re.split(r"\n|\|", value) if v.strip()]


def _schemes(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[,\s]+", value) if v.strip().startswith("http")]


def version_of(path: Path) -> str | None:
    found = re.search(r"v(\d+\.\d+(?:\.\d+)?)", str(path))
    return found.group(1) if found else None


def classify(paths: list[Path]) -> tuple[list[CsvInput], list[Path]]:
    """Split the inputs into CSV files (with their kind and language) and RDF files; unknown files are errors."""
    csvs: list[CsvInput] = []
    rdf: list[Path] = []
    for given in paths:
        if not given.exists():
            raise VocabInputError(f"{given}: no such file or directory")
        files = sorted(p for p in given.iterdir() if p.is_file()) if given.is_dir() else [given]
        for path in files:
            name = path.name.removesuffix(".gz")
            if name.endswith(RDF_SUFFIXES):
                rdf.append(path)
                continue
            if not name.endswith(".csv"):
                continue
            stem = name.removesuffix(".csv")
            m = re.fullmatch(r"([A-Za-z]+?)(?:_([a-z]{2}(?:-[a-z]{2})?))?(?:_(.*))?", stem)
            kind = m.group(1) if m else stem
            if kind not in ORDER:
                if given.is_dir():
                    continue  # other files of an export folder (e.g. skillsHierarchy) are not needed
                raise VocabInputError(f"{path.name}: not an ESCO CSV file this loader knows ({', '.join(ORDER)})")
            lang = m.group(2) if m else None
            if kind in ("occupations", "skills") and m and m.group(3):
                kind = "labels"  # a label dump such as skills_fr_v1.2.1-api.csv
            csvs.append(CsvInput(kind, lang, path, version_of(path) if kind == "labels" else None))
    csvs.sort(key=lambda c: (ORDER.index(c.kind), _rank(c)))
    if not csvs and not rdf:
        raise VocabInputError(f"no ESCO CSV or RDF file in {', '.join(str(p) for p in paths)}")
    return csvs, rdf


def _rank(c: CsvInput) -> tuple[tuple[int, ...], str]:
    """English before other languages (structure comes from the first file); label dumps newest version first."""
    version = tuple(-int(x) for x in re.findall(r"\d+", c.version or "0"))
    return (version, f"{'0' if c.lang in (None, 'en') else '1'}{c.path.name}")


class EscoMapper:
    """Maps ESCO CSV exports and/or RDF dumps to triples of the esco graph."""

    def __init__(self, paths: list[Path], report: LoadReport | None = None, version: str | None = None) -> None:
        self.report = report or LoadReport()
        self.csvs, self.rdf = classify(paths)
        versions = {v for c in self.csvs if c.kind != "labels" and (v := version_of(c.path.parent))}
        versions |= {v for p in self.rdf if (v := version_of(p))}
        self.version = version or (sorted(versions)[-1] if versions else "unknown")
        self.counts = EscoCounts()
        self._kind: dict[str, str] = {}  # concept IRI -> occupation | skill | isco | group
        self._pref: set[tuple[str, str]] = set()  # (IRI, lang) that already have a prefLabel

    def triples(self) -> Iterator[ox.Triple]:
        dispatch = {
            "conceptSchemes": self._concept_schemes,
            "ISCOGroups": self._isco_groups,
            "occupations": self._occupations,
            "skillGroups": self._skill_groups,
            "skills": self._skills,
            "broaderRelationsOccPillar": self._broader,
            "broaderRelationsSkillPillar": self._broader,
            "occupationSkillRelations": lambda c: self._related(c, "occupationUri", "skillUri"),
            "skillSkillRelations": lambda c: self._related(c, "originalSkillUri", "relatedSkillUri"),
            "labels": self._label_file,
        }
        for c in self.csvs:
            yield from dispatch.get(c.kind, self._collection)(c)
        for path in self.rdf:
            yield from self._rdf(path)

    # -- labels shared by every concept file ---------------------------------------------------------------------
    def _labels(self, uri: str, row: dict[str, str], lang: str) -> Iterator[ox.Triple]:
        s = iri(uri)
        pref = row.get("preferredLabel", "")
        if pref:
            if (uri, lang) in self._pref:
                yield ox.Triple(s, SKOS_.altLabel, text(pref, lang))
            else:
                self._pref.add((uri, lang))
                yield ox.Triple(s, SKOS_.prefLabel, text(pref, lang))
                kind = self._kind.get(uri)
                if kind == "occupation":
                    self.counts.occupation_labels[lang] += 1
                elif kind == "skill":
                    self.counts.skill_labels[lang] += 1
        for label in _split(row.get("altLabels", "")):
            if label != pref:
                yield ox.Triple(s, SKOS_.altLabel, text(label, lang))
        for label in _split(row.get("hiddenLabels", "")):
            yield ox.Triple(s, SKOS_.hiddenLabel, text(label, lang))
        for column, predicate in (
            ("description", DCT_.description),
            ("definition", SKOS_.definition),
            ("scopeNote", SKOS_.scopeNote),
        ):
            if row.get(column):
                yield ox.Triple(s, predicate, text(row[column], lang))

    def _common(self, uri: str, row: dict[str, str], cls: list[ox.NamedNode]) -> Iterator[ox.Triple]:
        s = iri(uri)
        yield ox.Triple(s, A, SKOS_.Concept)
        for c in cls:
            yield ox.Triple(s, A, c)
        for scheme in _schemes(row.get("inScheme", "")):
            yield ox.Triple(s, SKOS_.inScheme, iri(scheme))
        if row.get("status"):
            yield ox.Triple(s, ISO_THES_.status, plain(row["status"]))
        if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?", row.get("modifiedDate", "")):
            yield ox.Triple(s, DCT_.modified, datetime(row["modifiedDate"]))

    def _concepts(
        self, c: CsvInput, kind: str, required: list[str], optional: list[str]
    ) -> Iterator[tuple[int, str, dict[str, str], bool]]:
        """Rows of a concept file: (line, IRI, row, first time this concept is seen)."""
        table = CsvTable(c.path, ["conceptUri", *required], self.report, optional)
        for line, row in table.rows():
            uri = row["conceptUri"]
            if not ESCO_URI.fullmatch(uri):
                self.report.bad_row(table.name, line, f"not an ESCO IRI: {uri!r}")
                continue
            first = uri not in self._kind
            if first:
                self._kind[uri] = kind
            yield line, uri, row, first

    def _concept_schemes(self, c: CsvInput) -> Iterator[ox.Triple]:
        table = CsvTable(c.path, ["conceptSchemeUri", "preferredLabel"], self.report, ["title", "description"])
        for _, row in table.rows():
            s = iri(row["conceptSchemeUri"])
            yield ox.Triple(s, A, SKOS_.ConceptScheme)
            if row["preferredLabel"]:
                yield ox.Triple(s, SKOS_.prefLabel, text(row["preferredLabel"], c.lang or "en"))
            if row["description"]:
                yield ox.Triple(s, DCT_.description, text(row["description"], c.lang or "en"))

    def _isco_groups(self, c: CsvInput) -> Iterator[ox.Triple]:
        labels = ["preferredLabel", "altLabels", "inScheme", "description", "status"]
        for _, uri, row, first in self._concepts(c, "isco", ["code"], labels):
            if first:
                yield from self._common(uri, row, [ESCO_.ISCOGroup])
                yield ox.Triple(iri(uri), SKOS_.notation, plain(row["code"]))
                self.counts.isco_groups += 1
            yield from self._labels(uri, row, c.lang or "en")

    def _occupations(self, c: CsvInput) -> Iterator[ox.Triple]:
        optional = [
            "altLabels",
            "hiddenLabels",
            "status",
            "modifiedDate",
            "regulatedProfessionNote",
            "scopeNote",
            "definition",
            "inScheme",
            "description",
            "code",
        ]
        for _, uri, row, first in self._concepts(c, "occupation", ["iscoGroup", "preferredLabel"], optional):
            if first:
                s = iri(uri)
                yield from self._common(uri, row, [ESCO_.Occupation, ESCO_.MemberConcept])
                if re.fullmatch(r"\d{4}", row["iscoGroup"]):
                    yield ox.Triple(s, ESCO_.memberOfISCOGroup, iri(f"{ESCO}isco/C{row['iscoGroup']}"))
                if row["code"]:
                    yield ox.Triple(s, SKOS_.notation, plain(row["code"]))
                if row["regulatedProfessionNote"].startswith("http"):
                    yield ox.Triple(s, ESCO_.regulatedProfessionNote, iri(row["regulatedProfessionNote"]))
                self.counts.occupations += 1
            yield from self._labels(uri, row, c.lang or "en")

    def _skill_groups(self, c: CsvInput) -> Iterator[ox.Triple]:
        optional = [
            "altLabels",
            "hiddenLabels",
            "status",
            "modifiedDate",
            "scopeNote",
            "inScheme",
            "description",
            "code",
        ]
        for _, uri, row, first in self._concepts(c, "group", ["preferredLabel"], optional):
            if first:
                yield from self._common(uri, row, [ESCO_.SkillGroup])
                if row["code"]:
                    yield ox.Triple(iri(uri), SKOS_.notation, plain(row["code"]))
                self.counts.skill_groups += 1
            yield from self._labels(uri, row, c.lang or "en")

    def _skills(self, c: CsvInput) -> Iterator[ox.Triple]:
        optional = [
            "skillType",
            "reuseLevel",
            "altLabels",
            "hiddenLabels",
            "status",
            "modifiedDate",
            "scopeNote",
            "definition",
            "inScheme",
            "description",
        ]
        for _, uri, row, first in self._concepts(c, "skill", ["preferredLabel"], optional):
            if first:
                s = iri(uri)
                yield from self._common(uri, row, [ESCO_.Skill, ESCO_.MemberConcept])
                kind = SKILL_TYPES.get(row["skillType"])
                if kind:
                    yield ox.Triple(s, ESCO_.skillType, iri(f"{ESCO}skill-type/{kind}"))
                if row["reuseLevel"]:
                    yield ox.Triple(s, ESCO_.skillReuseLevel, iri(f"{ESCO}skill-reuse-level/{row['reuseLevel']}"))
                self.counts.skills += 1
            yield from self._labels(uri, row, c.lang or "en")

    def _broader(self, c: CsvInput) -> Iterator[ox.Triple]:
        table = CsvTable(c.path, ["conceptUri", "broaderUri"], self.report)
        for line, row in table.rows():
            narrow, broad = row["conceptUri"], row["broaderUri"]
            missing = next((u for u in (narrow, broad) if u not in self._kind), None)
            if missing:
                self.report.unknown_code(table.name, line, "concept", missing)
                continue
            yield ox.Triple(iri(narrow), SKOS_.broader, iri(broad))
            yield ox.Triple(iri(broad), SKOS_.narrower, iri(narrow))

    def _related(self, c: CsvInput, source: str, target: str) -> Iterator[ox.Triple]:
        table = CsvTable(c.path, [source, "relationType", target], self.report)
        for line, row in table.rows():
            s, o, kind = row[source], row[target], row["relationType"]
            missing = next((u for u in (s, o) if u not in self._kind), None)
            if missing:
                self.report.unknown_code(table.name, line, "concept", missing)
                continue
            if kind not in ("essential", "optional"):
                self.report.bad_row(table.name, line, f"relationType {kind!r} is neither essential nor optional")
                continue
            essential = kind == "essential"
            yield ox.Triple(iri(s), ESCO_.relatedEssentialSkill if essential else ESCO_.relatedOptionalSkill, iri(o))
            yield ox.Triple(iri(o), ESCO_.isEssentialSkillFor if essential else ESCO_.isOptionalSkillFor, iri(s))
            self.counts.relations += 1

    def _collection(self, c: CsvInput) -> Iterator[ox.Triple]:
        """Collections give scheme membership and, in French files, labels of skills missing elsewhere."""
        scheme = COLLECTION_SCHEMES.get(c.kind)
        table = CsvTable(c.path, ["conceptUri"], self.report, ["preferredLabel", "altLabels"])
        for line, row in table.rows():
            uri = row["conceptUri"]
            if uri not in self._kind:
                self.report.unknown_code(table.name, line, "concept", uri)
                continue
            if scheme:
                yield ox.Triple(iri(uri), SKOS_.inScheme, iri(scheme))
            if c.lang and c.lang != "en":
                yield from self._labels(uri, {"preferredLabel": row["preferredLabel"]}, c.lang)

    def _label_file(self, c: CsvInput) -> Iterator[ox.Triple]:
        """Label dumps (``skills_fr_v1.2.1-api.csv``): only labels, for concepts already known."""
        table = CsvTable(c.path, ["conceptUri", "preferredLabel"], self.report, ["altLabels"])
        for line, row in table.rows():
            if row["conceptUri"] not in self._kind:
                self.report.unknown_code(table.name, line, "concept", row["conceptUri"])
                continue
            yield from self._labels(row["conceptUri"], row, c.lang or "fr")

    def _rdf(self, path: Path) -> Iterator[ox.Triple]:
        """The official dump, streamed; ``esco:hasLabelRole`` given as a string literal is turned into an IRI."""
        import gzip

        fmt = rdf_format(media_type_for_path(path))
        opener = gzip.open if path.suffix == ".gz" else open
        role = ESCO_.hasLabelRole
        with opener(path, "rb") as fh:  # type: ignore[operator]
            try:
                for q in ox.parse(fh, fmt):
                    t = q.triple if isinstance(q, ox.Quad) else q
                    if t.predicate == role and isinstance(t.object, ox.Literal) and t.object.value.startswith("http"):
                        t = ox.Triple(t.subject, t.predicate, iri(t.object.value))
                    self.counts.rdf_triples += 1
                    yield t
            except SyntaxError as exc:
                raise VocabInputError(f"{path.name}: {exc}") from None
