"""Who is calling: principals, roles and the resolvers that turn a credential into a principal."""

from connector.auth.principal import ANONYMOUS, ROLES, Principal
from connector.auth.resolvers import (
    ApiKeyResolver,
    CredentialResolver,
    CredentialsUnverifiable,
    InvalidCredentials,
    hash_key,
)

__all__ = [
    "ANONYMOUS",
    "ROLES",
    "ApiKeyResolver",
    "CredentialResolver",
    "CredentialsUnverifiable",
    "InvalidCredentials",
    "Principal",
    "hash_key",
]
