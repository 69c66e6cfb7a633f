"""Who is calling: principals, roles and the resolvers that turn a credential into a principal."""

from connector.auth.principal import ANONYMOUS, ROLES, Principal
from connector.auth.resolvers import ApiKeyResolver, CredentialResolver, InvalidCredentials, hash_key

__all__ = [
    "ANONYMOUS",
    "ROLES",
    "ApiKeyResolver",
    "CredentialResolver",
    "InvalidCredentials",
    "Principal",
    "hash_key",
]
