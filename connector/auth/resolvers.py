"""Credential resolvers: each knows one kind of bearer credential and turns it into a :class:`Principal`.

The HTTP layer asks each configured resolver in turn. A resolver returns None for a credential that is not its
kind, raises :class:`InvalidCredentials` for one that is its kind but bad (expired, revoked, unknown key), and never
puts the secret itself into a message.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from connector.auth.principal import ROLES, Principal


class InvalidCredentials(Exception):
    """The credential was recognised but is not valid (the message never contains the secret)."""


class CredentialResolver(Protocol):
    def resolve(self, token: str) -> Principal | None: ...


def hash_key(secret: str) -> str:
    """The form in which API keys are stored: SHA-256 hex of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


API_KEY_PREFIX = "gsk_"
"""API keys start with this prefix, so they are told apart from JWTs and transfer tokens without a lookup."""


class ApiKeyResolver:
    """API keys configured as ``<label>:<role>[+<role>...]:<sha256 hex of the key>`` entries."""

    def __init__(self, entries: list[str]) -> None:
        self._keys: dict[str, Principal] = {}
        for entry in entries:
            try:
                label, roles, digest = entry.split(":")
            except ValueError:
                raise ValueError("api key entries look like '<label>:<role>[+<role>]:<sha256 hex>'") from None
            role_set = frozenset(roles.split("+"))
            unknown = role_set - set(ROLES)
            if unknown or len(digest) != 64:
                raise ValueError(f"api key {label!r}: unknown role(s) {sorted(unknown)} or digest not SHA-256 hex")
            self._keys[digest.lower()] = Principal(subject=f"key:{label}", roles=role_set)

    def resolve(self, token: str) -> Principal | None:
        if not token.startswith(API_KEY_PREFIX):
            return None
        digest = hash_key(token)
        for known, principal in self._keys.items():
            if hmac.compare_digest(known, digest):
                return principal
        raise InvalidCredentials("unknown API key")
