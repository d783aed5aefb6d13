"""Alarm rule definitions: refused with a clear reason when they could not behave; the default pack."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sensors.defaults import default_rules
from sensors.domain import DeviceKind
from sensors.rules import RuleSpec, Threshold

from iot import simulator


def spec(condition: dict[str, Any], **extra: Any) -> RuleSpec:
    return RuleSpec.model_validate(
        {"name": "r", "scope": {"device_kind": "elevator"}, "condition": condition, **extra}
    )


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        (
            {"type": "threshold", "metric": "v", "op": ">", "value": 4.5, "clear": {"op": "<", "value": 5}},
            "overlaps",
        ),
        (
            {
                "type": "threshold",
                "metric": "v",
                "op": ">=",
                "value": 4.5,
                "clear": {"op": "<=", "value": 4.5},
            },
            "overlaps",
        ),
        (
            {
                "type": "threshold",
                "metric": "v",
                "op": "<",
                "value": 0.1,
                "clear": {"op": ">", "value": 0.05},
            },
            "overlaps",
        ),
        (
            {"type": "threshold", "metric": "v", "op": ">", "value": 4.5, "clear": {"op": ">", "value": 3}},
            "rising",
        ),
        (
            {
                "type": "threshold",
                "metric": "v",
                "op": "==",
                "value": True,
                "clear": {"op": "==", "value": False},
            },
            "clear",
        ),
        ({"type": "threshold", "metric": "leak", "op": ">", "value": True}, "compares numbers"),
        ({"type": "threshold", "metric": "mode", "op": "<", "value": "on"}, "compares numbers"),
        ({"type": "rate", "metric": "v", "op": "==", "per_minute": 1}, "rate of change"),
        ({"type": "threshold", "metric": "v", "op": ">", "value": float("nan")}, "finite"),
        ({"type": "threshold", "metric": "V!", "op": ">", "value": 1}, "pattern"),
        ({"type": "event", "event": "smoke", "clear_after_s": 5}, "greater than or equal to 60"),
        ({"type": "heartbeat", "timeout_s": 10}, "greater than or equal to 60"),
        ({"type": "teleport"}, "tag"),
    ],
)
def test_incoherent_conditions_are_refused_with_the_reason(condition: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        spec(condition)


def test_heartbeat_rules_have_no_active_hours() -> None:
    with pytest.raises(ValidationError, match="around the clock"):
        spec({"type": "heartbeat"}, active_hours={"start": "08:00", "end": "20:00"})


@pytest.mark.parametrize(
    "hours",
    [
        {"start": "8:00", "end": "20:00"},
        {"start": "08:00", "end": "08:00"},
        {"start": "08:00", "end": "24:00"},
    ],
)
def test_bad_active_hours_are_refused(hours: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        spec({"type": "threshold", "metric": "v", "op": ">", "value": 1}, active_hours=hours)


def test_scope_and_actions_are_checked() -> None:
    with pytest.raises(ValidationError, match="scope needs"):
        RuleSpec.model_validate({"name": "r", "scope": {}, "condition": {"type": "heartbeat"}})
    with pytest.raises(ValidationError):
        spec({"type": "heartbeat"}, actions={"work_order": {"category": "spaceship"}})
    with pytest.raises(ValidationError):
        spec({"type": "heartbeat"}, actions={"notify_roles": ["resident"]})


def test_a_good_rule_with_hysteresis() -> None:
    rule = spec(
        {
            "type": "threshold",
            "metric": "v",
            "op": ">",
            "value": 4.5,
            "for_s": 10,
            "clear": {"op": "<", "value": 3.5, "for_s": 30},
        }
    )

    assert isinstance(rule.condition, Threshold)
    assert rule.condition.effective_clear().value == 3.5


@pytest.mark.parametrize("kind", list(DeviceKind))
def test_every_kind_has_a_default_pack_with_offline_detection(kind: DeviceKind) -> None:
    rules = default_rules(kind)

    assert any(r.condition.type == "heartbeat" for r in rules.values())
    assert all(r.scope.device_kind is kind for r in rules.values())


def test_default_thresholds_are_the_simulators() -> None:
    figures = {
        DeviceKind.ELEVATOR: simulator.VIBRATION_ALARM_MM_S,
        DeviceKind.WATER_PRESSURE: simulator.PRESSURE_LOW_MPA,
        DeviceKind.PUMP: simulator.PUMP_OVERCURRENT_A,
        DeviceKind.POWER_METER: simulator.VOLTAGE_LOW_V,
        DeviceKind.HEAT: simulator.HEAT_ALARM_C,
    }
    for kind, figure in figures.items():
        thresholds = [r.condition for r in default_rules(kind).values() if isinstance(r.condition, Threshold)]
        assert [t.value for t in thresholds] == [figure]
