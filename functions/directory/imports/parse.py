"""Read an uploaded CSV or XLSX file into rows keyed by canonical field names (no validation of values)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

__all__ = [
    "FIELDS",
    "MAX_BYTES",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_SHARED_STRINGS",
    "MAX_UNCOMPRESSED_BYTES",
    "ImportFileError",
    "ParsedFile",
    "SourceRow",
    "cell_text",
    "header_field",
    "parse_file",
]

MAX_BYTES: Final = 10 * 1024 * 1024
MAX_ROWS: Final = 20_000
# A file cannot hurt the worker: every dimension that costs CPU or memory has a ceiling, checked before the
# cost is paid. A real roster has a dozen columns and cells of a few dozen characters.
MAX_COLUMNS: Final = 64
MAX_CELL_CHARS: Final = 500
# An XLSX is a zip: what it inflates to is bounded by the sizes its directory declares (Python's zipfile
# stops at the declared size and fails the CRC beyond it), so the declared sizes are checked before opening.
MAX_UNCOMPRESSED_BYTES: Final = 64 * 1024 * 1024
MAX_ZIP_MEMBERS: Final = 200
MAX_COMPRESSION_RATIO: Final = 200
# openpyxl holds every shared string in memory; the table is bounded by its declared count and by its size.
MAX_SHARED_STRINGS: Final = 200_000
MAX_SHARED_STRINGS_BYTES: Final = 16 * 1024 * 1024
# Excel's numbers are at most 15 significant digits; an exponent beyond this is text, never expanded.
_MAX_EXPONENT: Final = 20
# Exports often start with a title row ("XX小区业主信息表") or two before the header.
HEADER_SCAN_ROWS: Final = 10

FileFormat = Literal["csv", "xlsx"]

# Canonical field -> header names seen in property firms' spreadsheets (compared after _header_key).
SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "building": ("楼栋", "栋号", "楼号", "楼栋号", "楼宇", "楼座", "building", "building_no"),
    "entrance": ("单元", "单元号", "entrance", "unit_entrance"),
    "room": (
        "房号",
        "房间号",
        "室",
        "室号",
        "房屋",
        "房屋编号",
        "房屋号",
        "房间",
        "门牌号",
        "room",
        "room_no",
        "address",
    ),
    "area": ("面积", "建筑面积", "房屋面积", "area", "area_m2"),
    "kind": ("类型", "房屋类型", "房屋性质", "kind", "unit_kind"),
    "name": ("姓名", "业主姓名", "住户姓名", "name", "resident", "resident_name"),
    "phone": ("电话", "手机", "手机号", "手机号码", "联系电话", "联系方式", "phone", "mobile", "tel"),
    "relation": ("关系", "身份", "住户身份", "与业主关系", "relation"),
    "id_number": ("身份证", "身份证号", "身份证号码", "证件号码", "id_number", "id_no"),
    "primary": ("主要联系人", "是否主要联系人", "primary", "primary_contact"),
    # Free text; only the care list's words are kept from it (directory/care/rules.py).
    "remarks": ("备注", "备注信息", "说明", "特殊情况", "remarks", "remark", "notes", "note"),
}
FIELDS: Final = tuple(SYNONYMS)

_HEADER_NOISE = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|[\s*_\-:.]")


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


_BY_HEADER: Final = {_header_key(name): fld for fld, names in SYNONYMS.items() for name in names}


def header_field(header: str) -> str | None:
    """The canonical field a header names (`" 手机号 "` -> `phone`, `建筑面积(㎡)` -> `area`), or None."""
    return _BY_HEADER.get(_header_key(header))


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: `line` is its 1-based row number as a spreadsheet shows it; blank cells are absent."""

    line: int
    values: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """The rows of a file and how its header was understood."""

    format: FileFormat
    header_line: int
    columns: dict[str, str]
    ignored_columns: list[str]
    rows: list[SourceRow]


_WHOLE_FLOAT = re.compile(r"[+-]?\d+\.0+")
_SCIENTIFIC = re.compile(r"[+-]?(?P<int>\d+)(?:\.(?P<frac>\d+))?[eE][+-]?\d+")


