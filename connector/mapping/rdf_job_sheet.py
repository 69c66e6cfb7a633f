"""A :class:`JobSheet` as a SKOS concept of the GEN job-sheet scheme, linked to ROME 4.0 and ESCO.

ROME competences, savoirs and ESCO skills hang off ``esco:relatedEssentialSkill`` (principal / essential) and
``esco:relatedOptionalSkill`` (others), the ESCO way of linking occupations to skills; ESCO occupations come from
the ROME-ESCO alignment with their SKOS mapping property and score (``gsc:EscoAlignment`` nodes).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from connector.mapping.records import JobSheet
from connector.mapping.terms import RDF_TYPE, Profile, fr, lit, skos, typed, xsd
from connector.mapping.vocabulary import EscoMatch, Vocabulary
from connector.namespaces import ESCO, SKOS

T = ox.Triple
ESSENTIAL = ox.NamedNode(ESCO + "relatedEssentialSkill")
OPTIONAL = ox.NamedNode(ESCO + "relatedOptionalSkill")


def job_sheet_triples(j: JobSheet, profile: Profile, vocab: Vocabulary) -> Iterator[ox.Triple]:
    gsc = profile.gsc
    s = profile.job_sheet(j.id)
    scheme = profile.job_sheet_scheme
    yield T(s, RDF_TYPE, skos.Concept)
    yield T(s, RDF_TYPE, gsc.JobSheet)
    yield T(s, skos.inScheme, scheme)
    yield T(scheme, RDF_TYPE, skos.ConceptScheme)
    yield T(scheme, skos.prefLabel, fr("Fiches de postes du numérique GEN"))
    yield T(s, skos.prefLabel, fr(j.title))
    yield T(s, skos.notation, lit(j.id))
    if j.definition:
        yield T(s, skos.definition, fr(j.definition))
    if j.access:
        yield T(s, gsc.accessToJob, fr(j.access))
    if j.family:
        yield T(s, gsc.family, fr(j.family))
    fiche = profile.rome("fiche", j.rome_code)
    yield T(s, skos.closeMatch, fiche)
    yield T(s, gsc.romeFiche, fiche)
    for code in j.appellation_codes:
        yield T(s, gsc.romeAppellation, profile.rome("appellation", code))
    matches: dict[str, EscoMatch] = {}
    for code in (j.rome_code, *j.appellation_codes):  # the fiche's own alignment first, then its appellations'
        for m in vocab.esco_matches(code):
            matches.setdefault(m.occupation, m)
    for i, match in enumerate(matches.values(), start=1):
        occupation = ox.NamedNode(match.occupation)
        node = ox.NamedNode(f"{s.value}#esco-{i}")
        yield T(s, ox.NamedNode(SKOS + match.relation), occupation)
        yield T(s, gsc.escoAlignment, node)
        yield T(node, RDF_TYPE, gsc.EscoAlignment)
        yield T(node, gsc.escoOccupation, occupation)
        yield T(node, gsc.matchProperty, ox.NamedNode(SKOS + match.relation))
        if match.score is not None:
            yield T(node, gsc.score, typed(f"{match.score:.4f}", xsd.decimal))
    for skill in j.competences:
        yield T(s, ESSENTIAL if skill.main else OPTIONAL, profile.rome("competence", skill.code))
    for skill in j.knowledge:
        yield T(s, ESSENTIAL if skill.main else OPTIONAL, profile.rome("savoir", skill.code))
    for skill in j.esco_skills:
        yield T(s, ESSENTIAL if skill.main else OPTIONAL, ox.NamedNode(skill.code))
    for code in j.contexts:
        yield T(s, gsc.workContext, profile.rome("contexte", code))
    for code in j.mobilities:
        yield T(s, gsc.mobilityTo, profile.rome("fiche", code))
