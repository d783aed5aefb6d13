"""Bank statement matching: a 5,000-line statement (the issue's mix of exact references, payer names,
ambiguous amounts and unknown payers) read and matched against 5,000 open bills, in inflows per second
(pure: parsing and matching, no AWS)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from payments.bank_statement import read
from payments.statement_matching import OpenBill, UnitFacts, match

LINES = 5000


@dataclass(frozen=True)
class StatementsResult:
    lines: int
    matched: int
    exceptions: int
    read_s: float
    match_s: float
    inflows_per_s: float


def statement(lines: int = LINES) -> tuple[bytes, list[OpenBill], list[UnitFacts]]:
    units = [
        UnitFacts(f"U{i:05d}", (f"{i // 1000 + 1}-{i % 10 + 1}-{i:04d}",), (f"住户{i:05d}",))
        for i in range(lines)
    ]
    bills = [
        OpenBill(f"B{i:05d}", f"U{i:05d}", 10000 + i if i % 5 < 3 else 90000 + i // 10) for i in range(lines)
    ]
    rows = ["交易日期,贷方金额,对方户名,对方账号,摘要"]
    for i, unit in enumerate(units):
        kind = i % 5
        if kind == 0:  # the unit's code in the memo
            rows.append(f"2026-04-03,{(10000 + i) / 100:.2f},付款人{i},62{i:08d},{unit.codes[0]} 物业费")
        elif kind in (1, 2):  # a resident's name
            rows.append(f"2026-04-03,{(10000 + i) / 100:.2f},{unit.payers[0]},,转账")
        elif kind == 3:  # an amount several units owe
            rows.append(f"2026-04-04,{(90000 + i // 10) / 100:.2f},某人{i},,缴费")
        else:  # nobody owes it
            rows.append(f"2026-04-05,{(500000 + i) / 100:.2f},公司{i},,往来款")
    return "\n".join(rows).encode("gb18030"), bills, units


def run() -> StatementsResult:
    content, bills, units = statement()
    started = time.perf_counter()
    inflows, _ = read(content, "bench.csv")
    parsed = time.perf_counter()
    results = match(inflows, bills, units)
    done = time.perf_counter()
    matched = sum(1 for r in results if r.matched)
    return StatementsResult(
        lines=len(inflows),
        matched=matched,
        exceptions=len(results) - matched,
        read_s=round(parsed - started, 3),
        match_s=round(done - parsed, 3),
        inflows_per_s=round(len(inflows) / max(done - started, 1e-9)),
    )


def table(result: StatementsResult) -> list[str]:
    return [
        f"Bank statement matching ({result.lines} inflows, pure read + match)",
        f"  read {result.read_s:.2f} s, match {result.match_s:.2f} s: {result.inflows_per_s:,.0f} inflows/s "
        f"({result.matched} matched, {result.exceptions} exceptions)",
    ]


if __name__ == "__main__":
    for line in table(run()):
        print(line)
