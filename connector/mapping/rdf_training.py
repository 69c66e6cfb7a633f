"""A :class:`Training` as ELM v3: ``elm:LearningOpportunity`` with its provider, location, price, sessions,
specification (``elm:LearningAchievementSpecification`` or ``elm:Qualification``), learning outcomes and targeted
jobs. See docs/application-profile.md for every choice and deviation.

Every node a training owns has an IRI under the training's own (``<training>#...``), so a record's triples are
exactly those whose subject starts with its IRI, plus the shared organisation node. Written as N-Triples text
(:mod:`connector.mapping.ntriples`).
"""

from __future__ import annotations

from connector.mapping.ntriples import RecordTriples, concept
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


def training_triples(t: Training, profile: Profile, vocab: Vocabulary) -> RecordTriples:
    base = profile.training(t.id)
    out = RecordTriples(base)
    add = out.add
    gsc = profile.gsc
    s = f"<{base}>"
    homepage = f"<{base}#homepage>"
    org_iri = profile.organisation(t.provider_siret)
    org = f"<{org_iri}>"
    spec = f"<{base}#specification>"
    language = concept(LANGUAGE_FRA, LANGUAGE_SCHEME)

    add(s, RDF_TYPE, elm.LearningOpportunity)
    title = fr(t.title)
    add(s, dct.title, title)
    if t.description:
        add(s, dct.description, fr(t.description))
    add(s, foaf.homepage, homepage)
    add(homepage, RDF_TYPE, elm.WebResource)
    add(homepage, elm.contentUrl, typed(t.url, xsd.anyURI))
    add(s, elm.providedBy, org)
    add(s, elm.defaultLanguage, LANGUAGE_FRA)
    out.extend(language)
    add(s, elm.duration, typed(duration(t), xsd.duration))
    for mode in t.modes:
        node = gsc["mode-" + mode]
        add(s, elm.mode, node)
        out.extend(concept(node, gsc.LearningModes))
    add(s, elm.learningAchievementSpecification, spec)

    location = None
    if t.city or t.street or t.postal_code or t.latitude is not None:
        location = f"<{base}#location>"
        add(s, elm.location, location)
        _location(out, base, location, t)
    _organisation(out, org_iri, t)

    if t.price_eur is not None:
        price, amount = f"<{base}#price>", f"<{base}#price-amount>"
        add(s, elm.priceDetail, price)
        add(price, RDF_TYPE, elm.PriceDetail)
        add(price, skos.prefLabel, PRICE_LABEL)
        add(price, elm.amount, amount)
        add(amount, RDF_TYPE, elm.Amount)
        add(amount, RDF_VALUE, typed(f"{t.price_eur:.2f}", xsd.decimal))
        add(amount, elm.unit, CURRENCY_EUR)
        out.extend(concept(CURRENCY_EUR, CURRENCY_SCHEME))

    for i, session in enumerate(t.sessions, start=1):
        node, period = f"<{base}#session-{i}>", f"<{base}#session-{i}-period>"
        add(s, elm.hasPart, node)
        add(node, RDF_TYPE, elm.LearningOpportunity)
        add(node, elm.isPartOf, s)
        add(node, dct.title, fr(f"{t.title} — session du {session.start.strftime('%d/%m/%Y')}"))
        add(node, foaf.homepage, homepage)
        add(node, elm.providedBy, org)
        add(node, elm.defaultLanguage, LANGUAGE_FRA)
        add(node, elm.learningAchievementSpecification, spec)
        if location is not None:
            add(node, elm.location, location)
        add(node, dct.temporal, period)
        add(period, RDF_TYPE, dct.PeriodOfTime)
        add(period, elm.startDate, typed(f"{session.start.isoformat()}T00:00:00", xsd.dateTime))
        if session.end is not None:
            add(period, elm.endDate, typed(f"{session.end.isoformat()}T23:59:59", xsd.dateTime))

    _specification(out, base, spec, t, profile, vocab)
    _gen_details(out, f"<{base}#gen>", s, t, profile)
    return out


PRICE_LABEL = fr("Prix total TTC")
TARGETED_JOBS = fr("Métiers visés")


def _location(out: RecordTriples, base: str, location: str, t: Training) -> None:
    add = out.add
    address = f"<{base}#address>"
    add(location, RDF_TYPE, dct.Location)
    add(location, elm.address, address)
    if t.city:
        add(location, elm.geographicName, fr(t.city))
    add(address, RDF_TYPE, elm.Address)
    add(address, elm.countryCode, COUNTRY_FRA)
    out.extend(concept(COUNTRY_FRA, COUNTRY_SCHEME))
    full = ", ".join(p for p in (t.street, " ".join(x for x in (t.postal_code, t.city) if x)) if p)
    if full:
        note = f"<{base}#address-note>"
        add(address, elm.fullAddress, note)
        add(note, RDF_TYPE, elm.Note)
        add(note, elm.noteLiteral, fr(full))
    if t.latitude is not None and t.longitude is not None:
        geometry = f"<{base}#geometry>"
        add(location, locn.geometry, geometry)
        add(geometry, RDF_TYPE, locn.Geometry)
        add(geometry, clv.latitude, lit(f"{t.latitude:.6f}"))
        add(geometry, clv.longitude, lit(f"{t.longitude:.6f}"))