def _number_text(text: str) -> str:
    """Undo what Excel does to long numbers: `101.0` -> `101`, `1.3812345678E10` -> `13812345678`."""
    if _WHOLE_FLOAT.fullmatch(text):
        return text.split(".", 1)[0]
    match = _SCIENTIFIC.fullmatch(text)
    if match is None:
        return text
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    # "1e999999" would expand into a million digits (and str() of it raises): it stays the text it is.
    if not value.is_finite() or abs(value.adjusted()) > _MAX_EXPONENT:
        return text
    if value != value.to_integral_value():
        return text
    whole = str(int(value))
    # "1.38123E+10" lost digits when Excel displayed it; keep the text so validation rejects it.
    shown = (match.group("int") + (match.group("frac") or "")).lstrip("0")
    return whole if len(shown) >= len(whole.lstrip("-")) else text


def cell_text(value: object) -> str:
    """One cell as stripped, width-normalised text; Excel's floats for whole numbers lose their `.0`."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value if value.isascii() else unicodedata.normalize("NFKC", value)
        text = text.strip().strip("\u200b\ufeff").strip()
        return _number_text(text) if text[:1].isdigit() or text[:1] in "+-" else text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return cell_text(str(value))


_CSV_TYPES: Final = {
    "text/csv",
    "text/plain",
    "application/csv",
    "text/tab-separated-values",
    # What Windows browsers send for .csv when Excel is installed.
    "application/vnd.ms-excel",
}
_XLSX_TYPES: Final = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_GENERIC_TYPES: Final = {"", "application/octet-stream", "binary/octet-stream"}
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _detect(data: bytes, filename: str | None, content_type: str | None) -> FileFormat:
    ext = filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        raise ImportFileError(
            "unsupported_type", "legacy .xls workbooks are not supported: save as .xlsx or CSV"
        )
    if ext in ("xlsx", "xlsm") or ctype in _XLSX_TYPES:
        raise ImportFileError("invalid_file", "the file is named as an XLSX workbook but is not one")
    declared_csv = ext in ("csv", "txt", "tsv") or ctype in _CSV_TYPES
    declared_other = (ext not in ("", "csv", "txt", "tsv")) or ctype not in _GENERIC_TYPES | _CSV_TYPES
    if declared_other and not declared_csv:
        raise ImportFileError("unsupported_type", "only CSV and XLSX files can be imported")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in data[:4096] and not utf16:
        raise ImportFileError("unsupported_type", "the file is binary, not CSV or XLSX")
    return "csv"


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encodings: Sequence[str] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
        encodings = ("utf-16",)
    else:
        # Chinese Excel saves "CSV" in the ANSI code page, GBK; GB18030 is its superset.
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("undecodable", "the file is neither UTF-8 nor GBK/GB18030 text")


def _csv_rows(data: bytes) -> Iterator[Sequence[object]]:
    text = _decode(data)
    sample = text[:8192]
    delimiter = max(",\t;", key=sample.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise ImportFileError("invalid_file", f"the CSV file is malformed ({exc})") from None


_SHARED_COUNT = re.compile(rb'uniqueCount="(\d{1,12})"')


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb, or a workbook too big to read, from its directory alone (nothing is inflated)."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFileError("too_large", f"the workbook has more than {MAX_ZIP_MEMBERS} parts")
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise ImportFileError("unsupported_type", "the archive is not an XLSX workbook")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1024):
            raise ImportFileError("too_large", "the workbook is compressed beyond what a spreadsheet can be")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(
            "too_large", f"the workbook unpacks to more than {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB"
        )
    shared = next((m for m in members if m.filename == "xl/sharedStrings.xml"), None)
    if shared is not None:
        if shared.file_size > MAX_SHARED_STRINGS_BYTES:
            raise ImportFileError("too_large", "the workbook's text table is too large")
        with archive.open(shared) as stream:
            match = _SHARED_COUNT.search(stream.read(1024))
        if match is not None and int(match.group(1)) > MAX_SHARED_STRINGS:
            raise ImportFileError(
                "too_large", f"the workbook has more than {MAX_SHARED_STRINGS} distinct texts"
            )


def _xlsx_rows(data: bytes) -> Iterator[Sequence[object]]:
    # openpyxl is imported here so a CSV-only cold start does not pay for it.
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs in the dev dependencies

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises anything from KeyError to zipfile.BadZipFile on a broken file
        raise ImportFileError("invalid_file", "the XLSX workbook cannot be read") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("empty_file", "the workbook has no sheets")
        # One column past the limit is read, so that a wider sheet is refused rather than cut silently; a
        # sheet whose dimension claims 16,384 columns is not expanded into rows of empty cells.
        yield from workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    finally:
        workbook.close()


def _bounded_cells(raw: Sequence[object], line: int) -> list[str]:
    """A row's cells as text, refusing a row wider or a cell longer than any roster has."""
    if len(raw) > MAX_COLUMNS and any(value not in (None, "") for value in raw[MAX_COLUMNS:]):
        raise ImportFileError("too_many_columns", f"row {line} has more than {MAX_COLUMNS} columns")
    cells = []
    for value in raw[:MAX_COLUMNS]:
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise ImportFileError(
                "cell_too_long", f"a cell in row {line} is longer than {MAX_CELL_CHARS} characters"
            )
        cells.append(cell_text(value))
    return cells


