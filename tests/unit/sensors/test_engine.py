"""The pure rule engine: durations, hysteresis, re-triggers, rates, events, heartbeats and active hours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sensors.engine import (
    OK_STATE,
    CompiledRule,
    HoursCheck,
    Phase,
    Reading,
    RuleState,
    Signal,
    compile_rule,
    evaluate,
    next_deadline,
    tick,
)
from sensors.rules import RuleSpec

T0 = 1_773_100_800.0  # 2026-03-10T00:00:00Z, a Tuesday


def rule(condition: dict[str, Any], **extra: Any) -> CompiledRule:
    spec = RuleSpec.model_validate(
        {"name": "test", "scope": {"device_kind": "elevator"}, "condition": condition, **extra}
    )
    return compile_rule("r1", spec)


VIBRATION = rule(
    {
        "type": "threshold",
        "metric": "vibration_mm_s",
        "op": ">",
        "value": 4.5,
        "for_s": 10,
        "clear": {"op": "<", "value": 3.5, "for_s": 30},
    }
)


def run(
    compiled: CompiledRule, values: Iterable[Any], *, every_s: float = 1.0, metric: str = "vibration_mm_s"
) -> tuple[RuleState, list[Signal]]:
    state = OK_STATE
    signals: list[Signal] = []
    for index, value in enumerate(values):
        step = evaluate(compiled, state, Reading(T0 + index * every_s, {metric: value}))
        state = step.state
        if step.signal is not None:
            signals.append(step.signal)
    return state, signals


def test_crossing_for_less_than_the_duration_raises_nothing() -> None:
    state, signals = run(VIBRATION, [1.0] * 5 + [6.0] * 10 + [1.0] * 5)  # 9 s above: under 10 s

    assert signals == []
    assert state.phase is Phase.OK


def test_crossing_for_the_duration_raises_one_alarm() -> None:
    state, signals = run(VIBRATION, [1.0] * 5 + [6.0] * 30)

    assert signals == [Signal.RAISE]
    assert state.phase is Phase.ACTIVE


def test_the_alarm_raises_when_the_duration_has_passed_not_before() -> None:
    _, before = run(VIBRATION, [6.0] * 10)  # t = 0..9
    _, at = run(VIBRATION, [6.0] * 11)  # t = 10

    assert before == []
    assert at == [Signal.RAISE]


def test_oscillating_inside_the_hysteresis_band_raises_one_alarm() -> None:
    wobble = [4.4, 4.6] * 60  # around 4.5, never below the clear threshold 3.5

    state, signals = run(VIBRATION, [6.0] * 11 + wobble)

    assert signals.count(Signal.RAISE) == 1
    assert Signal.CLEAR not in signals
    assert state.phase is Phase.ACTIVE


def test_oscillation_after_raise_counts_as_re_triggers_of_the_same_alarm() -> None:
    _, signals = run(VIBRATION, [6.0] * 11 + [4.0, 6.0] * 3)

    assert signals == [Signal.RAISE] + [Signal.RETRIGGER] * 3


def test_clear_condition_held_for_its_duration_clears() -> None:
    state, signals = run(VIBRATION, [6.0] * 11 + [2.0] * 31)

    assert signals == [Signal.RAISE, Signal.CLEAR]
    assert state == OK_STATE


def test_clear_condition_interrupted_starts_over() -> None:
    values = [6.0] * 11 + [2.0] * 20 + [4.0] + [2.0] * 20  # back in the band at 20 s
    state, signals = run(VIBRATION, values)

    assert signals == [Signal.RAISE]
    assert state.phase is Phase.ACTIVE


def test_without_a_clear_condition_the_negated_trigger_clears_at_once() -> None:
    leak = rule({"type": "threshold", "metric": "leak", "op": "==", "value": True})

    _, signals = run(leak, [False, True, True, False, True], metric="leak")

    assert signals == [Signal.RAISE, Signal.CLEAR, Signal.RAISE]


def test_readings_without_the_metric_leave_the_state_alone() -> None:
    step = evaluate(VIBRATION, RuleState(Phase.PENDING, since=T0), Reading(T0 + 50, {"door_cycles": 3.0}))

    assert step.state == RuleState(Phase.PENDING, since=T0)
    assert step.signal is None


def test_a_word_where_a_number_is_expected_never_triggers() -> None:
    _, signals = run(VIBRATION, ["high"] * 20)

    assert signals == []


def test_falling_threshold_with_hysteresis() -> None:
    pressure = rule(
        {
            "type": "threshold",
            "metric": "pressure_mpa",
            "op": "<",
            "value": 0.10,
            "for_s": 30,
            "clear": {"op": ">", "value": 0.15, "for_s": 60},
        }
    )
    values = [0.35] * 5 + [0.05] * 40 + [0.12] * 100 + [0.3] * 61

    state, signals = run(pressure, values, metric="pressure_mpa")

    assert signals == [Signal.RAISE, Signal.CLEAR]
    assert state == OK_STATE


def test_rate_of_change_per_minute() -> None:
    falling = rule({"type": "rate", "metric": "pressure_mpa", "op": "<", "per_minute": -0.05})
    # 0.01 MPa per 10 s = -0.06 per minute: fast enough; then steady.
    values = [0.35, 0.34, 0.33, 0.33, 0.33]

    state, signals = run(falling, values, every_s=10, metric="pressure_mpa")

    assert signals == [Signal.RAISE, Signal.CLEAR]
    assert state.phase is Phase.OK
    assert state.last_value == 0.33


def test_event_raises_re_triggers_and_clears_when_not_seen_again() -> None:
    throw = rule({"type": "event", "event": "high_altitude_throw", "clear_after_s": 600})
    event: tuple[str, dict[str, bool | float | str]] = ("high_altitude_throw", {})

    first = evaluate(throw, OK_STATE, Reading(T0, {}, event))
    again = evaluate(throw, first.state, Reading(T0 + 120, {}, event))
    quiet = tick(throw, again.state, T0 + 120 + 599, None)
    cleared = tick(throw, again.state, T0 + 120 + 600, None)

    assert first.signal is Signal.RAISE
    assert again.signal is Signal.RETRIGGER
    assert quiet.signal is None
    assert cleared.signal is Signal.CLEAR
    assert next_deadline(throw, again.state, None) == T0 + 720


def test_event_attributes_must_match() -> None:
    smoke = rule({"type": "event", "event": "smoke", "attributes": {"state": "alarm"}})

    test_press = evaluate(smoke, OK_STATE, Reading(T0, {}, ("smoke", {"state": "test"})))
    alarm = evaluate(smoke, OK_STATE, Reading(T0, {}, ("smoke", {"state": "alarm", "zone": 3.0})))

    assert test_press.signal is None
    assert alarm.signal is Signal.RAISE


def test_a_silent_device_goes_offline_and_comes_back() -> None:
    offline = rule({"type": "heartbeat", "timeout_s": 300})
    last_seen = T0

    still = tick(offline, OK_STATE, T0 + 299, last_seen)
    gone = tick(offline, OK_STATE, T0 + 300, last_seen)
    again = tick(offline, gone.state, T0 + 900, last_seen)
    back = evaluate(offline, gone.state, Reading(T0 + 1000, {"vibration_mm_s": 1.0}))

    assert still.signal is None
    assert gone.signal is Signal.RAISE
    assert again.signal is None  # offline once, not every minute
    assert back.signal is Signal.CLEAR
    assert next_deadline(offline, back.state, T0 + 1000) == T0 + 1300


def test_outside_active_hours_nothing_new_is_raised() -> None:
    night = rule(
        {"type": "threshold", "metric": "vibration_mm_s", "op": ">", "value": 4.5},
        active_hours={"start": "08:00", "end": "20:00"},
    )
    hours = HoursCheck(ZoneInfo("Asia/Shanghai"))
    at_3am_local = T0 - 5 * 3600  # 19:00Z the day before = 03:00 Shanghai
    at_10am_local = T0 + 2 * 3600

    quiet = evaluate(
        night,
        OK_STATE,
        Reading(at_3am_local, {"vibration_mm_s": 9.0}),
        hours(night.spec.active_hours, at_3am_local),
    )
    loud = evaluate(
        night,
        OK_STATE,
        Reading(at_10am_local, {"vibration_mm_s": 9.0}),
        hours(night.spec.active_hours, at_10am_local),
    )

    assert quiet.signal is None
    assert loud.signal is Signal.RAISE


def test_overnight_active_hours_span_midnight() -> None:
    spec = RuleSpec.model_validate(
        {
            "name": "night",
            "scope": {"site_id": "S1"},
            "condition": {"type": "event", "event": "fire_lane_blocked"},
            "active_hours": {"start": "22:00", "end": "06:00", "weekdays": [5]},  # Friday night
        }
    )
    hours = spec.active_hours
    assert hours is not None
    from datetime import time

    assert hours.contains(5, time(23, 0))
    assert hours.contains(6, time(5, 59))  # early Saturday belongs to Friday night
    assert not hours.contains(6, time(23, 0))
    assert not hours.contains(5, time(12, 0))


# ------------------------------------------------------------------ properties

readings_strategy = st.lists(st.floats(min_value=0.0, max_value=10.0, allow_nan=False), max_size=200)


def _alternates(signals: Sequence[Signal]) -> bool:
    open_ = False
    for signal in signals:
        if signal is Signal.RAISE:
            if open_:
                return False
            open_ = True
        elif signal is Signal.CLEAR:
            if not open_:
                return False
            open_ = False
        elif not open_:
            return False  # a re-trigger only while raised
    return True


@settings(max_examples=300, deadline=None)
@given(readings_strategy)
def test_raise_and_clear_always_alternate(values: list[float]) -> None:
    _, signals = run(VIBRATION, values)

    assert _alternates(signals)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=4.5, allow_nan=False), max_size=200))
def test_readings_never_above_the_threshold_never_raise(values: list[float]) -> None:
    _, signals = run(VIBRATION, values)

    assert signals == []


@settings(max_examples=300, deadline=None)
@given(readings_strategy, st.floats(min_value=3.6, max_value=10.0))
def test_after_a_raise_nothing_above_the_clear_threshold_clears(values: list[float], low: float) -> None:
    raised, _ = run(VIBRATION, [6.0] * 11)
    state = raised
    for index, value in enumerate(max(v, low) for v in values):
        step = evaluate(VIBRATION, state, Reading(T0 + 11 + index, {"vibration_mm_s": value}))
        assert step.signal is not Signal.CLEAR
        state = step.state
