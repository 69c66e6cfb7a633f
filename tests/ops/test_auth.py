"""Authentication and roles: API keys (hashed, file-based, first-run key) and OIDC bearer JWTs against a JWKS."""

from __future__ import annotations

import asyncio
import http.server
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.api.deps import require_role
from connector.auth import Principal
from connector.auth.configured import append_key_entry, ensure_operator_key, new_api_key
from connector.auth.oidc import OidcResolver
from connector.config import load_settings
from connector.context import Context
from tests.ops.oidc_keys import AUDIENCE, ISSUER, TestIdp


def _app(tmp_path: Path, **settings: object) -> TestClient:
    ctx = Context(load_settings(home=tmp_path / "var", rate_limit_anonymous_per_minute=0, **settings))
    app = create_app(ctx)

    @app.get("/t/operator")
    def operator_only(p: Principal = Depends(require_role("operator"))) -> dict[str, object]:
        return {"subject": p.subject, "roles": sorted(p.roles), "participant": p.participant_id}

    @app.get("/t/validator-or-operator")
    def either(p: Principal = Depends(require_role("validator", "operator"))) -> dict[str, str]:
        return {"subject": p.subject}

    return TestClient(app)


@pytest.fixture
def idp() -> TestIdp:
    return TestIdp()


@pytest.fixture
def oidc_client(tmp_path: Path, idp: TestIdp) -> Iterator[TestClient]:
    jwks = idp.write_jwks(tmp_path / "jwks.json")
    with _app(
        tmp_path,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks=str(jwks),
        oidc_roles_claim="realm_access.roles",
        oidc_role_map={"skills-admin": "operator"},
        oidc_participant_claim="participant_id",
    ) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_oidc_token_with_mapped_role_is_accepted(oidc_client: TestClient, idp: TestIdp) -> None:
    token = idp.token(realm_access={"roles": ["skills-admin", "unrelated"]}, participant_id="did:web:partner.test")
    r = oidc_client.get("/t/operator", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json() == {"subject": "oidc:alice", "roles": ["operator"], "participant": "did:web:partner.test"}


def test_oidc_wrong_role_is_403_and_missing_credentials_401(oidc_client: TestClient, idp: TestIdp) -> None:
    partner = idp.token(realm_access={"roles": ["partner"]})
    r = oidc_client.get("/t/operator", headers=bearer(partner))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = oidc_client.get("/t/operator")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    validator = idp.token(realm_access={"roles": ["validator"]})
    assert oidc_client.get("/t/validator-or-operator", headers=bearer(validator)).status_code == 200


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": 1_000_000}, "expired"),
        ({"aud": "another-service"}, "another audience"),
        ({"exp": None}, "'exp'"),
        ({"nbf": 4_000_000_000}, "not yet valid"),
    ],
)
def test_oidc_claim_checks(oidc_client: TestClient, idp: TestIdp, claims: dict, reason: str) -> None:
    token = idp.token(realm_access={"roles": ["skills-admin"]}, **claims)
    r = oidc_client.get("/t/operator", headers=bearer(token))
    assert r.status_code == 401
    assert reason in r.json()["detail"]
    assert token not in r.text


def test_oidc_forged_signatures_are_refused(oidc_client: TestClient, idp: TestIdp) -> None:
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = idp.token(key=intruder, realm_access={"roles": ["skills-admin"]})
    assert oidc_client.get("/t/operator", headers=bearer(forged)).status_code == 401
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": 4_000_000_000, "realm_access": {"roles": ["operator"]}}
    hs = jwt.encode(claims, "guessable-secret-guessable-secret", algorithm="HS256", headers={"kid": idp.kid})
    r = oidc_client.get("/t/operator", headers=bearer(hs))
    assert r.status_code == 401 and "algorithm" in r.json()["detail"]
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert oidc_client.get("/t/operator", headers=bearer(unsigned)).status_code == 401
    other_issuer = idp.token(iss="https://elsewhere.test", realm_access={"roles": ["skills-admin"]})
    assert oidc_client.get("/t/operator", headers=bearer(other_issuer)).status_code == 401


