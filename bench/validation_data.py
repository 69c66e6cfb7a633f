"""Synthetic GEN trainings as ELM v3 learning opportunities, for the validation benchmark and equality test.

Bench-local generator (the mapping engineer's generator is on another branch): records are shaped like the
mapping job's output (connector/mapping/rdf_training.py on branch ``mapping``): an ``elm:LearningOpportunity`` with
hash-IRI sub-nodes (homepage, location, address, geometry, price, sessions with periods, specification, outcomes,
entitlement), a provider organisation shared by several trainings, the referenced concepts with their schemes, and
real ROME 4.0 / ESCO IRIs from the bundled CSV files. About ``defect_rate`` of the trainings carry one known defect.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

DATA = Path(__file__).resolve().parent.parent / "data"
BASE = "https://w3id.org/gen-skills/"
ELM = "http://data.europa.eu/snb/model/elm/"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ESCO = "http://data.europa.eu/esco/model#"
GSC = BASE + "ontology#"
AUTH = "http://publications.europa.eu/resource/authority/"


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


A = n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CONCEPT, SCHEME = n(SKOS + "Concept"), n(SKOS + "ConceptScheme")
IN_SCHEME = n(SKOS + "inScheme")
FRA_LANG, LANG_SCHEME = n(AUTH + "language/FRA"), n(AUTH + "language")
FRA_COUNTRY, COUNTRY_SCHEME = n(AUTH + "country/FRA"), n(AUTH + "country")
EUR, CURRENCY_SCHEME = n(AUTH + "currency/EUR"), n(AUTH + "currency")
ISCED_SCHEME = n("http://data.europa.eu/snb/isced-f/25831c2")
ISCED_0613 = n("http://data.europa.eu/snb/isced-f/0613")
ROME_SCHEME = n(BASE + "rome/scheme/metiers")
ESCO_SKILLS = n("http://data.europa.eu/esco/concept-scheme/skills")
ESCO_OCCUPATIONS = n("http://data.europa.eu/esco/concept-scheme/occupations")
ENTITLEMENT_TYPE, ENTITLEMENT_TYPES = n(GSC + "entitlement-employment"), n(GSC + "EntitlementTypes")
ENTITLEMENT_STATUS, ENTITLEMENT_STATUSES = n(GSC + "entitlement-actual"), n(GSC + "EntitlementStatuses")
CITIES = [
    ("Paris", "75011", 48.8566, 2.3522),
    ("Lyon", "69003", 45.764, 4.8357),
    ("Lille", "59000", 50.6292, 3.0573),
    ("Marseille", "13001", 43.2965, 5.3698),
    ("Nantes", "44000", 47.2184, -1.5536),
    ("Rennes", "35000", 48.1173, -1.6778),
]


def fr(text: str) -> ox.Literal:
    return ox.Literal(text, language="fr")


def typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=n(XSD + datatype))


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        yield from csv.DictReader(io.StringIO(fh.read()))


@dataclass(frozen=True)
class Vocabulary:
    """ROME fiches/appellations and ESCO skills/occupations as SKOS, plus pools to draw references from."""

    triples: dict[ox.NamedNode, list[ox.Triple]]
    fiches: list[ox.NamedNode]
    appellations: list[ox.NamedNode]
    skills: list[ox.NamedNode]
    occupations: list[ox.NamedNode]

    def all_triples(self) -> list[ox.Triple]:
        return [t for ts in self.triples.values() for t in ts] + _scheme_triples()


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    triples: dict[ox.NamedNode, list[ox.Triple]] = {}

    def concept(iri: ox.NamedNode, cls: str, label: ox.Literal, scheme: ox.NamedNode, extra=()) -> None:
        triples[iri] = [
            ox.Triple(iri, A, CONCEPT),
            ox.Triple(iri, A, n(cls)),
            ox.Triple(iri, n(SKOS + "prefLabel"), label),
            ox.Triple(iri, IN_SCHEME, scheme),
            *(ox.Triple(iri, p, o) for p, o in extra),
        ]

    fiches, appellations, skills, occupations = [], [], [], []
    for row in _csv(DATA / "rome-4.0-v460/unix_referentiel_code_rome_v460_utf8.csv.gz"):
        iri = n(f"{BASE}rome/fiche/{row['code_rome']}")
        concept(
            iri,
            GSC + "RomeFiche",
            fr(row["libelle_rome"]),
            ROME_SCHEME,
            [(n(SKOS + "notation"), ox.Literal(row["code_rome"]))],
        )
        fiches.append(iri)
    for row in _csv(DATA / "rome-4.0-v460/unix_referentiel_appellation_v460_utf8.csv.gz"):
        iri = n(f"{BASE}rome/appellation/{row['code_ogr']}")
        concept(
            iri,
            GSC + "RomeAppellation",
            fr(row["libelle_appellation_long"]),
            ROME_SCHEME,
            [
                (n(SKOS + "notation"), ox.Literal(row["code_ogr"])),
                (n(SKOS + "broader"), n(f"{BASE}rome/fiche/{row['code_rome']}")),
            ],
        )
        appellations.append(iri)
    for row in _csv(DATA / "esco-v1.1.1-en/skills_en.csv.gz"):
        iri = n(row["conceptUri"])
        concept(iri, ESCO + "Skill", ox.Literal(row["preferredLabel"], language="en"), ESCO_SKILLS)
        skills.append(iri)
    for row in _csv(DATA / "esco-v1.1.1-en/occupations_en.csv.gz"):
        iri = n(row["conceptUri"])
        concept(iri, ESCO + "Occupation", ox.Literal(row["preferredLabel"], language="en"), ESCO_OCCUPATIONS)
        occupations.append(iri)
    return Vocabulary(triples, fiches[:400], appellations[:2000], skills[:3000], occupations[:800])


def _scheme_triples() -> list[ox.Triple]:
    in_scheme = {
        FRA_LANG: LANG_SCHEME,
        FRA_COUNTRY: COUNTRY_SCHEME,
        EUR: CURRENCY_SCHEME,
        ISCED_0613: ISCED_SCHEME,
        ENTITLEMENT_TYPE: ENTITLEMENT_TYPES,
        ENTITLEMENT_STATUS: ENTITLEMENT_STATUSES,
    }
    schemes = {*in_scheme.values(), ROME_SCHEME, ESCO_SKILLS, ESCO_OCCUPATIONS}
    return (
        [ox.Triple(s, A, SCHEME) for s in schemes]
        + [ox.Triple(c, A, CONCEPT) for c in in_scheme]
        + [ox.Triple(c, IN_SCHEME, s) for c, s in in_scheme.items()]
    )


DEFECTS = (
    "no-title",
    "bad-duration",
    "session-reversed",
    "latitude",
    "unknown-rome",
    "unknown-skill",
    "extra-property",
)


def training(i: int, rng: random.Random, vocab: Vocabulary, defect: str | None) -> list[ox.Triple]:
    """One training's triples (its own nodes and links to shared ones)."""
    s = f"{BASE}gen/training/{i}"
    S = n(s)
    t: list[ox.Triple] = []

    def add(subject: ox.NamedNode, predicate: str, obj) -> None:
        t.append(ox.Triple(subject, n(predicate), obj))

    city, postal, lat, lon = CITIES[i % len(CITIES)]
    org = n(f"{BASE}gen/organisation/{10_000_000_000_000 + i % max(1, 97)}")
    home, loc, addr, geo = n(s + "#homepage"), n(s + "#location"), n(s + "#address"), n(s + "#geometry")
    spec, ent = n(s + "#specification"), n(s + "#entitlement")
    a = str(A.value)
    add(S, a, n(ELM + "LearningOpportunity"))
    if defect != "no-title":
        add(S, DCT + "title", fr(f"Développeur web et web mobile {i}"))
    add(S, DCT + "description", fr("Formation labellisée Grande École du Numérique."))
    add(S, "http://xmlns.com/foaf/0.1/homepage", home)
    add(home, a, n(ELM + "WebResource"))
    add(home, ELM + "contentUrl", typed(f"https://formations.example.org/{i}", "anyURI"))
    add(S, ELM + "providedBy", org)
    add(S, ELM + "defaultLanguage", FRA_LANG)
    add(
        S,
        ELM + "duration",
        typed("six mois" if defect == "bad-duration" else f"PT{rng.randint(200, 1200)}H", "duration"),
    )
    add(S, ELM + "learningAchievementSpecification", spec)
    add(S, ELM + "location", loc)
    add(loc, a, n(DCT + "Location"))
    add(loc, ELM + "address", addr)
    add(loc, ELM + "geographicName", fr(city))
    add(addr, a, n(ELM + "Address"))
    add(addr, ELM + "countryCode", FRA_COUNTRY)
    add(loc, "http://www.w3.org/ns/locn#geometry", geo)
    add(geo, a, n("http://www.w3.org/ns/locn#Geometry"))
    add(geo, "http://data.europa.eu/m8g/latitude", ox.Literal("123.4" if defect == "latitude" else f"{lat:.6f}"))
    add(geo, "http://data.europa.eu/m8g/longitude", ox.Literal(f"{lon:.6f}"))
    if defect == "extra-property":
        add(S, GSC + "internalNote", fr("champ interne"))
    for k in (1, 2):
        session, period = n(f"{s}#session-{k}"), n(f"{s}#session-{k}-period")
        add(S, ELM + "hasPart", session)
        add(session, a, n(ELM + "LearningOpportunity"))
        add(session, ELM + "isPartOf", S)
        add(session, DCT + "title", fr(f"Session {k}"))
        add(session, "http://xmlns.com/foaf/0.1/homepage", home)
        add(session, ELM + "providedBy", org)
        add(session, ELM + "defaultLanguage", FRA_LANG)
        add(session, ELM + "learningAchievementSpecification", spec)
        add(session, DCT + "temporal", period)
        add(period, a, n(DCT + "PeriodOfTime"))
        start, end = f"2027-0{k * 3}-01T00:00:00", f"2027-0{k * 3 + 2}-28T23:59:59"
        if defect == "session-reversed" and k == 2:
            start, end = end, start
        add(period, ELM + "startDate", typed(start, "dateTime"))
        add(period, ELM + "endDate", typed(end, "dateTime"))
    add(spec, a, n(ELM + "LearningAchievementSpecification"))
    add(spec, DCT + "title", fr("Développeur web et web mobile"))
    add(spec, DCT + "language", FRA_LANG)
    add(spec, ELM + "ISCEDFCode", ISCED_0613)
    for k, skill in enumerate(rng.sample(vocab.skills, 3), start=1):
        outcome = n(f"{s}#outcome-{k}")
        add(spec, ELM + "learningOutcome", outcome)
        add(outcome, a, n(ELM + "LearningOutcome"))
        add(outcome, DCT + "title", fr(f"Acquis {k}"))
        if defect == "unknown-skill" and k == 1:
            skill = n("http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000")
        add(outcome, ELM + "relatedESCOSkill", skill)
    add(spec, ELM + "entitlesTo", ent)
    add(ent, a, n(ELM + "LearningEntitlementSpecification"))
    add(ent, DCT + "title", fr("Métiers visés"))
    add(ent, DCT + "type", ENTITLEMENT_TYPE)
    add(ent, ELM + "entitlementStatus", ENTITLEMENT_STATUS)
    fiche = n(f"{BASE}rome/fiche/Z9999") if defect == "unknown-rome" else rng.choice(vocab.fiches)
    add(ent, ELM + "limitNationalOccupation", fiche)
    add(ent, ELM + "limitNationalOccupation", rng.choice(vocab.appellations))
    add(ent, ELM + "limitOccupation", rng.choice(vocab.occupations))
    return t


