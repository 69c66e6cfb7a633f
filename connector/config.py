"""The one configuration object of the connector.

Settings come from, in order of precedence: keyword arguments, ``CONNECTOR_*`` environment variables, the TOML
file named by ``CONNECTOR_CONFIG``, then the defaults below. Invalid values fail at start with a message that names
the setting (see :func:`load_settings`).
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_BASE_IRI = "https://w3id.org/gen-skills/"
"""Base of every IRI the connector mints (concepts, records, graphs). Stable across versions: change it only when
the data is re-published under a new domain, since partners keep these IRIs."""


class ConfigError(Exception):
    """Raised when the configuration is invalid; the message names the offending setting."""


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the TOML file named by ``CONNECTOR_CONFIG`` (flat keys, same names as the settings)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("CONNECTOR_CONFIG")
        if not path:
            return {}
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"CONNECTOR_CONFIG: file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"CONNECTOR_CONFIG: {path} is not valid TOML: {exc}") from exc
        # Accept an optional [connector] table as well as top-level keys.
        return {**{k: v for k, v in data.items() if not isinstance(v, dict)}, **data.get("connector", {})}


class Settings(BaseSettings):
    """Connector settings. Every field maps to ``CONNECTOR_<NAME>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="CONNECTOR_", extra="forbid", validate_default=True)

    home: Path = Field(Path("var"), description="Directory for state: embedded store, job reports, DSP state.")
    store: str = Field(
        "oxigraph:",
        description="'oxigraph:<path>' for the embedded on-disk store (empty path = <home>/store), "
        "or 'remote' to use the SPARQL 1.1 Protocol / Graph Store Protocol URLs below.",
    )
    store_query_url: str | None = Field(None, description="Remote store: SPARQL query endpoint URL.")
    store_update_url: str | None = Field(None, description="Remote store: SPARQL update endpoint URL.")
    store_graph_url: str | None = Field(None, description="Remote store: Graph Store Protocol endpoint URL.")
    store_username: str | None = Field(None, description="Remote store: HTTP basic user (optional).")
    store_password: str | None = Field(None, description="Remote store: HTTP basic password (optional).")
    store_timeout_s: float = Field(60.0, gt=0, description="Remote store: HTTP timeout in seconds.")
    base_iri: str = Field(DEFAULT_BASE_IRI, description="Base IRI for minted identifiers; must end with '/'.")
    host: str = Field("127.0.0.1", description="HTTP bind address.")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port.")
    public_url: str | None = Field(
        None, description="URL partners use to reach this connector (default http://<host>:<port>)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    log_format: Literal["json", "text"] = Field("text", description="Log line format.")
    data_dir: Path | None = Field(
        None, description="Bundled source data (ROME, ESCO, demo inputs); default: the repository's data/."
    )
    query_timeout_s: float = Field(30.0, gt=0, description="SPARQL query timeout in seconds.")
    max_query_bytes: int = Field(100_000, gt=0, description="Largest accepted SPARQL query, in bytes.")
    participant_id: str = Field("did:web:gen-skills.example", description="Dataspace participant identifier.")
    shapes_dir: Path | None = Field(None, description="SHACL profiles folder; default: the repository's shapes/.")
    validation_timeout_s: float = Field(120.0, gt=0, description="Validation time limit (HTTP), in seconds.")
    validation_workers: int | None = Field(
        None, ge=1, description="Worker processes for validating large data (default: the number of CPUs)."
    )
    validation_anonymous_max_bytes: int = Field(
        256 * 1024, ge=0, description="Largest RDF upload /validate accepts without the validator role, in bytes."
    )
    validation_max_bytes: int = Field(64 * 1024 * 1024, gt=0, description="Largest RDF upload /validate accepts.")
    api_keys: list[str] = Field(
        default_factory=list,
        description="API keys as '<label>:<role>[+<role>]:<sha256 hex>' (JSON list in the environment); "
        "`skills-connector auth new-key` prints one.",
    )

    mapping_max_file_bytes: int = Field(
        2_000_000_000, gt=0, description="Mapping jobs: largest accepted input file, in bytes."
    )
    mapping_max_field_chars: int = Field(
        10_000, gt=0, description="Mapping jobs: longest accepted field value; longer ones reject the record."
    )
    mapping_workers: int = Field(
        2, ge=1, description="Mapping jobs: processes validating changed records in parallel (1 = in-process)."
    )
    mapping_inbox: Path | None = Field(
        None,
        description="Directory server-side paths given to POST /admin/jobs must be inside (default <home>/inbox).",
    )
    mapping_max_upload_bytes: int = Field(
        200_000_000, gt=0, description="POST /admin/jobs: largest accepted upload, in bytes."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @field_validator("base_iri")
    @classmethod
    def _base_iri_shape(cls, value: str) -> str:
        if not (value.startswith("http://") or value.startswith("https://")) or not value.endswith("/"):
            raise ValueError("must be an http(s) IRI ending with '/'")
        return value

    @field_validator("store")
    @classmethod
    def _store_shape(cls, value: str) -> str:
        if not (value.startswith("oxigraph:") or value == "remote"):
            raise ValueError("must be 'oxigraph:<path>' or 'remote'")
        return value

    @model_validator(mode="after")
    def _remote_urls(self) -> Settings:
        if self.store == "remote":
            missing = [
                f"CONNECTOR_{name.upper()}"
                for name in ("store_query_url", "store_update_url", "store_graph_url")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"store=remote needs {', '.join(missing)}")
        return self

    @cached_property
    def store_path(self) -> Path:
        """On-disk location of the embedded store."""
        path = self.store.removeprefix("oxigraph:")
        return Path(path) if path else self.home / "store"

    @cached_property
    def source_data_dir(self) -> Path:
        """Where the bundled source data lives (the repository's data/ unless configured)."""
        return self.data_dir or Path(__file__).resolve().parent.parent / "data"

    @property
    def base_url(self) -> str:
        """Public base URL of the HTTP app, without trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation errors into one :class:`ConfigError` naming each bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) if err["loc"] else ""
            name = f"CONNECTOR_{loc.upper()}" if loc else "configuration"
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
