"""The official EURES "ESCO - ROME" mapping table (CSV), which takes precedence over computed mappings.

Format: a few metadata lines (``Mapping project name,ESCO - ROME``...), then the header ``classification 1 ID,
classification 1 prefered label, classification 2 ID, classification 2 prefered label, mapping relation``.
Classification 1 is ESCO (occupation IRI), classification 2 ROME (appellation OGR code); the relation reads
"ESCO <relation> ROME", so it is inverted (broad <-> narrow) when stated from the ROME side.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from connector.vocab.alignment.data import AlignmentInput
from connector.vocab.alignment.matcher import BROAD, CLOSE, CURATED, EXACT, NARROW, Mapping
from connector.vocab.csvfiles import LoadReport, VocabInputError

HEADER = ["classification 1 id", "classification 2 id", "mapping relation"]
INVERSE = {EXACT: EXACT, CLOSE: CLOSE, BROAD: NARROW, NARROW: BROAD}


def read_eures(path: Path, data: AlignmentInput, report: LoadReport) -> list[Mapping]:
    """Curated mappings from the table; unknown ESCO IRIs or ROME codes are reported, not fatal."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabInputError(f"{path.name}: cannot read: {exc}") from None
    lines = raw.splitlines()
    start = next((i for i, line in enumerate(lines) if "classification 1 id" in line.lower()), None)
    if start is None:
        raise VocabInputError(f"{path.name}: missing column 'classification 1 ID' (no header line found)")
    reader = csv.reader(io.StringIO("\n".join(lines[start:])))
    header = [h.strip().lower() for h in next(reader)]
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise VocabInputError(f"{path.name}: missing column {', '.join(repr(h) for h in missing)}")
    col = {h: header.index(h) for h in HEADER}
    appellations = {i.code: i for i in data.rome.values() if i.kind == "appellation"}
    out: list[Mapping] = []
    for n, fields in enumerate(reader, start=start + 2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < len(header):
            report.bad_row(path.name, n, f"{len(fields)} field(s), the header has {len(header)}")
            continue
        esco, code = fields[col["classification 1 id"]].strip(), fields[col["classification 2 id"]].strip()
        relation = fields[col["mapping relation"]].strip().rsplit(":", 1)[-1].rsplit("#", 1)[-1]
        if relation not in INVERSE:
            report.bad_row(path.name, n, f"unknown mapping relation {fields[col['mapping relation']]!r}")
            continue
        if esco not in data.esco:
            report.unknown_code(path.name, n, "ESCO occupation", esco)
            continue
        if code not in appellations:
            report.unknown_code(path.name, n, "ROME appellation", code)
            continue
        out.append(
            Mapping(
                appellations[code],
                data.esco[esco],
                INVERSE[relation],
                1.0,
                CURATED,
                f"official EURES ESCO-ROME mapping table ({path.name}): ESCO {relation} ROME {code}",
            )
        )
    return out
