"""The HTTP application: one FastAPI app over one :class:`Context`."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from connector import __version__
from connector.api.middleware import RequestMiddleware
from connector.api.operations import install_operations, watch_dsp
from connector.api.problems import install_problem_handlers
from connector.api.routers import admin_jobs, dsp, health, linked_data, sparql, validate
from connector.auth import CredentialResolver
from connector.auth.configured import configured_resolvers
from connector.context import Context


class ConnectorApp(FastAPI):
    """FastAPI behind the app's request layer: every HTTP request passes :class:`RequestMiddleware` first (request
    id, limits, metrics, access log), then the framework. The endpoints that layer serves itself (``/sparql``) thus
    skip every per-request layer of the framework (telemetry check, error and body-limit middleware, router): on a
    small query that is about a tenth of the server's own time. Their errors still become the app's problem
    documents, through the same exception handlers."""

    request_layer: RequestMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.request_layer is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await self.request_layer(scope, receive, send)


def create_app(ctx: Context | None = None, *, initial_load_done: bool = True) -> ConnectorApp:
    """Build the app. ``initial_load_done`` is False while a pipeline still loads data (readiness waits)."""
    ctx = ctx or Context()
    app = ConnectorApp(
        title="GEN skills dataspace connector",
        version=__version__,
        description="ESCO and ROME 4.0 linked data, GEN trainings and job sheets, SHACL validation, "
        "SPARQL 1.1 and the Eclipse Dataspace Protocol 2025-1.",
    )
    app.state.ctx = ctx
    app.state.initial_load_done = initial_load_done
    app.state.resolvers: list[CredentialResolver] = configured_resolvers(ctx.settings)
    install_problem_handlers(app)
    install_operations(app, ctx.settings)
    app.include_router(health.router)
    sparql.install_query_endpoint(app)
    app.include_router(sparql.router)
    app.include_router(validate.router)
    dsp.install(app, ctx)
    watch_dsp(app)
    app.include_router(linked_data.router)
    app.include_router(admin_jobs.router)
    return app
