"""Uploaded CSV and XLSX files become rows keyed by canonical field names."""
# Full-width digits and odd dashes are the input under test, not typos.

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs in the dev dependencies

from directory.imports import parse
from directory.imports.parse import ImportFileError, cell_text, header_field, parse_file

HEADER = "楼栋,单元,房号,面积,姓名,手机号"
ROW = "1,1,101,89.5,张三,13812345678"


def _csv(*lines: str, encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(encoding: str) -> None:
    parsed = parse_file(_csv(HEADER, ROW, encoding=encoding), "住户.csv")

    assert parsed.format == "csv"
    assert parsed.rows[0].values == {
        "building": "1",
        "entrance": "1",
        "room": "101",
        "area": "89.5",
        "name": "张三",
        "phone": "13812345678",
    }


def test_excel_unicode_text_export_is_read_as_tab_separated_utf16() -> None:
    data = ("楼栋\t房号\t姓名\r\n2\t301\t李四\r\n").encode("utf-16")

    parsed = parse_file(data, "export.txt")

    assert parsed.rows[0].values == {"building": "2", "room": "301", "name": "李四"}


def test_semicolon_separated_csv_is_read() -> None:
    parsed = parse_file(_csv("room;area", "1-1-101;90"), "units.csv")

    assert parsed.rows[0].values == {"room": "1-1-101", "area": "90"}


def test_xlsx_first_sheet_is_read_with_numbers_as_text() -> None:
    data = _xlsx([["房号", "面积", "手机", "单元"], ["1-1-101", 89.5, 13812345678, 1.0]])

    parsed = parse_file(data, "住户.xlsx")

    assert parsed.format == "xlsx"
    assert parsed.rows[0].values == {
        "room": "1-1-101",
        "area": "89.5",
        "phone": "13812345678",
        "entrance": "1",
    }


def test_xlsx_phone_stored_as_float_becomes_digits() -> None:
    data = _xlsx([["房号", "电话"], ["1-1-101", 1.3812345678e10]])

    assert parse_file(data, "a.xlsx").rows[0].values["phone"] == "13812345678"


def test_xlsx_is_recognised_by_content_even_without_a_name() -> None:
    data = _xlsx([["房号"], ["1-1-101"]])

    assert parse_file(data).format == "xlsx"


def test_only_the_first_sheet_is_read() -> None:
    workbook = Workbook()
    workbook.active.append(["房号"])
    workbook.active.append(["1-1-101"])
    other = workbook.create_sheet("其他")
    other.append(["房号"])
    other.append(["9-9-909"])
    workbook.active = 1
    out = io.BytesIO()
    workbook.save(out)

    rows = parse_file(out.getvalue(), "a.xlsx").rows

    assert [r.values["room"] for r in rows] == ["1-1-101"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("楼栋", "building"),
        ("栋号", "building"),
        ("楼号", "building"),
        ("Building", "building"),
        ("单元", "entrance"),
        ("unit_entrance", "entrance"),
        ("房号", "room"),
        ("房间号", "room"),
        ("室", "room"),
        ("ROOM", "room"),
        ("房屋编号", "room"),
        ("房屋", "room"),
        ("Address", "room"),
        ("面积", "area"),
        ("建筑面积（㎡）", "area"),
        ("建筑面积(m²)", "area"),
        ("area_m2", "area"),
        ("Area M2", "area"),
        ("类型", "kind"),
        ("房屋类型", "kind"),
        ("kind", "kind"),
        ("姓名", "name"),
        ("业主姓名", "name"),
        (" Name ", "name"),
        ("电话", "phone"),
        ("手机", "phone"),
        (" 手机号 ", "phone"),
        ("联系电话", "phone"),
        ("Mobile", "phone"),
        ("关系", "relation"),
        ("身份", "relation"),
        ("身份证", "id_number"),
        ("身份证号", "id_number"),
        ("ID_Number", "id_number"),
        ("主要联系人", "primary"),
        ("*主要联系人", "primary"),
        ("primary", "primary"),
        ("备注", "remarks"),  # the care list's words are read from it (issue 19)
        ("颜色", None),
        ("", None),
    ],
)
def test_headers_are_recognised_by_their_synonyms(header: str, field: str | None) -> None:
    assert header_field(header) == field


def test_unknown_columns_are_kept_aside_and_reported_as_ignored() -> None:
    parsed = parse_file(_csv("房号,颜色,面积,电话,手机", "1-1-101,白色,90,13812345678,13900000000"), "a.csv")

    assert parsed.ignored_columns == ["颜色", "手机"]
    assert parsed.columns == {"room": "房号", "area": "面积", "phone": "电话"}
    assert parsed.rows[0].values == {"room": "1-1-101", "area": "90", "phone": "13812345678"}
    assert parsed.rows[0].extra == {"颜色": "白色", "手机": "13900000000"}


