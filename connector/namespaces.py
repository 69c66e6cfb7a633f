"""The one namespace table of the connector.

Standard vocabularies are constants. Namespaces the connector mints depend on the configured base IRI, so they are
derived by :class:`Minted` from ``Settings.base_iri``; nothing else in the code builds IRIs by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

# Standard vocabularies (prefix -> namespace IRI)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SKOSXL = "http://www.w3.org/2008/05/skos-xl#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
DCATAP = "http://data.europa.eu/r5r/"
ODRL = "http://www.w3.org/ns/odrl/2/"
PROV = "http://www.w3.org/ns/prov#"
VOID = "http://rdfs.org/ns/void#"
SH = "http://www.w3.org/ns/shacl#"
SD = "http://www.w3.org/ns/sparql-service-description#"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
LOCN = "http://www.w3.org/ns/locn#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
ADMS = "http://www.w3.org/ns/adms#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SSSOM = "https://w3id.org/sssom/"
SEMAPV = "https://w3id.org/semapv/vocab/"
ELM = "http://data.europa.eu/snb/model/elm/"
ESCO = "http://data.europa.eu/esco/model#"
ESCO_DATA = "http://data.europa.eu/esco/"
DSPACE = "https://w3id.org/dspace/2025/1/"

STANDARD_PREFIXES: dict[str, str] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "skosxl": SKOSXL,
    "dct": DCT,
    "dcat": DCAT,
    "dcatap": DCATAP,
    "odrl": ODRL,
    "prov": PROV,
    "void": VOID,
    "sh": SH,
    "sd": SD,
    "foaf": FOAF,
    "schema": SCHEMA,
    "locn": LOCN,
    "geo": GEO,
    "adms": ADMS,
    "vcard": VCARD,
    "sssom": SSSOM,
    "semapv": SEMAPV,
    "elm": ELM,
    "esco": ESCO,
    "dspace": DSPACE,
}


class Terms:
    """The terms of one namespace as pyoxigraph nodes: ``Terms(SKOS).prefLabel`` or ``Terms(SKOS)["prefLabel"]``."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __getattr__(self, name: str) -> ox.NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        node = ox.NamedNode(self._base + name)
        setattr(self, name, node)  # cached: mappers ask for the same terms millions of times
        return node

    def __getitem__(self, name: str) -> ox.NamedNode:
        return getattr(self, name)


@dataclass(frozen=True)
class Minted:
    """Namespaces minted under the configured base IRI (which ends with '/')."""

    base: str

    @property
    def graph(self) -> str:
        """Named graphs, one per dataset: ``<base>graph/<dataset-id>``."""
        return f"{self.base}graph/"

    @property
    def rome(self) -> str:
        """ROME 4.0 concepts: ``<base>rome/<kind>/<official code>``."""
        return f"{self.base}rome/"

    @property
    def gen(self) -> str:
        """GEN records (trainings, job sheets, organisations): ``<base>gen/<kind>/<id>``."""
        return f"{self.base}gen/"

    @property
    def ontology(self) -> str:
        """The connector's application-profile terms (``gsc:``)."""
        return f"{self.base}ontology#"

    @property
    def dataset(self) -> str:
        """DCAT datasets and distributions of the catalog."""
        return f"{self.base}dataset/"

    @property
    def mapping(self) -> str:
        """SSSOM mapping records of the ROME-ESCO alignment."""
        return f"{self.base}mapping/"

    @property
    def activity(self) -> str:
        """PROV-O activities (mapping-job runs)."""
        return f"{self.base}activity/"

    @property
    def policy(self) -> str:
        """ODRL policies and offers."""
        return f"{self.base}policy/"

    def prefixes(self) -> dict[str, str]:
        """Standard prefixes plus the minted ones, for serialisers and example queries."""
        return {
            **STANDARD_PREFIXES,
            "gsc": self.ontology,
            "rome": self.rome,
            "gen": self.gen,
            "graph": self.graph,
        }


def sparql_prefixes(prefixes: dict[str, str]) -> str:
    """Render a prefix table as a SPARQL prologue."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
