"""``skills-connector``: the command-line entry point and its subcommands."""

from __future__ import annotations

import typer

from connector import __version__
from connector.auth import ROLES, hash_key
from connector.auth.configured import (
    append_key_entry,
    ensure_operator_key,
    key_file_entries,
    new_api_key,
    revoke_label,
)
from connector.cli import dsp, mapping, store, validate, vocab
from connector.cli.common import EXIT_USAGE, core_context, fail
from connector.cli.progress import RichProgress, console
from connector.context import Context
from connector.logs import configure_logging
from connector.pipeline import demo_stages, run_pipeline

app = typer.Typer(
    help="GEN skills dataspace connector: vocabularies, mapping jobs, validation, SPARQL and DSP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(store.app, name="store")
app.command("validate")(validate.validate_command)
app.add_typer(dsp.app, name="dsp")
app.add_typer(vocab.app, name="vocab")
app.add_typer(mapping.app, name="map")
app.add_typer(mapping.sample_app, name="sample")


def _print_urls(ctx: Context) -> None:
    base = ctx.settings.base_url
    console.print(
        f"\n[bold]Connector serving on {base}[/bold]\n"
        f"  console  {base}/\n"
        f"  SPARQL   {base}/sparql\n"
        f"  API docs {base}/docs\n"
        f"  DSP      {base}/.well-known/dspace-version\n"
        f"  health   {base}/health/ready\n",
        highlight=False,
    )


def _first_run_key(ctx: Context) -> None:
    """No operator credential yet: make one, show it this once, keep only its hash."""
    secret = ensure_operator_key(ctx.settings)
    if secret:
        console.print(
            f"[bold yellow]First run: operator API key (shown once, only its hash is kept in "
            f"{ctx.settings.api_key_path}):[/bold yellow]\n  {secret}\n"
            "  use it as 'Authorization: Bearer <key>'; more keys: skills-connector auth new-key --save",
            highlight=False,
            soft_wrap=True,
        )


def _serve(ctx: Context) -> None:
    import uvicorn

    from connector.api.app import create_app

    configure_logging(ctx.settings.log_level, ctx.settings.log_format)
    _print_urls(ctx)
    # no "server: uvicorn" banner: nothing tells a scanner which software answers
    uvicorn.run(
        create_app(ctx),
        host=ctx.settings.host,
        port=ctx.settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


@app.command()
def serve() -> None:
    """Start the HTTP app (SPARQL, DSP, validation, admin) with uvicorn."""
    with core_context() as ctx:
        _serve(ctx)


@app.command()
def demo() -> None:
    """Run the pipeline on the bundled data (skipping unchanged stages), then serve."""
    with core_context() as ctx:
        report = run_pipeline(ctx, demo_stages(), RichProgress())
        for outcome in report.outcomes:
            state = "unchanged" if outcome.skipped else outcome.summary
            console.print(f"  {outcome.name:<12} {outcome.triples:>12,} triples  {state}", highlight=False)
        console.print(f"[green]pipeline:[/green] {report.summary}", highlight=False)
        _first_run_key(ctx)
        _serve(ctx)


auth_app = typer.Typer(help="Credentials.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")


@auth_app.command("new-key")
def new_key(
    label: str = typer.Argument(..., help="Who the key is for."),
    roles: list[str] = typer.Option(..., "--role", help=f"Role(s): {', '.join(ROLES)}."),
    save: bool = typer.Option(False, "--save", help="Append the hashed entry to the key file (no restart needed)."),
) -> None:
    """Make an API key: prints the secret once and the entry to add to CONNECTOR_API_KEYS (or saves it)."""
    bad = [r for r in roles if r not in ROLES]
    if bad or ":" in label:
        raise fail(f"unknown role(s) {bad} (known: {', '.join(ROLES)}) or ':' in label", EXIT_USAGE)
    secret = new_api_key()
    typer.echo(f"key (give it to {label}, it is not stored): {secret}")
    if save:
        with core_context() as ctx:
            append_key_entry(ctx.settings.api_key_path, label, roles, secret)
            typer.echo(f"hashed entry appended to {ctx.settings.api_key_path}")
    else:
        typer.echo(f"entry for CONNECTOR_API_KEYS: {label}:{'+'.join(roles)}:{hash_key(secret)}")


@auth_app.command("keys")
def list_keys() -> None:
    """List the keys of the key file (label and roles; secrets and hashes are not shown)."""
    with core_context() as ctx:
        for label, roles in key_file_entries(ctx.settings.api_key_path):
            typer.echo(f"{label}\t{roles}")


@auth_app.command("revoke")
def revoke(label: str = typer.Argument(..., help="Label of the key(s) to remove from the key file.")) -> None:
    """Revoke the key(s) of LABEL in the key file; running servers stop accepting them at once."""
    with core_context() as ctx:
        removed = revoke_label(ctx.settings.api_key_path, label)
        if not removed:
            raise fail(f"no key labelled {label!r} in {ctx.settings.api_key_path}")
        typer.echo(f"revoked {removed} key(s) labelled {label}")


@app.command("settings")
def settings_table() -> None:
    """Print every setting (environment variable, default, meaning) as a Markdown table."""
    from connector.config import settings_reference

    typer.echo(settings_reference(), nl=False)


@app.command()
def version() -> None:
    """Print the connector version."""
    typer.echo(__version__)


def run() -> None:
    """Console-script entry point: usage errors exit 2, failures 1, never a traceback for expected errors."""
    app()
