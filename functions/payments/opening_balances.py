"""Opening balances at go-live, pure: each unit's arrears and prepayment from the old system's spreadsheet,
checked row by row (a report before anything is written), then planned as ledger entries marked as opening.

- Columns by their headers: 房号 (or 单元/房间/unit: the unit's label or room code), 欠费 (or
  期初欠费/arrears) and 预存 (or 预存款/prepayment), amounts in yuan.
- A row is refused when its unit is not one of the community's (``unknown_unit``), an amount is not a
  non-negative number (``bad_amount``), or the unit came in an earlier row (``duplicate_unit``).
- Arrears become an opening bill (one line, no late fee, due on the go-live date, so they appear in the
  ageing from then on) and an ``opening_arrears`` entry; a prepayment an ``opening_credit`` entry and the
  unit's credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from courtyard.clock import to_iso
from payments.bank_statement import fen
from payments.domain import (
    Bill,
    BillLine,
    BillStatus,
    EntryKind,
    FeeKind,
    LateFeePolicy,
    LedgerEntry,
)
from payments.settle import CreditChange

COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("房号", "单元", "房间", "unit"),
    "arrears": ("欠费", "期初欠费", "arrears"),
    "prepaid": ("预存", "预存款", "prepayment"),
}


@dataclass(frozen=True, slots=True)
class Opening:
    row: int
    unit_id: str
    unit_label: str
    arrears: int
    prepaid: int


@dataclass(frozen=True, slots=True)
class Problem:
    row: int
    code: str
    value: str


def _norm(code: str) -> str:
    return re.sub(r"[\s\-_#/号栋幢单元室]", "", code).upper()


def validate(rows: list[list[str]], units: dict[str, tuple[str, str]]) -> tuple[list[Opening], list[Problem]]:
    """``units``: the community's unit codes (label, room key) -> (unit_id, label)."""
    known = {_norm(code): unit for code, unit in units.items()}
    header_at, columns = _header(rows)
    valid: list[Opening] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = {k: (row[i].strip() if i < len(row) else "") for k, i in columns.items()}
        if not any(cells.values()):
            continue
        unit = known.get(_norm(cells["unit"]))
        if unit is None:
            problems.append(Problem(number, "unknown_unit", cells["unit"][:40]))
            continue
        amounts = {k: (fen(cells.get(k, "")) if cells.get(k) else 0) for k in ("arrears", "prepaid")}
        bad = [k for k, v in amounts.items() if v is None or v < 0]
        if bad:
            problems.append(Problem(number, "bad_amount", cells.get(bad[0], "")[:40]))
            continue
        if unit[0] in seen:
            problems.append(Problem(number, "duplicate_unit", cells["unit"][:40]))
            continue
        seen.add(unit[0])
        valid.append(Opening(number, unit[0], unit[1], amounts["arrears"] or 0, amounts["prepaid"] or 0))
    return valid, problems


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    for at, row in enumerate(rows[:20]):
        names = [c.strip().lower() for c in row]
        columns = {k: names.index(n.lower()) for k, syn in COLUMNS.items() for n in syn if n.lower() in names}
        if "unit" in columns and ("arrears" in columns or "prepaid" in columns):
            return at, columns
    raise ValueError("no header row with 房号 and 欠费 or 预存")


def plan(
    opening: Opening,
    tenant_id: str,
    site_id: str,
    bill_id: str,
    go_live: date,
    currency: str,
    now: datetime,
) -> tuple[Bill | None, list[LedgerEntry], CreditChange | None]:
    at = to_iso(now)
    entries: list[LedgerEntry] = []
    bill = None
    if opening.arrears:
        line = BillLine(
            "opening", "期初欠费 Opening arrears", FeeKind.FIXED, "1", opening.arrears, LateFeePolicy()
        )
        bill = Bill(
            tenant_id,
            bill_id,
            site_id,
            opening.unit_id,
            opening.unit_label,
            go_live.strftime("%Y-%m"),
            currency,
            (line,),
            opening.arrears,
            0,
            go_live,
            BillStatus.ISSUED,
            at,
            "opening",
        )
        entries.append(
            LedgerEntry(
                opening.unit_id,
                f"OPEN-A-{bill_id}",
                EntryKind.OPENING_ARREARS,
                opening.arrears,
                currency,
                at,
                bill_id=bill_id,
                site_id=site_id,
            )
        )
    credit = None
    if opening.prepaid:
        entries.append(
            LedgerEntry(
                opening.unit_id,
                f"OPEN-C-{bill_id}",
                EntryKind.OPENING_CREDIT,
                opening.prepaid,
                currency,
                at,
                site_id=site_id,
            )
        )
        credit = CreditChange(site_id, opening.unit_id, opening.prepaid)
    return bill, entries, credit
