"""Participant identity: static tokens, ES256/EdDSA JWTs (audience, expiry, clock skew, replay), callback hosts."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path

import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connector.config import DspParticipant
from connector.dsp.identity import CallbackRefused, IdentityError, Participants
from tests.dsp.harness import REGISTRY, SPEC, load_schema

OWN, PEER = "did:web:provider.example", "did:web:partner.example"


def pem(public_key) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def token(key, alg: str, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": PEER, "sub": PEER, "aud": OWN, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=alg)


@pytest.fixture(params=["ES256", "EdDSA"])
def signed(request) -> tuple[Participants, object, str]:
    key = ec.generate_private_key(ec.SECP256R1()) if request.param == "ES256" else Ed25519PrivateKey.generate()
    registry = Participants(OWN, [DspParticipant(id=PEER, public_key=pem(key.public_key()))], clock_skew_s=30)
    return registry, key, request.param


def test_valid_jwt_identifies_the_issuer(signed) -> None:
    registry, key, alg = signed
    assert registry.identify("Bearer " + token(key, alg)) == PEER
    assert registry.identify(token(key, alg)) == PEER  # EDC sends the raw token


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "did:web:someone-else"}, "Audience"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": None}, "exp"),
        ({"jti": None}, "jti"),
        ({"sub": "did:web:impostor"}, "sub must equal iss"),
        ({"iat": int(time.time()) + 3600}, "not yet valid"),
    ],
)
def test_jwt_rejections(signed, claims, message) -> None:
    registry, key, alg = signed
    with pytest.raises(IdentityError, match=message):
        registry.identify(token(key, alg, **claims))


def test_clock_skew_is_tolerated(signed) -> None:
    registry, key, alg = signed
    assert registry.identify(token(key, alg, exp=int(time.time()) - 10)) == PEER


def test_replayed_jwt_is_refused(signed) -> None:
    registry, key, alg = signed
    once = token(key, alg)
    registry.identify(once)
    with pytest.raises(IdentityError, match="replayed"):
        registry.identify(once)


def test_jwt_signed_by_another_key_or_unknown_issuer(signed) -> None:
    registry, _, _ = signed
    with pytest.raises(IdentityError, match="Signature"):
        registry.identify(token(Ed25519PrivateKey.generate(), "EdDSA") if signed[2] == "EdDSA" else
                          token(ec.generate_private_key(ec.SECP256R1()), "ES256"))  # fmt: skip
    with pytest.raises(IdentityError, match="not a registered participant"):
        registry.identify(token(signed[1], signed[2], iss="did:web:stranger"))


def test_public_key_as_jwk() -> None:
    key = Ed25519PrivateKey.generate()
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key())
    registry = Participants(OWN, [DspParticipant(id=PEER, public_key=jwk)])
    assert registry.identify(token(key, "EdDSA")) == PEER


def test_static_tokens() -> None:
    registry = Participants(OWN, [DspParticipant(id=PEER, token_sha256=hashlib.sha256(b"s3cret").hexdigest())])
    assert registry.identify("Bearer s3cret") == PEER
    for bad in (None, "", "Bearer nope"):
        with pytest.raises(IdentityError):
            registry.identify(bad)


def test_outbound_jwt_verifies_at_the_peer(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    me = Participants(PEER, [DspParticipant(id=OWN)], signing_key=key_file)
    other = Participants(OWN, [DspParticipant(id=PEER, public_key=pem(key.public_key()))])
    assert other.identify(me.authorization_for(OWN)) == PEER
    configured = Participants(PEER, [DspParticipant(id=OWN, outbound_token="tok")], signing_key=key_file)
    assert configured.authorization_for(OWN) == "Bearer tok"


def test_callback_hosts() -> None:
    registry = Participants(OWN, [DspParticipant(id=PEER, callback_hosts=["partner.example", "127.0.0.1:9000"])])
    assert registry.check_callback(PEER, "https://partner.example/dsp/2025-1/") == "https://partner.example/dsp/2025-1"
    assert registry.check_callback(PEER, "http://127.0.0.1:9000/cb") == "http://127.0.0.1:9000/cb"
    for bad in (
        "http://127.0.0.1:9001/cb",  # another port on loopback
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://user:pw@partner.example/",
        "file:///etc/passwd",
        "not a url",
        "http://[::1",
    ):
        with pytest.raises(CallbackRefused):
            registry.check_callback(PEER, bad)
    with pytest.raises(CallbackRefused):
        registry.check_callback("did:web:unknown", "https://partner.example/")


def test_unreadable_public_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unreadable public key"):
        Participants(OWN, [DspParticipant(id=PEER, public_key=json.dumps({"kty": "nope"}))])


def test_did_document_lists_dsp_services_and_our_key(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    doc = Participants(OWN, [], signing_key=key_file).did_document("https://provider.example")
    assert doc["id"] == OWN and doc["capabilityInvocation"] == [f"{OWN}#key-1"]
    catalog = next(s for s in doc["service"] if s["type"] == "CatalogService")
    schema = load_schema(SPEC / "common/did-service-schema.json")
    jsonschema.Draft201909Validator(schema, registry=REGISTRY).validate({"@context": doc["@context"], **catalog})
    # A partner that registers the published key verifies our JWTs.
    partner = Participants(
        PEER, [DspParticipant(id=OWN, public_key=json.dumps(doc["verificationMethod"][0]["publicKeyJwk"]))]
    )
    me = Participants(OWN, [DspParticipant(id=PEER)], signing_key=key_file)
    assert partner.identify(me.authorization_for(PEER)) == OWN
    assert Participants("urn:not-a-did", []).did_document("https://x") is None
