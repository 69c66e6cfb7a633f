"""Two connector processes on 127.0.0.1: B reads A's catalog, negotiates the GEN trainings, starts a pull transfer,
queries A's SPARQL endpoint with the token, and loses access once A terminates the transfer.

B authenticates to A with an EdDSA JWT (A knows B's public key); A calls B back with a static bearer token.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connector.dsp.messages import DataAddress
from connector.dsp.sqlite import SqliteRepository
from connector.dsp.states import Kind
from tests.servers import connector_process, free_port

FIXTURES = Path(__file__).parent.parent / "fixtures"
A_ID, B_ID = "did:web:a.example", "did:web:b.example"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_two_connectors_negotiate_transfer_query_and_revoke(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "b-key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    b_public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    port_a, port_b = free_port(), free_port()
    env_a = {
        "CONNECTOR_HOME": str(tmp_path / "a"),
        "CONNECTOR_PARTICIPANT_ID": A_ID,
        "CONNECTOR_PORT": str(port_a),
        "CONNECTOR_DSP_PARTICIPANTS": json.dumps(
            [
                {
                    "id": B_ID,
                    "public_key": b_public.decode(),
                    "callback_hosts": ["127.0.0.1"],
                    "member": True,
                    "outbound_token": "a-to-b-secret",
                }
            ]  # fmt: skip
        ),
    }
    env_b = {
        "CONNECTOR_HOME": str(tmp_path / "b"),
        "CONNECTOR_PARTICIPANT_ID": B_ID,
        "CONNECTOR_PORT": str(port_b),
        "CONNECTOR_DSP_SIGNING_KEY": str(key_file),
        "CONNECTOR_DSP_PARTICIPANTS": json.dumps(
            [{"id": A_ID, "token_sha256": _sha("a-to-b-secret"), "callback_hosts": ["127.0.0.1"]}]
        ),
    }
    loaded = cli(env_a, "store", "load", "trainings", str(FIXTURES / "small.ttl"))
    assert loaded.returncode == 0, loaded.stderr
    with connector_process(["serve"], env_a, port_a) as url_a, connector_process(["serve"], env_b, port_b):
        shown = cli(env_b, "dsp", "catalog", url_a)
        assert shown.returncode == 0 and "did:web:a.example" in shown.stderr, shown.stderr
        doc = json.loads(cli(env_b, "dsp", "catalog", url_a, "--json").stdout)
        trainings = next(d for d in doc["dataset"] if d["dct:identifier"] == "trainings")
        assert trainings["http://rdfs.org/ns/void#triples"] == 11
        assert trainings["hasPolicy"][0]["@id"].endswith("trainings/members-skills-matching-research")

        refused = cli(env_b, "dsp", "negotiate", url_a, "trainings", "--purpose", "advertising")
        assert refused.returncode == 1 and "advertising is not allowed" in refused.stderr, refused.stderr

        negotiated = cli(env_b, "dsp", "negotiate", url_a, "trainings", "--purpose", "research")
        assert negotiated.returncode == 0, negotiated.stderr
        agreement = re.search(r"agreement: (\S+)", negotiated.stdout).group(1)

        started = cli(env_b, "dsp", "transfer", url_a, agreement)
        assert started.returncode == 0, started.stderr
        transfer = re.search(r"transfer: (\S+)", started.stdout).group(1)

        answered = cli(env_b, "dsp", "query", url_a, transfer, COUNT)
        assert answered.returncode == 0, answered.stderr
        assert int(json.loads(answered.stdout)["results"]["bindings"][0]["n"]["value"]) == 11

        repo_b = SqliteRepository(tmp_path / "b" / "state" / "dsp.sqlite")
        address = DataAddress.model_validate(repo_b.get(Kind.TRANSFER, transfer).data["data_address"])
        token = address.property("authorization")
        repo_b.close()
        direct = requests.post(address.endpoint, data={"query": COUNT}, headers={"Authorization": f"Bearer {token}"})
        assert direct.status_code == 200

        listed = [json.loads(line) for line in cli(env_a, "dsp", "processes", "--json").stdout.splitlines()]
        (provider_pid,) = [p["pid"] for p in listed if p["kind"] == "transfer" and p["peer_pid"] == transfer]
        ended = cli(env_a, "dsp", "terminate", provider_pid, "--reason", "audit")
        assert ended.returncode == 0 and "TERMINATED" in ended.stdout, ended.stderr

        denied = cli(env_b, "dsp", "query", url_a, transfer, COUNT)
        assert denied.returncode == 1
        assert "TERMINATED" in denied.stderr  # B was told its transfer is terminated...
        direct = requests.post(address.endpoint, data={"query": COUNT}, headers={"Authorization": f"Bearer {token}"})
        assert direct.status_code == 401  # ... and A refuses the token itself
        assert "revoked" in direct.json()["detail"]


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    env = {"CONNECTOR_HOME": str(tmp_path / "c")}
    missing = cli(env, "dsp", "query", "http://127.0.0.1:9", "urn:uuid:none", "ASK {}")
    assert missing.returncode == 2 and missing.stderr.startswith("error: no transfer urn:uuid:none")
    unreachable = cli(env, "dsp", "catalog", f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 1 and unreachable.stderr.startswith("error:")
    assert "Traceback" not in unreachable.stderr and len(unreachable.stderr.strip().splitlines()) == 1
    unknown = cli(env, "dsp", "terminate", "urn:uuid:none")
    assert unknown.returncode == 2 and "no negotiation or transfer" in unknown.stderr
