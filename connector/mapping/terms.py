"""IRIs and term helpers the mappers share (as N-Triples strings): ELM, EU authority tables, the application
profile (gsc:)."""

from __future__ import annotations

from dataclasses import dataclass

from connector.mapping.ntriples import Names, fr, lit, typed, xsd
from connector.namespaces import DCT, ELM, FOAF, LOCN, PROV, RDF, SKOS, Minted

__all__ = ["fr", "lit", "typed", "xsd"]

elm = Names(ELM)
dct = Names(DCT)
skos = Names(SKOS)
foaf = Names(FOAF)
locn = Names(LOCN)
prov = Names(PROV)
rov = Names("http://www.w3.org/ns/regorg#")
clv = Names("http://data.europa.eu/m8g/")
RDF_TYPE = f"<{RDF}type>"
RDF_VALUE = f"<{RDF}value>"

AUTHORITY = "http://publications.europa.eu/resource/authority/"
LANGUAGE_FRA = f"<{AUTHORITY}language/FRA>"
LANGUAGE_SCHEME = f"<{AUTHORITY}language>"
COUNTRY_FRA = f"<{AUTHORITY}country/FRA>"
COUNTRY_SCHEME = f"<{AUTHORITY}country>"
CURRENCY_EUR = f"<{AUTHORITY}currency/EUR>"
CURRENCY_SCHEME = f"<{AUTHORITY}currency>"
ISCED_F = "http://data.europa.eu/snb/isced-f/"
ISCED_F_SCHEME = f"<{ISCED_F}25831c2>"
EQF = "http://data.europa.eu/snb/eqf/"
EQF_SCHEME = f"<{EQF}25831c2>"
RNCP_PAGE = "https://www.francecompetences.fr/recherche/{kind}/{number}/"


@dataclass(frozen=True)
class Profile:
    """Application-profile IRIs under the configured base (``gsc:`` terms, GEN record IRIs, ROME concepts); record
    and concept IRIs are returned bare (``https://...``), ``gsc`` terms as N-Triples IRIs."""

    minted: Minted

    @property
    def gsc(self) -> Names:
        return _names(self.minted.ontology)

    def training(self, record_id: str) -> str:
        return f"{self.minted.gen}training/{record_id}"

    def job_sheet(self, record_id: str) -> str:
        return f"{self.minted.gen}job-sheet/{record_id}"

    def organisation(self, siret: str) -> str:
        return f"{self.minted.gen}organisation/{siret}"

    def rome(self, kind: str, code: str) -> str:
        return f"{self.minted.rome}{kind}/{code}"

    @property
    def job_sheet_scheme(self) -> str:
        return f"{self.minted.gen}job-sheet/scheme"

    def activity(self, job_id: str) -> str:
        return f"{self.minted.activity}{job_id}"


_NAMES: dict[str, Names] = {}


def _names(base: str) -> Names:
    """One cached :class:`Names` per namespace, so its terms are formatted once per process."""
    if base not in _NAMES:
        _NAMES[base] = Names(base)
    return _NAMES[base]
