"""OIDC bearer tokens: JWTs from the operator's identity provider, verified against its JWKS.

The JWKS comes from a file (re-read when it changes; for air-gapped sites and tests) or from the provider's
``jwks_uri`` (fetched, cached, re-fetched when a token names an unknown key id, as after a key rotation). Only
tokens whose unverified ``iss`` is the configured issuer are this resolver's kind; anything else (API keys, the
connector's own transfer tokens) is left to the other resolvers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt

from connector.auth.principal import ROLES, Principal
from connector.auth.resolvers import CredentialsUnverifiable, InvalidCredentials


class _FileJwks:
    """A JWKS file, re-read when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int] | None = None
        self._keys: jwt.PyJWKSet | None = None
        self._lock = threading.Lock()

    def key_for(self, token: str) -> jwt.PyJWK:
        try:
            st = self._path.stat()
        except OSError as exc:
            raise CredentialsUnverifiable("the identity provider's key set file cannot be read") from exc
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._keys = jwt.PyJWKSet.from_dict(json.loads(self._path.read_text(encoding="utf-8")))
                except (OSError, ValueError, jwt.PyJWKSetError) as exc:
                    raise CredentialsUnverifiable("the identity provider's key set file is not a valid JWKS") from exc
                self._stamp = stamp
            keys = self._keys
        assert keys is not None
        return _pick(keys, token)


class _UrlJwks:
    """The provider's ``jwks_uri``, through PyJWT's caching client."""

    def __init__(self, url: str, cache_s: float, refetch_cooldown_s: float) -> None:
        self._client = jwt.PyJWKClient(
            url, cache_jwk_set=True, lifespan=cache_s, timeout=10, cooldown_duration=refetch_cooldown_s
        )

    def key_for(self, token: str) -> jwt.PyJWK:
        try:
            return self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise CredentialsUnverifiable("the identity provider's key set cannot be fetched") from exc
        except jwt.PyJWKClientError as exc:
            raise InvalidCredentials("bearer token signed with an unknown key") from exc


def _pick(keys: jwt.PyJWKSet, token: str) -> jwt.PyJWK:
    kid = jwt.get_unverified_header(token).get("kid")
    if kid is None:
        if len(keys.keys) == 1:
            return keys.keys[0]
        raise InvalidCredentials("bearer token has no key id and the key set holds several keys")
    try:
        return keys[kid]
    except KeyError:
        raise InvalidCredentials("bearer token signed with an unknown key") from None


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class OidcResolver:
    """Verifies signature, issuer, audience, expiry (required) and not-before; maps the roles claim to roles."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: str,
        roles_claim: str = "roles",
        role_map: Mapping[str, str] | None = None,
        participant_claim: str | None = None,
        algorithms: list[str] | None = None,
        leeway_s: float = 30.0,
        jwks_cache_s: float = 300.0,
        jwks_refetch_cooldown_s: float = 30.0,
    ) -> None:
        """``jwks_refetch_cooldown_s`` bounds how often unknown key ids make us re-fetch the JWKS (anti-abuse)."""
        self.issuer, self.audience = issuer, audience
        is_url = jwks.startswith(("http://", "https://"))
        self._jwks = _UrlJwks(jwks, jwks_cache_s, jwks_refetch_cooldown_s) if is_url else _FileJwks(Path(jwks))
        self._roles_claim = roles_claim
        self._role_map = {**{r: r for r in ROLES}, **(role_map or {})}
        unknown = set(self._role_map.values()) - set(ROLES)
        if unknown:
            raise ValueError(f"oidc_role_map maps to unknown role(s) {sorted(unknown)}")
        self._participant_claim = participant_claim
        self._algorithms = algorithms or ["RS256", "ES256"]
        self._leeway = leeway_s

    def resolve(self, token: str) -> Principal | None:
        if token.count(".") != 2:
            return None
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        if unverified.get("iss") != self.issuer:
            return None
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidCredentials("malformed bearer token") from None
        if header.get("alg") not in self._algorithms:
            raise InvalidCredentials("bearer token algorithm not accepted")
        key = self._jwks.key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidCredentials("bearer token expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidCredentials("bearer token is for another audience") from None
        except jwt.ImmatureSignatureError:
            raise InvalidCredentials("bearer token not yet valid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidCredentials(f"bearer token lacks the '{exc.claim}' claim") from None
        except jwt.PyJWTError:
            raise InvalidCredentials("bearer token signature or claims invalid") from None
        return Principal(
            subject=f"oidc:{claims['sub']}",
            roles=self._roles(claims),
            participant_id=self._participant(claims),
        )

    def _roles(self, claims: Mapping[str, Any]) -> frozenset[str]:
        raw = _claim(claims, self._roles_claim)
        names = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
        return frozenset(self._role_map[n] for n in names if isinstance(n, str) and n in self._role_map)

    def _participant(self, claims: Mapping[str, Any]) -> str | None:
        if not self._participant_claim:
            return None
        value = _claim(claims, self._participant_claim)
        return value if isinstance(value, str) and value else None
