"""The one configuration object of the connector.

Settings come from, in order of precedence: keyword arguments, ``CONNECTOR_*`` environment variables, the TOML
file named by ``CONNECTOR_CONFIG``, then the defaults below. Invalid values fail at start with a message that names
the setting (see :func:`load_settings`).
"""

from __future__ import annotations

import json
import os
import tomllib
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
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


class DspParticipant(BaseModel):
    """A dataspace partner this connector knows: how it proves its identity and where it may be called back."""

    model_config = {"extra": "forbid"}

    id: str = Field(..., min_length=1, description="Participant identifier (a DID such as did:web:partner.example).")
    token_sha256: str | None = Field(
        None, description="SHA-256 hex of the bearer token the partner sends (static identity)."
    )
    public_key: str | None = Field(
        None, description="PEM public key or JWK (JSON) verifying the partner's ES256/EdDSA JWTs (iss = id)."
    )
    callback_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts ('host' or 'host:port'; '*' = any, for test set-ups only) our callbacks may reach.",
    )
    member: bool = Field(False, description="Member of the dataspace (policies restricted to members allow it).")
    outbound_token: str | None = Field(
        None, description="Token we send in Authorization when calling this partner (else a signed JWT, if any)."
    )


class DspPolicy(BaseModel):
    """An ODRL offer template: which datasets it covers and the constraints a request must meet."""

    model_config = {"extra": "forbid"}

    id: str = Field(..., pattern=r"^[A-Za-z0-9._-]+$", description="Policy name (part of the offer IRI).")
    datasets: list[str] = Field(..., min_length=1, description="Dataset ids the offer applies to.")
    purposes: list[str] = Field(default_factory=list, description="Allowed purposes (empty: any).")
    members_only: bool = Field(False, description="Only dataspace members may agree to it.")
    not_before: datetime | None = Field(None, description="Agreements possible from this instant.")
    not_after: datetime | None = Field(None, description="Agreements and transfers possible until this instant.")
    attribution: bool = Field(False, description="Use requires attribution (odrl:attribute duty).")


