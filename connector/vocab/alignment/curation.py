"""Hand-checked mapping tables in SSSOM TSV (``curated/*.sssom.tsv``), ingested next to the computed mappings.

The bundled table covers the digital ROME fiches that no computed method reaches (``rome-digital-esco.sssom.tsv``).
Subjects are ``romefiche:<code>`` or ``romeappellation:<code>`` and are resolved by code against the loaded ROME
vocabulary (so the table does not depend on the base IRI the connector mints under); objects are expanded with the
table's ``curie_map`` and must be ESCO concepts of the loaded ESCO. Unknown codes or IRIs are reported, not fatal.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from connector.vocab.alignment.data import AlignmentInput
from connector.vocab.alignment.matcher import CURATED, Mapping
from connector.vocab.csvfiles import LoadReport, VocabInputError

BUNDLED = Path(__file__).parent / "curated" / "rome-digital-esco.sssom.tsv"
COLUMNS = ["subject_id", "predicate_id", "object_id", "mapping_justification", "comment"]
PREDICATES = {f"skos:{p}" for p in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")}
SUBJECT_KINDS = {"romefiche": "fiche", "romeappellation": "appellation"}


def read_curated(path: Path, data: AlignmentInput, report: LoadReport) -> list[Mapping]:
    """The table's mappings (confidence 1.0, ``semapv:ManualMappingCuration``, the row's comment kept)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabInputError(f"{path.name}: cannot read: {exc}") from None
    lines = text.splitlines()
    meta_lines = [line[1:] for line in lines if line.startswith("#")]
    try:
        meta = yaml.safe_load("\n".join(meta_lines)) or {}
    except yaml.YAMLError as exc:
        raise VocabInputError(f"{path.name}: the '#' metadata block is not YAML: {exc}") from None
    curie_map: dict[str, str] = meta.get("curie_map") or {} if isinstance(meta, dict) else {}
    body = [line for line in lines if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(body)), delimiter="\t")
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise VocabInputError(f"{path.name}: missing column {', '.join(repr(c) for c in missing)}")
    rome = {(i.kind, i.code): i for i in data.rome.values()}
    start = len(lines) - len(body) + 2  # the file line of the first data row
    out: list[Mapping] = []
    for n, row in enumerate(reader, start=start):
        prefix, _, code = (row["subject_id"] or "").partition(":")
        predicate, obj = (row["predicate_id"] or "").strip(), (row["object_id"] or "").strip()
        if prefix not in SUBJECT_KINDS or not code:
            report.bad_row(path.name, n, f"subject {row['subject_id']!r} is not romefiche:<code> or romeappellation:")
            continue
        if predicate not in PREDICATES:
            report.bad_row(path.name, n, f"unknown predicate {predicate!r}")
            continue
        if (row["mapping_justification"] or "").strip() != CURATED:
            report.bad_row(path.name, n, f"mapping_justification must be {CURATED}")
            continue
        obj_prefix, _, local = obj.partition(":")
        iri = curie_map[obj_prefix] + local if obj_prefix in curie_map else obj
        subject = rome.get((SUBJECT_KINDS[prefix], code.strip()))
        if subject is None:
            report.unknown_code(path.name, n, f"ROME {SUBJECT_KINDS[prefix]}", code)
            continue
        if iri not in data.esco:
            report.unknown_code(path.name, n, "ESCO concept", iri)
            continue
        out.append(
            Mapping(
                subject,
                data.esco[iri],
                predicate.removeprefix("skos:"),
                1.0,
                CURATED,
                f"hand-checked ({path.name}): {(row['comment'] or '').strip()}",
            )
        )
    return out
