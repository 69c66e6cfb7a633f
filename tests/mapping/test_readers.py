"""Readers: encodings, separators, JSON shapes, LHEO 2.2/2.3, safe XML, job sheets."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.mapping.job_sheets import read_job_sheets_csv, read_job_sheets_json, read_job_sheets_yaml
from connector.mapping.lheo import read_lheo
from connector.mapping.records import FileRejected, Parsed
from connector.mapping.trainings import content_text, read_training_csv, read_training_json
from tests.mapping.conftest import HEADER, row

INPUTS = Path(__file__).parent / "inputs"
MB = 10_000_000


def _csv(path: Path, *, sep: str = ";", encoding: str = "utf-8", bom: bool = False) -> list[Parsed]:
    text = "\n".join([HEADER.replace(";", sep), row("A1").replace(";", sep)]) + "\n"
    data = text.encode(encoding, errors="replace")  # Latin-1 has no € sign
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return [p.checked() for p in read_training_csv(path, MB, 10_000)]


@pytest.mark.parametrize(
    ("sep", "encoding", "bom"),
    [(";", "utf-8", False), (";", "utf-8", True), (",", "cp1252", False), ("\t", "latin-1", False)],
)
def test_csv_separators_encodings_and_bom(tmp_path: Path, sep: str, encoding: str, bom: bool) -> None:
    (parsed,) = _csv(tmp_path / "t.csv", sep=sep, encoding=encoding, bom=bom)
    assert parsed.problems == []
    assert parsed.record is not None and parsed.record.id == "A1"
    assert parsed.record.title == "Développeur web et web mobile"  # accents survive every encoding
    assert parsed.record.modes == ("presentiel",)


def test_csv_bad_rows_are_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    good, other = row("G1").encode(), row("G2").encode()
    latin1_row = row("BAD-ENC", title="Intégrateur").encode("cp1252")  # a Windows row in a UTF-8 file
    comma_row = row("BAD-SEP").replace(";", ",").encode()
    path.write_bytes(b"\n".join([HEADER.encode(), good, latin1_row, comma_row, other]) + b"\n")
    parsed = [p.checked() for p in read_training_csv(path, MB, 10_000)]
    assert [p.source.location for p in parsed] == ["row 1", "row 2", "row 3", "row 4"]
    assert [p.record.id for p in parsed if p.record] == ["G1", "G2"]
    assert "wrong encoding" in parsed[1].problems[0].reason and parsed[1].record_id == "BAD-ENC"
    assert "separator" in parsed[2].problems[0].reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty file"), (b"\n\n", "empty file"), ("Identifiant;Intitulé\nX;Y\n".encode("utf-16"), "UTF-16")],
)
def test_csv_unreadable_files(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected, match=reason):
        list(read_training_csv(path, MB, 10_000))


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "\n" + row("A") + "\n")
    with pytest.raises(FileRejected, match="limit"):
        list(read_training_csv(path, 100, 10_000))


def test_field_problems_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "\n" + row("A", title="", lat="95", hours="-3", sessions="2026-13-01/2026-02-01") + "\n")
    (deferred,) = read_training_csv(path, MB, 10_000)
    assert deferred.record is None and deferred.record_id == "A" and deferred.content  # checked when the job needs it
    parsed = deferred.checked()
    reasons = {(p.field, p.reason) for p in parsed.problems}
    assert ("intitule", "missing required field") in reasons
    assert ("latitude", "out of range [-90, 90]") in reasons
    assert ("duree_heures", "must be positive") in reasons
    assert ("sessions", "malformed session date (expected YYYY-MM-DD)") in reasons
    assert parsed.record is None and parsed.record_id == "A"


def test_json_array_object_and_lines(tmp_path: Path) -> None:
    record = (
        '{"identifiant": "J1", "intitule": "T", "organisme": "O", "siret": "79279715700015", "url": "https://x.org", '
    )
    record += '"codes_rome": ["M1855"], "duree_heures": 10, "sessions": [{"debut": "2026-01-01", "fin": "2026-02-01"}]}'
    for name, text, location in (
        ("a.json", f"[{record}, 3]", "$[0]"),
        ("b.json", f'{{"formations": [{record}]}}', "$.formations[0]"),
        ("c.jsonl", f"{record}\n{{broken\n", "line 1"),
    ):
        path = tmp_path / name
        path.write_text(text)
        parsed = [p.checked() for p in read_training_json(path, MB, 10_000)]
        assert parsed[0].record is not None and parsed[0].source.location == location
        assert parsed[0].record.sessions[0].end.isoformat() == "2026-02-01"
        if len(parsed) > 1:
            assert parsed[1].record is None and parsed[1].problems


def test_json_truncated_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('[{"identifiant": "X1", ')
    with pytest.raises(FileRejected, match="invalid JSON"):
        list(read_training_json(path, MB, 10_000))


def test_lheo_23() -> None:
    parsed = list(read_lheo(INPUTS / "offres-2.3.xml", MB, 10_000))
    assert [p.source.location for p in parsed] == [f"/lheo/offres/formation[{i}]" for i in (1, 2, 3)]
    first = parsed[0].record
    assert first is not None and first.id == "LHEO-23-001"
    assert first.certification is not None and first.certification.code == "RNCP37674"
    assert first.rome_codes == ("M1855",) and first.duration_hours == 800 and first.modes == ("hybride",)
    assert first.latitude == pytest.approx(48.8611) and first.city == "Montreuil"
    assert [s.end.isoformat() if s.end else None for s in first.sessions] == ["2026-07-03", None]
    assert parsed[1].record is not None  # unknown ROME codes are the job's (vocabulary) check
    assert parsed[2].record is None and "session ends before it starts" in parsed[2].problems[0].reason


def test_lheo_22_and_latin1() -> None:
    (p22,) = read_lheo(INPUTS / "offres-2.2.xml", MB, 10_000)
    assert p22.record is not None and p22.record.provider_name == "Simplon Lyon"
    assert p22.record.street == "12 rue de la République"
    (latin,) = read_lheo(INPUTS / "latin1-2.2.xml", MB, 10_000)
    assert latin.record is not None and latin.record.title == "Intégrateur web"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<lheo><offres><formation><intitule-formation>&b;</intitule-formation></formation></offres></lheo>",
            "refused for safety",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<lheo><offres><formation><intitule-formation>&x;</intitule-formation></formation></offres></lheo>",
            "refused for safety",
        ),
        (b'<?xml version="1.0"?><lheo><offres><formation numero="x">', "invalid XML"),
        (b'<?xml version="1.0"?><catalogue/>', "not an LHEO document"),
        (b"", "invalid XML|empty"),
    ],
)
def test_lheo_unsafe_or_invalid(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.xml"
    path.write_bytes(content)
    with pytest.raises(FileRejected, match=reason):
        list(read_lheo(path, MB, 10_000))


def test_job_sheets_yaml_json_csv(tmp_path: Path) -> None:
    sheets = list(read_job_sheets_yaml(INPUTS / "job-sheets.yaml", MB, 10_000))
    web = sheets[0].record
    assert web is not None and web.rome_code == "M1855" and web.appellation_codes == ("14156", "38745")
    assert [(s.code, s.main) for s in web.esco_skills][0][1] is True
    assert sheets[1].record is not None and sheets[1].source.location == "$.fiches[1]"
    (one,) = read_job_sheets_json(INPUTS / "job-sheet-one.json", MB, 10_000)
    assert one.record is not None and one.source.location == "$"
    rows = list(read_job_sheets_csv(INPUTS / "job-sheets.csv", MB, 10_000))
    assert rows[0].record is not None and rows[0].record.competences[0].main is True
    assert rows[1].record is None and rows[1].problems[0].field == "intitule"


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n")
    with pytest.raises(FileRejected, match="aliases"):
        list(read_job_sheets_yaml(path, MB, 10_000))


def test_deeply_nested_json_is_refused_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 5_000 + "]" * 5_000
    for name, text in (("a.json", f"[{deep}]"), ("b.json", '{"identifiant": ' + deep + "}")):
        path = tmp_path / name
        path.write_text(text)
        try:
            parsed = [p.checked() for p in read_training_json(path, MB, 10_000)]
        except FileRejected:
            continue
        assert all(p.record is None and p.problems for p in parsed)
    lines = tmp_path / "c.jsonl"
    lines.write_text(deep + "\n")
    (bad,) = [p.checked() for p in read_training_json(lines, MB, 10_000)]
    assert bad.record is None and bad.problems


_texts = st.text(alphabet=st.sampled_from('ab\0\x01{}":,'), max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_texts, _texts, max_size=4), st.dictionaries(_texts, _texts, max_size=4))
def test_record_content_text_is_equal_only_for_equal_records(one: dict[str, str], other: dict[str, str]) -> None:
    """The text a record's content hash is taken from: NUL-joined for plain string rows, JSON otherwise (a NUL in a
    key or value), never the same text for two different records."""
    assert (content_text(one) == content_text(other)) == (one == other)


def test_record_content_text_of_rows_and_nested_json() -> None:
    assert content_text({"b": "2", "a": "1"}) == "a\0" + "1\0b\0" + "2"  # sorted: the column order does not matter
    assert content_text({"a": "x\0y"}) == '{"a": "x\\u0000y"}'
    nested = {"identifiant": "J1", "sessions": [{"debut": "2026-01-05"}]}
    assert content_text(nested) == '{"identifiant": "J1", "sessions": [{"debut": "2026-01-05"}]}'
    assert content_text({}) == "{}"
