from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from connector.vocab.csvfiles import CsvTable, LoadReport, VocabInputError, find_file


def test_reads_by_header_name_gzip_or_plain(tmp_path: Path) -> None:
    plain = tmp_path / "a_v460_utf8.csv"
    plain.write_text('"extra","code","label"\n"x","1","un"\n"y","2","deux"\n', encoding="utf-8")
    packed = tmp_path / "b.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        report = LoadReport()
        rows = list(CsvTable(path, ["label", "code"], report, ["missing_optional"]).rows())
        assert rows == [
            (2, {"label": "un", "code": "1", "missing_optional": ""}),
            (3, {"label": "deux", "code": "2", "missing_optional": ""}),
        ]
    assert find_file(tmp_path, r"a_v\d+_utf8\.csv") == plain
    assert find_file(tmp_path, r"b\.csv") == packed


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "unix_referentiel_code_rome_v461_utf8.csv"
    path.write_text("code_rome,intitule\nM1805,Dev\n", encoding="utf-8")
    with pytest.raises(
        VocabInputError, match=r"unix_referentiel_code_rome_v461_utf8\.csv: missing column 'libelle_rome'"
    ):
        list(CsvTable(path, ["code_rome", "libelle_rome"], LoadReport()).rows())


def test_bad_rows_are_reported_with_line_and_the_rest_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b'code,label\n1,un\n2,deux,extra\n3,"multi\nline"\n4,\xff\xfe\n5,cinq\n')
    report = LoadReport()
    rows = list(CsvTable(path, ["code", "label"], report).rows())
    assert [r["code"] for _, r in rows] == ["1", "3", "5"]
    assert [line for line, _ in rows] == [2, 4, 7]
    assert report.bad_rows == 2
    samples = report.files["f.csv"].bad_row_samples
    assert samples[0].startswith("f.csv line 3: 3 field(s)") and samples[1] == "f.csv line 6: not valid UTF-8"


def test_missing_file_is_an_error_naming_the_directory(tmp_path: Path) -> None:
    with pytest.raises(VocabInputError, match="no file matching"):
        find_file(tmp_path, r"unix_texte_v\d+_utf8\.csv")