def test_jwks_file_is_reread_after_key_rotation(tmp_path: Path, oidc_client: TestClient, idp: TestIdp) -> None:
    idp.rotate("k2")
    token = idp.token(realm_access={"roles": ["skills-admin"]})
    assert oidc_client.get("/t/operator", headers=bearer(token)).status_code == 401
    idp.write_jwks(tmp_path / "jwks.json")
    assert oidc_client.get("/t/operator", headers=bearer(token)).status_code == 200


class _JwksHandler(http.server.BaseHTTPRequestHandler):
    idp: TestIdp
    fetches = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        type(self).fetches += 1
        body = json.dumps(self.idp.jwks()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_jwks_url_is_fetched_cached_and_refetched_for_a_new_key(tmp_path: Path, idp: TestIdp) -> None:
    handler = type("H", (_JwksHandler,), {"idp": idp, "fetches": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/certs"
    try:
        with _app(tmp_path, oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks=url) as client:
            resolvers = client.app.state.resolvers
            at = next(i for i, r in enumerate(resolvers) if isinstance(r, OidcResolver))
            resolvers[at] = OidcResolver(issuer=ISSUER, audience=AUDIENCE, jwks=url, jwks_refetch_cooldown_s=0)
            for _ in range(3):
                r = client.get("/t/operator", headers=bearer(idp.token(roles=["operator"])))
                assert r.status_code == 200, r.text
            assert handler.fetches == 1
            idp.rotate("k2")
            assert client.get("/t/operator", headers=bearer(idp.token(roles="operator"))).status_code == 200
            assert handler.fetches == 2
            server.shutdown()
            server.server_close()
            idp.rotate("k3")  # unknown kid, provider unreachable: our problem, not the caller's
            r = client.get("/t/operator", headers=bearer(idp.token(roles=["operator"])))
            assert r.status_code == 503 and "retry-after" in r.headers
    finally:
        server.server_close()


def test_api_keys_from_file_are_added_and_revoked_without_restart(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    with _app(tmp_path, api_key_file=key_file) as client:
        secret = new_api_key()
        assert client.get("/t/operator", headers={"X-API-Key": secret}).status_code == 401
        entry = append_key_entry(key_file, "ops-team", ["operator"], secret)
        assert secret not in key_file.read_text() and entry in key_file.read_text()
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        r = client.get("/t/operator", headers={"X-API-Key": secret})
        assert r.status_code == 200 and r.json()["subject"] == "key:ops-team"
        partner = new_api_key()
        append_key_entry(key_file, "partner-a", ["partner"], partner)
        assert client.get("/t/operator", headers=bearer(partner)).status_code == 403
        key_file.write_text(f"# revoked ops-team\n{key_file.read_text().splitlines()[1]}\n")
        assert client.get("/t/operator", headers={"X-API-Key": secret}).status_code == 401
        assert client.get("/t/operator", headers=bearer(partner)).status_code == 403


def test_first_run_operator_key_is_made_once_and_only_its_hash_kept(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "var")
    secret = ensure_operator_key(settings)
    assert secret is not None and secret.startswith("gsk_")
    stored = settings.api_key_path.read_text()
    assert secret not in stored and stored.startswith("first-run-operator:operator:")
    assert ensure_operator_key(load_settings(home=tmp_path / "var")) is None
    with _app(tmp_path) as client:
        assert client.get("/t/operator", headers=bearer(secret)).status_code == 200


def test_no_secret_reaches_logs_or_answers(
    tmp_path: Path, idp: TestIdp, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from connector.logs import configure_logging

    configure_logging("DEBUG", "json")
    secret = new_api_key()
    jwks = idp.write_jwks(tmp_path / "jwks.json")
    expired = idp.token(exp=1_000_000, roles=["operator"])
    caplog.set_level(logging.DEBUG)
    with _app(tmp_path, oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks=str(jwks)) as client:
        answers = [
            client.get("/t/operator", headers={"X-API-Key": secret}),
            client.get("/t/operator", headers=bearer(expired)),
            client.get("/sparql", params={"query": "ASK {}"}, headers=bearer(secret + "x")),
            client.post("/dsp/2025-1/catalog/request", json={}, headers=bearer(secret)),
            client.get("/dsp/data/trainings", headers=bearer(expired)),
            client.get("/dsp/data/trainings", headers=bearer("dspt_" + secret)),
        ]
    logging.getLogger("connector.test").info("login", extra={"access_token": secret, "Authorization": "Bearer x"})
    out, err = capfd.readouterr()
    for text in [out, err, caplog.text, *(a.text for a in answers)]:
        assert secret not in text and expired not in text
    assert [a.status_code for a in answers] == [401] * len(answers)
    assert '"access_token": "[redacted]"' in err


def test_invalid_oidc_settings_fail_at_start() -> None:
    from connector.config import ConfigError

    with pytest.raises(ConfigError, match="CONNECTOR_OIDC_AUDIENCE"):
        load_settings(oidc_issuer=ISSUER)
    with pytest.raises(ConfigError, match="HS256"):
        load_settings(oidc_issuer=ISSUER, oidc_audience="a", oidc_jwks="x", oidc_algorithms=["HS256"])


def test_key_file_is_not_world_readable_after_first_run(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "var")
    ensure_operator_key(settings)
    assert os.stat(settings.api_key_path).st_mode & 0o077 == 0


def test_cli_makes_lists_and_revokes_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from connector.cli.main import app

    monkeypatch.setenv("CONNECTOR_HOME", str(tmp_path / "var"))
    runner = CliRunner()
    made = runner.invoke(app, ["auth", "new-key", "partner-x", "--role", "partner", "--save"])
    assert made.exit_code == 0, made.output
    secret = made.output.split(": ", 1)[1].split()[0]
    listed = runner.invoke(app, ["auth", "keys"])
    assert listed.exit_code == 0 and "partner-x\tpartner" in listed.output and secret not in listed.output
    with _app(tmp_path) as client:
        assert client.get("/t/operator", headers=bearer(secret)).status_code == 403
        assert runner.invoke(app, ["auth", "revoke", "partner-x"]).exit_code == 0
        assert client.get("/t/operator", headers=bearer(secret)).status_code == 401
    missing = runner.invoke(app, ["auth", "revoke", "partner-x"])
    assert missing.exit_code == 1 and "no key labelled" in missing.output


class _RecordingResolver:
    """Accepts ``op`` and ``val`` tokens and records, for each resolution, whether it ran on the event loop."""

    def __init__(self) -> None:
        self.on_loop: list[bool] = []

    def resolve(self, token: str) -> Principal | None:
        try:
            asyncio.get_running_loop()
            self.on_loop.append(True)
        except RuntimeError:
            self.on_loop.append(False)
        roles = {"op": "operator", "val": "validator"}.get(token)
        return Principal(f"test:{token}", frozenset({roles})) if roles else None


def test_late_role_checks_resolve_credentials_off_the_event_loop_once_per_request(tmp_path: Path) -> None:
    """Routes that decide inside an async handler whether a role is needed (validating a published dataset, an
    upload above the anonymous limit, a Graph Store write) must not run resolvers on the event loop: an identity
    provider's key fetch would stall every other request."""
    with _app(tmp_path, validation_anonymous_max_bytes=64) as client:
        recorder = _RecordingResolver()
        client.app.state.resolvers.insert(0, recorder)
        turtle = "@prefix ex: <http://example.org/> .\n" + "".join(f"ex:s{i} ex:p {i} .\n" for i in range(20))
        calls = [
            lambda: client.post("/validate?dataset=trainings&profile=gen-training", headers=bearer("val")),
            lambda: client.post(
                "/validate?profile=gen-training",
                content=turtle,
                headers={**bearer("val"), "Content-Type": "text/turtle"},
            ),
            lambda: client.put(
                "/store?graph=urn:test:g",
                content=turtle,
                headers={**bearer("op"), "Content-Type": "text/turtle"},
            ),
        ]
        for call in calls:
            recorder.on_loop.clear()
            r = call()
            assert r.status_code < 500, r.text
            assert r.status_code not in (401, 403), r.text
            assert recorder.on_loop == [False], "resolved on the event loop, or more than once"
        r = client.post("/validate?profile=gen-training", content=turtle, headers={"Content-Type": "text/turtle"})
        assert r.status_code == 401
        r = client.put(
            "/store?graph=urn:test:g", content=turtle, headers={**bearer("val"), "Content-Type": "text/turtle"}
        )
        assert r.status_code == 403
