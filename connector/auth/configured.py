"""The resolver chain the settings describe, and the first-run operator key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from connector.auth.oidc import OidcResolver
from connector.auth.resolvers import API_KEY_PREFIX, ApiKeyResolver, CredentialResolver, hash_key
from connector.config import Settings


def configured_resolvers(settings: Settings) -> list[CredentialResolver]:
    """API keys (settings + key file) first, then OIDC when an issuer is configured."""
    chain: list[CredentialResolver] = [ApiKeyResolver(settings.api_keys, settings.api_key_path)]
    if settings.oidc_issuer:
        chain.append(
            OidcResolver(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience or "",
                jwks=settings.oidc_jwks or "",
                roles_claim=settings.oidc_roles_claim,
                role_map=settings.oidc_role_map,
                participant_claim=settings.oidc_participant_claim,
                algorithms=settings.oidc_algorithms,
                leeway_s=settings.oidc_leeway_s,
                jwks_cache_s=settings.oidc_jwks_cache_s,
            )
        )
    return chain


def new_api_key() -> str:
    """A fresh API key secret (URL-safe, 256 bits, with the prefix resolvers recognise)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def append_key_entry(path: Path, label: str, roles: list[str], secret: str) -> str:
    """Append the hashed entry for ``secret`` to the key file (created 0600); return the entry."""
    entry = f"{label}:{'+'.join(roles)}:{hash_key(secret)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(entry + "\n")
    return entry


def ensure_operator_key(settings: Settings) -> str | None:
    """First run: when no credential can act as operator, make one operator key and keep only its hash.

    Returns the secret (to print once) or None when an operator key or OIDC is already configured.
    """
    if settings.oidc_issuer or ApiKeyResolver(settings.api_keys, settings.api_key_path).has_role("operator"):
        return None
    secret = new_api_key()
    append_key_entry(settings.api_key_path, "first-run-operator", ["operator"], secret)
    return secret


def key_file_entries(path: Path) -> list[tuple[str, str]]:
    """(label, roles) of each key in the key file, in file order (hashes are not shown)."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [
        (ln.split(":")[0], ln.split(":")[1]) for ln in lines if ln and not ln.startswith("#") and ln.count(":") == 2
    ]


def revoke_label(path: Path, label: str) -> int:
    """Remove every key of ``label`` from the key file (atomic rewrite, mode 0600); return how many were removed."""
    if not path.exists():
        return 0
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if ln.strip().split(":")[0] != label or ln.strip().startswith("#")]
    removed = len(lines) - len(kept)
    if removed:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(f"{ln}\n" for ln in kept))
        tmp.replace(path)
    return removed
