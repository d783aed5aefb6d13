"""An uploaded file cannot hurt the import worker: numbers, rows, columns, cells and zips are bounded."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs in the dev dependencies

from directory.imports import parse
from directory.imports.cells import parse_area_centi
from directory.imports.parse import ImportFileError, cell_text, parse_file


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _with_member(workbook: bytes, name: str, write: object) -> bytes:
    """The workbook with one more (or one replaced) part, written by ``write(stream)``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            if member.filename != name:
                target.writestr(member, source.read(member))
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with target.open(info, "w", force_zip64=True) as stream:
            write(stream)  # type: ignore[operator]
    return out.getvalue()


@pytest.mark.parametrize("text", ["1e999999", "9E+999999", "1.5e-999999", "-1e400", "1e21"])
def test_huge_exponents_stay_text_and_never_expand(text: str) -> None:
    assert cell_text(text) == text


@pytest.mark.parametrize("text", ["1e999999", "1E+7", "9" * 40, "NaN", "Infinity", "1" + "0" * 40])
def test_an_area_out_of_bounds_is_a_row_error_not_a_crash(text: str) -> None:
    with pytest.raises(ValueError, match="area"):
        parse_area_centi(text)


def test_a_csv_with_an_exponent_bomb_parses_into_a_row() -> None:
    parsed = parse_file("楼栋,房号,面积\n1,101,1e999999\n".encode(), "a.csv")

    assert parsed.rows[0].values["area"] == "1e999999"


def test_a_cell_longer_than_the_limit_is_refused() -> None:
    long_room = "0" * (parse.MAX_CELL_CHARS + 1)

    with pytest.raises(ImportFileError) as refused:
        parse_file(f"楼栋,房号\n1,{long_room}\n".encode(), "a.csv")
    assert refused.value.code == "cell_too_long"


def test_a_row_wider_than_the_limit_is_refused_in_csv_and_xlsx() -> None:
    wide = ["楼栋", "房号", *(f"c{i}" for i in range(parse.MAX_COLUMNS))]

    with pytest.raises(ImportFileError) as from_csv:
        parse_file((",".join(wide) + "\n1,101\n").encode(), "a.csv")
    with pytest.raises(ImportFileError) as from_xlsx:
        parse_file(_xlsx([list(wide), ["1", "101"]]), "a.xlsx")
    assert from_csv.value.code == from_xlsx.value.code == "too_many_columns"


def test_trailing_empty_columns_are_not_counted() -> None:
    parsed = parse_file(("楼栋,房号" + "," * 500 + "\n1,101\n").encode(), "a.csv")

    assert parsed.rows[0].values == {"building": "1", "room": "101"}


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_inflated() -> None:
    chunk = b" " * (1024 * 1024)

    def inflate(stream: io.BufferedIOBase) -> None:
        for _ in range(parse.MAX_UNCOMPRESSED_BYTES // len(chunk) + 1):
            stream.write(chunk)

    bomb = _with_member(_xlsx([["楼栋", "房号"], ["1", "101"]]), "xl/worksheets/sheet1.xml", inflate)
    assert len(bomb) < parse.MAX_BYTES  # it passes the upload limit: only the unpacked size gives it away

    with pytest.raises(ImportFileError) as refused:
        parse_file(bomb, "bomb.xlsx")
    assert refused.value.code == "too_large"


def test_a_highly_compressed_part_is_refused_even_under_the_total_limit() -> None:
    def inflate(stream: io.BufferedIOBase) -> None:
        stream.write(b"<" * (8 * 1024 * 1024))

    with pytest.raises(ImportFileError) as refused:
        parse_file(_with_member(_xlsx([["楼栋", "房号"]]), "xl/worksheets/sheet1.xml", inflate), "a.xlsx")
    assert refused.value.code == "too_large"


def test_a_workbook_declaring_too_many_shared_strings_is_refused() -> None:
    header = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        f' count="1" uniqueCount="{parse.MAX_SHARED_STRINGS + 1}"><si><t>x</t></si></sst>'
    )

    def strings(stream: io.BufferedIOBase) -> None:
        stream.write(header.encode())

    with pytest.raises(ImportFileError) as refused:
        parse_file(_with_member(_xlsx([["楼栋", "房号"]]), "xl/sharedStrings.xml", strings), "a.xlsx")
    assert refused.value.code == "too_large"


def test_a_workbook_with_too_many_parts_is_refused() -> None:
    workbook = _xlsx([["楼栋", "房号"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        for index in range(parse.MAX_ZIP_MEMBERS):
            target.writestr(f"xl/media/{index}.bin", b"x")

    with pytest.raises(ImportFileError) as refused:
        parse_file(out.getvalue(), "a.xlsx")
    assert refused.value.code == "too_large"
