"""A bank statement's inflows, pure: CSV or XLSX exports of Chinese banks read into one shape.

Two column layouts are recognised by their Chinese headers (and a few synonyms each bank uses):
- ``交易日期 / 贷方金额 / 对方户名 / 对方账号 / 摘要`` (e.g. ICBC, CCB corporate exports), and
- ``记账日期 / 收入金额 / 对方名称 / 用途`` (e.g. ABC, BOC), with an optional ``对方账号``.
Rows above the header (the bank's title, the account, the period) are skipped; rows without a credit amount
(outflows, totals) are left out. Amounts like ``1,234.50`` or ``¥1234.5`` become fen. Each line's id is the
digest of its content, so the same line exported twice (or in two overlapping statements) is one line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "交易时间", "入账日期"),
    "amount": ("贷方金额", "收入金额", "贷方发生额", "收入"),
    "name": ("对方户名", "对方名称", "对方账户名称", "付款人名称"),
    "account": ("对方账号", "对方账户", "付款人账号"),
    "memo": ("摘要", "用途", "附言", "备注"),
}
REQUIRED = ("date", "amount", "name")


class StatementError(ValueError):
    """The file is not a statement this reader knows (no header row with date, credit amount and name)."""


@dataclass(frozen=True, slots=True)
class Inflow:
    line_id: str
    row: int  # the row in the file, 1-based, for the person reading the report
    on: date
    amount: int  # fen
    name: str
    account: str
    memo: str


def read(content: bytes, filename: str) -> tuple[list[Inflow], int]:
    """The inflows of a CSV or XLSX statement and how many duplicate lines were left out."""
    rows = xlsx_rows(content) if filename.lower().endswith(".xlsx") else csv_rows(content)
    header_at, columns = _header(rows)
    found: dict[str, Inflow] = {}
    duplicates = 0
    for index, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = {field: _cell(row, at) for field, at in columns.items()}
        amount = fen(cells["amount"])
        on = _date(cells["date"])
        if amount is None or amount <= 0 or on is None:
            continue
        parts = (on.isoformat(), str(amount), cells["name"], cells.get("account", ""), cells.get("memo", ""))
        line_id = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
        if line_id in found:
            duplicates += 1
            continue
        found[line_id] = Inflow(
            line_id, index, on, amount, cells["name"], cells.get("account", ""), cells.get("memo", "")
        )
    return list(found.values()), duplicates


def csv_rows(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise StatementError("the file is neither UTF-8 nor GBK text")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs in the dev dependencies

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise StatementError("the file is not an XLSX workbook") from error
    sheet = book.worksheets[0]
    return [["" if v is None else _text(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    for at, row in enumerate(rows[:30]):
        names = [c.strip() for c in row]
        columns = {
            field: names.index(name)
            for field, synonyms in COLUMNS.items()
            for name in synonyms
            if name in names
        }
        if all(field in columns for field in REQUIRED):
            return at, columns
    raise StatementError("no header row with a date, a credit amount and the counterparty's name")


def _cell(row: list[str], at: int) -> str:
    return row[at].strip() if at < len(row) else ""


def fen(raw: str) -> int | None:
    cleaned = re.sub(r"[,，¥￥\s元]", "", raw)
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return int((value * 100).quantize(Decimal(1)))


def _date(raw: str) -> date | None:
    # 2026-04-03, 2026/4/3, 2026年4月3日, 20260403, with or without a time after it
    match = re.match(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})", raw.strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
