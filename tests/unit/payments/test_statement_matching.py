"""Bank statements: two Chinese column layouts (CSV and XLSX) read into inflows, and each inflow matched by
reference, then payer name, else an exception (pure)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs in the dev dependencies
from payments.bank_statement import StatementError, read
from payments.statement_matching import OpenBill, UnitFacts, match

UNITS = [UnitFacts(f"U{i:03d}", (f"1-1-{101 + i}",), (f"住户{i:03d}",)) for i in range(200)]


def _bills() -> list[OpenBill]:
    bills = [OpenBill(f"B{i:03d}", f"U{i:03d}", 10000 + i) for i in range(140)]
    # units 140..199 in pairs owing the same amount: an inflow of it alone is ambiguous
    bills += [OpenBill(f"B{i:03d}", f"U{i:03d}", 50000 + (i - 140) // 2) for i in range(140, 200)]
    return bills


def _statement_rows() -> list[list[str]]:
    rows = [
        ["中国工商银行 对公账户交易明细"],
        ["账号: 6222 0000 1111"],
        ["交易日期", "贷方金额", "对方户名", "对方账号", "摘要"],
    ]
    for i in range(80):  # the unit's code in the memo, the exact amount, a name nobody knows
        rows.append(
            ["2026-04-03", f"{(10000 + i) / 100:.2f}", f"张{i}", f"62{i:08d}", f"1-1-{101 + i} 物业费"]
        )
    for i in range(80, 140):  # a resident's name, an exact amount of their unit, a memo naming nothing
        rows.append(["2026-04-04", f"{(10000 + i) / 100:,.2f}", f"住户{i:03d}", "", "转账"])
    for k in range(30):  # an amount two units owe, from nobody known
        rows.append(["2026/4/5", f"{(50000 + k) / 100:.2f}", f"李{k}", "", "缴费"])
    for k in range(30):  # nobody owes this
        rows.append(["20260406", f"{(99900 + k) / 100:.2f}", f"王{k}", "", "往来款"])
    rows.append(rows[3])  # the bank exported the first line twice
    rows.append(["2026-04-06", "", "支出", "", "手续费"])  # an outflow: no credit amount
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(f'"{c}"' for c in row) for row in rows).encode("gb18030")


def test_a_statement_of_200_inflows_is_matched_as_expected():
    inflows, duplicates = read(_csv(_statement_rows()), "icbc.csv")

    results = match(inflows, _bills(), UNITS)

    assert (len(inflows), duplicates) == (200, 1)
    outcomes = [r.outcome for r in results]
    assert outcomes.count("reference") == 80
    assert outcomes.count("payer") == 60
    assert outcomes.count("ambiguous") == 30
    assert outcomes.count("unknown") == 30
    first = results[0]
    assert (first.unit_id, first.bill_ids, first.inflow.amount) == ("U000", ("B000",), 10000)
    payer = results[100]
    assert (payer.unit_id, payer.bill_ids) == ("U100", ("B100",))
    ambiguous = results[140]
    assert ambiguous.candidates == (("U140", "B140"), ("U141", "B141"))
    matched_bills = [b for r in results for b in r.bill_ids]
    assert len(matched_bills) == len(set(matched_bills)) == 140


def test_the_second_layout_in_xlsx_reads_the_same_inflows():
    book = Workbook()
    sheet = book.active
    sheet.append(["中国农业银行 账户明细"])
    sheet.append(["记账日期", "收入金额", "对方名称", "用途"])
    sheet.append([date(2026, 4, 3), 100.5, "住户001", "1栋1单元102室 物业费"])
    sheet.append([date(2026, 4, 3), None, "某公司", "支出"])
    buffer = io.BytesIO()
    book.save(buffer)

    inflows, _ = read(buffer.getvalue(), "abc.xlsx")

    [inflow] = inflows
    assert (inflow.on, inflow.amount, inflow.name, inflow.account) == (date(2026, 4, 3), 10050, "住户001", "")
    [result] = match(inflows, [OpenBill("B001", "U001", 10050)], UNITS)
    assert (result.outcome, result.bill_ids) == ("reference", ("B001",))


def test_an_amount_paying_all_of_a_units_open_bills_together_settles_them_all():
    inflows, _ = read(
        _csv([["交易日期", "贷方金额", "对方户名", "摘要"], ["2026-04-03", "300.00", "x", "1-1-101"]]),
        "s.csv",
    )
    bills = [OpenBill("B1", "U000", 10000), OpenBill("B2", "U000", 20000)]

    [result] = match(inflows, bills, UNITS)

    assert (result.outcome, result.bill_ids) == ("reference", ("B1", "B2"))


def test_a_bill_is_matched_by_one_inflow_only():
    row = ["2026-04-03", "100.00", "住户000", "", "1-1-101"]
    other = ["2026-04-04", "100.00", "住户000", "", "1-1-101 again"]
    inflows, _ = read(_csv([["交易日期", "贷方金额", "对方户名", "对方账号", "摘要"], row, other]), "s.csv")

    first, second = match(inflows, [OpenBill("B000", "U000", 10000)], UNITS)

    assert (first.outcome, second.outcome) == ("reference", "unknown")


def test_a_file_without_a_statement_header_is_refused():
    with pytest.raises(StatementError):
        read(b"name,amount\nx,1\n", "s.csv")
