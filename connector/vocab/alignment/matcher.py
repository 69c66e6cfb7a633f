"""Candidate generation and scoring of ROME -> ESCO mappings.

Lexical evidence: the French labels after normalisation (equal labels, equal content words, one label's words
contained in the other's, or a high IDF-weighted overlap). Structural evidence then confirms or demotes:
- occupations: the ISCO group of the candidate compared with the ISCO groups of the occupations the fiche's other
  appellations match exactly, and the overlap between the ESCO skills the fiche's ROME items map to and the
  candidate's essential/optional skills;
- skills: whether the candidate ESCO skill belongs to ESCO occupations matched by the fiches using the ROME item.
Each mapping gets a SKOS relation, a confidence in [0, 1] and a justification written for a human reviewer.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from connector.vocab.alignment.data import AlignmentInput, EscoConcept, RomeItem
from connector.vocab.alignment.index import Entry, Hit, LabelIndex
from connector.vocab.alignment.normalise import fold, head, head_token, tokens, variants
from connector.vocab.alignment.profiles import SkillProfiles

EXACT, CLOSE, BROAD, NARROW, RELATED = "exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"
LEXICAL = "semapv:LexicalMatching"
COMPOSITE = "semapv:CompositeMatching"
CURATED = "semapv:ManualMappingCuration"

PUBLISH_EQUIVALENT = 0.75
"""Lowest confidence at which an exact/close mapping is published."""
PUBLISH_HIERARCHICAL = 0.55
"""Lowest confidence at which a broad/narrow mapping is published."""
LEAD = head("responsable")
"""The head of team-lead titles ("Chef égoutier" is an égoutier in charge)."""
PARTIAL_SIMILARITY = 0.3
"""Lowest label word overlap of two job titles with the same head noun to be a near-equivalent candidate."""
MAX_HIERARCHICAL = 3
"""Broad/narrow mappings kept per ROME concept."""
ISCO_AGREEMENT = 0.6
"""Share of a fiche's mapped appellations that must fall in one ISCO group for the fiche to be placed in it."""
COMMON_BROADER_AGREEMENT = 0.75
"""Share of a fiche's mapped labels that must be inside one ESCO occupation for the fiche to be narrower than it."""
PROFILE_LABEL_SIMILARITY = 0.5
"""Lowest label word overlap (fiche title or appellation vs occupation label) for a skill-profile candidate."""
PROFILE_SIMILARITY = 0.1
"""Lowest IDF-weighted cosine of skill profiles for a fiche to be published as skos:relatedMatch an occupation."""
MAX_RELATED = 2
"""relatedMatch mappings kept per fiche."""


@dataclass
class Mapping:
    subject: RomeItem
    obj: EscoConcept
    predicate: str  # exactMatch | closeMatch | broadMatch | narrowMatch
    confidence: float
    justification: str  # semapv term (CURIE)
    comment: str
    match_string: str = ""
    similarity: float = 0.0

    @property
    def equivalent(self) -> bool:
        return self.predicate in (EXACT, CLOSE)


@dataclass
class _Lexical:
    """The best label evidence for one (ROME concept, ESCO concept) pair."""

    predicate: str
    score: float
    similarity: float
    rome_label: str
    esco_label: str
    how: str


