"""PROV-O for mapping jobs: one ``prov:Activity`` per run and one source entity per published record.

Shape agreed with the validation engineer (docs/application-profile.md)::

    <record> prov:wasDerivedFrom <record>#source ; prov:wasGeneratedBy <base>activity/<job id> .
    <record>#source a prov:Entity ; dct:source "trainings.csv" ; gsc:sourceLocation "row 12" ; gsc:contentHash "…" .
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyoxigraph as ox

from connector.mapping.terms import RDF_TYPE, Profile, dct, lit, prov, typed, xsd

if TYPE_CHECKING:
    from connector.mapping.job import JobReport

T = ox.Triple


def record_provenance(
    profile: Profile, record: ox.NamedNode, activity: ox.NamedNode, file: str, location: str, digest: str
) -> Iterator[ox.Triple]:
    gsc = profile.gsc
    source = ox.NamedNode(record.value + "#source")
    yield T(record, prov.wasDerivedFrom, source)
    yield T(record, prov.wasGeneratedBy, activity)
    yield T(source, RDF_TYPE, prov.Entity)
    yield T(source, dct.source, lit(file))
    yield T(source, gsc.sourceLocation, lit(location))
    yield T(source, gsc.contentHash, lit(digest))


def activity_triples(profile: Profile, activity: ox.NamedNode, report: JobReport) -> Iterator[ox.Triple]:
    """The run: times, operator, software, inputs with SHA-256, vocabulary versions and counts."""
    gsc = profile.gsc
    base = activity.value
    yield T(activity, RDF_TYPE, prov.Activity)
    yield T(activity, RDF_TYPE, gsc.MappingJob)
    yield T(activity, dct.identifier, lit(report.id))
    yield T(activity, gsc.sourceKind, lit(report.kind))
    yield T(activity, prov.startedAtTime, typed(report.started, xsd.dateTime))
    if report.ended:
        yield T(activity, prov.endedAtTime, typed(report.ended, xsd.dateTime))
    software = ox.NamedNode(base + "#software")
    yield T(activity, prov.wasAssociatedWith, software)
    yield T(software, RDF_TYPE, prov.SoftwareAgent)
    yield T(software, gsc.softwareVersion, lit(f"gen-skills-connector {report.software_version}"))
    if report.operator:
        operator = ox.NamedNode(base + "#operator")
        yield T(activity, prov.wasAssociatedWith, operator)
        yield T(operator, RDF_TYPE, prov.Agent)
        yield T(operator, gsc.operatorName, lit(report.operator))
    for i, info in enumerate(report.inputs, start=1):
        used = ox.NamedNode(f"{base}#input-{i}")
        yield T(activity, prov.used, used)
        yield T(used, RDF_TYPE, prov.Entity)
        yield T(used, dct.source, lit(info["file"]))
        yield T(used, gsc.sha256, lit(info["sha256"]))
        yield T(used, dct.extent, typed(str(info["bytes"]), xsd.integer))
    for dataset, version in report.vocabulary_versions.items():
        node = ox.NamedNode(f"{profile.minted.dataset}{dataset}")
        yield T(activity, prov.used, node)
        yield T(activity, gsc[f"{dataset}Version"], lit(version))
    yield T(activity, prov.generated, ox.NamedNode(f"{profile.minted.dataset}{report.dataset}"))
    yield T(activity, gsc.jobState, lit(report.state))
    c = report.counts
    for name, value in (
        ("recordsRead", c.read),
        ("recordsMapped", c.mapped),
        ("recordsUnchanged", c.unchanged),
        ("recordsRejected", c.rejected),
        ("recordsRemoved", c.removed),
    ):
        yield T(activity, gsc[name], typed(str(value), xsd.integer))