def test_title_rows_above_the_header_are_skipped_and_lines_are_spreadsheet_rows() -> None:
    data = _csv("阳光花园 住户信息,,", ",,", "房号,面积,姓名", "1-1-101,90,张三", ",,", "1-1-102,91,李四")

    parsed = parse_file(data, "a.csv")

    assert parsed.header_line == 3
    assert [(r.line, r.values["room"]) for r in parsed.rows] == [(4, "1-1-101"), (6, "1-1-102")]


def test_values_are_stripped_and_full_width_folded() -> None:
    data = _csv("房号,面积,手机号", "  １－１－１０１ ,\u3000８９．５ ,１３８１２３４５６７８")

    assert parse_file(data, "a.csv").rows[0].values == {
        "room": "1-1-101",
        "area": "89.5",
        "phone": "13812345678",
    }


def test_blank_cells_are_absent_from_values() -> None:
    parsed = parse_file(_csv("房号,面积,姓名", "1-1-101,,"), "a.csv")

    assert parsed.rows[0].values == {"room": "1-1-101"}


def test_short_rows_are_padded() -> None:
    parsed = parse_file(_csv("房号,面积,姓名", "1-1-101"), "a.csv")

    assert parsed.rows[0].values == {"room": "1-1-101"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  a  ", "a"),
        ("101.0", "101"),
        ("101.00", "101"),
        ("89.50", "89.50"),
        ("1.3812345678E10", "13812345678"),
        ("1.3812345678e+10", "13812345678"),
        # Excel displayed it with lost digits: keep the text so validation refuses it, never guess.
        ("1.38123E+10", "1.38123E+10"),
        ("1E3", "1E3"),
        ("+86 138", "+86 138"),
        (101, "101"),
        (101.0, "101"),
        (89.5, "89.5"),
        (13812345678.0, "13812345678"),
        (True, "true"),
        ("\u200b1-1-101\ufeff", "1-1-101"),
    ],
)
def test_cells_become_clean_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImportFileError, match="empty") as caught:
        parse_file(b"", "a.csv")

    assert caught.value.code == "empty_file"


def test_file_of_blank_lines_is_refused_as_empty() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_file(b"\xef\xbb\xbf\r\n,,,\r\n", "a.csv")

    assert caught.value.code == "empty_file"


def test_file_without_a_room_column_is_refused() -> None:
    with pytest.raises(ImportFileError, match="room column") as caught:
        parse_file(_csv("姓名,电话", "张三,13812345678"), "a.csv")

    assert caught.value.code == "no_header"


def test_header_without_rows_is_refused() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_file(_csv(HEADER), "a.csv")

    assert caught.value.code == "no_rows"


def test_too_many_rows_are_refused() -> None:
    data = _csv("房号", *(["1-1-101"] * (parse.MAX_ROWS + 1)))

    with pytest.raises(ImportFileError, match="20000") as caught:
        parse_file(data, "a.csv")

    assert caught.value.code == "too_many_rows"


def test_exactly_the_row_limit_is_accepted() -> None:
    data = _csv("房号", *(["1-1-101"] * parse.MAX_ROWS))

    assert len(parse_file(data, "a.csv").rows) == parse.MAX_ROWS


def test_file_over_ten_megabytes_is_refused() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_file(b"x" * (parse.MAX_BYTES + 1), "a.csv")

    assert caught.value.code == "too_large"


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "code"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", None, "unsupported_type"),
        (b"%PDF-1.4 ...", "scan.pdf", "application/pdf", "unsupported_type"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None, None, "unsupported_type"),
        (_docx(), "notes.docx", None, "unsupported_type"),
        (b"room\n1-1-101\n", "units.xlsx", None, "invalid_file"),
        (b"PK\x03\x04 broken", "units.xlsx", None, "invalid_file"),
    ],
)
def test_unsupported_and_broken_files_are_refused(
    data: bytes, filename: str | None, content_type: str | None, code: str
) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_file(data, filename, content_type)

    assert caught.value.code == code


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("a.csv", None),
        ("a.CSV", "text/csv; charset=utf-8"),
        (None, "application/vnd.ms-excel"),
        (None, "application/octet-stream"),
        (None, None),
    ],
)
def test_csv_is_accepted_by_name_or_content_type(filename: str | None, content_type: str | None) -> None:
    assert parse_file(_csv(HEADER, ROW), filename, content_type).format == "csv"


def test_import_file_error_is_a_value_error() -> None:
    assert issubclass(ImportFileError, ValueError)


@pytest.mark.parametrize(
    ("remarks", "flags"),
    [
        ("老人独居", {"elderly_alone"}),
        ("独居老人，行动不便", {"elderly_alone", "needs_assistance"}),
        ("残疾人（轮椅）", {"disabled"}),
        ("需 协助", {"needs_assistance"}),
        ("已入住", set()),
        ("", set()),
    ],
)
def test_the_remarks_column_names_care_flags(remarks: str, flags: set[str]) -> None:
    from directory.care.rules import flags_from_remarks

    assert {f.value for f in flags_from_remarks(remarks)} == flags