def organisation(i: int) -> list[ox.Triple]:
    org = n(f"{BASE}gen/organisation/{10_000_000_000_000 + i}")
    siret, loc, addr = n(org.value + "#siret"), n(org.value + "#location"), n(org.value + "#address")
    a = A
    return [
        ox.Triple(org, a, n(ELM + "Organisation")),
        ox.Triple(org, n("http://www.w3.org/ns/regorg#legalName"), fr(f"Organisme {i}")),
        ox.Triple(org, n("http://www.w3.org/ns/regorg#registration"), siret),
        ox.Triple(siret, a, n(ELM + "LegalIdentifier")),
        ox.Triple(siret, n(SKOS + "notation"), ox.Literal(str(10_000_000_000_000 + i))),
        ox.Triple(siret, n(DCT + "spatial"), FRA_COUNTRY),
        ox.Triple(org, n(ELM + "location"), loc),
        ox.Triple(loc, a, n(DCT + "Location")),
        ox.Triple(loc, n(ELM + "address"), addr),
        ox.Triple(addr, a, n(ELM + "Address")),
        ox.Triple(addr, n(ELM + "countryCode"), FRA_COUNTRY),
    ]


def dataset(trainings: int, seed: int = 7, defect_rate: float = 0.01) -> list[ox.Triple]:
    """``trainings`` records, their organisations, and the vocabulary triples they reference (as the mapping job
    adds them), deterministic for a seed."""
    rng = random.Random(seed)
    vocab = vocabulary()
    out: list[ox.Triple] = []
    for i in range(min(trainings, 97)):
        out.extend(organisation(i))
    for i in range(trainings):
        defect = DEFECTS[i % len(DEFECTS)] if rng.random() < defect_rate else None
        out.extend(training(i, rng, vocab, defect))
    referenced = {t.object for t in out if isinstance(t.object, ox.NamedNode)}
    for iri in referenced:
        out.extend(vocab.triples.get(iri, ()))
    out.extend(_scheme_triples())
    return out


