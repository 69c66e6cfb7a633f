"""The one place that knows which datasets exist, which named graph holds each, and under which access policy.

The DSP catalog, SPARQL scoping, VoID descriptions, linked-data pages and transfer tokens all read this registry;
nothing else hard-codes a graph IRI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from connector.namespaces import Minted

Access = Literal["open", "contract", "internal"]
"""open: anyone may query it; contract: only holders of a transfer token for an agreement on it; internal: operators."""


@dataclass(frozen=True)
class Dataset:
    """A published dataset: one named graph, one access rule, the metadata the catalog shows."""

    id: str
    graph: str
    title: dict[str, str]
    description: dict[str, str]
    access: Access
    licence: str
    publisher: str
    attribution: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)
    themes: tuple[str, ...] = field(default_factory=tuple)
    spatial: str | None = "http://publications.europa.eu/resource/authority/country/FRA"


ETALAB_2 = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
ESCO_LICENCE = "https://esco.ec.europa.eu/en/about-esco/data-science-and-esco/esco-legal-notice"
CC_BY_4 = "http://creativecommons.org/licenses/by/4.0/"
EU_EDUCATION_THEME = "http://publications.europa.eu/resource/authority/data-theme/EDUC"
EU_ECONOMY_THEME = "http://publications.europa.eu/resource/authority/data-theme/ECON"


class DatasetRegistry:
    """Datasets of this connector, with graph IRIs minted under the configured base IRI."""

    def __init__(self, base_iri: str) -> None:
        self.minted = Minted(base_iri)
        g = self.minted.graph
        self._datasets: dict[str, Dataset] = {
            d.id: d
            for d in (
                Dataset(
                    id="esco",
                    graph=f"{g}esco",
                    title={"en": "ESCO classification (occupations and skills)", "fr": "Classification ESCO"},
                    description={
                        "en": "ESCO occupations, skills, ISCO groups and collections as SKOS, labels in English "
                        "and French, with the official ESCO IRIs.",
                        "fr": "Métiers, compétences, groupes CITP et collections ESCO en SKOS, libellés anglais "
                        "et français, IRI officielles ESCO.",
                    },
                    access="open",
                    licence=ESCO_LICENCE,
                    publisher="European Commission",
                    attribution="This service uses the ESCO classification of the European Commission.",
                    keywords=("ESCO", "skills", "occupations", "SKOS"),
                    themes=(EU_EDUCATION_THEME, EU_ECONOMY_THEME),
                    spatial="http://publications.europa.eu/resource/authority/continent/EUROPE",
                ),
                Dataset(
                    id="rome",
                    graph=f"{g}rome",
                    title={"en": "ROME 4.0 job and skills referential", "fr": "Référentiel ROME 4.0"},
                    description={
                        "en": "France Travail's ROME 4.0 (fiches métiers, appellations, compétences, savoirs, "
                        "contextes de travail) published as SKOS linked data.",
                        "fr": "Le ROME 4.0 de France Travail (fiches métiers, appellations, compétences, savoirs, "
                        "contextes de travail) publié en données liées SKOS.",
                    },
                    access="open",
                    licence=ETALAB_2,
                    publisher="France Travail",
                    attribution="ROME 4.0 © France Travail, Licence Ouverte 2.0.",
                    keywords=("ROME", "métiers", "compétences", "SKOS"),
                    themes=(EU_EDUCATION_THEME, EU_ECONOMY_THEME),
                ),
                Dataset(
                    id="alignment",
                    graph=f"{g}alignment",
                    title={"en": "ROME 4.0 - ESCO alignment", "fr": "Alignement ROME 4.0 - ESCO"},
                    description={
                        "en": "Scored mappings between ROME 4.0 and ESCO occupations and skills (SKOS matches "
                        "and SSSOM records with confidence and justification).",
                        "fr": "Correspondances scorées entre ROME 4.0 et ESCO (métiers et compétences).",
                    },
                    access="open",
                    licence=CC_BY_4,
                    publisher="Grande École du Numérique",
                    keywords=("alignment", "SSSOM", "ROME", "ESCO"),
                    themes=(EU_EDUCATION_THEME,),
                ),
                Dataset(
                    id="trainings",
                    graph=f"{g}trainings",
                    title={"en": "GEN labelled digital-skills trainings", "fr": "Formations labellisées GEN"},
                    description={
                        "en": "Inclusive digital-skills trainings labelled by the Grande École du Numérique, as "
                        "ELM v3 learning opportunities linked to ROME 4.0 and ESCO.",
                        "fr": "Formations au numérique labellisées Grande École du Numérique, en opportunités "
                        "d'apprentissage ELM v3 liées au ROME 4.0 et à ESCO.",
                    },
                    access="contract",
                    licence=ETALAB_2,
                    publisher="Grande École du Numérique",
                    keywords=("training", "formation", "ELM", "digital skills"),
                    themes=(EU_EDUCATION_THEME,),
                ),
                Dataset(
                    id="job-sheets",
                    graph=f"{g}job-sheets",
                    title={"en": "GEN digital job sheets", "fr": "Fiches métiers du numérique GEN"},
                    description={
                        "en": "The 153 GEN job sheets of digital occupations, aligned with ROME 4.0 and ESCO.",
                        "fr": "Les 153 fiches de postes du numérique de la GEN, alignées sur le ROME 4.0 et ESCO.",
                    },
                    access="contract",
                    licence=ETALAB_2,
                    publisher="Grande École du Numérique",
                    keywords=("job sheets", "fiches de poste", "ROME", "ESCO"),
                    themes=(EU_EDUCATION_THEME, EU_ECONOMY_THEME),
                ),
                Dataset(
                    id="catalog",
                    graph=f"{g}catalog",
                    title={"en": "Catalog metadata", "fr": "Métadonnées du catalogue"},
                    description={
                        "en": "DCAT-AP 3 description of this connector's datasets, with VoID statistics.",
                        "fr": "Description DCAT-AP 3 des jeux de données de ce connecteur.",
                    },
                    access="open",
                    licence=CC_BY_4,
                    publisher="Grande École du Numérique",
                ),
                Dataset(
                    id="provenance",
                    graph=f"{g}provenance",
                    title={"en": "Provenance of mapping jobs", "fr": "Provenance des traitements"},
                    description={
                        "en": "PROV-O activities of mapping jobs and record derivations.",
                        "fr": "Activités PROV-O des traitements et dérivations des enregistrements.",
                    },
                    access="internal",
                    licence=CC_BY_4,
                    publisher="Grande École du Numérique",
                ),
            )
        }

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self._datasets.values())

    def __contains__(self, dataset_id: object) -> bool:
        return dataset_id in self._datasets

    def get(self, dataset_id: str) -> Dataset:
        """The dataset with this id; ``KeyError`` names the known ids."""
        try:
            return self._datasets[dataset_id]
        except KeyError:
            raise KeyError(f"unknown dataset {dataset_id!r}; known: {', '.join(self._datasets)}") from None

    def by_graph(self, graph: str) -> Dataset | None:
        return next((d for d in self._datasets.values() if d.graph == graph), None)

    def graphs(self, access: Access | None = None) -> list[str]:
        """Graph IRIs, optionally only those with the given access rule."""
        return [d.graph for d in self._datasets.values() if access is None or d.access == access]
