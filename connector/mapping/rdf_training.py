"""A :class:`Training` as ELM v3: ``elm:LearningOpportunity`` with its provider, location, price, sessions,
specification (``elm:LearningAchievementSpecification`` or ``elm:Qualification``), learning outcomes and targeted
jobs. See docs/application-profile.md for every choice and deviation.

Every node a training owns has an IRI under the training's own (``<training>#...``), so a record's triples are
exactly those whose subject starts with its IRI, plus the shared organisation node.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from connector.mapping.records import Training
from connector.mapping.terms import (
    COUNTRY_FRA,
    COUNTRY_SCHEME,
    CURRENCY_EUR,
    CURRENCY_SCHEME,
    EQF,
    EQF_SCHEME,
    ISCED_F,
    ISCED_F_SCHEME,
    LANGUAGE_FRA,
    LANGUAGE_SCHEME,
    RDF_TYPE,
    RDF_VALUE,
    RNCP_PAGE,
    Profile,
    clv,
    concept,
    dct,
    elm,
    foaf,
    fr,
    lit,
    locn,
    rov,
    skos,
    typed,
    xsd,
)
from connector.mapping.vocabulary import Vocabulary

T = ox.Triple

# NSF groups and ROME domains to ISCED-F 2013 detailed fields (ELM requires at least one ISCED-F code).
NSF_TO_ISCED = {"326": "0613", "320": "0211", "322": "0211", "323": "0211", "324": "0415", "325": "0414"}
ROME_TO_ISCED = {"M18": "0613", "E11": "0211", "E12": "0211", "E14": "0414", "M14": "0413", "I13": "0714"}
DEFAULT_ISCED = "0619"


def isced_code(training: Training) -> str:
    for nsf in training.nsf_codes:
        if nsf[:3] in NSF_TO_ISCED:
            return NSF_TO_ISCED[nsf[:3]]
    for code in training.rome_codes:
        if code[:3] in ROME_TO_ISCED:
            return ROME_TO_ISCED[code[:3]]
    return DEFAULT_ISCED


def duration(training: Training) -> str:
    """xsd:duration: hours when known (``PT400H``), else months (``P6M``)."""
    if training.duration_hours is not None:
        hours = training.duration_hours
        return f"PT{int(hours)}H" if hours == int(hours) else f"PT{hours:g}H"
    months = training.duration_months or 0
    return f"P{int(months)}M" if months == int(months) else f"P{round(months * 30)}D"


def training_triples(t: Training, profile: Profile, vocab: Vocabulary) -> Iterator[ox.Triple]:
    gsc = profile.gsc
    s = profile.training(t.id)
    base = s.value
    homepage = ox.NamedNode(base + "#homepage")
    org = profile.organisation(t.provider_siret)
    spec = ox.NamedNode(base + "#specification")

    yield T(s, RDF_TYPE, elm.LearningOpportunity)
    yield T(s, dct.title, fr(t.title))
    if t.description:
        yield T(s, dct.description, fr(t.description))
    yield T(s, foaf.homepage, homepage)
    yield T(homepage, RDF_TYPE, elm.WebResource)
    yield T(homepage, elm.contentUrl, typed(t.url, xsd.anyURI))
    yield T(s, elm.providedBy, org)
    yield T(s, elm.defaultLanguage, LANGUAGE_FRA)
    yield from concept(LANGUAGE_FRA, LANGUAGE_SCHEME)
    yield T(s, elm.duration, typed(duration(t), xsd.duration))
    for mode in t.modes:
        node = gsc["mode-" + mode]
        yield T(s, elm.mode, node)
        yield from concept(node, gsc.LearningModes)
    yield T(s, elm.learningAchievementSpecification, spec)

    location = None
    if t.city or t.street or t.postal_code or t.latitude is not None:
        location = ox.NamedNode(base + "#location")
        yield T(s, elm.location, location)
        yield from _location(location, t)
    yield from _organisation(org, t, location)

    if t.price_eur is not None:
        price, amount = ox.NamedNode(base + "#price"), ox.NamedNode(base + "#price-amount")
        yield T(s, elm.priceDetail, price)
        yield T(price, RDF_TYPE, elm.PriceDetail)
        yield T(price, skos.prefLabel, fr("Prix total TTC"))
        yield T(price, elm.amount, amount)
        yield T(amount, RDF_TYPE, elm.Amount)
        yield T(amount, RDF_VALUE, typed(f"{t.price_eur:.2f}", xsd.decimal))
        yield T(amount, elm.unit, CURRENCY_EUR)
        yield from concept(CURRENCY_EUR, CURRENCY_SCHEME)

    for i, session in enumerate(t.sessions, start=1):
        node, period = ox.NamedNode(f"{base}#session-{i}"), ox.NamedNode(f"{base}#session-{i}-period")
        yield T(s, elm.hasPart, node)
        yield T(node, RDF_TYPE, elm.LearningOpportunity)
        yield T(node, elm.isPartOf, s)
        yield T(node, dct.title, fr(f"{t.title} — session du {session.start.strftime('%d/%m/%Y')}"))
        yield T(node, foaf.homepage, homepage)
        yield T(node, elm.providedBy, org)
        yield T(node, elm.defaultLanguage, LANGUAGE_FRA)
        yield T(node, elm.learningAchievementSpecification, spec)
        if location is not None:
            yield T(node, elm.location, location)
        yield T(node, dct.temporal, period)
        yield T(period, RDF_TYPE, dct.PeriodOfTime)
        yield T(period, elm.startDate, typed(f"{session.start.isoformat()}T00:00:00", xsd.dateTime))
        if session.end is not None:
            yield T(period, elm.endDate, typed(f"{session.end.isoformat()}T23:59:59", xsd.dateTime))

    yield from _specification(spec, t, profile, vocab)
    yield from _gen_details(ox.NamedNode(base + "#gen"), s, t, profile)


def _location(location: ox.NamedNode, t: Training) -> Iterator[ox.Triple]:
    address = ox.NamedNode(location.value.replace("#location", "#address"))
    yield T(location, RDF_TYPE, dct.Location)
    yield T(location, elm.address, address)
    if t.city:
        yield T(location, elm.geographicName, fr(t.city))
    yield T(address, RDF_TYPE, elm.Address)
    yield T(address, elm.countryCode, COUNTRY_FRA)
    yield from concept(COUNTRY_FRA, COUNTRY_SCHEME)
    full = ", ".join(p for p in (t.street, " ".join(x for x in (t.postal_code, t.city) if x)) if p)
    if full:
        note = ox.NamedNode(location.value.replace("#location", "#address-note"))
        yield T(address, elm.fullAddress, note)
        yield T(note, RDF_TYPE, elm.Note)
        yield T(note, elm.noteLiteral, fr(full))
    if t.latitude is not None and t.longitude is not None:
        geometry = ox.NamedNode(location.value.replace("#location", "#geometry"))
        yield T(location, locn.geometry, geometry)
        yield T(geometry, RDF_TYPE, locn.Geometry)
        yield T(geometry, clv.latitude, lit(f"{t.latitude:.6f}"))
        yield T(geometry, clv.longitude, lit(f"{t.longitude:.6f}"))


def _organisation(org: ox.NamedNode, t: Training, location: ox.NamedNode | None) -> Iterator[ox.Triple]:
    """The provider, shared by its trainings; SIRET as ``rov:registration`` (an ``elm:LegalIdentifier``)."""
    siret = ox.NamedNode(org.value + "#siret")
    yield T(org, RDF_TYPE, elm.Organisation)
    yield T(org, rov.legalName, fr(t.provider_name))
    yield T(org, rov.registration, siret)
    yield T(siret, RDF_TYPE, elm.LegalIdentifier)
    yield T(siret, skos.notation, lit(t.provider_siret))
    yield T(siret, elm.schemeName, lit("SIRET"))
    yield T(siret, dct.spatial, COUNTRY_FRA)
    yield from concept(COUNTRY_FRA, COUNTRY_SCHEME)
    # ELM requires a location on organisations: the provider's own, sharing the training's address node
    org_location = ox.NamedNode(org.value + "#location")
    org_address = ox.NamedNode(org.value + "#address")
    yield T(org, elm.location, org_location)
    yield T(org_location, RDF_TYPE, dct.Location)
    yield T(org_location, elm.address, org_address)
    yield T(org_address, RDF_TYPE, elm.Address)
    yield T(org_address, elm.countryCode, COUNTRY_FRA)


def _specification(spec: ox.NamedNode, t: Training, profile: Profile, vocab: Vocabulary) -> Iterator[ox.Triple]:
    gsc = profile.gsc
    cert = t.certification
    qualification = cert is not None and cert.eqf_level is not None
    yield T(spec, RDF_TYPE, elm.Qualification if qualification else elm.LearningAchievementSpecification)
    yield T(spec, dct.title, fr(cert.title if cert and cert.title else t.title))
    yield T(spec, dct.language, LANGUAGE_FRA)
    isced = ox.NamedNode(ISCED_F + isced_code(t))
    yield T(spec, elm.ISCEDFCode, isced)
    yield from concept(isced, ISCED_F_SCHEME)
    if t.duration_hours is not None:
        yield T(spec, elm.volumeOfLearning, typed(duration(t), xsd.duration))
    if t.entry_level:
        note = ox.NamedNode(spec.value.replace("#specification", "#entry-requirement"))
        yield T(spec, elm.entryRequirement, note)
        yield T(note, RDF_TYPE, elm.Note)
        yield T(note, elm.noteLiteral, fr(f"Niveau d'entrée : {t.entry_level}"))
    if cert is not None:
        code = ox.NamedNode(RNCP_PAGE.format(kind=cert.kind.lower(), number=cert.code[len(cert.kind) :]))
        scheme = gsc["scheme-" + cert.kind.lower()]
        if qualification:
            yield T(spec, elm.qualificationCode, code)
            eqf = ox.NamedNode(f"{EQF}{cert.eqf_level}")
            nqf = gsc[f"nqf-fr-{cert.eqf_level}"]
            yield T(spec, elm.EQFLevel, eqf)
            yield from concept(eqf, EQF_SCHEME)
            yield T(spec, elm.NQFLevel, nqf)
            yield from concept(nqf, gsc.FrenchNQF)
        else:
            yield T(spec, dct.type, code)
        yield from concept(code, scheme)
        yield T(code, skos.notation, lit(cert.code))
        if cert.title:
            yield T(code, skos.prefLabel, fr(cert.title))

    outcomes = 0
    for skill in t.esco_skills:
        outcomes += 1
        node = ox.NamedNode(f"{spec.value.replace('#specification', '')}#outcome-{outcomes}")
        yield T(spec, elm.learningOutcome, node)
        yield T(node, RDF_TYPE, elm.LearningOutcome)
        yield T(node, dct.title, fr(vocab.label(skill) or skill))
        yield T(node, elm.relatedESCOSkill, ox.NamedNode(skill))
    for code in t.rome_competences:
        outcomes += 1
        iri = vocab.rome_item(code)
        node = ox.NamedNode(f"{spec.value.replace('#specification', '')}#outcome-{outcomes}")
        yield T(spec, elm.learningOutcome, node)
        yield T(node, RDF_TYPE, elm.LearningOutcome)
        yield T(node, dct.title, fr(vocab.label(iri.value) or code))
        yield T(node, elm.relatedSkill, iri)
    if outcomes == 0:
        node = ox.NamedNode(spec.value.replace("#specification", "#outcome-1"))
        yield T(spec, elm.learningOutcome, node)
        yield T(node, RDF_TYPE, elm.LearningOutcome)
        yield T(node, dct.title, fr(f"Exercer les métiers visés : {t.title}"))

    entitlement = ox.NamedNode(spec.value.replace("#specification", "#entitlement"))
    yield T(spec, elm.entitlesTo, entitlement)
    yield T(entitlement, RDF_TYPE, elm.LearningEntitlementSpecification)
    yield T(entitlement, dct.title, fr("Métiers visés"))
    yield T(entitlement, dct.type, gsc["entitlement-employment"])
    yield from concept(gsc["entitlement-employment"], gsc.EntitlementTypes)
    yield T(entitlement, elm.entitlementStatus, gsc["entitlement-actual"])
    yield from concept(gsc["entitlement-actual"], gsc.EntitlementStatuses)
    occupations: dict[str, None] = {}
    for code in t.rome_codes:
        yield T(entitlement, elm.limitNationalOccupation, profile.rome("fiche", code))
        occupations.update(dict.fromkeys(m.occupation for m in vocab.esco_matches(code)))
    for code in t.appellation_codes:
        yield T(entitlement, elm.limitNationalOccupation, profile.rome("appellation", code))
        occupations.update(dict.fromkeys(m.occupation for m in vocab.esco_matches(code)))
        fiche = vocab.fiche_of_appellation(code)
        if fiche:
            occupations.update(dict.fromkeys(m.occupation for m in vocab.esco_matches(fiche)))
    for occupation in occupations:
        yield T(entitlement, elm.limitOccupation, ox.NamedNode(occupation))
    yield T(entitlement, elm.limitJurisdiction, COUNTRY_FRA)


def _gen_details(node: ox.NamedNode, s: ox.NamedNode, t: Training, profile: Profile) -> Iterator[ox.Triple]:
    """GEN facts ELM has no closed-shape slot for, on a separate ``gsc:GenTrainingDetails`` node."""
    gsc = profile.gsc
    facts: list[tuple[ox.NamedNode, ox.Literal | ox.NamedNode]] = []
    if t.label_date:
        facts.append((gsc.labelDate, typed(t.label_date.isoformat(), xsd.date)))
    if t.label_end_date:
        facts.append((gsc.labelEndDate, typed(t.label_end_date.isoformat(), xsd.date)))
    if t.target_public:
        facts.append((gsc.targetPublic, fr(t.target_public)))
    if t.funding:
        facts.append((gsc.funding, fr(t.funding)))
    if t.entry_level:
        facts.append((gsc.entryLevel, lit(t.entry_level)))
    if t.exit_level:
        facts.append((gsc.exitLevel, lit(t.exit_level)))
    if t.work_based is not None:
        facts.append((gsc.workBasedLearning, typed(str(t.work_based).lower(), xsd.boolean)))
    if t.duration_months is not None:
        facts.append((gsc.durationMonths, typed(f"{t.duration_months:g}", xsd.decimal)))
    for code in t.formacodes:
        facts.append((gsc.formacode, lit(code)))
    for code in t.nsf_codes:
        facts.append((gsc.nsfCode, lit(code)))
    for key, value in (
        ("postalCode", t.postal_code),
        ("inseeCode", t.insee_code),
        ("department", t.department),
        ("region", t.region),
    ):
        if value:
            facts.append((gsc[key], lit(value)))
    yield T(node, RDF_TYPE, gsc.GenTrainingDetails)
    yield T(node, gsc.describes, s)
    for predicate, value in facts:
        yield T(node, predicate, value)
