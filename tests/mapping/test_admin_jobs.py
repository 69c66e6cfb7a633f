"""``/admin/jobs``: auth (401/403), uploads, inbox paths without traversal, state, report and quarantine."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connector.api.app import create_app
from connector.auth import hash_key
from connector.config import load_settings
from connector.context import Context
from tests.mapping.conftest import HEADER, load_vocab, row

OPERATOR = "gsk_operator-secret"
PARTNER = "gsk_partner-secret"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for var in [v for v in __import__("os").environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)
    settings = load_settings(
        home=tmp_path / "var",
        mapping_workers=1,
        mapping_max_upload_bytes=50_000,
        api_keys=[f"ops:operator:{hash_key(OPERATOR)}", f"p:partner:{hash_key(PARTNER)}"],
    )
    ctx = Context(settings)
    load_vocab(ctx)
    (tmp_path / "var" / "inbox").mkdir(parents=True)
    (tmp_path / "var" / "inbox" / "t.csv").write_text(
        HEADER + "\n" + row("IN1") + "\n" + row("IN2", rome="M1999") + "\n"
    )
    (tmp_path / "secret.csv").write_text(HEADER + "\n" + row("S1") + "\n")
    with TestClient(create_app(ctx)) as c:
        yield c
    ctx.close()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def wait(client: TestClient, job_id: str) -> dict:
    for _ in range(300):
        status = client.get(f"/admin/jobs/{job_id}", headers=auth(OPERATOR)).json()
        if status["state"] not in ("queued", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_auth_is_required(client: TestClient) -> None:
    for method, url in (
        ("get", "/admin/jobs"),
        ("get", "/admin/jobs/20260101T000000-00000000"),
        ("post", "/admin/jobs"),
    ):
        anonymous = getattr(client, method)(url)
        assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"
        assert getattr(client, method)(url, headers=auth(PARTNER)).status_code == 403
        assert getattr(client, method)(url, headers=auth("gsk_wrong")).status_code == 401


def test_upload_job_state_report_and_quarantine(client: TestClient) -> None:
    body = (HEADER + "\n" + row("U1") + "\n" + row("U2", lat="123") + "\n").encode()
    response = client.post(
        "/admin/jobs",
        data={"kind": "trainings"},
        files=[("files", ("gen.csv", body, "text/csv"))],
        headers=auth(OPERATOR),
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.headers["location"] == f"/admin/jobs/{job_id}"
    status = wait(client, job_id)
    assert status["state"] == "succeeded" and status["counts"]["mapped"] == 1 and status["counts"]["rejected"] == 1
    report = client.get(f"/admin/jobs/{job_id}/report", headers=auth(OPERATOR)).json()
    assert report["operator"] == "key:ops" and report["inputs"][0]["file"] == "01-gen.csv"
    lines = client.get(f"/admin/jobs/{job_id}/quarantine", headers=auth(OPERATOR)).text.splitlines()
    assert [json.loads(line)["record_id"] for line in lines] == ["U2"]
    listed = client.get("/admin/jobs", headers=auth(OPERATOR)).json()
    assert listed[0]["id"] == job_id


def test_inbox_paths_and_traversal(client: TestClient) -> None:
    ok = client.post("/admin/jobs", data={"kind": "trainings", "paths": ["t.csv"]}, headers=auth(OPERATOR))
    assert ok.status_code == 202
    assert wait(client, ok.json()["id"])["counts"]["rejected"] == 1
    for path in ("../secret.csv", "/etc/passwd", "../../secret.csv"):
        refused = client.post("/admin/jobs", data={"kind": "trainings", "paths": [path]}, headers=auth(OPERATOR))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"kind": "pdf", "paths": ["t.csv"]}, 400),
        ({"kind": "trainings"}, 400),
        ({"kind": "trainings", "paths": ["t.csv"], "max_errors": "lots"}, 400),
        ({"kind": "trainings", "paths": ["nope.csv"]}, 404),
    ],
)
def test_bad_requests(client: TestClient, data: dict, status: int) -> None:
    response = client.post("/admin/jobs", data=data, headers=auth(OPERATOR))
    assert response.status_code == status and response.headers["content-type"] == "application/problem+json"


def test_upload_too_large_and_unknown_job(client: TestClient) -> None:
    big = client.post(
        "/admin/jobs",
        data={"kind": "trainings"},
        files=[("files", ("big.csv", b"x" * 60_000, "text/csv"))],
        headers=auth(OPERATOR),
    )
    assert big.status_code == 413
    for url in ("/admin/jobs/20260101T000000-00000000", "/admin/jobs/..%2F..%2Fetc/report", "/admin/jobs/x/quarantine"):
        assert client.get(url, headers=auth(OPERATOR)).status_code == 404
