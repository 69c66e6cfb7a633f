from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import DEFAULT_BASE_IRI, ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for var in [v for v in os.environ if v.startswith("CONNECTOR_")]:
        monkeypatch.delenv(var)


def test_defaults() -> None:
    s = load_settings()
    assert s.home == Path("var")
    assert s.store_path == Path("var/store")
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.base_iri == DEFAULT_BASE_IRI


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONNECTOR_PORT", "9001")
    monkeypatch.setenv("CONNECTOR_HOST", "0.0.0.0")
    monkeypatch.setenv("CONNECTOR_STORE", f"oxigraph:{tmp_path / 'db'}")
    s = load_settings()
    assert (s.host, s.port) == ("0.0.0.0", 9001)
    assert s.store_path == tmp_path / "db"


def test_toml_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "connector.toml"
    config.write_text('port = 8100\nlog_level = "DEBUG"\n[connector]\nbase_iri = "https://data.example.org/"\n')
    monkeypatch.setenv("CONNECTOR_CONFIG", str(config))
    monkeypatch.setenv("CONNECTOR_PORT", "8200")
    s = load_settings()
    assert s.port == 8200
    assert s.log_level == "DEBUG"
    assert s.base_iri == "https://data.example.org/"


@pytest.mark.parametrize(
    ("var", "value", "named"),
    [
        ("CONNECTOR_PORT", "not-a-port", "CONNECTOR_PORT"),
        ("CONNECTOR_PORT", "70000", "CONNECTOR_PORT"),
        ("CONNECTOR_BASE_IRI", "ftp://x/", "CONNECTOR_BASE_IRI"),
        ("CONNECTOR_STORE", "sqlite:x", "CONNECTOR_STORE"),
        ("CONNECTOR_LOG_LEVEL", "LOUD", "CONNECTOR_LOG_LEVEL"),
    ],
)
def test_invalid_setting_is_named(monkeypatch: pytest.MonkeyPatch, var: str, value: str, named: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_remote_store_needs_its_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_STORE", "remote")
    monkeypatch.setenv("CONNECTOR_STORE_QUERY_URL", "http://127.0.0.1:1/query")
    with pytest.raises(ConfigError, match="CONNECTOR_STORE_UPDATE_URL"):
        load_settings()


def test_missing_config_file_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONNECTOR_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match="CONNECTOR_CONFIG"):
        load_settings()


def test_configuration_doc_lists_every_setting_as_generated() -> None:
    from connector.config import Settings, settings_reference

    doc = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_reference() in doc, "docs/configuration.md is stale: regenerate it with `skills-connector settings`"
    for name in Settings.model_fields:
        assert f"`CONNECTOR_{name.upper()}`" in doc
