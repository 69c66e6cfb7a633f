"""Who a DSP peer is: registered participants, their credentials, and the credentials we present to them.

Two kinds of inbound credentials, both in the ``Authorization`` header (with or without ``Bearer``):
- a static token whose SHA-256 is registered for the participant;
- a JWT signed with ES256 or EdDSA by the participant (``iss`` = ``sub`` = its id, did:web style), checked against
  the registered public key, with ``aud`` = our participant id, ``exp`` (and clock skew) and a one-time ``jti``.
Outbound we send the participant's configured token, else a JWT signed with our key (if configured).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from connector.config import DspParticipant
from connector.dsp.messages import CONTEXT, DSP_PATH

JWT_ALGORITHMS = ["ES256", "EdDSA"]


class IdentityError(Exception):
    """The request carries no credential, or one no participant is registered for (HTTP 401)."""


class CallbackRefused(ValueError):
    """A callback address that is malformed or points outside the participant's registered hosts."""


@dataclass(frozen=True)
class Peer:
    id: str
    member: bool
    callback_hosts: tuple[str, ...]
    outbound_token: str | None
    public_key: object | None


def _public_key(text: str | None) -> object | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("{"):
        return jwt.PyJWK(json.loads(text)).key
    return load_pem_public_key(text.encode())


class Participants:
    """The registry of known peers and the two inbound credential checks."""

    def __init__(
        self,
        own_id: str,
        participants: list[DspParticipant],
        signing_key: Path | None = None,
        clock_skew_s: int = 60,
    ) -> None:
        self.own_id = own_id
        self._skew = clock_skew_s
        self._peers: dict[str, Peer] = {}
        self._tokens: dict[str, str] = {}
        for p in participants:
            self.add(p)
        self._signing_key = load_pem_private_key(signing_key.read_bytes(), None) if signing_key else None
        self._seen_jti: dict[str, float] = {}
        self._jti_lock = threading.Lock()

    def add(self, p: DspParticipant) -> None:
        try:
            key = _public_key(p.public_key)
        except (ValueError, jwt.PyJWTError) as exc:
            raise ValueError(f"participant {p.id}: unreadable public key ({exc})") from None
        self._peers[p.id] = Peer(p.id, p.member, tuple(p.callback_hosts), p.outbound_token, key)
        if p.token_sha256:
            self._tokens[p.token_sha256.lower()] = p.id

    def get(self, participant_id: str) -> Peer | None:
        return self._peers.get(participant_id)

    # inbound ---------------------------------------------------------------------------------------------------
    def identify(self, authorization: str | None) -> str:
        """The participant id behind an ``Authorization`` header value, or :class:`IdentityError`."""
        if not authorization or not authorization.strip():
            raise IdentityError("an Authorization header is required")
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if token.count(".") == 2:
            return self._verify_jwt(token)
        digest = hashlib.sha256(token.encode()).hexdigest()
        for known, participant in self._tokens.items():
            if hmac.compare_digest(known, digest):
                return participant
        raise IdentityError("the token is not registered for any participant")

    def _verify_jwt(self, token: str) -> str:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise IdentityError("malformed JWT") from None
        issuer = unverified.get("iss")
        peer = self._peers.get(issuer) if isinstance(issuer, str) else None
        if peer is None or peer.public_key is None:
            raise IdentityError("JWT issuer is not a registered participant with a public key")
        try:
            claims = jwt.decode(
                token,
                peer.public_key,  # type: ignore[arg-type]
                algorithms=JWT_ALGORITHMS,
                audience=self.own_id,
                issuer=peer.id,
                leeway=self._skew,
                options={"require": ["exp", "iat", "iss", "aud", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise IdentityError(f"JWT rejected: {exc}") from None
        if claims.get("sub", peer.id) != peer.id:
            raise IdentityError("JWT sub must equal iss")
        self._check_replay(str(claims["jti"]), float(claims["exp"]))
        return peer.id

    def _check_replay(self, jti: str, exp: float) -> None:
        now = time.time()
        with self._jti_lock:
            if len(self._seen_jti) > 10_000:
                self._seen_jti = {k: v for k, v in self._seen_jti.items() if v + self._skew > now}
            if jti in self._seen_jti:
                raise IdentityError("JWT replayed (jti already used)")
            self._seen_jti[jti] = exp

    # outbound --------------------------------------------------------------------------------------------------
    def authorization_for(self, participant_id: str | None) -> str | None:
        """The ``Authorization`` value for a call to this participant (None: send none)."""
        peer = self._peers.get(participant_id or "")
        if peer and peer.outbound_token:
            return f"Bearer {peer.outbound_token}"
        if self._signing_key is None:
            return None
        now = int(time.time())
        claims = {
            "iss": self.own_id,
            "sub": self.own_id,
            "aud": participant_id or "",
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        algorithm = "ES256" if isinstance(self._signing_key, ec.EllipticCurvePrivateKey) else "EdDSA"
        return "Bearer " + jwt.encode(claims, self._signing_key, algorithm=algorithm)  # type: ignore[arg-type]

    def did_document(self, base_url: str) -> dict | None:
        """Our did:web document (DSP 2025-1 discovery services; our JWT key if we sign), or None if not did:web."""
        did = self.own_id
        if not did.startswith("did:web:"):
            return None
        doc: dict = {
            "@context": ["https://www.w3.org/ns/did/v1", CONTEXT],
            "id": did,
            "service": [
                {
                    "id": f"{did}#dsp-catalog",
                    "type": "CatalogService",
                    "serviceEndpoint": f"{base_url}{DSP_PATH}/catalog",
                },
                {
                    "id": f"{did}#dsp",
                    "type": "DataService",
                    "serviceEndpoint": f"{base_url}/.well-known/dspace-version",
                },
            ],
        }
        if self._signing_key is not None:
            name = "ES256" if isinstance(self._signing_key, ec.EllipticCurvePrivateKey) else "EdDSA"
            jwk = json.loads(jwt.get_algorithm_by_name(name).to_jwk(self._signing_key.public_key()))
            key_id = f"{did}#key-1"
            doc["verificationMethod"] = [
                {"id": key_id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}
            ]
            doc["assertionMethod"] = doc["capabilityInvocation"] = [key_id]
        return doc

    # callbacks -------------------------------------------------------------------------------------------------
    def check_callback(self, participant_id: str, address: str) -> str:
        """The callback address without trailing slash, if it is http(s) to a host registered for the participant."""
        try:
            parts = urlsplit(address)
            port = parts.port
        except ValueError:
            raise CallbackRefused(f"callbackAddress {address!r} is not a URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise CallbackRefused(f"callbackAddress {address!r} must be an http(s) URL without credentials")
        peer = self._peers.get(participant_id)
        host = parts.hostname.lower()
        allowed = {h.lower() for h in (peer.callback_hosts if peer else ())}
        if "*" not in allowed and host not in allowed and f"{host}:{port}" not in allowed:
            raise CallbackRefused(f"callbackAddress host {host} is not registered for participant {participant_id}")
        return address.rstrip("/")
