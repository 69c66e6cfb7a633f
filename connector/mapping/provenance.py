"""PROV-O for mapping jobs: one ``prov:Activity`` per run and one source entity per published record.

Shape agreed with the validation engineer (docs/application-profile.md)::

    <record> prov:wasDerivedFrom <record>#source ; prov:wasGeneratedBy <base>activity/<job id> .
    <record>#source a prov:Entity ; dct:source "trainings.csv" ; gsc:sourceLocation "row 12" ; gsc:contentHash "…" .
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.mapping.ntriples import Lines
from connector.mapping.terms import RDF_TYPE, Profile, dct, lit, prov, typed, xsd

if TYPE_CHECKING:
    from connector.mapping.job import JobReport


def record_provenance(
    out: Lines, profile: Profile, record: str, activity: str, file: str, location: str, digest: str
) -> None:
    """The source entity of one published record (``record`` and ``activity`` are N-Triples IRIs)."""
    gsc = profile.gsc
    source = record[:-1] + "#source>"
    out.add(record, prov.wasDerivedFrom, source)
    out.add(record, prov.wasGeneratedBy, activity)
    out.add(source, RDF_TYPE, prov.Entity)
    out.add(source, dct.source, lit(file))
    out.add(source, gsc.sourceLocation, lit(location))
    out.add(source, gsc.contentHash, lit(digest))


def activity_triples(profile: Profile, activity_iri: str, report: JobReport) -> Lines:
    """The run: times, operator, software, inputs with SHA-256, vocabulary versions and counts."""
    out = Lines()
    add = out.add
    gsc = profile.gsc
    activity = f"<{activity_iri}>"
    add(activity, RDF_TYPE, prov.Activity)
    add(activity, RDF_TYPE, gsc.MappingJob)
    add(activity, dct.identifier, lit(report.id))
    add(activity, gsc.sourceKind, lit(report.kind))
    add(activity, prov.startedAtTime, typed(report.started, xsd.dateTime))
    if report.ended:
        add(activity, prov.endedAtTime, typed(report.ended, xsd.dateTime))
    software = f"<{activity_iri}#software>"
    add(activity, prov.wasAssociatedWith, software)
    add(software, RDF_TYPE, prov.SoftwareAgent)
    add(software, gsc.softwareVersion, lit(f"gen-skills-connector {report.software_version}"))
    if report.operator:
        operator = f"<{activity_iri}#operator>"
        add(activity, prov.wasAssociatedWith, operator)
        add(operator, RDF_TYPE, prov.Agent)
        add(operator, gsc.operatorName, lit(report.operator))
    for i, info in enumerate(report.inputs, start=1):
        used = f"<{activity_iri}#input-{i}>"
        add(activity, prov.used, used)
        add(used, RDF_TYPE, prov.Entity)
        add(used, dct.source, lit(info["file"]))
        add(used, gsc.sha256, lit(info["sha256"]))
        add(used, dct.extent, typed(str(info["bytes"]), xsd.integer))
    for dataset, version in report.vocabulary_versions.items():
        add(activity, prov.used, f"<{profile.minted.dataset}{dataset}>")
        add(activity, gsc[f"{dataset}Version"], lit(version))
    add(activity, prov.generated, f"<{profile.minted.dataset}{report.dataset}>")
    add(activity, gsc.jobState, lit(report.state))
    c = report.counts
    for name, value in (
        ("recordsRead", c.read),
        ("recordsMapped", c.mapped),
        ("recordsUnchanged", c.unchanged),
        ("recordsRejected", c.rejected),
        ("recordsRemoved", c.removed),
    ):
        add(activity, gsc[name], typed(str(value), xsd.integer))
    return out
