"""What the alignment reads from the store: ROME and ESCO labels, ESCO ISCO groups and the skills around jobs.

Read through the store interface (SPARQL), so the alignment works on the embedded and the remote store alike and
always aligns what is actually published.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from connector.context import Context
from connector.datasets.metadata import get_dataset_properties
from connector.namespaces import ESCO, ESCO_DATA, OWL, SKOS
from connector.store import GraphStore

EN_WEIGHT = 0.95
"""English labels count a little less than French ones: ROME labels are French."""
LABEL_WEIGHT = {f"{SKOS}prefLabel": 1.0, f"{SKOS}altLabel": 0.95, f"{SKOS}hiddenLabel": 0.7}


@dataclass
class RomeItem:
    iri: str
    kind: str  # fiche | appellation | competence | savoir
    code: str
    label: str
    digital: bool = False
    fiche: str | None = None  # the fiche of an appellation


@dataclass
class EscoConcept:
    iri: str
    kind: str  # occupation | skill | isco (an ISCO-08 group, a target of structural roll-ups only)
    pref_fr: str | None = None
    pref_en: str | None = None
    labels: list[tuple[str, float]] = field(default_factory=list)  # French labels with their weight
    isco: str | None = None
    knowledge: bool = False  # an ESCO skill of type knowledge (a topic), not a skill/competence (an action)


@dataclass
class AlignmentInput:
    rome: dict[str, RomeItem]
    esco: dict[str, EscoConcept]
    fiche_skills: dict[str, set[str]]  # fiche IRI -> ROME competence/savoir IRIs
    occupation_skills: dict[str, set[str]]  # ESCO occupation IRI -> ESCO skill IRIs
    rome_version: str | None
    esco_version: str | None
    occupation_broader: dict[str, set[str]] = field(default_factory=dict)  # ESCO occupation -> broader occupations


ROME_KINDS = {
    "RomeFiche": "fiche",
    "RomeAppellation": "appellation",
    "RomeCompetence": "competence",
    "RomeSavoir": "savoir",
}


def _rows(store: GraphStore, query: str, default_graphs: list[str]) -> Iterator[dict[str, str]]:
    """SELECT rows as plain strings, through the CSV results format (much lighter than JSON for 100k+ rows)."""
    result = store.query(query, default_graphs=default_graphs, result_media_type="text/csv")
    text = result.read().decode("utf-8")
    for row in csv.DictReader(io.StringIO(text, newline="")):
        yield {k: v for k, v in row.items() if v != ""}


def read_input(ctx: Context) -> AlignmentInput:
    store = ctx.store
    gsc = ctx.minted.ontology
    rome_g, esco_g = ctx.datasets.get("rome").graph, ctx.datasets.get("esco").graph
    rome: dict[str, RomeItem] = {}
    classes = " ".join(f"<{gsc}{c}>" for c in ROME_KINDS)
    rows = _rows(
        store,
        f"""SELECT ?c ?cls ?code ?label ?digital ?fiche WHERE {{
              VALUES ?cls {{ {classes} }}
              ?c a ?cls ; <{SKOS}notation> ?code ; <{SKOS}prefLabel> ?label .
              OPTIONAL {{ ?c <{gsc}digitalTransition> ?digital }}
              OPTIONAL {{ ?c a <{gsc}RomeAppellation> ; <{SKOS}broader> ?fiche }} }}""",
        default_graphs=[rome_g],
    )
    for r in rows:
        kind = ROME_KINDS[r["cls"].removeprefix(gsc)]
        rome[r["c"]] = RomeItem(r["c"], kind, r["code"], r["label"], r.get("digital") == "true", r.get("fiche"))
    fiche_skills: dict[str, set[str]] = defaultdict(set)
    for r in _rows(
        store,
        f"""SELECT ?f ?i WHERE {{ ?f a <{gsc}RomeFiche> ; ?p ?i .
              VALUES ?p {{ <{ESCO}relatedEssentialSkill> <{ESCO}relatedOptionalSkill> }} }}""",
        default_graphs=[rome_g],
    ):
        fiche_skills[r["f"]].add(r["i"])
    esco: dict[str, EscoConcept] = {}
    for r in _rows(
        store,
        f"SELECT ?c ?cls WHERE {{ VALUES ?cls {{ <{ESCO}Occupation> <{ESCO}Skill> }} ?c a ?cls }}",
        default_graphs=[esco_g],
    ):
        esco[r["c"]] = EscoConcept(r["c"], "occupation" if r["cls"].endswith("Occupation") else "skill")
    for r in _rows(store, f"SELECT ?c WHERE {{ ?c <{ESCO}skillType> <{ESCO_DATA}skill-type/knowledge> }}", [esco_g]):
        if r["c"] in esco:
            esco[r["c"]].knowledge = True
    for r in _rows(
        store, f"SELECT ?c ?code WHERE {{ ?c a <{ESCO}ISCOGroup> ; <{SKOS}notation> ?code }}", default_graphs=[esco_g]
    ):
        esco[r["c"]] = EscoConcept(r["c"], "isco", isco=r["code"])
    for r in _rows(store, f"SELECT ?c ?g WHERE {{ ?c <{ESCO}memberOfISCOGroup> ?g }}", default_graphs=[esco_g]):
        if r["c"] in esco:
            esco[r["c"]].isco = r["g"].rsplit("/C", 1)[-1]
    for r in _rows(
        store,
        f"""SELECT ?c ?p ?label ?lang WHERE {{
              VALUES ?p {{ <{SKOS}prefLabel> <{SKOS}altLabel> <{SKOS}hiddenLabel> }}
              ?c ?p ?label . BIND(lang(?label) AS ?lang) FILTER(?lang = "fr" || ?lang = "en") }}""",
        default_graphs=[esco_g],
    ):
        c = esco.get(r["c"])
        if c is None:
            continue  # skill groups are not aligned
        label, predicate = r["label"], r["p"]
        if r["lang"] == "en":
            # English labels help with the English job titles ROME uses ("Data engineer", "Scrum master").
            if predicate == f"{SKOS}prefLabel":
                c.pref_en = label
            c.labels.append((label, EN_WEIGHT * LABEL_WEIGHT[predicate]))
            continue
        if predicate == f"{SKOS}prefLabel":
            c.pref_fr = label
        c.labels.append((label, LABEL_WEIGHT[predicate]))
    occupation_skills: dict[str, set[str]] = defaultdict(set)
    for r in _rows(
        store,
        f"""SELECT ?o ?s WHERE {{ ?o a <{ESCO}Occupation> ; ?p ?s .
              VALUES ?p {{ <{ESCO}relatedEssentialSkill> <{ESCO}relatedOptionalSkill> }} }}""",
        default_graphs=[esco_g],
    ):
        occupation_skills[r["o"]].add(r["s"])
    occupation_broader: dict[str, set[str]] = defaultdict(set)
    for r in _rows(
        store,
        f"SELECT ?o ?b WHERE {{ ?o a <{ESCO}Occupation> ; <{SKOS}broader> ?b . ?b a <{ESCO}Occupation> }}",
        default_graphs=[esco_g],
    ):
        occupation_broader[r["o"]].add(r["b"])
    versions = {
        d: (get_dataset_properties(store, ctx.datasets, d).get(f"{OWL}versionInfo") or [None])[0]
        for d in ("rome", "esco")
    }
    return AlignmentInput(
        rome, esco, fiche_skills, occupation_skills, versions["rome"], versions["esco"], occupation_broader
    )
