"""Store layer: one interface (:class:`GraphStore`), an embedded and a remote implementation, one factory."""

from connector.config import Settings
from connector.store.base import (
    STAGING_PREFIX,
    GraphStore,
    Parts,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    RdfSource,
    RdfSyntaxError,
    StoreError,
    StoreUnavailable,
)


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: embedded pyoxigraph on disk, or a remote SPARQL server."""
    if settings.store == "remote":
        from connector.store.remote import RemoteStore

        auth = (settings.store_username, settings.store_password or "") if settings.store_username else None
        return RemoteStore(
            settings.store_query_url or "",
            settings.store_update_url or "",
            settings.store_graph_url or "",
            auth=auth,
            timeout_s=settings.store_timeout_s,
        )
    from connector.store.embedded import EmbeddedStore

    return EmbeddedStore.open(settings.store_path)


__all__ = [
    "STAGING_PREFIX",
    "GraphStore",
    "Parts",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeout",
    "RdfSource",
    "RdfSyntaxError",
    "StoreError",
    "StoreUnavailable",
    "open_store",
]
