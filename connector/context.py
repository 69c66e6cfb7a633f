"""The core services one process shares: settings, store and dataset registry.

Both faces (CLI and HTTP app) build one :class:`Context` and hand it to the core; the core never reads the
environment or opens the store itself.
"""

from __future__ import annotations

from functools import cached_property

from connector.config import Settings, load_settings
from connector.datasets import DatasetRegistry
from connector.namespaces import Minted
from connector.store import GraphStore, open_store


class Context:
    def __init__(self, settings: Settings | None = None, store: GraphStore | None = None) -> None:
        self.settings = settings or load_settings()
        self._store = store

    @property
    def store(self) -> GraphStore:
        """The store, opened on first use (opening the embedded store takes its lock)."""
        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    @cached_property
    def datasets(self) -> DatasetRegistry:
        return DatasetRegistry(self.settings.base_iri)

    @cached_property
    def minted(self) -> Minted:
        return Minted(self.settings.base_iri)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
