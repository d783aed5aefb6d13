"""The rule engine: one reading (or the passing of time) against one rule's state -> the next state and,
when the alarm's life moves, a signal (raise, re-trigger, clear). Pure and fast: times are epoch seconds,
rules are compiled once into closures, states are small frozen records.

States per (device, rule): ``ok`` -> ``pending`` (the trigger holds, its ``for_s`` is running) -> ``active``
(raised) -> ``ok`` (the clear condition held for its ``for_s``). While active:
- a value inside the hysteresis band (neither trigger nor clear) changes nothing;
- the trigger holding again after it stopped is a *re-trigger* (the alarm's count and last time move);
- the clear condition holding starts the clear timer; the trigger returning stops it.
A reading that lacks the rule's metric leaves the state alone. Outside the rule's active hours the trigger
counts as false (nothing new is raised) while clearing works as always.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from sensors.domain import Device, Operator
from sensors.rules import ORDERING, ActiveHours, EventMatch, Heartbeat, Rate, RuleSpec, Threshold

Value = bool | float | str

_ORDER_FUNCTIONS: Final[dict[Operator, Callable[[Any, Any], bool]]] = {
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
}


class Phase(StrEnum):
    OK = "ok"
    PENDING = "pending"
    ACTIVE = "active"


class Signal(StrEnum):
    RAISE = "raise"
    RETRIGGER = "retrigger"
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class RuleState:
    phase: Phase = Phase.OK
    since: float | None = None  # pending since, or active since
    clear_since: float | None = None  # active, and the clear condition has held since
    last_event_at: float | None = None  # event rules: the last matching event
    triggered: bool = False  # the last reading met the trigger (a re-trigger needs a gap)
    last_value: float | None = None  # rate rules: the previous reading
    last_value_at: float | None = None

    def durable(self) -> tuple[Phase, float | None, float | None, float | None]:
        """What must be stored when it changes; the rest is rebuilt from the next readings."""
        return (self.phase, self.since, self.clear_since, self.last_event_at)


OK_STATE: Final = RuleState()


@dataclass(frozen=True, slots=True)
class Step:
    state: RuleState
    signal: Signal | None = None
    value: Value | None = None  # the reading (or rate) that moved the alarm


@dataclass(frozen=True, slots=True)
class Reading:
    """One device message's fresh values at ``at`` (epoch seconds)."""

    at: float
    metrics: Mapping[str, Value]
    event: tuple[str, Mapping[str, Value]] | None = None


def _is_number(value: object) -> bool:
    kind = type(value)
    return kind is float or kind is int


def comparator(op: Operator, ref: Value) -> Callable[[object], bool]:
    """``value op ref``; a value of another type (a word where a number is expected) is never a match."""
    if op in ORDERING:
        compare = _ORDER_FUNCTIONS[op]
        return lambda value: _is_number(value) and compare(value, ref)
    numeric = _is_number(ref)
    equal: Callable[[object], bool]
    if numeric:

        def equal(value: object) -> bool:
            return _is_number(value) and value == ref

    else:
        ref_type = type(ref)

        def equal(value: object) -> bool:
            return type(value) is ref_type and value == ref

    if op is Operator.EQ:
        return equal
    return lambda value: not equal(value)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: str
    spec: RuleSpec
    trigger: Callable[[object], bool]
    clear: Callable[[object], bool]
    for_s: float
    clear_for_s: float

    @property
    def condition(self) -> Threshold | Rate | EventMatch | Heartbeat:
        return self.spec.condition

    @property
    def metric(self) -> str | None:
        condition = self.spec.condition
        return condition.metric if isinstance(condition, Threshold | Rate) else None

    def applies_to(self, device: Device) -> bool:
        scope = self.spec.scope
        return (
            self.spec.enabled
            and (scope.device_kind is None or scope.device_kind == device.kind)
            and (scope.site_id is None or scope.site_id == device.site_id)
            and (scope.device_id is None or scope.device_id == device.device_id)
        )


def compile_rule(rule_id: str, spec: RuleSpec) -> CompiledRule:
    condition = spec.condition
    if isinstance(condition, Threshold):
        clear = condition.effective_clear()
        return CompiledRule(
            rule_id,
            spec,
            comparator(condition.op, condition.value),
            comparator(clear.op, clear.value),
            float(condition.for_s),
            float(clear.for_s),
        )
    if isinstance(condition, Rate):
        trigger = comparator(condition.op, condition.per_minute)
        return CompiledRule(
            rule_id, spec, trigger, lambda rate: not trigger(rate), float(condition.for_s), 0.0
        )
    return CompiledRule(rule_id, spec, _never, _never, 0.0, 0.0)


def _never(_: object) -> bool:
    return False


# ------------------------------------------------------------------ evaluation


def evaluate(rule: CompiledRule, state: RuleState, reading: Reading, in_hours: bool = True) -> Step:
    """The rule's next state after ``reading`` (which the caller knows is newer than the last one)."""
    condition = rule.spec.condition
    if isinstance(condition, Threshold):
        value = reading.metrics.get(condition.metric)
        if value is None:
            return Step(state)
        return _level(rule, state, reading.at, in_hours and rule.trigger(value), rule.clear(value), value)
    if isinstance(condition, Rate):
        return _rate(rule, condition, state, reading, in_hours)
    if isinstance(condition, EventMatch):
        return _event(condition, state, reading, in_hours)
    # Heartbeat: any message proves the device alive.
    if state.phase is Phase.ACTIVE:
        return Step(OK_STATE, Signal.CLEAR)
    return Step(state)


