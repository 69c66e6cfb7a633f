"""A :class:`JobSheet` as a SKOS concept of the GEN job-sheet scheme, linked to ROME 4.0 and ESCO.

ROME competences, savoirs and ESCO skills hang off ``esco:relatedEssentialSkill`` (principal / essential) and
``esco:relatedOptionalSkill`` (others), the ESCO way of linking occupations to skills; ESCO occupations come from
the ROME-ESCO alignment with their SKOS mapping property and score (``gsc:EscoAlignment`` nodes).
"""

from __future__ import annotations

from connector.mapping.ntriples import RecordTriples
from connector.mapping.records import JobSheet
from connector.mapping.terms import RDF_TYPE, Profile, fr, lit, skos, typed, xsd
from connector.mapping.vocabulary import EscoMatch, Vocabulary
from connector.namespaces import ESCO, SKOS

ESSENTIAL = f"<{ESCO}relatedEssentialSkill>"
OPTIONAL = f"<{ESCO}relatedOptionalSkill>"


def job_sheet_triples(j: JobSheet, profile: Profile, vocab: Vocabulary) -> RecordTriples:
    base = profile.job_sheet(j.id)
    out = RecordTriples(base)
    add, link = out.add, out.link
    gsc = profile.gsc
    s = f"<{base}>"
    scheme = f"<{profile.job_sheet_scheme}>"
    add(s, RDF_TYPE, skos.Concept)
    add(s, RDF_TYPE, gsc.JobSheet)
    add(s, skos.inScheme, scheme)
    add(scheme, RDF_TYPE, skos.ConceptScheme)
    add(scheme, skos.prefLabel, fr("Fiches de postes du numérique GEN"))
    add(s, skos.prefLabel, fr(j.title))
    add(s, skos.notation, lit(j.id))
    if j.definition:
        add(s, skos.definition, fr(j.definition))
    if j.access:
        add(s, gsc.accessToJob, fr(j.access))
    if j.family:
        add(s, gsc.family, fr(j.family))
    fiche = profile.rome("fiche", j.rome_code)
    link(s, skos.closeMatch, fiche)
    link(s, gsc.romeFiche, fiche)
    for code in j.appellation_codes:
        link(s, gsc.romeAppellation, profile.rome("appellation", code))
    matches: dict[str, EscoMatch] = {}
    for code in (j.rome_code, *j.appellation_codes):  # the fiche's own alignment first, then its appellations'
        for m in vocab.esco_matches(code):
            matches.setdefault(m.occupation, m)
    for i, match in enumerate(matches.values(), start=1):
        node = f"<{base}#esco-{i}>"
        relation = f"<{SKOS}{match.relation}>"
        link(s, relation, match.occupation)
        add(s, gsc.escoAlignment, node)
        add(node, RDF_TYPE, gsc.EscoAlignment)
        link(node, gsc.escoOccupation, match.occupation)
        add(node, gsc.matchProperty, relation)
        if match.score is not None:
            add(node, gsc.score, typed(f"{match.score:.4f}", xsd.decimal))
    for skill in j.competences:
        link(s, ESSENTIAL if skill.main else OPTIONAL, profile.rome("competence", skill.code))
    for skill in j.knowledge:
        link(s, ESSENTIAL if skill.main else OPTIONAL, profile.rome("savoir", skill.code))
    for skill in j.esco_skills:
        link(s, ESSENTIAL if skill.main else OPTIONAL, skill.code)
    for code in j.contexts:
        link(s, gsc.workContext, profile.rome("contexte", code))
    for code in j.mobilities:
        link(s, gsc.mobilityTo, profile.rome("fiche", code))
    return out
