"""IRIs and term helpers the mappers share: ELM, EU authority tables, the application profile (gsc:)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from connector.namespaces import DCT, ELM, FOAF, LOCN, PROV, RDF, SKOS, XSD, Minted, Terms

elm = Terms(ELM)
dct = Terms(DCT)
skos = Terms(SKOS)
foaf = Terms(FOAF)
locn = Terms(LOCN)
prov = Terms(PROV)
xsd = Terms(XSD)
rov = Terms("http://www.w3.org/ns/regorg#")
clv = Terms("http://data.europa.eu/m8g/")
RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_VALUE = ox.NamedNode(RDF + "value")

AUTHORITY = "http://publications.europa.eu/resource/authority/"
LANGUAGE_FRA = ox.NamedNode(AUTHORITY + "language/FRA")
LANGUAGE_SCHEME = ox.NamedNode(AUTHORITY + "language")
COUNTRY_FRA = ox.NamedNode(AUTHORITY + "country/FRA")
COUNTRY_SCHEME = ox.NamedNode(AUTHORITY + "country")
CURRENCY_EUR = ox.NamedNode(AUTHORITY + "currency/EUR")
CURRENCY_SCHEME = ox.NamedNode(AUTHORITY + "currency")
ISCED_F = "http://data.europa.eu/snb/isced-f/"
ISCED_F_SCHEME = ox.NamedNode(ISCED_F + "25831c2")
EQF = "http://data.europa.eu/snb/eqf/"
EQF_SCHEME = ox.NamedNode(EQF + "25831c2")
ESCO_SKILLS_SCHEME = ox.NamedNode("http://data.europa.eu/esco/concept-scheme/skills")
ESCO_OCCUPATIONS_SCHEME = ox.NamedNode("http://data.europa.eu/esco/concept-scheme/occupations")
RNCP_PAGE = "https://www.francecompetences.fr/recherche/{kind}/{number}/"


def lit(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def typed(value: str, datatype: ox.NamedNode) -> ox.Literal:
    return ox.Literal(value, datatype=datatype)


def fr(value: str) -> ox.Literal:
    return ox.Literal(value, language="fr")


@dataclass(frozen=True)
class Profile:
    """Application-profile IRIs under the configured base (``gsc:`` terms, GEN record IRIs, ROME concepts)."""

    minted: Minted

    @property
    def gsc(self) -> Terms:
        return Terms(self.minted.ontology)

    def training(self, record_id: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.minted.gen}training/{record_id}")

    def job_sheet(self, record_id: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.minted.gen}job-sheet/{record_id}")

    def organisation(self, siret: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.minted.gen}organisation/{siret}")

    def rome(self, kind: str, code: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.minted.rome}{kind}/{code}")

    def rome_scheme(self, name: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.minted.rome}scheme/{name}")

    @property
    def job_sheet_scheme(self) -> ox.NamedNode:
        return ox.NamedNode(f"{self.minted.gen}job-sheet/scheme")

    def activity(self, job_id: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.minted.activity}{job_id}")


def concept(node: ox.NamedNode, scheme: ox.NamedNode) -> list[ox.Triple]:
    """The triples the ELM shapes need about a referenced concept: its type, scheme, and the scheme's type."""
    return [
        ox.Triple(node, RDF_TYPE, skos.Concept),
        ox.Triple(node, skos.inScheme, scheme),
        ox.Triple(scheme, RDF_TYPE, skos.ConceptScheme),
    ]