def _lexical(item: RomeItem, index: LabelIndex, esco: dict[str, EscoConcept], min_sim: float) -> dict[str, _Lexical]:
    """Label evidence per ESCO concept.

    ESCO skills list narrower terms among their alternative labels ("XML" for both "W3C standards" and "web
    programming"), so for skills an alternative label shared by several concepts only supports broadMatch.
    Job titles with the same head noun and most of their qualifiers in common are near-equivalent candidates
    (scored lower, so that only structural support can publish them).
    """
    titles = item.kind in ("fiche", "appellation")
    found: dict[str, _Lexical] = {}

    def keep(iri: str, lex: _Lexical) -> None:
        if iri not in found or lex.score > found[iri].score:
            found[iri] = lex

    for key, trust in variants(item.label):
        same = index.exact.get(key, ())
        shared = len({e.iri for e in same}) > 1
        for e in same:
            w = e.weight * trust
            kind = "preferred" if e.weight >= 1.0 else "alternative" if e.weight >= 0.9 else "hidden"
            predicate = EXACT if e.weight >= 0.9 and trust >= 1.0 else CLOSE
            how = f"same label as the ESCO {kind} label"
            if item.kind in ("competence", "savoir") and e.weight < 1.0 and shared:
                predicate, how = BROAD, f"{how}, shared by several ESCO skills"
            keep(e.iri, _Lexical(predicate, 0.97 * w, 1.0, key, e.label, how))
        words = tokens(key)
        rome_head = head(key) if titles else None
        for hit in index.similar(words):
            lex = _classify(hit, words, trust, min_sim, key, rome_head, item.kind != "competence")
            if lex is None:
                continue
            if item.kind == "competence" and lex[0] == BROAD and esco[hit.entry.iri].knowledge:
                # "Gérer des bases de données climatiques" is not a kind of the knowledge "base de données"
                continue
            keep(hit.entry.iri, _Lexical(lex[0], lex[1], hit.similarity, key, hit.entry.label, lex[2]))
    return found


def _classify(
    hit: Hit,
    words: frozenset[str],
    trust: float,
    min_sim: float,
    rome_key: str,
    rome_head: str | None,
    nouns: bool,
) -> tuple[str, float, str] | None:
    """The relation and lexical score of one ESCO label for one folded ROME label variant (``rome_key``).

    ``nouns``: the ROME label is a noun phrase (a job title or a savoir), where "et"/"ou" joins two topics; in a
    compétence it mostly joins two verbs ("Installer et configurer ...").
    """
    found = _classify_words(hit, words, trust, min_sim, rome_key, rome_head)
    if found and found[0] == BROAD and nouns and _coordinated(rome_key) and not _coordinated(hit.entry.key):
        # "Ingénieur systèmes et réseaux" covers both: the ESCO concept matching one part is narrower
        return NARROW, found[1], found[2].replace("(more specific)", "(one part of a coordinated ROME label)")
    return found


def _coordinated(key: str) -> bool:
    return " et " in f" {key} " or " ou " in f" {key} "


def _classify_words(
    hit: Hit, words: frozenset[str], trust: float, min_sim: float, rome_key: str, rome_head: str | None
) -> tuple[str, float, str] | None:
    e, sim = hit.entry, hit.similarity
    if e.words == words:
        return CLOSE, 0.9 * e.weight * trust, "same content words as an ESCO label"
    if rome_head and len(e.words) == 1 and e.weight < 0.95:
        return None  # a one-word alternative label ("conseiller" for promotions demonstrator) is too ambiguous
    if rome_head and sim >= PARTIAL_SIMILARITY and head(e.key) == rome_head:
        titles = _titles(e, words, sim, rome_key, rome_head)
        if titles is not None:
            return titles[0], titles[1] * e.weight * trust, titles[2]
    if rome_head and rome_head != LEAD and e.words < words:
        # a job title containing another job's words under a different head is another job
        # ("Technicien géologue" is no geologist); "Chef égoutier" is still an égoutier
        return None
    if e.words < words and sim >= 0.5:
        # ESCO label's words all in the ROME label: the ROME concept is more specific.
        return BROAD, (0.35 + 0.5 * sim) * e.weight * trust, "ESCO label words all in the ROME label (more specific)"
    if words < e.words and sim >= 0.5:
        return NARROW, (0.35 + 0.5 * sim) * e.weight * trust, "ROME label words all in the ESCO label (more general)"
    if sim >= min_sim:
        return CLOSE, 0.85 * sim * e.weight * trust, f"label word overlap {sim:.2f}"
    return None


