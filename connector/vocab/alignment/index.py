"""Label indexes over ESCO concepts: exact keys and an IDF-weighted token index for near matches."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from connector.vocab.alignment.normalise import tokens, variants


@dataclass(frozen=True)
class Entry:
    iri: str
    key: str  # folded label variant
    label: str  # the label as published
    words: frozenset[str]
    weight: float  # preferred 1.0, alternative 0.95, hidden 0.8 (x 0.9 without qualifiers)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    similarity: float  # IDF-weighted Dice of the content words


class LabelIndex:
    """Finds ESCO labels equal to, or sharing rare words with, a ROME label."""

    MAX_POSTINGS = 200
    """Words found in more labels than this do not generate candidates (unless they are a label's rarest word);
    they still count in the similarity."""
    MAX_WORDS = 3
    MAX_SCORED = 2000
    """Candidates whose full similarity is computed (the rest are ranked by their generating words only)."""
    """Only a label's rarest words generate candidates (a candidate sharing none of them cannot score high)."""

    def __init__(self, labels: Iterable[tuple[str, str, float]]) -> None:
        self.exact: dict[str, list[Entry]] = defaultdict(list)
        best: dict[tuple[str, frozenset[str]], Entry] = {}
        for iri, label, weight in labels:
            for key, trust in variants(label):
                entry = Entry(iri, key, label, tokens(key), weight * trust)
                self.exact[key].append(entry)
                k = (iri, entry.words)
                if entry.words and (k not in best or best[k].weight < entry.weight):
                    best[k] = entry
        self.entries = list(best.values())
        df: dict[str, int] = defaultdict(int)
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(self.entries):
            for w in e.words:
                df[w] += 1
                self.postings[w].append(i)
        n = max(len(self.entries), 1)
        self.idf = {w: math.log(1 + n / d) for w, d in df.items()}
        self._default_idf = math.log(1 + n)
        self._totals = [self.weight(e.words) for e in self.entries]
        self._cache: dict[frozenset[str], list[Hit]] = {}

    def weight(self, words: Iterable[str]) -> float:
        return sum(self.idf.get(w, self._default_idf) for w in words)

    def similar(self, words: frozenset[str], limit: int = 15) -> list[Hit]:
        """Entries sharing at least one not-too-common word, best IDF-weighted Dice first."""
        if not words:
            return []
        cached = self._cache.get(words)
        if cached is not None:
            return cached
        known = sorted((w for w in words if w in self.postings), key=lambda w: len(self.postings[w]))
        shared: dict[int, float] = defaultdict(float)
        for rank, w in enumerate(known):
            postings = self.postings[w]
            if rank >= self.MAX_WORDS or (rank > 0 and len(postings) > self.MAX_POSTINGS):
                break
            idf = self.idf[w]
            for i in postings:
                shared[i] += idf
        total = self.weight(words)
        # The full Dice of every candidate: ranking by the generating words alone would cut ties arbitrarily when
        # the rarest word is common ("technicien informatique" among hundreds of "... informatique").
        top = shared if len(shared) <= self.MAX_SCORED else heapq.nlargest(self.MAX_SCORED, shared, key=shared.get)
        hits = []
        for i in top:
            e = self.entries[i]
            hits.append(Hit(e, 2 * self.weight(words & e.words) / (total + self._totals[i])))
        hits.sort(key=lambda h: -h.similarity)
        self._cache[words] = hits[:limit]
        return self._cache[words]
