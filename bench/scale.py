"""A simulated month at scale (issue 18): every schedule's AWS calls per minute as a function of the tenants a
deployment serves, the backlog after a synchronized 07:00 quiet-hours release, and the shards the due
indexes, the outbox and the settlement day need for 10 million households.

The per-firing figures come from the cost run (``python -m bench.cost --json bench/cost.json``): each
schedule's sweep (the deployment's, whatever its size) and its work for one 1,000-household community, by
AWS call. Everything else is arithmetic on stated rates (the constants below), printed with its inputs.

    python -m bench.scale [bench/cost.json]
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courtyard.drain import RESERVE_MS

MINUTES_PER_MONTH = 30 * 24 * 60
TENANTS = (1, 100, 1_000, 10_000)  # communities of 1,000 households: 10,000 is 10 million households
PARTITION_WRITES_PER_S = 1_000  # DynamoDB's per-partition write limit (1 KB units), indexes included
HEADROOM = 2.0  # shards are sized for twice the computed peak

# The 07:00 release: 100,000 households, 1.5 residents each, one message each held overnight (a notice or a
# reminder sent in the evening reaches everybody with quiet hours at 07:00).
RELEASE_HOUSEHOLDS = 100_000
HELD_PER_HOUSEHOLD = 1.5
OLD_CAP_PER_RUN = 4 * 100  # notifications: 4 shards x 100 entries a run, before the drain
JOB_TIMEOUT_S = 50.0  # template.yaml: NotificationsJobsFunction Timeout
# One released entry, in AWS: the release UpdateItem (~6 ms in-region), a tenth of a SendMessageBatch
# (~15 ms per 10) and a hundredth of a due-index page, plus ~1 ms of Python: about 9 ms.
RELEASE_ITEM_MS = 6.0 + 1.5 + 0.2 + 1.0
SPREAD_MIN = 10  # notifications.release_spread.SPREAD_S / 60


# A community's due items a month per job, and the AWS calls one takes (the code's, read off each job): the
# sample's single firing rarely finds one due, so this is the per-tenant part of every schedule's load.
DUE_WORK: dict[str, tuple[float, float, str]] = {
    "TicketsJobsFunction": (4 * 204, 5.0, "4 looks x 204 tickets (SLA targets, escalation, auto-close)"),
    "NotificationsJobsFunction": (1_200 + 8, 1.2, "8 notices, 10 % of 12,000 messages held by quiet hours"),
    "PaymentsJobsFunction": (600, 4.0, "600 reminder steps (20 % of households late, up to 3 steps)"),
    "SensorsHeartbeatFunction": (400, 4.0, "100 devices: offline checks of silent ones, alarms to clear"),
}


@dataclass(frozen=True)
class Schedule:
    name: str
    firings: float  # per month
    sweep_calls: float  # per firing, the deployment's (one per shard and page, its own reads)
    work_calls: float  # per firing, for one community's due items


def schedules(cost: dict[str, Any]) -> list[Schedule]:
    """Each schedule's AWS calls per firing, split into the deployment's sweep and a community's work."""
    rows: dict[str, dict[str, float]] = {}
    for activity in cost["activities"]:
        name = str(activity["name"])
        if not name.startswith("schedule "):
            continue
        base = name.removesuffix(" (sweep)").split(":")[0]
        calls = sum(v for k, v in activity["month"].items() if k.startswith("aws:"))
        row = rows.setdefault(base, {"firings": 0.0, "sweep": 0.0, "work": 0.0})
        if name.endswith("(sweep)"):
            row["firings"] = float(activity["per_month"])
            row["sweep"] += calls
        else:
            row["work"] += calls
    return [
        Schedule(
            name.removeprefix("schedule "), r["firings"], r["sweep"] / r["firings"], r["work"] / r["firings"]
        )
        for name, r in rows.items()
        if r["firings"]
    ]


def calls_per_minute(schedule: Schedule, tenants: int) -> float:
    """The schedule's AWS calls a minute on a deployment of ``tenants`` communities: its sweep (per shard and
    page, whatever the tenants), what its sample firing did for the community, and the due work of
    ``DUE_WORK`` (the job's first schedule only)."""
    function_id = schedule.name.split(" ", 1)[0]
    items, calls, _ = DUE_WORK.get(function_id, (0.0, 0.0, ""))
    own = schedule.work_calls * schedule.firings + (items * calls if schedule.firings >= 720 else 0.0)
    return (schedule.firings * schedule.sweep_calls + tenants * own) / MINUTES_PER_MONTH


def backlog(held: float, per_run: float, spread_min: int) -> list[float]:
    """Entries due but still held after each minute from 07:00: ``held`` released uniformly over
    ``spread_min`` minutes (0: all at 07:00), a run a minute taking at most ``per_run``."""
    left, waiting, out = held, 0.0, []
    minute = 0
    while left > 0 or waiting > 0:
        arriving = (
            held if spread_min == 0 and minute == 0 else (held / spread_min if minute < spread_min else 0)
        )
        arriving = min(arriving, left)
        left -= arriving
        waiting = max(0.0, waiting + arriving - per_run)
        out.append(waiting)  # due and not yet released (the ones not due yet are not late)
        minute += 1
        if minute > 24 * 60:
            break
    return out


