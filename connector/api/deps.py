"""FastAPI dependencies shared by the routers: the core context and the calling principal."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from connector.api.problems import Problem
from connector.auth import ANONYMOUS, CredentialsUnverifiable, InvalidCredentials, Principal
from connector.context import Context

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API key (gsk_...), an OIDC access token, or a DSP transfer token (dspt_...).",
)
"""Declares the credential in the OpenAPI description (and the docs page's Authorize button); checking is ours."""


async def get_context(request: Request) -> Context:
    """Async on purpose, like every cheap dependency: FastAPI runs a plain ``def`` dependency in a thread."""
    return request.app.state.ctx


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def _resolved(request: Request) -> Principal | None:
    """The principal already resolved for this request (``request.state`` lives in the ASGI scope)."""
    return getattr(request.state, "principal", None)


async def current_principal(request: Request) -> Principal:
    """The caller, as a dependency: anonymous callers are answered on the event loop; credentials are resolved in
    a thread (resolvers may read a key file, a state database or an identity provider's keys)."""
    if _credential(request) is None:
        return ANONYMOUS
    return _resolved(request) or await run_in_threadpool(resolve_principal, request)


async def authorize(request: Request, *roles: str) -> Principal:
    """The caller if it has one of ``roles`` (401 without credentials, 403 without the role), for async code paths
    that decide late whether a role is needed: the credential is resolved off the event loop, once per request."""
    return check_roles(await current_principal(request), roles)


def check_roles(principal: Principal, roles: tuple[str, ...]) -> Principal:
    wanted = " or ".join(roles)
    if principal.anonymous:
        raise Problem(401, "Unauthorized", f"the {wanted} role is required", headers={"WWW-Authenticate": "Bearer"})
    if not any(principal.has_role(r) for r in roles):
        raise Problem(403, "Forbidden", f"the {wanted} role is required")
    return principal


def resolve_principal(request: Request) -> Principal:
    """The caller: anonymous without credentials; 401 for a credential no resolver accepts. Resolved once per
    request (a later check reuses it)."""
    token = _credential(request)
    if token is None:
        return ANONYMOUS
    if (resolved := _resolved(request)) is not None:
        return resolved
    for resolver in request.app.state.resolvers:
        try:
            principal = resolver.resolve(token)
        except InvalidCredentials as exc:
            raise Problem(401, "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
        except CredentialsUnverifiable as exc:
            raise Problem(503, "Service Unavailable", str(exc), headers={"Retry-After": "30"}) from None
        if principal is not None:
            request.state.principal = principal
            return principal
    raise Problem(401, "Unauthorized", "credential not recognised", headers={"WWW-Authenticate": "Bearer"})


def require_role(*roles: str) -> Callable[[Request], Principal]:
    """Dependency factory: 401 without credentials, 403 unless the caller has one of ``roles``.

    The returned dependency carries ``required_roles`` so tests (and the docs) can list every protected route.
    """

    def dependency(request: Request, _: HTTPAuthorizationCredentials | None = Security(BEARER)) -> Principal:
        return check_roles(resolve_principal(request), roles)

    dependency.required_roles = frozenset(roles)  # type: ignore[attr-defined]
    return dependency