def _is_blank(cells: Sequence[str]) -> bool:
    return not any(cells)


def _read_header(
    cells: Sequence[str],
) -> tuple[dict[int, str], dict[int, str], dict[str, str], list[str]] | None:
    fields: dict[int, str] = {}
    extras: dict[int, str] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(cells):
        if not header:
            continue
        fld = header_field(header)
        if fld is not None and fld not in columns:
            fields[index] = fld
            columns[fld] = header
        else:
            # Unknown columns, and a second column for a field already taken, are kept aside.
            extras[index] = header
            ignored.append(header)
    if "room" not in columns:
        return None
    return fields, extras, columns, ignored


def _rows(raw_rows: Iterable[Sequence[object]], fmt: FileFormat) -> ParsedFile:
    header: tuple[dict[int, str], dict[int, str], dict[str, str], list[str]] | None = None
    header_line = 0
    scanned = 0
    rows: list[SourceRow] = []
    for line, raw in enumerate(raw_rows, start=1):
        cells = _bounded_cells(raw, line)
        if _is_blank(cells):
            continue
        if header is None:
            scanned += 1
            header = _read_header(cells)
            if header is None:
                if scanned >= HEADER_SCAN_ROWS:
                    break
                continue
            header_line = line
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError("too_many_rows", f"the file has more than {MAX_ROWS} rows")
        fields, extras, _, _ = header
        width = len(cells)
        values = {fld: cells[i] for i, fld in fields.items() if i < width and cells[i]}
        extra = {name: cells[i] for i, name in extras.items() if i < width and cells[i]}
        rows.append(SourceRow(line=line, values=values, extra=extra))
    if header is None:
        if scanned == 0:
            raise ImportFileError("empty_file", "the file is empty")
        raise ImportFileError(
            "no_header",
            f"no header row with a room column (房号 or room) in the first {HEADER_SCAN_ROWS} rows",
        )
    if not rows:
        raise ImportFileError("no_rows", "the file has a header but no data rows")
    _, _, columns, ignored = header
    return ParsedFile(
        format=fmt, header_line=header_line, columns=columns, ignored_columns=ignored, rows=rows
    )


def parse_file(data: bytes, filename: str | None = None, content_type: str | None = None) -> ParsedFile:
    """Read a CSV (UTF-8, with or without BOM, or GBK) or XLSX (first sheet) upload into source rows."""
    if len(data) > MAX_BYTES:
        raise ImportFileError("too_large", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError("empty_file", "the file is empty")
    fmt = _detect(data, filename, content_type)
    raw_rows = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    return _rows(raw_rows, fmt)
