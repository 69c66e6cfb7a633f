"""Assembling the DSP service from a :class:`connector.context.Context` (used by the HTTP app and the CLI)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from connector.context import Context
from connector.datasets.metadata import dataset_iri, get_dataset_properties
from connector.dsp import tck
from connector.dsp.catalog import VOID_TRIPLES, Catalog, Entry
from connector.dsp.client import DspClient
from connector.dsp.dcat import PUBLISHED, publish_catalog
from connector.dsp.identity import Participants
from connector.dsp.messages import DSP_PATH
from connector.dsp.repository import DspRepository
from connector.dsp.service import DspService
from connector.dsp.sqlite import SqliteRepository
from connector.store import StoreError

log = logging.getLogger("connector.dsp")


def registry_entries(ctx: Context) -> list[Entry]:
    """One catalog entry per non-internal dataset that a configured policy offers (VoID triples as recorded by the
    dataset's job, else counted)."""
    found = []
    for d in ctx.datasets:
        policies = tuple(p for p in ctx.settings.dsp_policies if d.id in p.datasets)
        if d.access == "internal" or not policies:
            continue
        try:
            metadata = get_dataset_properties(ctx.store, ctx.datasets, d.id)
            recorded = metadata.pop(VOID_TRIPLES, [])
            for predicate in PUBLISHED:  # our own DCAT publication (connector.dsp.dcat), not job metadata
                metadata.pop(predicate, None)
            triples: int | None = (
                int(recorded[0]) if recorded and str(recorded[0]).isdigit() else ctx.store.count(d.graph)
            )
        except StoreError as exc:
            log.warning("catalog: no metadata for %s: %s", d.id, exc)
            metadata, triples = {}, None
        found.append(
            Entry(
                id=dataset_iri(ctx.datasets, d.id),
                key=d.id,
                graph=d.graph,
                title=d.title,
                description=d.description,
                policies=policies,
                publisher=d.publisher,
                licence=d.licence,
                keywords=d.keywords,
                themes=d.themes,
                spatial=d.spatial,
                triples=triples,
                metadata=metadata,
            )
        )
    return found


def build_catalog(ctx: Context, load: Callable[[], list[Entry]] | None = None) -> Catalog:
    """The DSP catalog of this context (entries from the registry unless ``load`` says otherwise)."""
    return Catalog(
        ctx.settings.participant_id,
        ctx.settings.base_url + DSP_PATH,
        ctx.minted.policy,
        ctx.settings.base_iri,
        load or (lambda: registry_entries(ctx)),
        publisher=ctx.datasets.get("catalog").publisher,
        licence=ctx.datasets.get("catalog").licence,
    )


def publish_dcat(ctx: Context) -> int:
    """Write the catalog's DCAT-AP description into the catalog graph (after the datasets or their metadata change)."""
    return publish_catalog(ctx.store, ctx.datasets.get("catalog").graph, build_catalog(ctx))


def open_repository(ctx: Context) -> DspRepository:
    """PostgreSQL when ``dsp_database_url`` is set (several replicas), else SQLite under ``<home>/state``."""
    if ctx.settings.dsp_database_url:
        from connector.dsp.postgres import PostgresRepository

        return PostgresRepository(ctx.settings.dsp_database_url)
    return SqliteRepository(ctx.settings.home / "state" / "dsp.sqlite")


def build_service(ctx: Context, repo: DspRepository | None = None) -> DspService:
    """The DSP service over this context; in TCK mode with the TCK's seeds, participant and scripts."""
    settings = ctx.settings
    repo = repo or open_repository(ctx)
    participants = Participants(
        settings.participant_id,
        list(settings.dsp_participants),
        settings.dsp_signing_key,
        settings.dsp_jwt_clock_skew_s,
    )
    catalog_graph = ctx.datasets.get("catalog").graph

    def load() -> list[Entry]:
        entries = registry_entries(ctx)
        return entries + tck.entries(catalog_graph) if settings.dsp_tck_mode else entries

    if settings.dsp_tck_mode:
        participants.add(tck.participant(settings))
        tck.seed(repo, settings)
    catalog = build_catalog(ctx, load)

    def graphs_of_dataset(dataset: str) -> frozenset[str]:
        entry = catalog.find(dataset)
        if entry is not None:
            return frozenset({entry.graph})
        return frozenset({ctx.datasets.get(dataset).graph}) if dataset in ctx.datasets else frozenset()

    return DspService(
        settings,
        repo,
        catalog,
        participants,
        DspClient(participants),
        graphs_of_dataset,
        script=tck.script if settings.dsp_tck_mode else None,
        tck_mode=settings.dsp_tck_mode,
    )