def _organisation(out: RecordTriples, org_iri: str, t: Training) -> None:
    """The provider, shared by its trainings; SIRET as ``rov:registration`` (an ``elm:LegalIdentifier``)."""
    add = out.add
    org, siret = f"<{org_iri}>", f"<{org_iri}#siret>"
    add(org, RDF_TYPE, elm.Organisation)
    add(org, rov.legalName, fr(t.provider_name))
    add(org, rov.registration, siret)
    add(siret, RDF_TYPE, elm.LegalIdentifier)
    add(siret, skos.notation, lit(t.provider_siret))
    add(siret, elm.schemeName, SIRET)
    add(siret, dct.spatial, COUNTRY_FRA)
    out.extend(concept(COUNTRY_FRA, COUNTRY_SCHEME))
    # ELM requires a location on organisations: the provider's own, sharing the training's address node
    org_location, org_address = f"<{org_iri}#location>", f"<{org_iri}#address>"
    add(org, elm.location, org_location)
    add(org_location, RDF_TYPE, dct.Location)
    add(org_location, elm.address, org_address)
    add(org_address, RDF_TYPE, elm.Address)
    add(org_address, elm.countryCode, COUNTRY_FRA)


SIRET = lit("SIRET")


def _specification(out: RecordTriples, base: str, spec: str, t: Training, profile: Profile, vocab: Vocabulary) -> None:
    add = out.add
    gsc = profile.gsc
    cert = t.certification
    qualification = cert is not None and cert.eqf_level is not None
    add(spec, RDF_TYPE, elm.Qualification if qualification else elm.LearningAchievementSpecification)
    add(spec, dct.title, fr(cert.title if cert and cert.title else t.title))
    add(spec, dct.language, LANGUAGE_FRA)
    isced = f"<{ISCED_F}{isced_code(t)}>"
    add(spec, elm.ISCEDFCode, isced)
    out.extend(concept(isced, ISCED_F_SCHEME))
    if t.duration_hours is not None:
        add(spec, elm.volumeOfLearning, typed(duration(t), xsd.duration))
    if t.entry_level:
        note = f"<{base}#entry-requirement>"
        add(spec, elm.entryRequirement, note)
        add(note, RDF_TYPE, elm.Note)
        add(note, elm.noteLiteral, fr(f"Niveau d'entrée : {t.entry_level}"))
    if cert is not None:
        code = f"<{RNCP_PAGE.format(kind=cert.kind.lower(), number=cert.code[len(cert.kind) :])}>"
        scheme = gsc["scheme-" + cert.kind.lower()]
        if qualification:
            add(spec, elm.qualificationCode, code)
            eqf = f"<{EQF}{cert.eqf_level}>"
            nqf = gsc[f"nqf-fr-{cert.eqf_level}"]
            add(spec, elm.EQFLevel, eqf)
            out.extend(concept(eqf, EQF_SCHEME))
            add(spec, elm.NQFLevel, nqf)
            out.extend(concept(nqf, gsc.FrenchNQF))
        else:
            add(spec, dct.type, code)
        out.extend(concept(code, scheme))
        add(code, skos.notation, lit(cert.code))
        if cert.title:
            add(code, skos.prefLabel, fr(cert.title))

    outcomes = 0
    for skill in t.esco_skills:
        outcomes += 1
        node = f"<{base}#outcome-{outcomes}>"
        add(spec, elm.learningOutcome, node)
        add(node, RDF_TYPE, elm.LearningOutcome)
        add(node, dct.title, vocab.label_term(skill) or fr(skill))
        out.link(node, elm.relatedESCOSkill, skill)
    for code in t.rome_competences:
        outcomes += 1
        item = vocab.rome_item(code)
        node = f"<{base}#outcome-{outcomes}>"
        add(spec, elm.learningOutcome, node)
        add(node, RDF_TYPE, elm.LearningOutcome)
        add(node, dct.title, vocab.label_term(item) or fr(code))
        out.link(node, elm.relatedSkill, item)
    if outcomes == 0:
        node = f"<{base}#outcome-1>"
        add(spec, elm.learningOutcome, node)
        add(node, RDF_TYPE, elm.LearningOutcome)
        add(node, dct.title, fr(f"Exercer les métiers visés : {t.title}"))

    entitlement = f"<{base}#entitlement>"
    add(spec, elm.entitlesTo, entitlement)
    add(entitlement, RDF_TYPE, elm.LearningEntitlementSpecification)
    add(entitlement, dct.title, TARGETED_JOBS)
    add(entitlement, dct.type, gsc["entitlement-employment"])
    out.extend(concept(gsc["entitlement-employment"], gsc.EntitlementTypes))
    add(entitlement, elm.entitlementStatus, gsc["entitlement-actual"])
    out.extend(concept(gsc["entitlement-actual"], gsc.EntitlementStatuses))
    occupations: dict[str, None] = {}
    for code in t.rome_codes:
        out.link(entitlement, elm.limitNationalOccupation, profile.rome("fiche", code))
        occupations.update(dict.fromkeys(m.occupation for m in vocab.esco_matches(code)))
    for code in t.appellation_codes:
        out.link(entitlement, elm.limitNationalOccupation, profile.rome("appellation", code))
        occupations.update(dict.fromkeys(m.occupation for m in vocab.esco_matches(code)))
        fiche = vocab.fiche_of_appellation(code)
        if fiche:
            occupations.update(dict.fromkeys(m.occupation for m in vocab.esco_matches(fiche)))
    for occupation in occupations:
        out.link(entitlement, elm.limitOccupation, occupation)
    add(entitlement, elm.limitJurisdiction, COUNTRY_FRA)


def _gen_details(out: RecordTriples, node: str, s: str, t: Training, profile: Profile) -> None:
    """GEN facts ELM has no closed-shape slot for, on a separate ``gsc:GenTrainingDetails`` node."""
    gsc = profile.gsc
    facts: list[tuple[str, str]] = []
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
    out.add(node, RDF_TYPE, gsc.GenTrainingDetails)
    out.add(node, gsc.describes, s)
    for predicate, value in facts:
        out.add(node, predicate, value)
