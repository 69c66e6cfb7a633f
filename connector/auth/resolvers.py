"""Credential resolvers: each knows one kind of bearer credential and turns it into a :class:`Principal`.

The HTTP layer asks each configured resolver in turn. A resolver returns None for a credential that is not its
kind, raises :class:`InvalidCredentials` for one that is its kind but bad (expired, revoked, unknown key), and never
puts the secret itself into a message.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from pathlib import Path
from typing import Protocol

from connector.auth.principal import ROLES, Principal


class InvalidCredentials(Exception):
    """The credential was recognised but is not valid (the message never contains the secret)."""


class CredentialsUnverifiable(Exception):
    """The credential cannot be checked right now (identity provider's keys unreachable): not the caller's fault."""


class CredentialResolver(Protocol):
    def resolve(self, token: str) -> Principal | None: ...


def hash_key(secret: str) -> str:
    """The form in which API keys are stored: SHA-256 hex of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


API_KEY_PREFIX = "gsk_"
"""API keys start with this prefix, so they are told apart from JWTs and transfer tokens without a lookup."""


def parse_key_entry(entry: str) -> tuple[str, Principal]:
    """``<label>:<role>[+<role>...]:<sha256 hex>`` -> (digest, principal); ValueError names the label, never a key."""
    try:
        label, roles, digest = entry.strip().split(":")
    except ValueError:
        raise ValueError("api key entries look like '<label>:<role>[+<role>]:<sha256 hex>'") from None
    role_set = frozenset(roles.split("+"))
    unknown = role_set - set(ROLES)
    if unknown or len(digest) != 64:
        raise ValueError(f"api key {label!r}: unknown role(s) {sorted(unknown)} or digest not SHA-256 hex")
    return digest.lower(), Principal(subject=f"key:{label}", roles=role_set)


class ApiKeyResolver:
    """API keys configured as ``<label>:<role>[+<role>...]:<sha256 hex of the key>`` entries.

    Entries come from the settings and, optionally, from a key file (one entry per line) that is re-read when it
    changes, so operators add or revoke keys without a restart.
    """

    def __init__(self, entries: list[str], key_file: Path | None = None) -> None:
        self._static = dict(parse_key_entry(e) for e in entries)
        self._file = key_file
        self._file_stamp: tuple[int, int] | None = None
        self._from_file: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def _file_keys(self) -> dict[str, Principal]:
        if self._file is None:
            return {}
        try:
            st = self._file.stat()
        except FileNotFoundError:
            self._from_file, self._file_stamp = {}, None
            return {}
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._file_stamp:
            with self._lock:
                lines = self._file.read_text(encoding="utf-8").splitlines()
                entries = [ln for ln in (line.strip() for line in lines) if ln and not ln.startswith("#")]
                self._from_file = dict(parse_key_entry(e) for e in entries)
                self._file_stamp = stamp
        return self._from_file

    def has_role(self, role: str) -> bool:
        """Whether any configured key carries ``role`` (first-run set-up checks for an operator key)."""
        return any(p.has_role(role) for p in (*self._static.values(), *self._file_keys().values()))

    def resolve(self, token: str) -> Principal | None:
        if not token.startswith(API_KEY_PREFIX):
            return None
        digest = hash_key(token)
        found = None
        for known, principal in (*self._static.items(), *self._file_keys().items()):
            if hmac.compare_digest(known, digest):
                found = principal
        if found is None:
            raise InvalidCredentials("unknown API key")
        return found
