"""Which open bills a bank inflow pays, pure, in three passes of decreasing certainty:

1. ``reference``: the memo names a bill (its id) or a unit (its label or room code, e.g. ``1-1-101``) and the
   amount is exactly what that bill asks for, or what all of that unit's open bills ask for together;
2. ``payer``: the counterparty's name is a resident of a unit and the amount is exactly one of that unit's
   open bills or all of them together;
3. otherwise an exception: ``ambiguous`` when open bills (one or several) ask for exactly that amount (they
   are listed for finance to confirm one with a click), ``unknown`` when nothing does.
A bill is matched by at most one inflow of a statement (the earlier line wins; the later is an exception).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from payments.bank_statement import Inflow


@dataclass(frozen=True, slots=True)
class OpenBill:
    bill_id: str
    unit_id: str
    amount: int  # what it asks for today (fee left and late fee)


@dataclass(frozen=True, slots=True)
class UnitFacts:
    unit_id: str
    codes: tuple[str, ...]  # label and room key, as residents write them in a memo
    payers: tuple[str, ...]  # its residents' names


@dataclass(frozen=True)
class Match:
    inflow: Inflow
    outcome: str  # reference | payer | ambiguous | unknown
    unit_id: str | None = None
    bill_ids: tuple[str, ...] = ()
    candidates: tuple[tuple[str, str], ...] = field(default=())  # (unit_id, bill_id) for an exception

    @property
    def matched(self) -> bool:
        return self.outcome in ("reference", "payer")


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_#/号栋幢单元室]", "", text).upper()


def match(inflows: Iterable[Inflow], bills: Iterable[OpenBill], units: Iterable[UnitFacts]) -> list[Match]:
    open_by_unit: dict[str, list[OpenBill]] = defaultdict(list)
    by_id: dict[str, OpenBill] = {}
    for bill in bills:
        open_by_unit[bill.unit_id].append(bill)
        by_id[bill.bill_id] = bill
    unit_facts = list(units)
    by_code: dict[str, str] = {}
    for unit in unit_facts:
        for code in unit.codes:
            if len(_norm(code)) >= 3:
                by_code[_norm(code)] = unit.unit_id
    by_payer: dict[str, set[str]] = defaultdict(set)
    for unit in unit_facts:
        for name in unit.payers:
            by_payer[name.strip()].add(unit.unit_id)
    taken: set[str] = set()
    by_amount: dict[int, list[OpenBill]] = defaultdict(list)
    for bill in by_id.values():
        by_amount[bill.amount].append(bill)
    results: list[Match] = []
    for inflow in inflows:
        found = _by_reference(inflow, by_id, by_code, open_by_unit, taken) or _by_payer(
            inflow, by_payer, open_by_unit, taken
        )
        if found is not None:
            unit_id, chosen = found
            taken.update(b.bill_id for b in chosen)
            outcome = "reference" if _names_it(inflow, chosen, unit_id, by_code) else "payer"
            results.append(Match(inflow, outcome, unit_id, tuple(b.bill_id for b in chosen)))
            continue
        candidates = tuple(
            (b.unit_id, b.bill_id) for b in by_amount.get(inflow.amount, []) if b.bill_id not in taken
        )
        results.append(Match(inflow, "ambiguous" if candidates else "unknown", candidates=candidates))
    return results


def _pick(amount: int, owed: list[OpenBill], taken: set[str]) -> list[OpenBill] | None:
    """The unit's bills the amount pays exactly: one bill, or all its open bills together."""
    free = sorted((b for b in owed if b.bill_id not in taken), key=lambda b: b.bill_id)
    for bill in free:
        if bill.amount == amount:
            return [bill]
    if len(free) > 1 and sum(b.amount for b in free) == amount:
        return free
    return None


def _memo_unit(memo: str, by_code: dict[str, str]) -> str | None:
    """The unit a memo names: a word of it (split at spaces and punctuation) whose letters and digits,
    separators and 栋/单元/室 taken out, start with a unit's code (``1栋1单元102室物业费`` names 1-1-102)."""
    for word in re.split(r"[\s,，;；:：()（）]+", memo):
        lead = re.match(r"[0-9A-Z]+", _norm(word))
        if lead and lead.group(0) in by_code:
            return by_code[lead.group(0)]
    return None


def _by_reference(
    inflow: Inflow,
    by_id: dict[str, OpenBill],
    by_code: dict[str, str],
    open_by_unit: dict[str, list[OpenBill]],
    taken: set[str],
) -> tuple[str, list[OpenBill]] | None:
    for token in re.findall(r"[0-9A-Za-z_-]{8,}", inflow.memo):
        bill = by_id.get(token)
        if bill is not None and bill.bill_id not in taken and bill.amount == inflow.amount:
            return bill.unit_id, [bill]
    unit_id = _memo_unit(inflow.memo, by_code)
    if unit_id is None:
        return None
    chosen = _pick(inflow.amount, open_by_unit.get(unit_id, []), taken)
    return (unit_id, chosen) if chosen else None


def _by_payer(
    inflow: Inflow, by_payer: dict[str, set[str]], open_by_unit: dict[str, list[OpenBill]], taken: set[str]
) -> tuple[str, list[OpenBill]] | None:
    found = [
        (unit_id, chosen)
        for unit_id in sorted(by_payer.get(inflow.name.strip(), ()))
        if (chosen := _pick(inflow.amount, open_by_unit.get(unit_id, []), taken))
    ]
    # A payer of several units whose bills both fit is not a match: finance decides.
    return found[0] if len(found) == 1 else None


def _names_it(inflow: Inflow, chosen: list[OpenBill], unit_id: str, by_code: dict[str, str]) -> bool:
    return any(b.bill_id in inflow.memo for b in chosen) or _memo_unit(inflow.memo, by_code) == unit_id
