"""Skill profiles: how much the ESCO skills reached from a ROME fiche look like an ESCO occupation's skills.

A fiche's profile is the set of ESCO skills its compétences/savoirs are mapped to (any published relation); an
occupation's profile is its essential and optional skills. Both are weighted by IDF over the occupations (a skill
that 1,500 occupations list, such as "use a computer", says little), and compared by cosine. With only a fifth of
ROME skills mapped, profiles are thin: the similarity confirms a label candidate, it never proposes one alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


class SkillProfiles:
    """IDF-weighted cosine between a set of ESCO skills and each ESCO occupation's skills."""

    def __init__(self, occupation_skills: Mapping[str, set[str]]) -> None:
        self.occupation_skills = occupation_skills
        df: dict[str, int] = {}
        for skills in occupation_skills.values():
            for s in skills:
                df[s] = df.get(s, 0) + 1
        n = max(len(occupation_skills), 1)
        self.idf2 = {s: math.log(n / d) ** 2 for s, d in df.items()}
        self._norms: dict[str, float] = {}

    def _norm(self, skills: Iterable[str]) -> float:
        return math.sqrt(math.fsum(self.idf2.get(s, 0.0) for s in skills))

    def cosine(self, skills: set[str], occupation: str) -> tuple[float, int]:
        """The similarity and the number of shared skills (0.0 when either profile is empty)."""
        theirs = self.occupation_skills.get(occupation, set())
        shared = skills & theirs
        if not shared:
            return 0.0, 0
        norm = self._norms.get(occupation)
        if norm is None:
            norm = self._norms[occupation] = self._norm(theirs)
        mine = self._norm(skills)
        if not norm or not mine:
            return 0.0, len(shared)
        return math.fsum(self.idf2.get(s, 0.0) for s in sorted(shared)) / (mine * norm), len(shared)
