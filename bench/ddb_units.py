"""Where the month's DynamoDB units come from (issue 18): by table and operation kind, by index, and the top
writers (activity, function, table or index, operation).

The local workers meter every write twice over (infra/local/ddb_units.py): the priced ``wru:`` counters
and the same units by kind, ``wop:<table>:<kind>`` on the table and ``wix:<table>/<index>:<kind>`` per
index copy (kinds: ``PutItem``, ``UpdateItem``, ``DeleteItem``, ``Transact.<Put|Update|Delete|
ConditionCheck>``, ``Batch.<Put|Delete>``, `` failed`` when a condition failed); reads by table as
``rtb:<table>[/<index>]:<op>``.
bench/cost.py keeps each activity's month by counter, so this reads a cost run's result: a deployment's
activity (a schedule's sweep) counts 1/communities, like the total. The devices' wall-clock writes are
modelled, not metered (bench/cost.py lines_of): they are listed as one row from the priced lines.

    python -m bench.ddb_units [result.json]   # a `python -m bench.cost --json result.json` run, or a new run
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.cost_model import short_table

MODELLED = "(modelled)"


@dataclass(frozen=True)
class Units:
    activity: str
    function: str
    kind: str  # "wru" or "rru"
    table: str  # short name; "<table>/<index>" for an index copy or an index query
    op: str
    units: float  # a month, this community's share

    @property
    def index(self) -> bool:
        return "/" in self.table


def units_of(activities: Iterable[Mapping[str, Any]], communities: int) -> list[Units]:
    """Every activity's attributed DynamoDB units for the month (its ``month`` counters)."""
    out = []
    for activity in activities:
        share = 1.0 / communities if activity.get("shared") else 1.0
        for key, value in (activity.get("month") or {}).items():
            head, _, rest = str(key).partition(":")
            function, _, counter = rest.partition(":")
            kind, _, what = counter.partition(":")
            if head != "units" or kind not in ("wop", "wix", "rtb") or not value:
                continue
            table, _, op = what.rpartition(":")
            name, _, index = table.partition("/")
            short = f"{short_table(name)}/{index}" if index else short_table(name)
            unit = "rru" if kind == "rtb" else "wru"
            out.append(Units(str(activity["name"]), function, unit, short, op, float(value) * share))
    return out


def modelled_writes(lines: Iterable[Mapping[str, Any]]) -> list[Units]:
    """The devices' wall-clock writes, which the sample does not meter (bench/cost.py prices them)."""
    return [
        Units("device readings (wall clock)", "SensorsIngestFunction", "wru", "SensorsTable", MODELLED, q)
        for line in lines
        if (q := float(line["quantity"])) and str(line["what"]).startswith("ingest heartbeat")
    ]


def totals(rows: Iterable[Units], *fields: str) -> list[tuple[tuple[str, ...], float]]:
    """Units summed by ``fields`` of each row, largest first."""
    sums: dict[tuple[str, ...], float] = {}
    for row in rows:
        key = tuple(str(getattr(row, f)) for f in fields)
        sums[key] = sums.get(key, 0.0) + row.units
    return sorted(sums.items(), key=lambda kv: -kv[1])


def report(result: Mapping[str, Any], top: int = 10) -> list[str]:
    """The attribution table of a cost run (``asdict(CostResult)``)."""
    communities = int(result.get("communities") or 1)
    rows = units_of(result.get("activities") or [], communities) + modelled_writes(result.get("lines") or [])
    writes = [r for r in rows if r.kind == "wru"]
    reads = [r for r in rows if r.kind == "rru"]
    total = sum(r.units for r in writes) or 1.0
    copies = sum(r.units for r in writes if r.index)
    transact = sum(r.units for r in writes if r.op.startswith("Transact."))
    out = [
        f"DynamoDB write units of the month: {total:,.0f} WRU (index copies {copies / total:.0%}, inside "
        f"transactions {transact / total:.0%}); reads {sum(r.units for r in reads):,.0f} RRU",
        "  by table and operation (index copies as <table>/<index>):",
    ]
    for (table, op), units in totals(writes, "table", "op")[: top + 5]:
        out.append(f"   {units:>10,.0f} WRU {units / total:>5.1%}  {table:<28} {op}")
    out.append(f"  top {top} writers (activity, function, table, operation):")
    for (activity, function, table, op), units in totals(writes, "activity", "function", "table", "op")[:top]:
        where = f"{activity[:44]:<44} {function:<30} {table} {op}"
        out.append(f"   {units:>10,.0f} WRU {units / total:>5.1%}  {where}")
    out.append("  reads by table (RRU):")
    for (table, op), units in totals(reads, "table", "op")[:top]:
        out.append(f"   {units:>10,.0f} RRU  {table:<28} {op}")
    return out


def main(argv: list[str]) -> int:
    if argv:
        result: Mapping[str, Any] = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    else:
        from bench import cost

        result = asdict(cost.run())
    print("\n".join(report(result, top=10)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
