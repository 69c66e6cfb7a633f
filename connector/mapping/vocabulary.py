"""What the mappers need from the loaded vocabularies: which ROME and ESCO concepts exist, their labels, and the
ROME-ESCO alignment. Read once per job from the rome, esco, alignment and catalog graphs of the store.

Unknown codes are rejected per record (a training pointing at a fiche that does not exist is not published).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from connector.context import Context
from connector.mapping.ntriples import lit
from connector.mapping.records import JobSheet, Problem, Training
from connector.mapping.terms import RDF_TYPE, Profile, skos
from connector.namespaces import ESCO, OWL, SKOS, SSSOM
from connector.store import GraphStore

MATCHES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"


class VocabularyMissing(Exception):
    """A vocabulary a job needs is not loaded in the store."""


@dataclass(frozen=True)
class EscoMatch:
    occupation: str
    relation: str  # SKOS mapping property local name
    score: float | None


@dataclass
class Vocabulary:
    """Known concepts: ``rome[kind][code] -> IRI``, ESCO IRIs, labels, appellation -> fiche, fiche -> ESCO."""

    profile: Profile
    rome: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    esco_skills: set[str] = field(default_factory=set)
    esco_occupations: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)
    """IRI -> its preferred label as an N-Triples literal in its own language (``"…"@fr``, else ``"…"@en``)."""
    appellation_fiche: dict[str, str] = field(default_factory=dict)
    alignment: dict[str, list[EscoMatch]] = field(default_factory=lambda: defaultdict(list))
    versions: dict[str, str] = field(default_factory=dict)
    load_labels: Callable[[], dict[str, str]] | None = None
    """Labels are read on first use only: an unchanged re-run maps nothing and never needs them."""

    def complete(self) -> Vocabulary:
        """This vocabulary with its labels read, so that it can go to worker processes (which have no store)."""
        self.label_term("")
        return self

    # -- look-ups -------------------------------------------------------------------------------------------------
    def label_term(self, iri: str) -> str | None:
        """The concept's preferred label as an N-Triples literal tagged with its language (French when there is
        one)."""
        if self.load_labels is not None:
            self.labels, self.load_labels = self.load_labels(), None
        return self.labels.get(iri)

    def rome_item(self, code: str) -> str:
        """The IRI of a ROME competence or savoir by OGR code (competence first)."""
        for kind in ("competence", "savoir"):
            iri = self.rome[kind].get(code)
            if iri:
                return iri
        return self.profile.rome("competence", code)

    def fiche_of_appellation(self, code: str) -> str | None:
        return self.appellation_fiche.get(code)

    def esco_matches(self, code: str) -> list[EscoMatch]:
        """Alignment of a ROME fiche or appellation code, best first."""
        return self.alignment.get(code, [])

    # -- checks ---------------------------------------------------------------------------------------------------
    def check_training(self, t: Training) -> list[Problem]:
        problems = [
            Problem("unknown ROME 4.0 fiche code", "codes_rome", c) for c in t.rome_codes if c not in self.rome["fiche"]
        ]
        problems += [
            Problem("unknown ROME appellation code", "codes_appellations", c)
            for c in t.appellation_codes
            if c not in self.rome["appellation"]
        ]
        problems += [
            Problem("unknown ROME competence or savoir code", "competences_rome", c)
            for c in t.rome_competences
            if c not in self.rome["competence"] and c not in self.rome["savoir"]
        ]
        problems += [
            Problem("unknown ESCO skill", "competences_esco", c) for c in t.esco_skills if c not in self.esco_skills
        ]
        return problems

    def check_job_sheet(self, j: JobSheet) -> list[Problem]:
        problems = []
        if j.rome_code not in self.rome["fiche"]:
            problems.append(Problem("unknown ROME 4.0 fiche code", "code_rome", j.rome_code))
        problems += [
            Problem("unknown ROME appellation code", "codes_appellations", c)
            for c in j.appellation_codes
            if c not in self.rome["appellation"]
        ]
        problems += [
            Problem("unknown ROME competence code", "competences", s.code)
            for s in j.competences
            if s.code not in self.rome["competence"]
        ]
        problems += [
            Problem("unknown ROME savoir code", "savoirs", s.code)
            for s in j.knowledge
            if s.code not in self.rome["savoir"]
        ]
        problems += [
            Problem("unknown ROME work-context code", "contextes", c)
            for c in j.contexts
            if c not in self.rome["contexte"]
        ]
        problems += [
            Problem("unknown ROME 4.0 fiche code", "mobilites", c) for c in j.mobilities if c not in self.rome["fiche"]
        ]
        problems += [
            Problem("unknown ESCO skill", "competences_esco", s.code)
            for s in j.esco_skills
            if s.code not in self.esco_skills
        ]
        return problems

    # -- context for validation -------------------------------------------------------------------------------------
    def context_triples(self, iris: set[str]) -> str:
        """What the vocabulary graphs say that the shapes check about referenced concepts (type, notation), as
        N-Triples."""
        out = []
        rome_base = self.profile.minted.rome
        concept, skill, occupation = skos.Concept, f"<{ESCO}Skill>", f"<{ESCO}Occupation>"
        for iri in iris:
            if iri.startswith(rome_base):
                kind, _, code = iri[len(rome_base) :].partition("/")
                if self.rome.get(kind, {}).get(code) == iri:
                    out.append(f"<{iri}> {RDF_TYPE} {concept} .\n<{iri}> {skos.notation} {lit(code)} .\n")
            elif iri in self.esco_skills or iri in self.esco_occupations:
                kind = skill if iri in self.esco_skills else occupation
                out.append(f"<{iri}> {RDF_TYPE} {concept} .\n<{iri}> {RDF_TYPE} {kind} .\n")
        return "".join(out)


_last: tuple[weakref.ref[GraphStore], str, Vocabulary] | None = None
"""The last complete vocabulary read, with its store and fingerprint (see :func:`cached_vocabulary`)."""


def cached_vocabulary(ctx: Context, fingerprint: str) -> Vocabulary:
    """The complete vocabulary (labels read) of ``ctx``'s store, read again only when the store or ``fingerprint``
    (what keys the incremental state: the vocabularies' versions and sizes) changed: consecutive jobs of one process
    (trainings then job sheets, the server's job queue) read it once, about 1.7 s each on the demo vocabularies."""
    global _last
    if _last is not None and _last[0]() is ctx.store and _last[1] == fingerprint:
        return _last[2]
    vocab = load_vocabulary(ctx).complete()
    _last = (weakref.ref(ctx.store), fingerprint, vocab)
    return vocab


def load_vocabulary(ctx: Context, need_esco: bool = True) -> Vocabulary:
    """Read the concept index from the store; :class:`VocabularyMissing` when ROME (or ESCO) is not loaded."""
    profile = Profile(ctx.minted)
    vocab = Vocabulary(profile)
    store, datasets = ctx.store, ctx.datasets
    rome_graph, esco_graph = datasets.get("rome").graph, datasets.get("esco").graph
    rome_base = ctx.minted.rome
    rows = store.select(
        f'SELECT DISTINCT ?c WHERE {{ ?c <{SKOS}notation> ?n FILTER(STRSTARTS(STR(?c), "{rome_base}")) }}',
        default_graphs=[rome_graph],
    )
    for row in rows:
        kind, _, code = row["c"][len(rome_base) :].partition("/")
        vocab.rome[kind][code] = row["c"]
    if not vocab.rome["fiche"]:
        raise VocabularyMissing(
            f"the ROME 4.0 vocabulary is not loaded (no fiche in graph {rome_graph}); load the vocabularies first"
        )
    for row in store.select(
        f"SELECT ?a ?f WHERE {{ ?a <{SKOS}broader> ?f "
        f'FILTER(STRSTARTS(STR(?a), "{rome_base}appellation/") && STRSTARTS(STR(?f), "{rome_base}fiche/")) }}',
        default_graphs=[rome_graph],
    ):
        vocab.appellation_fiche[row["a"].rsplit("/", 1)[1]] = row["f"].rsplit("/", 1)[1]
    for row in store.select(
        f"SELECT ?c ?t WHERE {{ VALUES ?t {{ <{ESCO}Skill> <{ESCO}Occupation> }} ?c a ?t }}",
        default_graphs=[esco_graph],
    ):
        (vocab.esco_skills if row["t"].endswith("Skill") else vocab.esco_occupations).add(row["c"])
    if need_esco and not vocab.esco_skills:
        raise VocabularyMissing(f"the ESCO vocabulary is not loaded (no skill in graph {esco_graph})")
    _load_alignment(ctx, vocab)
    vocab.versions = load_versions(ctx)
    vocab.load_labels = lambda: _labels(ctx)
    return vocab


def _labels(ctx: Context) -> dict[str, str]:
    """French preferred labels of ROME and ESCO concepts (English when ESCO has no French one, tagged as such), as
    N-Triples literals, in one scan."""
    graphs = [ctx.datasets.get("rome").graph, ctx.datasets.get("esco").graph]
    rows = ctx.store.select(
        f"SELECT ?c ?l (LCASE(LANG(?l)) AS ?lang) WHERE {{ ?c <{SKOS}prefLabel> ?l "
        "FILTER(langMatches(lang(?l), 'en') || langMatches(lang(?l), 'fr')) }",
        default_graphs=graphs,
    )
    labels: dict[str, str] = {}
    for lang in ("en", "fr"):  # French last, so it wins
        labels.update((row["c"], f"{lit(row['l'])}@{row['lang']}") for row in rows if row["lang"].split("-")[0] == lang)
    return labels


def _load_alignment(ctx: Context, vocab: Vocabulary) -> None:
    """ROME fiche or appellation (by code: the two never collide) -> ESCO occupation matches (SKOS mapping
    properties), with the SSSOM confidence when recorded."""
    rome_base = ctx.minted.rome
    values = " ".join(f"<{SKOS}{m}>" for m in MATCHES)
    rows = ctx.store.select(
        f"SELECT ?f ?rel ?o (MAX(?conf) AS ?score) WHERE {{ VALUES ?rel {{ {values} }} ?f ?rel ?o "
        f'FILTER((STRSTARTS(STR(?f), "{rome_base}fiche/") || STRSTARTS(STR(?f), "{rome_base}appellation/")) '
        f'&& STRSTARTS(STR(?o), "{ESCO_OCCUPATION}")) '
        f"OPTIONAL {{ {{ ?m <{OWL}annotatedSource> ?f ; <{OWL}annotatedTarget> ?o ; <{SSSOM}confidence> ?conf }} "
        f"UNION {{ ?m <{SSSOM}subject_id> ?f ; <{SSSOM}object_id> ?o ; <{SSSOM}confidence> ?conf }} }} "
        f"}} GROUP BY ?f ?rel ?o ORDER BY ?f DESC(?score) ?o",
        default_graphs=[ctx.datasets.get("alignment").graph],
    )
    for row in rows:
        score = row.get("score")
        vocab.alignment[row["f"].rsplit("/", 1)[1]].append(
            EscoMatch(row["o"], row["rel"].rsplit("#", 1)[1], float(score) if score is not None else None)
        )


def vocabulary_state(ctx: Context) -> tuple[dict[str, str], str]:
    """Versions of ROME and ESCO and a cheap fingerprint of the rome, esco and alignment graphs (their sizes).

    Keys the incremental state without reading the vocabularies: an unchanged record under unchanged vocabularies
    needs neither checking nor mapping. :class:`VocabularyMissing` when ROME is not loaded at all.
    """
    counts = [ctx.store.count(ctx.datasets.get(name).graph) for name in ("rome", "esco", "alignment")]
    if counts[0] == 0:
        raise VocabularyMissing(
            f"the ROME 4.0 vocabulary is not loaded (graph {ctx.datasets.get('rome').graph} is empty); "
            "load the vocabularies first"
        )
    return load_versions(ctx), "/".join(str(c) for c in counts)


def load_versions(ctx: Context) -> dict[str, str]:
    """Versions of ROME and ESCO as recorded in the catalog graph (for the provenance of each run)."""
    versions: dict[str, str] = {}
    catalog = ctx.datasets.get("catalog").graph
    for dataset in ("rome", "esco"):
        rows = ctx.store.select(
            f"SELECT ?v WHERE {{ <{ctx.minted.dataset}{dataset}> ?p ?v "
            f"FILTER(?p IN (<{OWL}versionInfo>, <http://www.w3.org/ns/dcat#version>, "
            f"<http://purl.org/dc/terms/hasVersion>)) }} LIMIT 1",
            default_graphs=[catalog],
        )
        if rows:
            versions[dataset] = str(rows[0]["v"])
    return versions
