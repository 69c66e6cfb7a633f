from __future__ import annotations

from pathlib import Path

import pytest

from connector.context import Context

FIXTURES = Path(__file__).parent / "fixtures"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
SQL = "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"
WEB_DEV = "http://data.europa.eu/esco/occupation/c40a2919-48a9-40ea-b506-1f34f693496d"
BASE = "https://w3id.org/gen-skills/"


def load_vocab(ctx: Context) -> None:
    for name in ("rome", "esco", "alignment"):
        ctx.store.replace_graph(ctx.datasets.get(name).graph, FIXTURES / f"{name}.ttl")


@pytest.fixture
def mctx(ctx: Context) -> Context:
    """A context whose store holds the small ROME / ESCO / alignment fixture vocabularies."""
    ctx.settings.mapping_workers = 1
    load_vocab(ctx)
    return ctx


HEADER = (
    "Identifiant;Intitulé;Organisme (raison sociale);SIRET;Adresse;Code postal;Commune;Code INSEE;Latitude;Longitude;"
    "Durée (heures);Codes ROME;Codes appellations ROME;Compétences ESCO;Compétences ROME;Modalités;Prix (€ TTC);"
    "Sessions;URL;Code certification;Niveau EQF certification;Intitulé certification"
)


def row(rid: str, **over: str) -> str:
    values = {
        "id": rid,
        "title": "Développeur web et web mobile",
        "org": "Simplon.co",
        "siret": "79279715700015",
        "street": "55 rue de Vincennes",
        "cp": "93100",
        "city": "Montreuil",
        "insee": "93048",
        "lat": "48.8611",
        "lon": "2.4437",
        "hours": "800",
        "rome": "M1855",
        "app": "14156",
        "esco": f"{PYTHON}|{SQL}",
        "romecomp": "109846",
        "mode": "présentiel",
        "price": "7500",
        "sessions": "2026-01-05/2026-07-03",
        "url": "https://simplon.co/formation/dwwm",
        "cert": "RNCP37674",
        "eqf": "5",
        "certtitle": "Développeur web et web mobile",
    } | over
    return ";".join(values.values())


def write_csv(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return path
