"""The matching rules on small hand-made inputs: synonyms, head noun and qualifiers, coordinated labels, skill types,
ISCO placement of fiches and appellations, and the evaluation by relation."""

from __future__ import annotations

from connector.vocab.alignment.data import AlignmentInput, EscoConcept, RomeItem
from connector.vocab.alignment.evaluation import GoldPair, evaluate
from connector.vocab.alignment.matcher import Aligner, Mapping
from connector.vocab.alignment.normalise import fold, gender_forms, head, tokens

ROME = "https://w3id.org/gen-skills/rome/"
OCC = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"
ISCO = "http://data.europa.eu/esco/isco/C"


def occupation(key: str, label: str, isco: str, *alt: str) -> EscoConcept:
    return EscoConcept(f"{OCC}{key}", "occupation", label, None, [(label, 1.0), *((a, 0.95) for a in alt)], isco)


def fiche(code: str, label: str, digital: bool = True) -> RomeItem:
    return RomeItem(f"{ROME}fiche/{code}", "fiche", code, label, digital)


def appellation(code: str, label: str, of: RomeItem) -> RomeItem:
    return RomeItem(f"{ROME}appellation/{code}", "appellation", code, label, of.digital, of.iri)


def align(rome: list[RomeItem], esco: list[EscoConcept]) -> dict[tuple[str, str], Mapping]:
    data = AlignmentInput({i.iri: i for i in rome}, {c.iri: c for c in esco}, {}, {}, "v460", "1.1.1")
    return {(m.subject.code, m.obj.iri.rsplit("/", 1)[-1]): m for m in Aligner(data).run()}


def test_domain_synonyms_and_heads() -> None:
    assert tokens(fold("Ingénieur / Ingénieure sécurité informatique")) == tokens(fold("ingénieur en sécurité des TIC"))
    assert tokens(fold("Développeur multimédia")) == tokens(fold("multimedia developer"))
    assert tokens(fold("Technicien Datacenter")) == tokens(fold("technicien de centre de données"))
    assert head(fold("Cheffe de projet")) == head(fold("Responsable de projet")) == head(fold("Manager de projet"))
    assert head(fold("Technicienne réseau")) == "technicien"
    # ESCO writes the masculine head alone when the tail is shared: "chargé/chargée d'enseignement"
    assert gender_forms("chargé/chargée d'enseignement") == ["chargé d'enseignement", "chargée d'enseignement"]


def test_head_noun_and_qualifiers_decide_the_relation() -> None:
    f = fiche("M1899", "Chef / Cheffe de projet TMA")
    a_sibling = appellation("1", "Opérateur / Opératrice extrusion caoutchouc", f)
    a_and = appellation("2", "Ingénieur / Ingénieure systèmes et réseaux informatiques", f)
    found = align(
        [f, a_sibling, a_and],
        [
            occupation("pm", "responsable de projet", "1219"),
            occupation("inj", "opérateur injection caoutchouc", "8142"),
            occupation("net", "ingénieur réseaux informatiques", "2523"),
        ],
    )
    # more qualifiers on the ROME side, same head (chef = responsable): the ESCO occupation is broader
    pm = found[("M1899", "pm")]
    assert pm.predicate == "broadMatch" and "same head noun" in pm.comment
    # siblings (each has a qualifier the other lacks) are not related
    assert ("1", "inj") not in found
    # "systèmes et réseaux" covers both: the network engineer is one part of it, hence narrower
    assert found[("2", "net")].predicate == "narrowMatch"


def test_competences_are_not_narrower_than_a_knowledge_topic() -> None:
    comp = RomeItem(f"{ROME}competence/9", "competence", "9", "Gérer des bases de données climatiques")
    sav = RomeItem(f"{ROME}savoir/8", "savoir", "8", "Techniques de maquillage télévision")
    knowledge = EscoConcept(f"{SKILL}db", "skill", "base de données", None, [("base de données", 1.0)])
    knowledge.knowledge = True
    makeup = EscoConcept(f"{SKILL}mk", "skill", "techniques de maquillage", None, [("techniques de maquillage", 1.0)])
    makeup.knowledge = True
    found = align([comp, sav], [knowledge, makeup])
    assert ("9", "db") not in found
    assert found[("8", "mk")].predicate == "broadMatch"


