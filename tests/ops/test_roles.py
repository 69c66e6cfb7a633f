"""Every route protected by ``require_role`` answers 401 without credentials and 403 with a wrong role.

The routes are found by walking the app's dependency tree, so routes added by any capability are covered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.api.deps import require_role
from connector.auth import ROLES
from connector.auth.configured import append_key_entry, new_api_key
from connector.config import load_settings
from connector.context import Context
from tests.ops.routes import api_routes, route_paths

OPEN_ROUTES = {"/health/live", "/health/ready", "/metrics", "/sparql", "/openapi.json", "/docs"}
"""Anonymous access: probes, metrics (unless metrics_role is set), open SPARQL, the API description."""


def protected_routes(app: FastAPI) -> list[tuple[str, str, frozenset[str]]]:
    found = []
    for path, methods, dependant in api_routes(app):
        stack, roles = [dependant], set()
        while stack:
            dep = stack.pop()
            roles |= getattr(dep.call, "required_roles", frozenset())
            stack.extend(dep.dependencies)
        if roles:
            for method in sorted(methods - {"HEAD", "OPTIONS"}):
                found.append((method, path, frozenset(roles)))
    return found


@pytest.fixture
def app_and_keys(tmp_path: Path) -> tuple[FastAPI, dict[str, str]]:
    settings = load_settings(home=tmp_path / "var", rate_limit_anonymous_per_minute=0)
    keys = {}
    for role in ROLES:
        keys[role] = new_api_key()
        append_key_entry(settings.api_key_path, f"{role}-key", [role], keys[role])
    return create_app(Context(settings)), keys


def _check(client: TestClient, keys: dict[str, str], method: str, path: str, roles: frozenset[str]) -> None:
    url = re.sub(r"\{[^}]+\}", "x", path)
    r = client.request(method, url)
    assert r.status_code == 401, f"{method} {path} without credentials: {r.status_code}"
    assert r.headers["content-type"] == "application/problem+json"
    for role in set(ROLES) - roles:
        r = client.request(method, url, headers={"Authorization": f"Bearer {keys[role]}"})
        assert r.status_code == 403, f"{method} {path} as {role}: {r.status_code}"
        assert keys[role] not in r.text


OPEN_BY_DESIGN = {
    "/",
    "/.well-known/dspace-version",
    "/.well-known/did.json",
    "/.well-known/void",
    "/dsp/data/{dataset_id}",
}
"""The console; DSP version discovery and the did:web document; the data plane serves open datasets to anyone
and contract ones to token holders (checked below)."""
OPEN_PREFIXES = (
    "/static/",
    "/console/",
    "/id/",
    "/rome/",
    "/ontology",
    "/shapes/",
    "/void",
    "/catalog",
    "/datasets",
    "/validate",
)
"""Anonymous by design (issue 8: open datasets, catalog, console): console assets, linked-data pages of open data,
the application profile and shapes, VoID and catalog descriptions, ROME linked-data pages, and the validation
service (anonymous up to a small upload size; larger uploads need the validator role, tested in tests/validation)."""
OPEN_READS = {"/store", "/store/{path:path}"}
"""Graph Store Protocol reads follow access rights: anyone may read open graphs; writes need the operator role."""


def test_every_route_but_the_open_ones_refuses_anonymous_callers(app_and_keys) -> None:
    app, _ = app_and_keys
    client = TestClient(app)
    assert {"/health/ready", "/sparql/update", "/metrics"} <= route_paths(app)  # the walk sees included routers
    checked = 0
    for path, methods, _ in api_routes(app):
        if path in OPEN_ROUTES | OPEN_BY_DESIGN or path.startswith(OPEN_PREFIXES):
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            if method == "GET" and path in OPEN_READS:
                continue
            url = re.sub(r"\{[^}]+\}", "x", path)
            r = client.request(method, url, json={} if method in ("POST", "PUT", "PATCH") else None)
            # 405: a method the route declares only to refuse it for everyone (e.g. PATCH on the graph store)
            assert r.status_code in (401, 405), f"{method} {path} answered {r.status_code} to an anonymous caller"
            checked += 1
    print(f"{checked} protected operations refuse anonymous callers")


def test_contract_dataset_dump_needs_a_transfer_token(app_and_keys) -> None:
    app, keys = app_and_keys
    client = TestClient(app)
    assert client.get("/dsp/data/trainings").status_code == 401
    # an API key, even an operator's, is not a transfer token for an agreement
    assert client.get("/dsp/data/trainings", headers={"X-API-Key": keys["partner"]}).status_code == 403


def test_every_role_protected_route_refuses_wrong_roles(app_and_keys) -> None:
    app, keys = app_and_keys
    client = TestClient(app)
    for method, path, roles in protected_routes(app):
        _check(client, keys, method, path, roles)


def test_detector_finds_roles_on_route_and_router_dependencies(app_and_keys) -> None:
    app, keys = app_and_keys

    @app.post("/t/jobs/{job_id}", dependencies=[Depends(require_role("operator"))])
    def job(job_id: str) -> dict[str, str]:
        return {"job": job_id}

    @app.get("/t/report")
    def report(p=Depends(require_role("validator", "operator"))) -> dict[str, str]:
        return {"who": p.subject}

    routes = protected_routes(app)
    assert ("POST", "/t/jobs/{job_id}", frozenset({"operator"})) in routes
    assert ("GET", "/t/report", frozenset({"validator", "operator"})) in routes
    client = TestClient(app)
    for method, path, roles in routes:
        _check(client, keys, method, path, roles)
    assert client.post("/t/jobs/7", headers={"X-API-Key": keys["operator"]}).json() == {"job": "7"}
