"""Which texts the month buys (issue 18): the SMS the local cloud's senders actually sent, by activity and by
message template, counted from the senders' own "delivered" log lines (``template`` and the per-channel
``statuses``: ``"sms": "sent"``), next to the workers' metered SNS Publishes to a phone number.

The senders log one "delivered" line per delivery job (functions/notifications/sender_handler.py); a job's
SMS is sent once (a retry of a job whose SMS went is a duplicate: statuses come from the stored records, so a
duplicate's line is skipped). A text no sender logged (another function publishing to a phone, e.g. the
emergency ladder's steps) stays in the report as "other: <function>", from the metered count.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bench import prices

SENDERS = ("NotificationsSenderFunction", "NotificationsPrioritySenderFunction")
KEY = "smsby:"  # an activity's usage counter: "smsby:<function>:<template>"
_METERED = ":sms:Publish"


def from_log(text: str) -> Counter[str]:
    """Texts sent by template in a sender's log text (JSON lines; anything else is skipped)."""
    out: Counter[str] = Counter()
    for line in text.splitlines():
        if '"delivered"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("message") != "delivered" or entry.get("duplicate"):
            continue
        statuses = entry.get("statuses") or {}
        if isinstance(statuses, dict) and statuses.get("sms") == "sent":
            out[str(entry.get("template") or "unknown")] += 1
    return out


def counted(log_dir: Path, before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """The texts the senders logged between two meter snapshots (their ``log:<function>`` sizes)."""
    out: dict[str, float] = {}
    for function in SENDERS:
        start, end = int(before.get(f"log:{function}", 0)), int(after.get(f"log:{function}", 0))
        path = log_dir / f"{function}.log"
        if end <= start or not path.exists():
            continue
        with path.open("rb") as log:
            log.seek(start)
            text = log.read(end - start).decode("utf-8", "replace")
        for template, n in from_log(text).items():
            out[f"{KEY}{function}:{template}"] = float(n)
    return out


def reasons(activities: Iterable[Mapping[str, Any]], communities: int) -> dict[tuple[str, str], float]:
    """The month's texts by (activity, reason) from a cost result's activities (their ``month`` counters):
    the senders' templates, and what was metered but no sender logged, as "other: <function>"."""
    out: dict[tuple[str, str], float] = {}
    for activity in activities:
        share = 1.0 / communities if activity.get("shared") else 1.0
        month: Mapping[str, float] = activity.get("month") or {}
        logged: dict[str, float] = {}
        for key, value in month.items():
            if key.startswith(KEY):
                function, _, template = key[len(KEY) :].partition(":")
                logged[function] = logged.get(function, 0.0) + float(value)
                name = (str(activity["name"]), template)
                out[name] = out.get(name, 0.0) + float(value) * share
        for key, value in month.items():
            if not (key.startswith("units:") and key.endswith(_METERED)):
                continue
            function = key[len("units:") : -len(_METERED)]
            rest = float(value) - logged.get(function, 0.0)
            if rest > 0.05:  # metered by a function that logged none (or fewer) of them
                name = (str(activity["name"]), f"other: {function}")
                out[name] = out.get(name, 0.0) + rest * share
    return out


def report(activities: Iterable[Mapping[str, Any]], communities: int) -> list[str]:
    """The table's lines: texts a month and USD by reason (template), then by activity and reason."""
    found = reasons(activities, communities)
    if not found:
        return ["  SMS by reason: none sent"]
    price = prices.PRICES["sms.cn"]
    by_reason: dict[str, float] = {}
    for (_, reason), n in found.items():
        by_reason[reason] = by_reason.get(reason, 0.0) + n
    total = sum(by_reason.values())
    usd = price.cost(total)
    out = [f"  SMS by reason (senders' delivered log lines; {total:,.1f} texts, {usd:.2f} USD):"]
    for reason, n in sorted(by_reason.items(), key=lambda kv: -kv[1]):
        out.append(f"    {reason:<34} {n:>9,.1f} texts {price.cost(n):>6.2f} USD")
    for (activity, reason), n in sorted(found.items(), key=lambda kv: -kv[1]):
        out.append(f"      {activity[:40]:<40} {reason:<30} {n:>9,.1f}")
    return out