def test_fiches_and_their_appellations_are_placed_in_the_isco_group_their_appellations_agree_on() -> None:
    f = fiche("M1888", "Spécialiste en analyse de données")
    agreeing = [
        appellation("11", "Analyste de données", f),
        appellation("12", "Data analyst", f),
        appellation("13", "Analyste statistique", f),
    ]
    alone = appellation("14", "Spécialiste en traitement de données de la mer", f)
    lone = fiche("M1877", "Technicien / Technicienne de la mer")
    lone_app = appellation("21", "Technicien / Technicienne de la mer", lone)
    esco = [
        occupation("da", "analyste de données", "2511", "data analyst"),
        occupation("st", "analyste statistique", "2511"),
        occupation("sea", "technicien de la mer", "3141"),
        EscoConcept(f"{ISCO}2511", "isco", "Analystes de systèmes", "Systems analysts", isco="2511"),
        EscoConcept(f"{ISCO}3141", "isco", "Techniciens des sciences de la vie", isco="3141"),
    ]
    found = align([f, *agreeing, alone, lone, lone_app], esco)
    placed = found[("M1888", "C2511")]
    assert placed.predicate == "broadMatch" and placed.subject.kind == "fiche"
    assert "3 of the 3 mapped labels" in placed.comment and 0.5 < placed.confidence <= 0.95
    # an appellation without a mapping of its own inherits the fiche's group, less confident
    inherited = found[("14", "C2511")]
    assert inherited.predicate == "broadMatch" and inherited.confidence < placed.confidence
    # one title (its fiche and its homonymous appellation count once) is not enough to place a fiche
    assert ("M1877", "C3141") not in found
    assert found[("21", "sea")].predicate == "exactMatch"


def test_evaluation_reports_precision_by_relation() -> None:
    f = fiche("M1", "Data analyst")
    occ = occupation("da", "data analyst", "2511")
    pairs = [
        Mapping(f, occ, "exactMatch", 0.9, "semapv:LexicalMatching", ""),
        Mapping(appellation("1", "Data analyst junior", f), occ, "broadMatch", 0.7, "semapv:LexicalMatching", ""),
        Mapping(appellation("2", "Data engineer", f), occ, "broadMatch", 0.6, "semapv:LexicalMatching", ""),
    ]
    gold = [
        GoldPair("fiche", "M1", occ.iri, "close", True),  # published exact, judged close: equivalent, not exact
        GoldPair("appellation", "1", occ.iri, "broad", True),
        GoldPair("appellation", "2", occ.iri, "none", True),
        GoldPair("appellation", "3", occ.iri, "narrow", True),  # not published: a recall miss
    ]
    scores = evaluate(pairs, gold)
    assert scores.precision_equivalent == 1.0 and scores.recall_any == 2 / 3
    by = scores.as_dict()["precision_by_relation"]
    assert by["exactMatch"] == {"published": 1, "true": 0, "precision": 0.0}
    assert by["broadMatch"] == {"published": 2, "true": 1, "precision": 0.5}


def test_an_appellation_is_compared_with_the_occupations_of_its_fiche() -> None:
    f = fiche("H2599", "Encadrant / Encadrante de fabrication", digital=False)
    anchor = appellation("31", "Responsable de production", f)
    title = (
        "Responsable de chaîne de production de pièces moulées sous pression en alliages légers "
        "pour l'aviation civile européenne moderne"
    )
    long = appellation("32", title, f)
    other = fiche("H2598", "Opérateur / Opératrice de moulage", digital=False)
    elsewhere = appellation("41", title, other)
    found = align(
        [f, anchor, long, other, elsewhere],
        [occupation("prod", "responsable de production", "1321"), occupation("mould", "mouleur", "8121")],
    )
    assert found[("31", "prod")].predicate == "exactMatch"
    m = found[("32", "prod")]
    assert m.predicate == "broadMatch" and "of the same fiche" in m.comment and m.confidence < 0.8
    # too little word overlap for the label rules: the same title in a fiche that does not vouch for it gets nothing
    assert ("41", "prod") not in found


