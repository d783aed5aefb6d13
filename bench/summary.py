"""The one table `make bench` ends with: every headline number, its unit, and its target or floor.

Built from the results document (bench/results.json), so the table and the file never disagree, and a
missing benchmark shows as "-" instead of breaking the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Results = Mapping[str, Any]


@dataclass(frozen=True)
class Row:
    benchmark: str
    value: float | None
    unit: str
    target: str = ""
    # True when the value meets its target, False when it misses it, None when there is no target.
    met: bool | None = None


def _get(results: Results, *path: str | int) -> Any:
    node: Any = results
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _route(results: Results, route: str) -> Mapping[str, Any] | None:
    return next((r for r in results.get("requests", []) if r.get("route") == route), None)


def _at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def _at_most(value: float | None, target: float) -> bool | None:
    return None if value is None else value <= target


def rows(results: Results) -> list[Row]:
    out: list[Row] = []
    cold = results.get("cold_import") or []
    if cold:
        floor = float(cold[0]["median_ms"])
        worst = max(cold[1:] or cold, key=lambda r: float(r["median_ms"]))
        ratio = float(worst["median_ms"]) / floor
        slowest = str(worst["name"]).split(" (")[0]
        out.append(
            Row(f"cold import, slowest handler ({slowest})", ratio, "x floor", "<= 1.3", _at_most(ratio, 1.3))
        )
        # Cold start = import + first request, for the API functions the bench sends one to.
        served = [r for r in cold[1:] if r.get("first_request_ms") is not None]
        if served and cold[0].get("first_request_ms") is not None:
            floor_cold = floor + float(cold[0]["first_request_ms"])
            heaviest = max(served, key=lambda r: float(r["median_ms"]) + float(r["first_request_ms"]))
            cold_ms = float(heaviest["median_ms"]) + float(heaviest["first_request_ms"])
            name = str(heaviest["name"]).split(" (")[0]
            out.append(Row(f"cold start, slowest API function ({name})", cold_ms, "ms"))
            out.append(Row(f"cold start of {name} / floor's", cold_ms / floor_cold, "x floor"))
    for route in ("GET /me", "POST /tickets", "GET /tickets/{id}"):
        found = _route(results, route)
        if found:
            out.append(Row(f"{route}: handler CPU", float(found["cpu_ms_median"]), "ms"))
            out.append(Row(f"{route}: AWS calls (warm)", float(found["aws_calls_warm"]), "calls"))
    out.append(Row("import: validate", _get(results, "import", "validate_rows_per_s"), "rows/s"))
    out.append(Row("import: commit", _get(results, "import", "commit_rows_per_s"), "rows/s"))
    out.append(Row("billing run, 1,000 units", _get(results, "payments", "bills_per_s"), "bills/s"))
    fanout = _get(results, "notifications", "enqueue_s")
    out.append(Row("notice to 10,000 recipients: enqueue", fanout, "s"))
    out.append(
        Row("notice to 10,000 recipients: AWS calls", _get(results, "notifications", "aws_calls"), "calls")
    )
    verifications = _get(results, "visitors", "verifications_per_s")
    out.append(Row("pass token verifications", verifications, "/s"))
    out.append(Row("pass issue: handler CPU", _get(results, "visitors", "issue_cpu_ms_median"), "ms"))
    evaluations = _get(results, "sensors", "evaluations_per_s")
    out.append(
        Row("rule evaluations, one core", evaluations, "/s", ">= 20,000", _at_least(evaluations, 20_000))
    )
    writes, readings = (
        _get(results, "sensors", "dynamodb_writes"),
        _get(results, "sensors", "steady_readings"),
    )
    per_1000 = writes * 1000 / readings if writes is not None and readings else None
    out.append(
        Row("DynamoDB writes per 1,000 steady readings", per_1000, "writes", "<= 20", _at_most(per_1000, 20))
    )
    out.append(
        Row("MQTT messages through the local broker", _get(results, "sensors", "e2e_messages_per_s"), "/s")
    )
    out.append(Row("local cloud: make up ready (start-up)", _get(results, "local_cloud", "startup_s"), "s"))
    peak = _get(results, "local_cloud", "peak_rss_mb")
    workers = _get(results, "local_cloud", "workers")
    from bench.local_cloud import rss_bound_bytes  # the bound the e2e memory test asserts, per worker

    bound_mb = None if workers is None else rss_bound_bytes(int(workers)) / (1024 * 1024)
    out.append(
        Row(
            "local cloud: peak RSS, mixed workload",
            peak,
            "MB",
            "" if bound_mb is None else f"< {bound_mb:,.0f}",
            None if peak is None or bound_mb is None else peak < bound_mb,
        )
    )
    out.append(Row("local cloud: stop (SIGTERM)", _get(results, "local_cloud", "stop_s"), "s"))
    first_load = _get(results, "console", "first_load_gzip_bytes")
    first_kb = None if first_load is None else first_load / 1000
    out.append(
        Row(
            "console first load (entry + Today), gzip",
            first_kb,
            "kB",
            "< 400",
            None if first_kb is None else first_kb < 400,
        )
    )
    out.append(Row("console time to interactive (Today)", _get(results, "console", "tti_ms_median"), "ms"))
    # Issue 18: the total with identity (residents on Courtyard identity, staff on Cognito), not without it.
    cost = _get(results, "cost", "total_with_identity_usd")
    out.append(
        Row(
            "cost per 1,000 households, with identity",
            cost,
            "$/month",
            "< 2.00",
            None if cost is None else cost < 2,
        )
    )
    return out


def _shown(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def table(results: Results, rows_of: Callable[[Results], list[Row]] = rows) -> list[str]:
    marks = {True: "ok", False: "MISSED", None: ""}
    lines = [f"  {'benchmark':<58} {'value':>10} {'unit':<8} {'target':<10} {'':<6}"]
    for row in rows_of(results):
        value = _shown(row.value)
        lines.append(f"  {row.benchmark:<58} {value:>10} {row.unit:<8} {row.target:<10} {marks[row.met]:<6}")
    return lines