def drain_per_run() -> float:
    return (JOB_TIMEOUT_S * 1000 - RESERVE_MS) / RELEASE_ITEM_MS


@dataclass(frozen=True)
class Partitioned:
    what: str
    peak_writes_per_s: float  # at 10 million households
    shards: int  # in the code now
    basis: str

    @property
    def needed(self) -> int:
        return max(1, math.ceil(self.peak_writes_per_s * HEADROOM / PARTITION_WRITES_PER_S))


def sharding(cost: dict[str, Any]) -> list[Partitioned]:
    """Peak writes per second of every cross-tenant partition family at 10 million households."""
    from notifications.keys import DUE_SHARDS as NOTIFICATION_SHARDS
    from payments.keys import DAY_SHARDS
    from payments.keys import DUE_SHARDS as REMINDER_SHARDS
    from sensors.keys import DUE_SHARDS as DEVICE_SHARDS
    from tickets.keys import DUE_SHARDS as TICKET_SHARDS

    from courtyard.outbox import OUTBOX_SHARDS

    communities = 10_000
    seconds = MINUTES_PER_MONTH * 60.0

    def index_writes(table: str, index: str) -> float:
        return sum(
            float(line["quantity"])
            for line in cost["lines"]
            if not line["shared"] and line["what"].startswith(f"{table}: index {index} ")
        )

    held = communities * 1_000 * HELD_PER_HOUSEHOLD
    payments_due_day = communities * 850 * 0.3  # 30 % of the month's payments on the due day
    return [
        Partitioned(
            "tickets due index",
            index_writes("TicketsTable", "due") * communities / seconds * 10,
            TICKET_SHARDS,
            "measured index copies x 10,000 communities, daytime peak x10",
        ),
        Partitioned(
            "notifications due index: the 07:00 release",
            held / (SPREAD_MIN * 60),
            NOTIFICATION_SHARDS,
            f"{held:,.0f} held entries removed over the {SPREAD_MIN}-minute spread",
        ),
        Partitioned(
            "reminders due index (bills)",
            communities * 1_000 / (2 * 3600),
            REMINDER_SHARDS,
            "every bill of a month written by billing runs within two hours",
        ),
        Partitioned(
            "heartbeat due index (devices)",
            communities * 100 / 1_200,
            DEVICE_SHARDS,
            "1 M devices, a deadline refresh every 20 minutes each (heartbeat writes)",
        ),
        Partitioned(
            "settlement day (payments)",
            payments_due_day * 0.2 / 3600 * 5,
            DAY_SHARDS,
            "30 % of 8.5 M payments on the due day, 20 % of those in its busiest hour, bursts x5",
        ),
        Partitioned(
            "outbox (pending effects, every feature)",
            communities * 15_000 * 2 / seconds * 10,
            OUTBOX_SHARDS,
            "about 15,000 writing requests a month per community, written and removed, daytime peak x10",
        ),
    ]


def table(cost: dict[str, Any]) -> list[str]:
    out = ["Schedules at scale: AWS calls per minute (the deployment's sweep + each community's due work)"]
    for function_id, (items, calls, basis) in DUE_WORK.items():
        out.append(f"  due work of {function_id}: {items:,.0f} items a month x {calls} calls ({basis})")
    header = "".join(f"{t:>12,}" for t in TENANTS)
    out.append(f"  {'schedule':<48}{header}  (communities of 1,000 households)")
    for schedule in schedules(cost):
        values = "".join(f"{calls_per_minute(schedule, t):>12,.1f}" for t in TENANTS)
        out.append(f"  {schedule.name:<48}{values}")
    held = RELEASE_HOUSEHOLDS * HELD_PER_HOUSEHOLD
    per_run = drain_per_run()
    out.append(
        f"07:00 quiet-hours release for {RELEASE_HOUSEHOLDS:,} households ({held:,.0f} held messages), "
        "one job run a minute:"
    )
    for label, capacity, spread in (
        (f"before: {OLD_CAP_PER_RUN} a run, all at 07:00", OLD_CAP_PER_RUN, 0),
        (f"drained: {per_run:,.0f} a run ({RELEASE_ITEM_MS:.1f} ms each), all at 07:00", per_run, 0),
        (f"drained, spread over {SPREAD_MIN} minutes (now)", per_run, SPREAD_MIN),
    ):
        curve = backlog(held, capacity, spread)
        marks = ", ".join(f"07:{m:02d} {curve[m]:,.0f}" for m in (0, 5, 10, 20, 30) if m < len(curve))
        out.append(f"  {label:<58} empty after {len(curve)} min; held at {marks}")
    out.append(
        "Partitions written by every tenant at 10 million households "
        f"(limit {PARTITION_WRITES_PER_S:,} writes/s each, sized x{HEADROOM:.0f}):"
    )
    for part in sharding(cost):
        verdict = "ok" if part.shards >= part.needed else "MORE SHARDS NEEDED"
        out.append(
            f"  {part.what:<44} peak {part.peak_writes_per_s:>8,.0f}/s  shards {part.shards:>3} "
            f"(need {part.needed:>3}) {verdict}: {part.basis}"
        )
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "bench/cost.json")
    print("\n".join(table(json.loads(path.read_text(encoding="utf-8")))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