def _titles(
    e: Entry, words: frozenset[str], sim: float, rome_key: str, rome_head: str
) -> tuple[str, float, str] | None:
    """Two job titles with the same head noun (team-lead synonyms merged), compared by their qualifiers.

    The title with more qualifiers is the narrower one ("Chef de projet TMA" < "chef de projet"), whatever the
    word overlap; a bare head ("animateur") is trusted less, being the most ambiguous of labels. Siblings
    ("opérateur extrusion" vs "opérateur injection") have qualifiers of their own on both sides: no candidate.
    """
    rome_q, esco_q = words - {head_token(rome_key)}, e.words - {head_token(e.key)}
    if rome_q == esco_q:
        return CLOSE, 0.9, f"same head noun '{rome_head}' and qualifiers"
    bare = len(esco_q) <= 1 and len(e.words) <= 1
    if esco_q < rome_q:
        score = (0.3 + 0.5 * sim) if bare else (0.5 + 0.35 * sim)
        return BROAD, score, "same head noun, ESCO qualifiers all in the ROME label (more specific)"
    if rome_q < esco_q:
        return NARROW, 0.35 + 0.5 * sim, "same head noun, ROME qualifiers all in the ESCO label (more general)"
    return None


def _qualifier_relation(title: str, occupation: EscoConcept) -> tuple[str, str, str] | None:
    """broadMatch when a French or English preferred/alternative label of the occupation has the title's head noun
    and only qualifiers the title has too, narrowMatch the reverse; with the ROME key and the ESCO label used."""
    narrow = None
    for key, _ in variants(title):
        rome_head, rome_q = head(key), tokens(key) - {head_token(key)}
        for label, weight in occupation.labels:
            if weight < 0.9:
                continue  # hidden labels and English alternative labels
            for esco_key, _ in variants(label):
                if head(esco_key) != rome_head:
                    continue
                esco_q = tokens(esco_key) - {head_token(esco_key)}
                if esco_q and esco_q < rome_q:
                    return BROAD, key, label
                if rome_q and rome_q < esco_q and narrow is None:
                    narrow = (NARROW, key, label)
    return narrow


def _one_per_pair(mappings: list[Mapping]) -> list[Mapping]:
    """One mapping per (ROME, ESCO) pair: equivalents first, then the most confident."""
    best: dict[tuple[str, str], Mapping] = {}
    for m in mappings:
        key = (m.subject.iri, m.obj.iri)
        old = best.get(key)
        if old is None or (m.equivalent, m.confidence) > (old.equivalent, old.confidence):
            best[key] = m
    return list(best.values())


