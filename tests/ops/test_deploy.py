"""Deployment files: the Dockerfile, compose file and Helm chart parse and point at things that exist.

No container engine or helm binary is assumed: ``docker compose config`` runs where the compose plugin exists and
``helm lint``/``helm template`` where helm exists; the structural checks below run everywhere.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import yaml

from connector.api.app import create_app
from connector.config import Settings, load_settings
from connector.context import Context
from tests.ops.routes import route_paths

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "gen-skills-connector"


def _routes() -> set[str]:
    return route_paths(create_app(Context(load_settings())))


def _setting_names() -> set[str]:
    return {f"CONNECTOR_{name.upper()}" for name in Settings.model_fields}


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_multistage_non_root_with_healthcheck_and_existing_sources() -> None:
    steps = _instructions(DEPLOY / "Dockerfile")
    stages = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    assert len(stages) >= 2
    final = steps[stages[-1] :]
    users = [arg for word, arg in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    health = [arg for word, arg in final if word == "HEALTHCHECK"]
    assert health and "/health/live" in health[0] and "/health/live" in _routes()
    runs = " ".join(arg for word, arg in final if word == "RUN")
    assert not re.search(r"\b(gcc|build-essential|make|pip install)\b", runs), runs
    for word, arg in steps:
        if word == "COPY" and "--from=" not in arg:
            *sources, _dest = shlex.split(arg)
            for src in (s for s in sources if not s.startswith("--")):
                assert (ROOT / src).exists(), f"COPY source {src} missing"
    entry = next(arg for word, arg in final if word == "ENTRYPOINT")
    assert '"connector"' in entry and (ROOT / "connector" / "__main__.py").exists()
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", "var", "tests"} <= set(ignored)
    for name in re.findall(r"\b(CONNECTOR_[A-Z_]+)=", " ".join(arg for word, arg in final if word == "ENV")):
        assert name in _setting_names(), name


def test_compose_file_wires_connector_to_oxigraph_with_volumes() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"connector", "oxigraph"} <= set(services)
    connector, oxigraph = services["connector"], services["oxigraph"]
    build = connector["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (DEPLOY / "Dockerfile").resolve()
    env = connector["environment"]
    assert env["CONNECTOR_STORE"] == "remote"
    assert set(env) <= _setting_names(), set(env) - _setting_names()
    for key in ("CONNECTOR_STORE_QUERY_URL", "CONNECTOR_STORE_UPDATE_URL", "CONNECTOR_STORE_GRAPH_URL"):
        assert env[key].startswith("http://oxigraph:7878/")
    assert "--location" in oxigraph["command"] and "0.0.0.0:7878" in oxigraph["command"]
    used = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}
    assert used == set(compose["volumes"]) == {"oxigraph-data", "connector-home", "postgres-data"}
    assert services["postgres"]["profiles"] == ["postgres"]  # optional: DSP state for several replicas
    assert connector["command"] == ["demo"]  # loads the demo data at first start, skips it afterwards
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        checked = subprocess.run(
            ["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "-q"], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr


def _value_exists(values: dict, dotted: str) -> bool:
    node: object = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_helm_chart_templates_reference_defined_values_and_real_probes() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "gen-skills-connector" and chart["version"]
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    templates = {p.name: p.read_text() for p in (CHART / "templates").iterdir()}
    kinds = {m for text in templates.values() for m in re.findall(r"^kind: (\w+)", text, re.MULTILINE)}
    assert {"Deployment", "Service", "ConfigMap", "Secret"} <= kinds
    for name, text in templates.items():
        assert text.count("{{") == text.count("}}"), name
        for ref in re.findall(r"\.Values\.([A-Za-z0-9_.]+)", text):
            assert _value_exists(values, ref), f"{name}: .Values.{ref} not in values.yaml"
        for setting in re.findall(r"\b(CONNECTOR_[A-Z_]+)\b", text):
            assert setting in _setting_names(), f"{name}: unknown setting {setting}"
    for setting in values["extraConfig"]:
        assert setting in _setting_names(), setting
    routes = _routes()
    assert values["probes"]["liveness"]["path"] in routes and values["probes"]["readiness"]["path"] in routes
    deployment = templates["deployment.yaml"]
    for needed in ("livenessProbe", "readinessProbe", "resources", "runAsNonRoot", "secretKeyRef", "configMapRef"):
        assert needed in deployment or needed in (CHART / "values.yaml").read_text(), needed
    assert values["podSecurityContext"]["runAsNonRoot"] is True and values["resources"]["limits"]["memory"]
    if shutil.which("helm"):
        lint = subprocess.run(["helm", "lint", str(CHART)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        rendered = subprocess.run(["helm", "template", "t", str(CHART)], capture_output=True, text=True, check=True)
        docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
        assert {"Deployment", "Service", "ConfigMap", "Secret"} <= {d["kind"] for d in docs}
