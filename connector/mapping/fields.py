"""Field-level parsing shared by every reader: each problem is recorded with the field and value, never raised alone.

A :class:`FieldReader` wraps one raw record (a mapping of canonical field names to strings or lists) and collects
every problem it finds, so the quarantine tells the operator all that is wrong with a record at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from connector.mapping.records import Problem, RecordRejected

ROME_FICHE = re.compile(r"^[A-N]\d{4}$")
OGR_CODE = re.compile(r"^\d{1,7}$")
ESCO_SKILL = re.compile(
    r"^http://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
CERTIFICATION = re.compile(r"^(RNCP|RS)(\d{3,6})$")
POSTAL_CODE = re.compile(r"^\d{5}$")
INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
FORMACODE = re.compile(r"^\d{5}$")
NSF = re.compile(r"^\d{3}[a-z]?$")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
LIST_SEPARATOR = "|"
MODES = {"presentiel": "presentiel", "distanciel": "distanciel", "hybride": "hybride", "a distance": "distanciel"}
TRUE = {"oui", "o", "yes", "y", "true", "vrai", "1"}
FALSE = {"non", "n", "no", "false", "faux", "0"}


def fold(text: str) -> str:
    """Lower case without accents and with runs of non-alphanumerics as one '_' (header and keyword matching)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def siret_ok(siret: str) -> bool:
    """14 digits with a valid Luhn key (La Poste establishments use a digit-sum rule instead)."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith("356000000"):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


class FieldReader:
    """Typed access to one raw record; collects problems instead of raising on the first one."""

    def __init__(self, raw: Mapping[str, Any], max_chars: int) -> None:
        self.raw = raw
        self.max_chars = max_chars
        self.problems: list[Problem] = []

    def fail(self, field: str, value: Any, reason: str) -> None:
        shown = None if value is None else str(value)
        if shown is not None and len(shown) > 200:
            shown = shown[:200] + "…"
        self.problems.append(Problem(reason=reason, field=field, value=shown))

    def check(self) -> None:
        if self.problems:
            raise RecordRejected(self.problems)

    # -- primitives ----------------------------------------------------------------------------------------------
    def text(self, name: str, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            self.fail(name, value, "expected a text value")
            return None
        value = (value or "").strip()
        if not value:
            if required:
                self.fail(name, None, "missing required field")
            return None
        if len(value) > self.max_chars:
            self.fail(name, value, f"field longer than {self.max_chars} characters ({len(value)})")
            return None
        return value

    def items(self, name: str) -> list[str]:
        """A multi-valued field: a JSON list, or a text with '|' between values."""
        value = self.raw.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            out = []
            for v in value:
                if not isinstance(v, str | int):
                    self.fail(name, v, "expected a list of text values")
                    return []
                out.append(str(v).strip())
            values = out
        elif isinstance(value, str | int):
            values = [v.strip() for v in str(value).split(LIST_SEPARATOR)]
        else:
            self.fail(name, value, "expected a list of text values")
            return []
        too_long = [v for v in values if len(v) > self.max_chars]
        if too_long:
            self.fail(name, too_long[0], f"field longer than {self.max_chars} characters")
            return []
        return [v for v in values if v]

    def codes(self, name: str, pattern: re.Pattern[str], what: str, upper: bool = False) -> tuple[str, ...]:
        good = []
        for code in self.items(name):
            code = code.upper() if upper else code
            if pattern.fullmatch(code):
                good.append(code)
            else:
                self.fail(name, code, f"malformed {what}")
        return tuple(dict.fromkeys(good))

    def pattern(self, name: str, pattern: re.Pattern[str], what: str, required: bool = False) -> str | None:
        value = self.text(name, required)
        if value is not None and not pattern.fullmatch(value):
            self.fail(name, value, f"malformed {what}")
            return None
        return value

    def number(
        self, name: str, lo: float | None = None, hi: float | None = None, positive: bool = False
    ) -> float | None:
        raw = self.raw.get(name)
        if isinstance(raw, bool):
            self.fail(name, raw, "not a number")
            return None
        if isinstance(raw, int | float):
            value = float(raw)
        else:
            text = self.text(name)
            if text is None:
                return None
            try:
                value = float(text.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
            except ValueError:
                self.fail(name, text, "not a number")
                return None
        if value != value or value in (float("inf"), float("-inf")):
            self.fail(name, raw, "not a finite number")
            return None
        if positive and value <= 0:
            self.fail(name, raw, "must be positive")
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(name, raw, f"out of range [{lo}, {hi}]")
            return None
        return value

    def date(self, name: str) -> date | None:
        text = self.text(name)
        return None if text is None else self.parse_date(name, text)

    def parse_date(self, name: str, text: str) -> date | None:
        value = parse_date(text)
        if value is None:
            self.fail(name, text, "malformed date (expected YYYY-MM-DD or DD/MM/YYYY)")
        return value

    def flag(self, name: str) -> bool | None:
        raw = self.raw.get(name)
        if isinstance(raw, bool):
            return raw
        text = self.text(name)
        if text is None:
            return None
        folded = fold(text)
        if folded in TRUE:
            return True
        if folded in FALSE:
            return False
        self.fail(name, text, "expected oui/non")
        return None


def parse_date(text: str) -> date | None:
    """ISO dates (optionally with a time), French DD/MM/YYYY and LHEO YYYYMMDD; None when malformed."""
    text = text.strip()
    if ISO_DATE.match(text):  # the common case, without strptime's cost
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            continue
    return None
