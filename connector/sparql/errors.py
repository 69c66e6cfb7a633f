"""The one error type of the SPARQL core: a client mistake or a refusal, with the HTTP status it maps to."""

from __future__ import annotations


class SparqlError(Exception):
    """A request the endpoint does not run; ``status`` is 4xx, ``title`` short, ``detail`` says what to change."""

    def __init__(self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