def test_a_fiche_with_no_occupation_is_related_to_one_with_shared_words_and_a_similar_skill_profile() -> None:
    cloud = fiche("M1876", "Technicien / Technicienne Cloud")
    game = fiche("E1111", "Game master")
    comps = [
        RomeItem(f"{ROME}competence/{n}", "competence", str(n), label)
        for n, label in enumerate(["Administrer une plateforme cloud", "Superviser des serveurs distants"], start=1)
    ]
    skills = [EscoConcept(f"{SKILL}s{i}", "skill", c.label, None, [(c.label, 1.0)]) for i, c in enumerate(comps)]
    other_skill = EscoConcept(f"{SKILL}other", "skill", "câbler un réseau", None, [("câbler un réseau", 1.0)])
    occs = [
        occupation("ce", "ingénieur cloud", "2512"),
        occupation("net", "ingénieur réseau", "2523"),
        occupation("tnet", "technicien réseau", "3513"),
        occupation("print", "master imprimeur", "7322"),
    ]
    data = AlignmentInput(
        {i.iri: i for i in [cloud, game, *comps]},
        {c.iri: c for c in [*occs, *skills, other_skill]},
        {cloud.iri: {c.iri for c in comps}},
        {
            f"{OCC}ce": {s.iri for s in skills} | {other_skill.iri},
            f"{OCC}net": {other_skill.iri},
            f"{OCC}tnet": {other_skill.iri},
            f"{OCC}print": {other_skill.iri},
        },
        "v460",
        "1.1.1",
    )
    found = {(m.subject.code, m.obj.iri.rsplit("/", 1)[-1]): m for m in Aligner(data).run()}
    related = found[("M1876", "ce")]
    assert related.predicate == "relatedMatch" and related.justification == "semapv:CompositeMatching"
    assert "skill profile: 2 of the 2 ESCO skills" in related.comment and "label overlap" in related.comment
    # the same words without the skills ("technicien réseau" shares no skill of the fiche) give nothing
    assert ("M1876", "tnet") not in found and ("M1876", "net") not in found
    # label overlap alone ("Game master" ~ "master imprimeur") is not enough: the fiche has no mapped skills
    assert not [k for k in found if k[0] == "E1111"]


def test_skill_profiles_weigh_rare_skills_more() -> None:
    from connector.vocab.alignment.profiles import SkillProfiles

    profiles = SkillProfiles({"a": {"common", "rare"}, "b": {"common"}, "c": {"common"}})
    assert profiles.cosine({"rare"}, "a")[0] > profiles.cosine({"common"}, "a")[0] == 0.0  # in every occupation
    assert profiles.cosine({"rare", "common"}, "a") == (1.0, 2)
    assert profiles.cosine({"rare"}, "b") == (0.0, 0)


def test_a_fiche_is_narrower_than_the_esco_occupation_above_most_of_its_titles() -> None:
    f = fiche("D1201", "Brocanteur / Brocanteuse", digital=False)
    apps = [appellation(str(n), label, f) for n, label in enumerate(["Antiquaire", "Vendeur d'occasion"], start=51)]
    lone = fiche("D1299", "Chineur / Chineuse", digital=False)
    lone_apps = [appellation("61", "Antiquaire en meubles", lone), appellation("62", "Vendeur d'occasion", lone)]
    seller = occupation("seller", "vendeur spécialisé", "5223")
    narrower = [occupation("antique", "antiquaire", "5223"), occupation("second", "vendeur d'occasion", "5223")]
    data = AlignmentInput(
        {i.iri: i for i in [f, *apps, lone, *lone_apps]},
        {c.iri: c for c in [seller, *narrower]},
        {},
        {},
        "v460",
        "1.1.1",
        {c.iri: {seller.iri} for c in narrower},
    )
    found = {(m.subject.code, m.obj.iri.rsplit("/", 1)[-1]): m for m in Aligner(data).run()}
    assert found[("51", "antique")].predicate == "exactMatch" and found[("D1201", "antique")].predicate == "narrowMatch"
    placed = found[("D1201", "seller")]
    assert placed.predicate == "broadMatch" and "2 of the 2 mapped labels" in placed.comment
    # one title inside it (the other is not equivalent to a narrower occupation) is not enough
    assert ("D1299", "seller") not in found
