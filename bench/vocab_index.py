"""A concept index of the bundled ROME 4.0 and ESCO exports (IRIs, type, notation, French label, appellation ->
fiche), enough for mapping jobs to check codes; used by the mapping benchmark until the real vocabulary loaders
(``connector.vocab``) are available on the same branch. Not a vocabulary publication.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from connector.context import Context
from connector.namespaces import ESCO, RDF, SKOS

TYPE, NOTATION, LABEL, BROADER = (
    ox.NamedNode(RDF + "type"),
    ox.NamedNode(SKOS + "notation"),
    ox.NamedNode(SKOS + "prefLabel"),
    ox.NamedNode(SKOS + "broader"),
)
CONCEPT = ox.NamedNode(SKOS + "Concept")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def rome_triples(data: Path, base: str) -> Iterator[ox.Triple]:
    rome = data / "rome-4.0-v460"
    files = {
        "fiche": ("unix_referentiel_code_rome_v460_utf8.csv.gz", "code_rome", "libelle_rome"),
        "appellation": ("unix_referentiel_appellation_v460_utf8.csv.gz", "code_ogr", "libelle_appellation_long"),
        "competence": ("unix_referentiel_competence_v460_utf8.csv.gz", "code_ogr", "libelle_competence"),
        "savoir": ("unix_referentiel_savoir_v460_utf8.csv.gz", "code_ogr_savoir", "libelle_savoir"),
        "contexte": ("unix_referentiel_contexte_travail_v460_utf8.csv.gz", "code_ogr", "libelle_cont_travail"),
    }
    for kind, (name, code, label) in files.items():
        for row in _rows(rome / name):
            node = ox.NamedNode(f"{base}rome/{kind}/{row[code]}")
            yield ox.Triple(node, TYPE, CONCEPT)
            yield ox.Triple(node, NOTATION, ox.Literal(row[code]))
            yield ox.Triple(node, LABEL, ox.Literal(row[label], language="fr"))
            if kind == "appellation":
                yield ox.Triple(node, BROADER, ox.NamedNode(f"{base}rome/fiche/{row['code_rome']}"))


def esco_triples(data: Path) -> Iterator[ox.Triple]:
    for name, kind in (("skills_en.csv.gz", "Skill"), ("occupations_en.csv.gz", "Occupation")):
        for row in _rows(data / "esco-v1.1.1-en" / name):
            node = ox.NamedNode(row["conceptUri"])
            yield ox.Triple(node, TYPE, CONCEPT)
            yield ox.Triple(node, TYPE, ox.NamedNode(ESCO + kind))
            yield ox.Triple(node, LABEL, ox.Literal(row["preferredLabel"], language="en"))


def load(ctx: Context) -> None:
    data = ctx.settings.source_data_dir
    ctx.store.replace_graph(ctx.datasets.get("rome").graph, rome_triples(data, ctx.settings.base_iri))
    ctx.store.replace_graph(ctx.datasets.get("esco").graph, esco_triples(data))