def _cosine(a: set[str], b: set[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


class Aligner:
    """Computes the mappings for one :class:`AlignmentInput`."""

    def __init__(self, data: AlignmentInput) -> None:
        self.data = data
        occs = [c for c in data.esco.values() if c.kind == "occupation"]
        skills = [c for c in data.esco.values() if c.kind == "skill"]
        self.occ_index = LabelIndex((c.iri, label, w) for c in occs for label, w in c.labels)
        self.skill_index = LabelIndex((c.iri, label, w) for c in skills for label, w in c.labels)

    def items(self, *kinds: str) -> list[RomeItem]:
        return sorted((i for i in self.data.rome.values() if i.kind in kinds), key=lambda i: i.iri)

    def run(self) -> list[Mapping]:
        data = self.data
        # 1. occupations, labels only: evidence used as structure afterwards.
        occ_lex = {i.iri: _lexical(i, self.occ_index, data.esco, 0.8) for i in self.items("fiche", "appellation")}
        anchors = self._anchors(occ_lex)
        # 2. skills, with the occupations around the fiches that use them.
        skill_users: dict[str, set[str]] = defaultdict(set)
        for fiche, items in data.fiche_skills.items():
            for it in items:
                skill_users[it] |= anchors.get(fiche, set())
        mappings: list[Mapping] = []
        skill_maps: dict[str, list[Mapping]] = {}
        for item in self.items("competence", "savoir"):
            lex = _lexical(item, self.skill_index, data.esco, 0.8)
            found = self._decide(item, lex, lambda c, it=item: self._skill_structure(it, c, skill_users))
            skill_maps[item.iri] = found
            mappings.extend(found)
        # 3. occupations again, now with ISCO groups and shared skills.
        fiche_esco_skills: dict[str, set[str]] = defaultdict(set)
        for fiche, items in data.fiche_skills.items():
            for it in items:
                fiche_esco_skills[fiche] |= {m.obj.iri for m in skill_maps.get(it, ()) if m.equivalent}
        isco_votes = self._isco_votes(anchors)
        for item in self.items("fiche", "appellation"):
            fiche = item.iri if item.kind == "fiche" else item.fiche or ""

            def structure(c: EscoConcept, f: str = fiche) -> tuple[float, str]:
                return self._occupation_structure(f, c, isco_votes, fiche_esco_skills)

            found = self._decide(item, occ_lex[item.iri], structure)
            mappings.extend(found)
        mappings.extend(self._fiche_rollup(mappings))
        mappings.extend(self._appellation_inheritance(mappings))
        isco = self._isco_rollup(mappings)
        mappings.extend(isco)
        mappings.extend(self._appellation_isco(mappings, isco))
        mappings.extend(self._appellation_structure(mappings))
        mappings.extend(self._fiche_common_broader(mappings))
        mappings.extend(self._skill_profile_matches(mappings))
        return _one_per_pair(mappings)

    # -- structure ----------------------------------------------------------------------------------------------
    def _anchors(self, occ_lex: dict[str, dict[str, object]]) -> dict[str, set[str]]:
        """Per fiche, the ESCO occupations its title or appellations match exactly (structural anchors)."""
        anchors: dict[str, set[str]] = defaultdict(set)
        for iri, found in occ_lex.items():
            item = self.data.rome[iri]
            fiche = iri if item.kind == "fiche" else item.fiche
            if fiche is None:
                continue
            for occ, lex in found.items():
                if lex.predicate == EXACT:  # type: ignore[attr-defined]
                    anchors[fiche].add(occ)
        return anchors

    def _isco_votes(self, anchors: dict[str, set[str]]) -> dict[str, tuple[Counter[str], str]]:
        """Per fiche, the ISCO groups of the occupations its title and appellations match exactly; a fiche without
        any takes those of its domaine professionnel (the fiches sharing its code's first three characters)."""
        own = {f: Counter(c for o in occs if (c := self.data.esco[o].isco)) for f, occs in anchors.items()}
        domaines: dict[str, Counter[str]] = defaultdict(Counter)
        for fiche, counter in own.items():
            domaines[self.data.rome[fiche].code[:3]].update(counter)
        votes: dict[str, tuple[Counter[str], str]] = {}
        for item in self.items("fiche"):
            if own.get(item.iri):
                votes[item.iri] = (own[item.iri], "occupations matched by the fiche's appellations")
            elif domaines.get(item.code[:3]):
                votes[item.iri] = (domaines[item.code[:3]], f"occupations matched in domaine {item.code[:3]}")
        return votes

    def _occupation_structure(
        self,
        fiche: str,
        c: EscoConcept,
        votes: dict[str, tuple[Counter[str], str]],
        fiche_skills: dict[str, set[str]],
    ) -> tuple[float, str]:
        notes = []
        isco_score = 0.5
        counter, source = votes.get(fiche, (None, ""))
        if counter and c.isco:
            total = sum(counter.values())
            same = counter.get(c.isco, 0)
            minor = sum(n for g, n in counter.items() if g[:3] == c.isco[:3])
            isco_score = (same + 0.5 * (minor - same)) / total
            if not source.startswith("occupations matched by the fiche"):
                # the domaine only confirms: its fiches are many and varied, a minority group is no evidence against
                isco_score = max(0.5, isco_score)
            if same or source.startswith("occupations matched by the fiche"):
                notes.append(f"ISCO {c.isco} shared by {same}/{total} {source}")
        skills = _cosine(fiche_skills.get(fiche, set()), self.data.occupation_skills.get(c.iri, set()))
        skill_score = min(1.0, skills / 0.15)
        if skills:
            shared = len(fiche_skills.get(fiche, set()) & self.data.occupation_skills.get(c.iri, set()))
            notes.append(f"{shared} ESCO skill(s) shared with the fiche's mapped compétences/savoirs")
        return max(isco_score, skill_score), "; ".join(notes)

    def _skill_structure(self, item: RomeItem, c: EscoConcept, users: dict[str, set[str]]) -> tuple[float, str]:
        around = users.get(item.iri, set())
        if not around:
            return 0.5, ""
        occs = {o for o in around if c.iri in self.data.occupation_skills.get(o, ())}
        if occs:
            return 1.0, f"skill of {len(occs)} ESCO occupation(s) matched by the fiches using this ROME item"
        return 0.25, "not a skill of the ESCO occupations matched by the fiches using this ROME item"

    # -- decision -----------------------------------------------------------------------------------------------
    def _decide(self, item: RomeItem, lexical: dict[str, _Lexical], structure) -> list[Mapping]:  # type: ignore[no-untyped-def]
        scored: list[Mapping] = []
        for iri, lex in lexical.items():
            if lex.score * 1.05 < PUBLISH_HIERARCHICAL:
                continue  # cannot be published whatever the structure says
            c = self.data.esco[iri]
            struct, notes = structure(c)
            confidence = min(1.0, lex.score * (0.8 + 0.25 * struct))
            structural = bool(notes)
            comment = f"'{lex.rome_label}' ~ '{lex.esco_label}': {lex.how}" + (f"; {notes}" if notes else "")
            scored.append(
                Mapping(
                    item,
                    c,
                    lex.predicate,
                    round(confidence, 3),
                    COMPOSITE if structural else LEXICAL,
                    comment,
                    lex.esco_label,
                    round(lex.similarity, 3),
                )
            )
        scored.sort(key=lambda m: (-m.confidence, m.obj.iri))
        out: list[Mapping] = []
        equivalents = [m for m in scored if m.equivalent and m.confidence >= PUBLISH_EQUIVALENT]
        if equivalents:
            best = equivalents[0]
            out.append(best)
            # Homonyms: a second equally good equivalent is kept only when it is as well supported.
            out.extend(m for m in equivalents[1:3] if m.confidence >= best.confidence - 0.02)
        hierarchical = [
            m
            for m in scored
            if not m.equivalent and m.confidence >= PUBLISH_HIERARCHICAL and m.obj.iri not in {o.obj.iri for o in out}
        ]
        out.extend(hierarchical[:MAX_HIERARCHICAL] if not equivalents else hierarchical[:1])
        return out

    def _fiche_rollup(self, mappings: Iterable[Mapping]) -> list[Mapping]:
        """A fiche whose appellation matches an ESCO occupation is broader than it (fiche skos:narrowMatch occ)."""
        direct: dict[str, set[str]] = defaultdict(set)
        best: dict[tuple[str, str], Mapping] = {}
        for m in mappings:
            if m.subject.kind == "fiche":
                direct[m.subject.iri].add(m.obj.iri)
            elif m.subject.kind == "appellation" and m.equivalent and m.subject.fiche:
                key = (m.subject.fiche, m.obj.iri)
                if key not in best or m.confidence > best[key].confidence:
                    best[key] = m
        out = []
        for (fiche, occ), m in sorted(best.items()):
            if occ in direct.get(fiche, ()) or fiche not in self.data.rome:
                continue
            out.append(
                Mapping(
                    self.data.rome[fiche],
                    m.obj,
                    NARROW,
                    round(0.9 * m.confidence, 3),
                    COMPOSITE,
                    f"appellation {m.subject.code} '{m.subject.label}' of this fiche has skos:{m.predicate} "
                    f"to this occupation ({m.confidence:.2f})",
                    m.match_string,
                    m.similarity,
                )
            )
        return out

    def _appellation_inheritance(self, mappings: list[Mapping]) -> list[Mapping]:
        """An appellation without an equivalent of its own is narrower than what its fiche is equivalent to."""
        fiche_equivalents: dict[str, list[Mapping]] = defaultdict(list)
        covered: set[str] = set()
        for m in mappings:
            if m.subject.kind == "fiche" and m.equivalent:
                fiche_equivalents[m.subject.iri].append(m)
            elif m.subject.kind == "appellation" and m.equivalent:
                covered.add(m.subject.iri)
        out = []
        for item in self.items("appellation"):
            if item.iri in covered or item.fiche not in fiche_equivalents:
                continue
            for m in fiche_equivalents[item.fiche]:
                out.append(
                    Mapping(
                        item,
                        m.obj,
                        BROAD,
                        round(0.85 * m.confidence, 3),
                        COMPOSITE,
                        f"appellation of fiche {m.subject.code} '{m.subject.label}', which has skos:{m.predicate} "
                        f"to this occupation ({m.confidence:.2f})",
                        m.match_string,
                        m.similarity,
                    )
                )
        return out

    def _appellation_structure(self, mappings: list[Mapping]) -> list[Mapping]:
        """An appellation with no occupation of its own, compared with the occupations its fiche's title and other
        appellations are equivalent to: same head noun and all of the occupation's qualifiers among its own gives
        broadMatch (the reverse narrowMatch), whatever the word overlap, since the fiche vouches for the domain
        ("Responsable de chaîne de production" in a fiche whose "Responsable de production" is equivalent)."""
        anchors: dict[str, dict[str, Mapping]] = defaultdict(dict)  # fiche -> occupation -> equivalent mapping
        covered: set[str] = set()
        for m in mappings:
            if m.obj.kind != "occupation" or m.subject.kind not in ("fiche", "appellation"):
                continue
            covered.add(m.subject.iri)
            fiche = m.subject.iri if m.subject.kind == "fiche" else m.subject.fiche
            if (
                m.equivalent
                and fiche
                and (m.obj.iri not in anchors[fiche] or m.confidence > anchors[fiche][m.obj.iri].confidence)
            ):
                anchors[fiche][m.obj.iri] = m
        out = []
        for item in self.items("appellation"):
            if item.iri in covered or not anchors.get(item.fiche or ""):
                continue
            found: dict[str, Mapping] = {}
            for occ, anchor in sorted(anchors[item.fiche or ""].items()):
                relation = _qualifier_relation(item.label, anchor.obj)
                if relation is None:
                    continue
                predicate, key, label = relation
                how = "ESCO qualifiers all in" if predicate == BROAD else "ROME qualifiers all in the ESCO label, not"
                found[occ] = Mapping(
                    item,
                    anchor.obj,
                    predicate,
                    round(0.75 * anchor.confidence, 3),
                    COMPOSITE,
                    f"'{key}' ~ '{label}': same head noun, {how} the ROME label; the occupation is "
                    f"skos:{anchor.predicate} to {anchor.subject.kind} {anchor.subject.code} "
                    f"'{anchor.subject.label}' of the same fiche ({anchor.confidence:.2f})",
                    label,
                )
            out.extend(m for _, m in sorted(found.items()) if m.confidence >= PUBLISH_HIERARCHICAL)
        return out

    def _isco_rollup(self, mappings: Iterable[Mapping]) -> list[Mapping]:
        """A fiche whose mapped appellations fall in one ISCO-08 unit group is narrower than that group.

        Only equivalent and broadMatch mappings place an appellation inside the group of its ESCO occupation (a
        narrowMatch target is inside the appellation, not the reverse). Items are counted by label (a fiche's title
        is usually also one of its appellations), and at least two must agree: one title says little about a
        whole fiche. Confidence grows with the share of mapped labels agreeing and with the share of the fiche's
        appellations that are mapped at all.
        """
        groups = {c.isco: c for c in self.data.esco.values() if c.kind == "isco" and c.isco}
        placed: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # fiche -> label -> groups
        for m in mappings:
            if m.predicate == NARROW or m.obj.kind != "occupation" or not m.obj.isco:
                continue
            fiche = m.subject.iri if m.subject.kind == "fiche" else m.subject.fiche
            if fiche is not None and m.subject.kind in ("fiche", "appellation"):
                placed[fiche][fold(m.subject.label)].add(m.obj.isco)
        size: Counter[str] = Counter(i.fiche for i in self.data.rome.values() if i.kind == "appellation")
        out = []
        for fiche, items in sorted(placed.items()):
            votes = Counter(g for gs in items.values() for g in gs)
            group, agree = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
            if agree < 2 or agree / len(items) < ISCO_AGREEMENT or group not in groups:
                continue
            mapped_share = min(1.0, len(items) / max(size.get(fiche, 1), 1))
            confidence = 0.5 + 0.25 * agree / len(items) + 0.2 * mapped_share
            item = self.data.rome[fiche]
            out.append(
                Mapping(
                    item,
                    groups[group],
                    BROAD,
                    round(confidence, 3),
                    COMPOSITE,
                    f"{agree} of the {len(items)} mapped labels (title, appellations) of this fiche "
                    f"({size.get(fiche, 0)} appellations) are equivalent to or narrower than ESCO occupations of "
                    f"ISCO group {group}",
                )
            )
        return out

    def _appellation_isco(self, mappings: Iterable[Mapping], isco: list[Mapping]) -> list[Mapping]:
        """An appellation without a mapping of its own is inside the ISCO group its fiche is inside."""
        mapped = {m.subject.iri for m in mappings}
        by_fiche = {m.subject.iri: m for m in isco}
        out = []
        for item in self.items("appellation"):
            m = by_fiche.get(item.fiche or "")
            if m is None or item.iri in mapped:
                continue
            out.append(
                Mapping(
                    item,
                    m.obj,
                    BROAD,
                    round(0.9 * m.confidence, 3),
                    COMPOSITE,
                    f"appellation of fiche {m.subject.code} '{m.subject.label}', which has skos:broadMatch to ISCO "
                    f"group {m.obj.isco} ({m.confidence:.2f})",
                )
            )
        return out

    def _ancestors(self, occupation: str) -> set[str]:
        """The ESCO occupations broader than ``occupation`` (transitively, occupation-to-occupation links only)."""
        seen: set[str] = set()
        todo = list(self.data.occupation_broader.get(occupation, ()))
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(self.data.occupation_broader.get(b, ()))
        return seen

    def _fiche_common_broader(self, mappings: list[Mapping]) -> list[Mapping]:
        """A fiche whose mapped titles mostly fall inside one ESCO occupation is narrower than it (fiche
        skos:broadMatch B).

        A title (the fiche's or an appellation's, counted by label) is inside B when it is equivalent to one of B's
        ESCO narrower occupations (transitively; broadMatch targets are not used: too often wrong to build on). At
        least two labels, equivalent to at least two *different* narrower occupations of B, and 75 % of the labels
        that are placed at all must agree: titles equivalent to one occupation only say the fiche is around that
        occupation, not inside its parent (a judged sample found "Aquaculteur" under *agricultural technician*,
        "Responsable des déchets" under *civil engineering technician* that way). B must not already be mapped
        from the fiche (a fiche with an appellation equivalent to B is broader than B, not narrower). Confidence
        grows with the agreeing share.
        """
        inside: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # fiche -> label -> B
        through: dict[tuple[str, str], set[str]] = defaultdict(set)  # (fiche, B) -> the narrower occupations used
        mapped_from_fiche: dict[str, set[str]] = defaultdict(set)
        for m in mappings:
            if m.obj.kind != "occupation" or m.subject.kind not in ("fiche", "appellation"):
                continue
            fiche = m.subject.iri if m.subject.kind == "fiche" else m.subject.fiche
            if fiche is None:
                continue
            if m.subject.kind == "fiche":
                mapped_from_fiche[fiche].add(m.obj.iri)
            if m.equivalent or m.predicate == BROAD:  # the mappings that place a title inside an occupation
                label = inside[fiche][fold(m.subject.label)]
                if m.equivalent:
                    for b in self._ancestors(m.obj.iri):
                        label.add(b)
                        through[(fiche, b)].add(m.obj.iri)
        out = []
        for fiche, labels in sorted(inside.items()):
            votes = Counter(
                b
                for bs in labels.values()
                for b in bs
                if b not in mapped_from_fiche[fiche] and len(through[(fiche, b)]) >= 2
            )
            if not votes:
                continue
            broader, agree = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
            if agree < 2 or agree / len(labels) < COMMON_BROADER_AGREEMENT:
                continue
            out.append(
                Mapping(
                    self.data.rome[fiche],
                    self.data.esco[broader],
                    BROAD,
                    round(0.5 + 0.3 * agree / len(labels), 3),
                    COMPOSITE,
                    f"{agree} of the {len(labels)} mapped labels (title, appellations) of this fiche are equivalent "
                    f"to narrower ESCO occupations of this one ({len(through[(fiche, broader)])} different ones)",
                )
            )
        return out

    def _skill_profile_matches(self, mappings: list[Mapping]) -> list[Mapping]:
        """A fiche with no ESCO occupation yet is skos:relatedMatch the occupations that both share words with its
        title or one of its appellations and have a similar skill profile (:class:`SkillProfiles`).

        Neither signal alone is enough (label overlap gives "Game master" ~ *master printer*, thin skill profiles
        put a "Responsable programmatique" among electrical engineers); together they find the same kind of work
        without saying which side is broader, hence relatedMatch ("Consultant en formation" ~ *responsable de
        formation*, "Technicien Cloud" ~ *cloud engineer*).
        """
        reached: set[str] = set()
        fiche_skills: dict[str, set[str]] = defaultdict(set)
        users: dict[str, set[str]] = defaultdict(set)
        for fiche, items in self.data.fiche_skills.items():
            for it in items:
                users[it].add(fiche)
        for m in mappings:
            if m.subject.kind == "fiche" and m.obj.kind == "occupation":
                reached.add(m.subject.iri)
            elif m.obj.kind == "skill":
                for fiche in users.get(m.subject.iri, ()):
                    fiche_skills[fiche].add(m.obj.iri)
        titles: dict[str, list[RomeItem]] = defaultdict(list)
        for item in self.items("fiche", "appellation"):
            titles[item.iri if item.kind == "fiche" else item.fiche or ""].append(item)
        profiles = SkillProfiles(self.data.occupation_skills)
        out = []
        for fiche in self.items("fiche"):
            skills = fiche_skills.get(fiche.iri)
            if fiche.iri in reached or not skills:
                continue
            labels: dict[str, tuple[float, RomeItem, str, str]] = {}  # occupation -> best label evidence
            for item in titles[fiche.iri]:
                for key, _ in variants(item.label):
                    for hit in self.occ_index.similar(tokens(key)):
                        old = labels.get(hit.entry.iri)
                        if hit.similarity >= PROFILE_LABEL_SIMILARITY and (old is None or hit.similarity > old[0]):
                            labels[hit.entry.iri] = (hit.similarity, item, key, hit.entry.label)
            found = []
            for occ, (sim, item, key, label) in sorted(labels.items()):
                cosine, shared = profiles.cosine(skills, occ)
                if cosine < PROFILE_SIMILARITY:
                    continue
                source = "title" if item.kind == "fiche" else f"appellation {item.code}"
                found.append(
                    Mapping(
                        fiche,
                        self.data.esco[occ],
                        RELATED,
                        round(min(1.0, 0.35 + 0.35 * sim + min(cosine, 0.3)), 3),
                        COMPOSITE,
                        f"skill profile: {shared} of the {len(skills)} ESCO skills reached from this fiche's "
                        f"compétences/savoirs are skills of this occupation (IDF-weighted cosine {cosine:.2f}); "
                        f"label overlap {sim:.2f} between the {source} '{key}' and '{label}'; related work, "
                        "neither label containing the other",
                        label,
                        round(sim, 3),
                    )
                )
            found.sort(key=lambda m: (-m.confidence, m.obj.iri))
            out.extend(m for m in found[:MAX_RELATED] if m.confidence >= PUBLISH_HIERARCHICAL)
        return out
