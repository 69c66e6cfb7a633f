"""A small SPARQL tokenizer for the few decisions the endpoint takes before the engine sees the text.

It answers: does the request use ``SERVICE`` or ``LOAD`` (refused by default), which graphs do ``FROM`` / ``FROM
NAMED`` name, does an update already carry ``USING``/``WITH`` (a conflict with the protocol's ``using-graph-uri``),
and where to put ``USING`` clauses for those protocol parameters, since the engine's update API has no dataset
arguments. Strings, IRIs and comments are skipped as whole tokens, so a keyword inside them never counts.

Security never rests on this module alone: every query runs over an explicit dataset of allowed graphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<long_string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
  | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<pname>(?:[A-Za-z\u00c0-\uffff][\w\-.\u00b7]*)?:(?:[\w\-.:%\u00b7]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
  | (?P<word>[A-Za-z_][\w\-]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int
    depth: int
    """Nesting depth of braces ``{}`` at the token (0 = top level of the request)."""

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokens(text: str) -> list[Token]:
    """Significant tokens of a SPARQL query or update (whitespace and comments dropped)."""
    found: list[Token] = []
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        if value == "}":
            depth = max(depth - 1, 0)
        found.append(Token(kind, value, match.start(), match.end(), depth))
        if value == "{":
            depth += 1
    return found


def uses_keyword(text: str, keyword: str) -> bool:
    """True when ``keyword`` appears as a keyword (not inside a string, IRI, name or comment)."""
    if keyword.lower() not in text.lower():  # fast path for the common case
        return False
    return any(t.is_word(keyword) for t in tokens(text))


@dataclass
class DeclaredDataset:
    """The graphs a query's own ``FROM`` and ``FROM NAMED`` clauses name (absolute IRIs)."""

    default: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.default and not self.named


class _Prologue:
    """Tracks BASE and PREFIX declarations to turn IRI tokens into absolute IRIs."""

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.prefixes: dict[str, str] = {}

    def iri(self, token: Token) -> str | None:
        if token.kind == "iri":
            value = token.text[1:-1]
            return urljoin(self.base, value) if self.base else value
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            namespace = self.prefixes.get(prefix)
            return None if namespace is None else namespace + re.sub(r"\\(.)", r"\1", local)
        return None

    def feed(self, toks: list[Token], i: int) -> int:
        """Consume a BASE/PREFIX declaration starting at ``i``; return the index after it (or ``i``)."""
        tok = toks[i]
        if tok.is_word("BASE") and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            self.base = self.iri(toks[i + 1])
            return i + 2
        if tok.is_word("PREFIX") and i + 2 < len(toks) and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            self.prefixes[toks[i + 1].text.rstrip(":").partition(":")[0]] = self.iri(toks[i + 2]) or ""
            return i + 3
        return i


def declared_dataset(query: str, base_iri: str | None = None) -> DeclaredDataset:
    """The ``FROM`` / ``FROM NAMED`` graphs of a query (sub-queries cannot declare any)."""
    dataset = DeclaredDataset()
    if "from" not in query.lower():
        return dataset
    toks = tokens(query)
    prologue = _Prologue(base_iri)
    i = 0
    while i < len(toks):
        nxt = prologue.feed(toks, i)
        if nxt != i:
            i = nxt
            continue
        tok = toks[i]
        if tok.depth == 0 and tok.is_word("FROM") and i + 1 < len(toks):
            named = toks[i + 1].is_word("NAMED")
            target = toks[i + 2] if named and i + 2 < len(toks) else toks[i + 1]
            iri = prologue.iri(target)
            if iri is not None:
                (dataset.named if named else dataset.default).append(iri)
            i += 3 if named else 2
            continue
        i += 1
    return dataset


class UpdateDatasetConflict(ValueError):
    """The update names its own dataset (USING / USING NAMED / WITH) and the protocol parameters name another."""


def apply_using(update: str, using: list[str], using_named: list[str]) -> str:
    """Rewrite an update so that each DELETE/INSERT ... WHERE operation reads from the protocol's dataset.

    This is what SPARQL 1.1 Protocol §2.2.3 gives ``using-graph-uri`` / ``using-named-graph-uri``: they act as
    ``USING`` / ``USING NAMED`` clauses of every operation with a WHERE clause. ``DELETE WHERE { P }`` is expanded
    to ``DELETE { P } USING ... WHERE { P }`` (its short form has no room for USING). An operation that already
    has ``USING`` or ``WITH`` raises :class:`UpdateDatasetConflict`.
    """
    if not using and not using_named:
        return update
    clause = "".join(f" USING <{g}>" for g in using) + "".join(f" USING NAMED <{g}>" for g in using_named) + " "
    toks = tokens(update)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in text order
    op_start = 0
    while op_start < len(toks):
        op_end = next((j for j in range(op_start, len(toks)) if toks[j].depth == 0 and toks[j].text == ";"), len(toks))
        op = toks[op_start:op_end]
        i = 0
        prologue = _Prologue(None)
        while i < len(op) and (after := prologue.feed(op, i)) != i:
            i = after
        body = op[i:]
        if body and body[0].is_word("WITH", "DELETE", "INSERT"):
            if any(t.depth == 0 and t.is_word("USING", "WITH") for t in body):
                raise UpdateDatasetConflict(
                    "the update names its own dataset with USING or WITH; do not also send using-graph-uri or "
                    "using-named-graph-uri"
                )
            is_data = len(body) > 1 and body[1].is_word("DATA")
            if body[0].is_word("DELETE") and len(body) > 1 and body[1].is_word("WHERE"):
                pattern = _block_text(update, body, 2)
                edits.append((body[0].start, body[1].end, f"DELETE {pattern}{clause}WHERE"))
            elif not is_data:
                where = next((t for t in body if t.depth == 0 and t.is_word("WHERE")), None)
                if where is not None:
                    edits.append((where.start, where.start, clause.lstrip()))
        op_start = op_end + 1
    for start, end, replacement in reversed(edits):
        update = update[:start] + replacement + update[end:]
    return update


def _block_text(text: str, toks: list[Token], open_index: int) -> str:
    """The source text of the ``{ ... }`` block opening at ``toks[open_index]``."""
    if open_index >= len(toks) or toks[open_index].text != "{":
        raise ValueError("DELETE WHERE must be followed by a '{ ... }' pattern")
    depth = toks[open_index].depth
    for tok in toks[open_index + 1 :]:
        if tok.text == "}" and tok.depth == depth:
            return text[toks[open_index].start : tok.end]
    raise ValueError("unbalanced braces in DELETE WHERE")
