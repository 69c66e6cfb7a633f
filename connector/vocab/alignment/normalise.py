"""French label normalisation for matching ROME and ESCO labels.

ROME writes gendered titles as "Développeur / Développeuse web" (masculine head, slash, feminine head plus the
shared tail); ESCO as "développeur web/développeuse web" (two full forms). Both become their full forms, folded
(case, accents, ligatures, apostrophes, punctuation). Parenthesised qualifiers ("(H/F)", "(DBA)") give a second
variant without them, trusted a little less.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "ou",
        "par",
        "pour",
        "sa",
        "se",
        "ses",
        "sur",
        "un",
        "une",
        "à",
        "h",
        "f",
        "hf",
        # knowledge labels: "Connaissance des principes DevOps" is about DevOps
        "connaissance",
        "connaissances",
        "notion",
        "notions",
        "principe",
        "principes",
    ]
)
SYNONYMS = {
    # ESCO French says "TIC" or "informatique" where ROME says "informatique", "IT" or "SI"; both say "numérique"
    # and "digital". Canonical forms only for content words, so that "Ingénieur sécurité informatique" and
    # "ingénieur en sécurité des TIC" have the same content words.
    "tic": "informatique",
    "ict": "informatique",
    "it": "informatique",
    "digital": "numerique",
    "digitaux": "numerique",
    "digitale": "numerique",
    "numeriques": "numerique",
    "cyber": "cybersecurite",
    # English job-title words that ROME titles and ESCO's English labels use, in their French form, so that
    # "Développeur / Développeuse multimédia" meets "multimedia developer".
    "developer": "developpeur",
    "engineer": "ingenieur",
    "technician": "technicien",
    "architect": "architecte",
    "analyst": "analyste",
    "specialist": "specialiste",
    "administrator": "administrateur",
    "cybersecurity": "cybersecurite",
    "security": "securite",
    "network": "reseau",
    "software": "logiciel",
}
_PHRASES = (
    (re.compile(r"\btechnologies? de l information et de la communication\b"), "tic"),
    (re.compile(r"\btechnologies? de l information\b"), "tic"),
    (re.compile(r"\bsystemes? d information\b"), "si"),
    (re.compile(r"\b(?:centres? de donnees|data cent(?:er|re)s?)\b"), "datacenter"),
)
_PARENS = re.compile(r"\s*\([^)]*\)")
_NON_WORD = re.compile(r"[^a-z0-9+#]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")  # the combining diacritics NFKD splits off Latin letters


@lru_cache(maxsize=200_000)
def fold(label: str) -> str:
    """Lower case, no accents, ligatures expanded, punctuation as single spaces."""
    s = label.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    s = _COMBINING.sub("", unicodedata.normalize("NFKD", s)).lower()
    return _NON_WORD.sub(" ", s).strip()


def gender_forms(label: str) -> list[str]:
    """The full masculine and feminine forms of a gendered title (or the label itself).

    "Agent / Agente d'entretien" -> ["Agent d'entretien", "Agente d'entretien"];
    "développeur web/développeuse web" -> ["développeur web", "développeuse web"].
    """
    if " / " in label:
        return _with_tail(*label.split(" / ", 1))
    if label.count("/") == 1 and not _PARENS.search(label):
        left, right = (p.strip() for p in label.split("/"))
        # "développeur web/développeuse web", "chargé/chargée d'enseignement", but not "TCP/IP" or "E/S"
        if len(left) >= 4 and len(right) >= 4:
            return _with_tail(left, right)
    return [label]


def _with_tail(left: str, right: str) -> list[str]:
    """The masculine form gets the tail the feminine form carries beyond it ("Agent / Agente d'entretien")."""
    n = len(left.split())
    right_words = right.split()
    if len(right_words) > n:
        return [f"{left} {' '.join(right_words[n:])}", right]
    return [left, right]


@lru_cache(maxsize=200_000)
def variants(label: str) -> list[tuple[str, float]]:
    """Folded variants of a label with how much each is trusted (1.0, or 0.9 without its qualifiers)."""
    out: dict[str, float] = {}
    for form in gender_forms(label):
        key = fold(form)
        if key:
            out[key] = max(out.get(key, 0.0), 1.0)
        bare = _PARENS.sub("", form).strip()
        if bare != form:
            for b in gender_forms(bare):
                k = fold(b)
                if k:
                    out.setdefault(k, 0.9)
    return list(out.items())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light French stemmer: plural and feminine endings, enough to pair "développeuse"/"développeur"."""
    for suffix, repl in (
        ("euses", "eur"),
        ("euse", "eur"),
        ("rices", "eur"),
        ("rice", "eur"),
        ("ennes", "en"),
        ("enne", "en"),
        ("ieres", "ier"),
        ("iere", "ier"),
        ("eres", "er"),
        ("aux", "al"),
        ("effe", "ef"),
        ("effes", "ef"),
    ):
        if word.endswith(suffix) and len(word) >= len(suffix) + 2:
            return word[: -len(suffix)] + repl
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


@lru_cache(maxsize=200_000)
def tokens(folded: str) -> frozenset[str]:
    """Content words of a folded label, stemmed, with domain synonyms in one canonical form."""
    for pattern, repl in _PHRASES:
        folded = pattern.sub(repl, folded)
    return frozenset(stem(SYNONYMS.get(w, w)) for w in folded.split() if w not in STOPWORDS)


HEAD_SYNONYMS = {"chef": "responsabl", "manager": "responsabl", "superviseur": "responsabl"}
"""Head nouns that name the same role ("Chef de projet", "Responsable de projet", "Project manager")."""


@lru_cache(maxsize=200_000)
def head_token(folded: str) -> str:
    """The head noun of a folded job title as a content word: its first content word, stemmed."""
    for w in folded.split():
        if w not in STOPWORDS:
            return stem(SYNONYMS.get(w, w))
    return ""


def head(folded: str) -> str:
    """The head noun with team-lead synonyms merged ("chef", "responsable", "manager" name the same role)."""
    h = head_token(folded)
    return HEAD_SYNONYMS.get(h, h)
