"""Publishing mappings: SSSOM TSV (with its YAML metadata block) and RDF (SKOS matches + SSSOM mapping records).

The RDF records follow the SSSOM RDF serialisation: each mapping is an ``owl:Axiom`` (also typed ``sssom:Mapping``)
whose ``owl:annotatedSource/Property/Target`` are the subject, SKOS predicate and object, annotated with
``sssom:confidence``, ``sssom:mapping_justification``, labels and an ``rdfs:comment`` explaining the evidence.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import yaml

from connector.namespaces import SEMAPV, SKOS, SSSOM, Minted
from connector.vocab.alignment.matcher import Mapping
from connector.vocab.terms import DCT_, OWL_, PAV_, RDFS_, SSSOM_, A, decimal, fr, iri, plain, text
from connector.vocab.terms import datetime as dt_literal

TOOL = "gen-skills-connector vocab align"
COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "similarity_score",
    "similarity_measure",
    "match_string",
    "comment",
]


@dataclass
class MappingSet:
    """Metadata of one published alignment."""

    minted: Minted
    version: str  # "<rome version>/<esco version>/<date>"
    date: str  # ISO date-time of the run
    rome_version: str | None
    esco_version: str | None
    licence: str

    @property
    def iri(self) -> str:
        return f"{self.minted.mapping}set/rome-esco"

    def curie_map(self) -> dict[str, str]:
        r = self.minted.rome
        return {
            "romefiche": f"{r}fiche/",
            "romeappellation": f"{r}appellation/",
            "romecompetence": f"{r}competence/",
            "romesavoir": f"{r}savoir/",
            "escooccupation": "http://data.europa.eu/esco/occupation/",
            "escoskill": "http://data.europa.eu/esco/skill/",
            "escoisco": "http://data.europa.eu/esco/isco/",
            "skos": SKOS,
            "semapv": SEMAPV,
            "sssom": SSSOM,
        }

    def curie(self, value: str) -> str:
        for prefix, ns in self.curie_map().items():
            if value.startswith(ns):
                return f"{prefix}:{value[len(ns) :]}"
        return value


def record_iri(minted: Minted, m: Mapping) -> str:
    """Stable per (subject, predicate, object): a rerun on the same inputs gives the same record IRIs."""
    digest = hashlib.sha256(f"{m.subject.iri} {m.predicate} {m.obj.iri}".encode()).hexdigest()[:20]
    return f"{minted.mapping}{digest}"


def write_tsv(path: Path, mapping_set: MappingSet, mappings: Iterable[Mapping]) -> int:
    """Write the SSSOM TSV: ``#``-prefixed YAML metadata, then one row per mapping. Returns the row count."""
    meta = {
        "curie_map": mapping_set.curie_map(),
        "mapping_set_id": mapping_set.iri,
        "mapping_set_version": mapping_set.version,
        "mapping_set_title": "ROME 4.0 - ESCO alignment (occupations and skills)",
        "license": mapping_set.licence,
        "subject_source": mapping_set.minted.rome,
        "subject_source_version": mapping_set.rome_version or "unknown",
        "object_source": "http://data.europa.eu/esco",
        "object_source_version": mapping_set.esco_version or "unknown",
        "mapping_date": mapping_set.date[:10],
        "mapping_tool": TOOL,
    }
    header = "".join(f"#{line}\n" for line in yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for m in mappings:
            writer.writerow(
                [
                    mapping_set.curie(m.subject.iri),
                    m.subject.label,
                    f"skos:{m.predicate}",
                    mapping_set.curie(m.obj.iri),
                    m.obj.pref_fr or m.obj.pref_en or "",
                    m.justification,
                    f"{m.confidence:.3f}",
                    f"{m.similarity:.3f}" if m.similarity else "",
                    "https://w3id.org/semapv/vocab/LexicalSimilarityThresholdMatching" if m.similarity else "",
                    m.match_string,
                    m.comment,
                ]
            )
            n += 1
    tmp.replace(path)
    return n


def read_tsv_metadata(content: str) -> dict[str, object]:
    """The YAML metadata block of an SSSOM TSV (for tests and consumers)."""
    block = "".join(line[1:] + "\n" for line in io.StringIO(content).read().splitlines() if line.startswith("#"))
    return yaml.safe_load(block)


def rdf_triples(mapping_set: MappingSet, mappings: Iterable[Mapping]) -> Iterator[ox.Triple]:
    """SKOS match triples and SSSOM mapping records for the alignment graph."""
    ms = iri(mapping_set.iri)
    yield ox.Triple(ms, A, SSSOM_.MappingSet)
    yield ox.Triple(ms, DCT_.title, fr("Alignement ROME 4.0 - ESCO (métiers et compétences)"))
    yield ox.Triple(ms, DCT_.title, text("ROME 4.0 - ESCO alignment (occupations and skills)", "en"))
    yield ox.Triple(ms, DCT_.license, iri(mapping_set.licence))
    yield ox.Triple(ms, OWL_.versionInfo, plain(mapping_set.version))
    yield ox.Triple(ms, PAV_.authoredOn, dt_literal(mapping_set.date))
    yield ox.Triple(ms, SSSOM_.mapping_tool, plain(TOOL))
    for m in mappings:
        s, o, p = iri(m.subject.iri), iri(m.obj.iri), iri(f"{SKOS}{m.predicate}")
        yield ox.Triple(s, p, o)
        r = iri(record_iri(mapping_set.minted, m))
        yield ox.Triple(ms, SSSOM_.mappings, r)
        yield ox.Triple(r, A, OWL_.Axiom)
        yield ox.Triple(r, A, SSSOM_.Mapping)
        yield ox.Triple(r, OWL_.annotatedSource, s)
        yield ox.Triple(r, OWL_.annotatedProperty, p)
        yield ox.Triple(r, OWL_.annotatedTarget, o)
        yield ox.Triple(r, SSSOM_.subject_label, fr(m.subject.label))
        if m.obj.pref_fr:
            yield ox.Triple(r, SSSOM_.object_label, fr(m.obj.pref_fr))
        yield ox.Triple(r, SSSOM_.mapping_justification, iri(m.justification.replace("semapv:", SEMAPV)))
        yield ox.Triple(r, SSSOM_.confidence, decimal(m.confidence))
        if m.similarity:
            yield ox.Triple(r, SSSOM_.similarity_score, decimal(m.similarity))
        yield ox.Triple(r, RDFS_.comment, plain(m.comment))