def _level(rule: CompiledRule, state: RuleState, at: float, trigger: bool, clear: bool, value: Value) -> Step:
    phase = state.phase
    if phase is Phase.OK:
        if not trigger:
            return Step(state)
        if rule.for_s <= 0:
            return Step(RuleState(Phase.ACTIVE, since=at, triggered=True), Signal.RAISE, value)
        return Step(RuleState(Phase.PENDING, since=at, triggered=True))
    if phase is Phase.PENDING:
        if not trigger:
            return Step(OK_STATE)
        since = state.since if state.since is not None else at
        if at - since >= rule.for_s:
            return Step(RuleState(Phase.ACTIVE, since=at, triggered=True), Signal.RAISE, value)
        return Step(state)
    if clear:
        clear_since = state.clear_since if state.clear_since is not None else at
        if at - clear_since >= rule.clear_for_s:
            return Step(OK_STATE, Signal.CLEAR, value)
        if state.clear_since == clear_since and not state.triggered:
            return Step(state)
        return Step(replace(state, clear_since=clear_since, triggered=False))
    if trigger and not state.triggered:
        return Step(replace(state, clear_since=None, triggered=True), Signal.RETRIGGER, value)
    if state.triggered == trigger and state.clear_since is None:
        return Step(state)
    return Step(replace(state, clear_since=None, triggered=trigger))


def _rate(rule: CompiledRule, condition: Rate, state: RuleState, reading: Reading, in_hours: bool) -> Step:
    value = reading.metrics.get(condition.metric)
    if not _is_number(value):
        return Step(state)
    assert isinstance(value, int | float)
    previous, previous_at = state.last_value, state.last_value_at
    remembered = replace(state, last_value=float(value), last_value_at=reading.at)
    if previous is None or previous_at is None or reading.at <= previous_at:
        return Step(remembered)
    per_minute = (float(value) - previous) * 60.0 / (reading.at - previous_at)
    step = _level(
        rule,
        remembered,
        reading.at,
        in_hours and rule.trigger(per_minute),
        rule.clear(per_minute),
        per_minute,
    )
    if step.state.phase is Phase.OK and step.state.last_value is None:
        # _level resets to the bare OK state; the last reading is still needed for the next rate.
        return Step(
            replace(step.state, last_value=float(value), last_value_at=reading.at), step.signal, step.value
        )
    return step


def _event(condition: EventMatch, state: RuleState, reading: Reading, in_hours: bool) -> Step:
    event = reading.event
    matched = (
        event is not None
        and event[0] == condition.event
        and all(event[1].get(name) == wanted for name, wanted in condition.attributes.items())
    )
    if not matched:
        return tick_event(condition, state, reading.at)
    if state.phase is Phase.ACTIVE:
        return Step(replace(state, last_event_at=reading.at), Signal.RETRIGGER, condition.event)
    if not in_hours:
        return Step(state)
    return Step(
        RuleState(Phase.ACTIVE, since=reading.at, last_event_at=reading.at), Signal.RAISE, condition.event
    )


def tick_event(condition: EventMatch, state: RuleState, now: float) -> Step:
    """An event alarm clears once the event has not been seen for ``clear_after_s``."""
    last = state.last_event_at
    if state.phase is Phase.ACTIVE and last is not None and now - last >= condition.clear_after_s:
        return Step(OK_STATE, Signal.CLEAR)
    return Step(state)


def tick(rule: CompiledRule, state: RuleState, now: float, last_seen: float | None) -> Step:
    """What the passing of time alone does (the heartbeat job): event alarms clear, silent devices go
    offline. Threshold and rate rules need a reading to move."""
    condition = rule.spec.condition
    if isinstance(condition, EventMatch):
        return tick_event(condition, state, now)
    silent = last_seen is not None and now - last_seen >= getattr(condition, "timeout_s", 0)
    if isinstance(condition, Heartbeat) and state.phase is Phase.OK and silent:
        return Step(RuleState(Phase.ACTIVE, since=now), Signal.RAISE, "offline")
    return Step(state)


def next_deadline(rule: CompiledRule, state: RuleState, last_seen: float | None) -> float | None:
    """When ``tick`` could next change this rule's state (None: only a reading can)."""
    condition = rule.spec.condition
    if isinstance(condition, EventMatch) and state.phase is Phase.ACTIVE and state.last_event_at is not None:
        return state.last_event_at + condition.clear_after_s
    if isinstance(condition, Heartbeat) and state.phase is Phase.OK and last_seen is not None:
        return last_seen + condition.timeout_s
    return None


# ------------------------------------------------------------------ active hours


@dataclass(frozen=True, slots=True)
class HoursCheck:
    """Whether a rule may raise at an instant, in the tenant's time zone."""

    timezone: ZoneInfo

    def __call__(self, hours: ActiveHours | None, at: float) -> bool:
        if hours is None:
            return True
        local = datetime.fromtimestamp(at, self.timezone)
        return hours.contains(local.isoweekday(), local.time())


def earliest_deadline(
    rules: Iterable[CompiledRule], states: Mapping[str, RuleState], last_seen: float | None
) -> float | None:
    """The earliest time at which ``tick`` could change any of ``rules`` (None: only readings can)."""
    deadlines = [
        d
        for rule in rules
        if (d := next_deadline(rule, states.get(rule.rule_id, OK_STATE), last_seen)) is not None
    ]
    return min(deadlines) if deadlines else None
