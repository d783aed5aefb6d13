"""Rule test: run a rule over readings (or a device's stored hourly aggregates) before enabling it, and see
which alarms it would have raised, re-triggered and cleared. Pure; the engine is the one ingest uses.

Over hourly aggregates each hour is one reading at the start of the hour, valued by the hour's maximum for
a rising trigger (>, >=), its minimum for a falling one (<, <=) and its average otherwise: it shows whether
the rule would have fired that hour, while durations shorter than an hour cannot be judged from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from courtyard.clock import to_iso
from sensors.domain import Operator
from sensors.engine import OK_STATE, CompiledRule, HoursCheck, Reading, Signal, evaluate, tick
from sensors.repository import HourAggregate
from sensors.rules import Rate, Threshold


@dataclass(frozen=True)
class Hit:
    at: float
    signal: Signal
    value: object


def run(rule: CompiledRule, readings: Iterable[Reading], hours: HoursCheck) -> tuple[int, list[Hit]]:
    state = OK_STATE
    hits: list[Hit] = []
    evaluated = 0
    last_at: float | None = None
    for reading in sorted(readings, key=lambda r: r.at):
        if last_at is not None and reading.at <= last_at:
            continue  # as in ingest: a reading not newer than the last moves nothing
        for step in (tick(rule, state, reading.at, last_at), None):
            if step is None:
                step = evaluate(rule, state, reading, hours(rule.spec.active_hours, reading.at))
                evaluated += 1
            state = step.state
            if step.signal is not None:
                hits.append(Hit(reading.at, step.signal, step.value))
        last_at = reading.at
    return evaluated, hits


def hourly_readings(rule: CompiledRule, aggregates: Iterable[HourAggregate]) -> list[Reading]:
    condition = rule.spec.condition
    if not isinstance(condition, Threshold | Rate):
        return []
    metric = condition.metric
    rising = condition.op in (Operator.GT, Operator.GE)
    falling = condition.op in (Operator.LT, Operator.LE)
    readings = []
    for aggregate in aggregates:
        totals = aggregate.metrics.get(metric)
        if totals is None or not totals.count:
            continue
        value = totals.high if rising else totals.low if falling else totals.total / totals.count
        at = datetime.fromisoformat(f"{aggregate.hour}:00:00+00:00").timestamp()
        readings.append(Reading(at, {metric: value}))
    return readings


def iso(at: float) -> str:
    return to_iso(datetime.fromtimestamp(at, UTC))