DEFAULT_DSP_POLICIES = [
    DspPolicy(id="open-attribution", datasets=["esco", "rome", "alignment", "catalog"], attribution=True),
    DspPolicy(
        id="members-skills-matching-research",
        datasets=["trainings", "job-sheets"],
        purposes=["skills-matching", "research"],
        members_only=True,
        attribution=True,
    ),
]


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
    sparql_row_cap: int = Field(
        100_000,
        gt=0,
        description="Most rows (or triples) one SPARQL answer carries; larger answers are truncated "
        "and say so (header X-SPARQL-Truncated).",
    )
    sparql_workers: int = Field(
        0,
        ge=0,
        description="Query worker processes for the embedded store (0: 4 per CPU, at least 8). Extra workers let short "
        "queries run beside long ones instead of queueing behind them.",
    )
    sparql_short_query_ms: float = Field(
        5.0,
        ge=0,
        description="Repeats of a query that a worker process answered whole within this time, on the same data, run "
        "in the endpoint's process (no process hop: ~0.4 ms less per small query); 0 turns this off. Queries never "
        "seen, long or runaway ones always run in killable workers.",
    )
    sparql_allow_service: bool = Field(
        False, description="Allow SERVICE (federated queries): the server then calls other endpoints."
    )
    sparql_allow_load: bool = Field(False, description="Allow LOAD in SPARQL updates: the server then fetches URLs.")
    max_update_bytes: int = Field(10_000_000, gt=0, description="Largest accepted SPARQL update, in bytes.")
    max_upload_bytes: int = Field(
        1_000_000_000, gt=0, description="Largest RDF document accepted by the Graph Store Protocol (/store), in bytes."
    )
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
    # -- operations: authentication (see docs/operations.md) ---------------------------------------------------
    api_key_file: Path | None = Field(
        None,
        description="File of API key entries (same format as CONNECTOR_API_KEYS, one per line, '#' comments); "
        "re-read when it changes. Default <home>/auth/api-keys.",
    )
    oidc_issuer: str | None = Field(None, description="OIDC: expected 'iss' of bearer JWTs; unset = OIDC off.")
    oidc_audience: str | None = Field(None, description="OIDC: expected 'aud' (this connector's client id).")
    oidc_jwks: str | None = Field(None, description="OIDC: JWKS as a file path or an http(s) URL (jwks_uri).")
    oidc_roles_claim: str = Field(
        "roles", description="OIDC: claim holding the roles; dotted path, e.g. 'realm_access.roles' (Keycloak)."
    )
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description="OIDC: identity-provider role name -> connector role (operator/validator/partner); "
        "names equal to a connector role map to themselves.",
    )
    oidc_participant_claim: str | None = Field(
        None, description="OIDC: claim holding the caller's dataspace participant id (partners)."
    )
    oidc_algorithms: list[str] = Field(
        ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"],
        description="OIDC: accepted JWS algorithms (asymmetric only).",
    )
    oidc_leeway_s: float = Field(30.0, ge=0, description="OIDC: clock skew tolerated on exp/nbf/iat, seconds.")
    oidc_jwks_cache_s: float = Field(300.0, gt=0, description="OIDC: how long a fetched JWKS is reused, seconds.")
    dsp_database_url: str | None = Field(
        None,
        description="DSP state in PostgreSQL ('postgresql://user@host:5432/db'), shared by several replicas; "
        "unset = SQLite in <home>/state/dsp.sqlite (one process).",
    )
    # -- operations: limits ---------------------------------------------------------------------------------------
    max_body_bytes: int = Field(1_048_576, gt=0, description="Largest request body by default (413 above).")
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {
            "/admin/jobs": 268_435_456,
            "/store": 1_073_741_824,
            "/validate": 67_108_864,
            "/sparql": 10_485_760,
            "/update": 10_485_760,
            "/dsp/": 16_777_216,
        },
        description="Largest request body per path prefix (longest prefix wins), overriding max_body_bytes; an "
        "outer guard, never below the capability's own limit (uploads, updates, GSP, validation).",
    )
    rate_limit_anonymous_per_minute: int = Field(
        600, ge=0, description="Requests per minute per client IP without credentials (0 = unlimited)."
    )
    rate_limit_authenticated_per_minute: int = Field(
        3000, ge=0, description="Requests per minute per credential (0 = unlimited)."
    )
    rate_limit_burst: int = Field(60, gt=0, description="Requests a client may send at once above its steady rate.")
    rate_limit_exempt: list[str] = Field(
        ["/health/", "/metrics"], description="Path prefixes never rate limited (probes, scrapes)."
    )
    max_concurrent_queries: int = Field(
        8, gt=0, description="SPARQL queries evaluated at once per process; more wait, then 503."
    )
    query_queue_timeout_s: float = Field(
        5.0, ge=0, description="How long a SPARQL query waits for a free slot before 503 + Retry-After."
    )
    # -- operations: observability ------------------------------------------------------------------------------------
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at /metrics.")
    metrics_role: Literal["operator", "validator", "partner"] | None = Field(
        None, description="Role required to read /metrics (unset = open, for in-cluster scrapers)."
    )
    ready_datasets: list[str] = Field(
        ["rome", "esco"], description="Datasets whose graphs must be non-empty for /health/ready."
    )

    dsp_participants: list[DspParticipant] = Field(
        default_factory=list, description="Dataspace partners (JSON list in the environment); see docs/dataspace.md."
    )
    dsp_policies: list[DspPolicy] = Field(
        default_factory=lambda: list(DEFAULT_DSP_POLICIES),
        description="ODRL offer templates per dataset (JSON list in the environment); see docs/dataspace.md.",
    )
    dsp_signing_key: Path | None = Field(
        None, description="PEM private key (EC P-256 or Ed25519) signing the JWTs this connector sends to partners."
    )
    dsp_jwt_clock_skew_s: int = Field(60, ge=0, description="Tolerated clock skew when checking partner JWTs.")
    dsp_transfer_token_ttl_s: int = Field(3600, gt=0, description="Lifetime of a transfer (data access) token.")
    dsp_max_body_bytes: int = Field(1_000_000, gt=0, description="Largest accepted DSP message, in bytes.")
    dsp_catalog_page_size: int = Field(50, gt=0, le=1000, description="Datasets per catalog page (Link rel=next).")
    dsp_tck_mode: bool = Field(
        False, description="Seed what the Eclipse Dataspace TCK expects and expose its trigger endpoints (tests only)."
    )
    dsp_tck_participant: str = Field("TCK_PARTICIPANT", description="TCK mode: the TCK's participant id.")
    dsp_tck_token: str = Field("tck-token", description="TCK mode: the bearer token the TCK sends.")
    dsp_tck_callback_hosts: list[str] = Field(
        default_factory=lambda: ["host.docker.internal", "localhost", "127.0.0.1", "::1"],
        description="TCK mode: hosts the TCK's callback address may point to.",
    )

    mapping_max_file_bytes: int = Field(
        2_000_000_000, gt=0, description="Mapping jobs: largest accepted input file, in bytes."
    )
    mapping_max_field_chars: int = Field(
        10_000, gt=0, description="Mapping jobs: longest accepted field value; longer ones reject the record."
    )
    mapping_workers: int = Field(
        2,
        ge=1,
        description="Mapping jobs: processes mapping and validating changed records in parallel (1 = in-process).",
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

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if self.oidc_issuer and not (self.oidc_audience and self.oidc_jwks):
            raise ValueError("oidc_issuer needs CONNECTOR_OIDC_AUDIENCE and CONNECTOR_OIDC_JWKS")
        unsafe = [a for a in self.oidc_algorithms if a.upper().startswith("HS") or a.lower() == "none"]
        if unsafe:
            raise ValueError(f"oidc_algorithms: symmetric or 'none' algorithms are refused: {unsafe}")
        return self

    @field_validator("dsp_database_url")
    @classmethod
    def _dsp_database_url_shape(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a PostgreSQL URL 'postgresql://user[:password]@host[:port]/database'")
        return value or None

    @cached_property
    def api_key_path(self) -> Path:
        """File of API key entries (hashes only)."""
        return self.api_key_file or self.home / "auth" / "api-keys"

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


def settings_reference() -> str:
    """Every setting as a Markdown table (variable, default, meaning): the source of docs/configuration.md."""
    from pydantic_core import to_jsonable_python

    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        shown = json.dumps(to_jsonable_python(default), ensure_ascii=False)
        if default is None:
            shown = "–"
        elif len(shown) > 60:
            shown = f"{len(default)} entries (see the docs)"
        else:
            shown = f"`{shown.strip(chr(34))}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `CONNECTOR_{name.upper()}` | {shown} | {description} |")
    return "\n".join(rows) + "\n"
