"""Where the month's Lambda GB-s and log bytes go, per function (issue 18): the table bench/cost.py prints.

Each function's month is this community's usage plus its share (1/communities) of the deployment's scheduled
sweeps, priced as the month above prices it: duration = measured CPU at the memory's CPU share + AWS calls at
in-region latency (bench/cost_model.py), GB-s at the function's template memory. INIT (modelled cold starts)
is a line of its own in the month and is left out here; log bytes are the worker's own lines plus Lambda's
platform lines where the function keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench import cost_model, prices

TOP = 12


def attribution(
    community: Mapping[str, float],
    deployment: Mapping[str, float],
    functions: Mapping[str, Any],
    communities: int,
    platform_bytes: float,
) -> list[dict[str, Any]]:
    """One row per function that ran: invocations, memory, GB-s, USD and log bytes of a month, USD first."""
    gb_s = prices.PRICES["lambda.gb_s_arm64"]
    rows: list[dict[str, Any]] = []
    for function_id, meta in functions.items():
        usage = {
            key: community.get(key, 0.0) + deployment.get(key, 0.0) / communities
            for key in set(community) | set(deployment)
            if key.endswith(f":{function_id}") or f":{function_id}:" in key
        }
        invoked = usage.get(f"fn:{function_id}", 0.0)
        if not invoked:
            continue
        memory = meta.memory_mb
        seconds = prices.gb_seconds(cost_model.duration_ms(usage, function_id, memory), memory)
        platform = platform_bytes * invoked if meta.platform_logs else 0.0
        rows.append(
            {
                "function": function_id,
                "memory_mb": meta.memory_mb,
                "invocations": invoked,
                "gb_s": seconds,
                "usd": gb_s.cost(seconds),
                "log_bytes": usage.get(f"log:{function_id}", 0.0) + platform,
            }
        )
    return sorted(rows, key=lambda row: -float(row["usd"]))


def report(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    out = [
        "Lambda by function (a month: this community + 1/communities of the schedules; INIT apart):",
        f"  {'function':<38} {'MB':>5} {'invocations':>12} {'GB-s':>9} {'USD':>7} {'log MB':>8}",
    ]
    for row in rows[:TOP]:
        out.append(
            f"  {row['function']:<38} {row['memory_mb']:>5} {row['invocations']:>12,.0f} "
            f"{row['gb_s']:>9,.0f} {row['usd']:>7.3f} {row['log_bytes'] / 1e6:>8.1f}"
        )
    logs = sorted(rows, key=lambda row: -float(row["log_bytes"]))[:5]
    writers = ", ".join(f"{r['function']} {r['log_bytes'] / 1e6:.1f} MB" for r in logs)
    out.append(f"  largest log writers: {writers}")
    return out
