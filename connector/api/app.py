"""The HTTP application: one FastAPI app over one :class:`Context`."""

from __future__ import annotations

from fastapi import FastAPI

from connector import __version__
from connector.api.middleware import RequestIdMiddleware
from connector.api.problems import install_problem_handlers
from connector.api.routers import admin_jobs, health, sparql, validate
from connector.auth import ApiKeyResolver, CredentialResolver
from connector.context import Context


def create_app(ctx: Context | None = None, *, initial_load_done: bool = True) -> FastAPI:
    """Build the app. ``initial_load_done`` is False while a pipeline still loads data (readiness waits)."""
    ctx = ctx or Context()
    app = FastAPI(
        title="GEN skills dataspace connector",
        version=__version__,
        description="ESCO and ROME 4.0 linked data, GEN trainings and job sheets, SHACL validation, "
        "SPARQL 1.1 and the Eclipse Dataspace Protocol 2025-1.",
    )
    app.state.ctx = ctx
    app.state.initial_load_done = initial_load_done
    app.state.resolvers: list[CredentialResolver] = [ApiKeyResolver(ctx.settings.api_keys)]
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(sparql.router)
    app.include_router(validate.router)
    app.include_router(admin_jobs.router)
    return app