def mapping_output(trainings: int, work: Path, seed: int = 1, defects: float = 0.01) -> tuple[Path, dict]:
    """The real output of the mapping job: ``trainings`` generated GEN trainings (``connector.mapping.generator``)
    mapped and published by ``connector.mapping.job`` into a fresh store holding the bundled ROME 4.0 and ESCO
    vocabularies and their alignment, then the published trainings graph plus the vocabulary triples it references
    (:meth:`Vocabularies.slice_for`, what :func:`validate` adds) as one N-Triples file, built once per size and seed
    under ``work``. Returns the file and the set-up figures."""
    import json
    import time

    out = work / f"mapped-{trainings}-{seed}.nt"
    meta = out.with_suffix(".json")
    if out.exists() and meta.exists():
        return out, json.loads(meta.read_text())
    from connector.config import load_settings
    from connector.context import Context
    from connector.mapping.generator import generate
    from connector.mapping.job import JobOptions, run_job
    from connector.validation import Vocabularies
    from connector.vocab.alignment.job import run_alignment
    from connector.vocab.jobs import load_esco, load_rome
    from connector.vocab.stages import ESCO_DIRS, ROME_DIR

    started = time.perf_counter()
    home = work / f"home-{trainings}-{seed}"
    ctx = Context(load_settings(home=home))
    try:
        load_rome(ctx, DATA / ROME_DIR)
        load_esco(ctx, [DATA / d for d in ESCO_DIRS])
        run_alignment(ctx, None)
        vocab_s = time.perf_counter() - started
        (path, _), *_ = generate(DATA, work / "in", trainings, 0, seed=seed, fmt="csv", defects=defects)
        started = time.perf_counter()
        job = run_job(ctx, JobOptions("trainings", [path], operator="bench"))
        if job.state != "succeeded":
            raise RuntimeError(f"mapping job {job.state}: {job.message}")
        map_s = time.perf_counter() - started
        graph = ctx.datasets.get("trainings").graph
        published = list(
            ox.parse(b"".join(ctx.store.export(graph, "application/n-triples")), format=ox.RdfFormat.N_TRIPLES)
        )
        vocabularies = Vocabularies.from_store(ctx.store, [ctx.datasets.get(d).graph for d in ("rome", "esco")])
        referenced = {t.object for t in published if isinstance(t.object, ox.NamedNode)}
        context = vocabularies.slice_for(referenced)
        out.write_bytes(ox.serialize([*published, *context], format=ox.RdfFormat.N_TRIPLES))
    finally:
        ctx.close()
    figures = {
        "trainings_in": trainings,
        "published_triples": len(published),
        "vocabulary_slice_triples": len(context),
        "job_summary": job.summary,
        "vocab_load_s": round(vocab_s, 1),
        "mapping_job_s": round(map_s, 1),
    }
    meta.write_text(json.dumps(figures, indent=2))
    return out, figures
