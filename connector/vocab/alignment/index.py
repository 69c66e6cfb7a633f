"""Label indexes over ESCO concepts: exact keys and an IDF-weighted token index for near matches."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from connector.vocab.alignment.normalise import tokens, variants


def _similarity(hit: Hit) -> float:
    return hit.similarity


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
    """Only a label's rarest words generate candidates (a candidate sharing none of them cannot score high)."""
    MIN_SIMILARITY = 0.3
    """Candidates that cannot reach this similarity are not scored."""
    MAX_SCORED = 600
    """Candidates whose full similarity is computed, the best by their generating words, shorter labels first."""

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
        # fsum: exactly rounded, so the result does not depend on the (hash-seeded) iteration order of a set
        return math.fsum(self.idf.get(w, self._default_idf) for w in words)

    def similar(self, words: frozenset[str], limit: int = 15) -> list[Hit]:
        """Entries sharing at least one not-too-common word, best IDF-weighted Dice first."""
        if not words:
            return []
        cached = self._cache.get(words)
        if cached is not None:
            return cached
        known = sorted((w for w in words if w in self.postings), key=lambda w: (len(self.postings[w]), w))
        shared: dict[int, float] = defaultdict(float)
        generating = 0.0
        generated: list[str] = []
        for rank, w in enumerate(known):
            postings = self.postings[w]
            if rank >= self.MAX_WORDS or (rank > 0 and len(postings) > self.MAX_POSTINGS):
                break
            idf = self.idf[w]
            generating += idf
            generated.append(w)
            for i in postings:
                shared[i] += idf
        total = self.weight(words)
        rest = total - generating  # what the other words could add at most
        # The full Dice of every candidate: ranking by the generating words alone would cut ties arbitrarily when
        # the rarest word is common ("technicien informatique" among hundreds of "... informatique").
        totals = self._totals
        if len(shared) > self.MAX_SCORED:
            top: Iterable[int] = heapq.nlargest(self.MAX_SCORED, shared, key=lambda i: (shared[i], -totals[i]))
        else:
            top = shared
        # the generating words' weight is in shared[i]; add the other words the entry has
        others = [(w, self.idf.get(w, self._default_idf)) for w in sorted(words.difference(generated))]
        hits = []
        for i in top:
            if 2 * (shared[i] + rest) < self.MIN_SIMILARITY * (total + totals[i]):
                continue  # cannot reach MIN_SIMILARITY whatever the other words share
            e = self.entries[i]
            both = shared[i] + math.fsum(idf for w, idf in others if w in e.words) if others else shared[i]
            hits.append(Hit(e, 2 * both / (total + totals[i])))
        hits = heapq.nlargest(limit, hits, key=_similarity)
        self._cache[words] = hits
        return hits
