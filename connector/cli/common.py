"""What every command shares: building the context and turning core errors into one line and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from connector.cli.progress import console
from connector.config import ConfigError, load_settings
from connector.context import Context
from connector.store import StoreError

EXIT_FAILURE = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print one error line and return the Exit to raise."""
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def core_context() -> Iterator[Context]:
    """A Context from the environment; configuration and store errors become one line and exit 1."""
    try:
        ctx = Context(load_settings())
    except ConfigError as exc:
        raise fail(str(exc)) from None
    try:
        yield ctx
    except StoreError as exc:
        raise fail(f"store: {exc}") from None
    finally:
        ctx.close()
