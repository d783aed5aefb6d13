"""The default rule pack: what a tenant gets for a device kind the first time it registers one.

The figures match ``iot/simulator.py`` (its normal readings stay inside them, its fault episodes outside):
elevator vibration above 4.5 mm/s for 10 s, fire-water pressure below 0.10 MPa, pump current above 18 A
(1.5 x rated), supply under 198 V (220 V - 10 %), heat above 57 C (a fixed-temperature detector's rating),
leak and smoke at once, camera detections, and a device offline after 25 minutes of silence (a battery
detector, which wakes hourly: after 2 h 5 min). Each
trigger has a clear threshold on the safe side of it, so a reading wobbling at the limit raises one alarm.

Default rules have stable ids (``default-{kind}-{name}``): installing the pack twice changes nothing, and a
manager can edit or disable them like any rule.
"""

from __future__ import annotations

from typing import Any, Final

from iot.kinds import offline_after_s
from sensors.domain import DeviceKind
from sensors.rules import RuleSpec

_STAFF_ON_CALL: Final = ["technician", "service_desk"]


def _threshold(
    metric: str, op: str, value: Any, for_s: int, clear_op: str, clear_value: Any, clear_for_s: int
) -> dict[str, Any]:
    return {
        "type": "threshold",
        "metric": metric,
        "op": op,
        "value": value,
        "for_s": for_s,
        "clear": {"op": clear_op, "value": clear_value, "for_s": clear_for_s},
    }


def _work_order(category: str, priority: str) -> dict[str, Any]:
    return {"category": category, "priority": priority}


_PACK: Final[dict[DeviceKind, dict[str, dict[str, Any]]]] = {
    DeviceKind.ELEVATOR: {
        "vibration": {
            "name": "电梯振动超限 Elevator vibration above 4.5 mm/s",
            "condition": _threshold("vibration_mm_s", ">", 4.5, 10, "<", 3.5, 30),
            "severity": "major",
            "actions": {"work_order": _work_order("elevator", "urgent"), "notify_roles": _STAFF_ON_CALL},
        },
    },
    DeviceKind.WATER_PRESSURE: {
        "low-pressure": {
            "name": "消防水压不足 Fire-water pressure below 0.10 MPa",
            "condition": _threshold("pressure_mpa", "<", 0.10, 30, ">", 0.15, 60),
            "severity": "critical",
            "actions": {
                "work_order": _work_order("fire_safety", "emergency"),
                "notify_roles": ["manager", "technician"],
            },
        },
    },
    DeviceKind.PUMP: {
        "over-current": {
            "name": "水泵过流 Pump over-current above 18 A",
            "condition": _threshold("current_a", ">", 18.0, 10, "<", 15.0, 30),
            "severity": "major",
            "actions": {"work_order": _work_order("plumbing", "urgent"), "notify_roles": _STAFF_ON_CALL},
        },
    },
    DeviceKind.POWER_METER: {
        "under-voltage": {
            "name": "供电欠压 Supply under 198 V",
            "condition": _threshold("voltage_v", "<", 198.0, 30, ">", 205.0, 60),
            "severity": "major",
            "actions": {"work_order": _work_order("electrical", "urgent"), "notify_roles": _STAFF_ON_CALL},
        },
    },
    DeviceKind.LEAK: {
        "leak": {
            "name": "漏水 Water leak",
            "condition": _threshold("leak", "==", True, 0, "!=", True, 60),
            "severity": "major",
            "actions": {"work_order": _work_order("plumbing", "urgent"), "notify_roles": _STAFF_ON_CALL},
        },
    },
    DeviceKind.SMOKE: {
        "smoke": {
            "name": "烟感报警 Smoke detected",
            "condition": _threshold("smoke", "==", True, 0, "!=", True, 120),
            "severity": "critical",
            "actions": {
                "work_order": _work_order("fire_safety", "emergency"),
                "notify_roles": ["manager", "guard", "technician"],
                "notify_residents": True,
            },
        },
        "smoke-event": {
            "name": "烟感报警事件 Smoke alarm event",
            "condition": {
                "type": "event",
                "event": "smoke",
                "attributes": {"state": "alarm"},
                "clear_after_s": 600,
            },
            "severity": "critical",
            "actions": {
                "work_order": _work_order("fire_safety", "emergency"),
                "notify_roles": ["manager", "guard", "technician"],
                "notify_residents": True,
            },
        },
    },
    DeviceKind.HEAT: {
        "heat": {
            "name": "温感报警 Heat above 57 C",
            "condition": _threshold("temperature_c", ">", 57.0, 5, "<", 50.0, 60),
            "severity": "critical",
            "actions": {
                "work_order": _work_order("fire_safety", "emergency"),
                "notify_roles": ["manager", "guard", "technician"],
                "notify_residents": True,
            },
        },
    },
    DeviceKind.CAMERA: {
        "high-altitude-throw": {
            "name": "高空抛物 High-altitude throwing",
            "condition": {"type": "event", "event": "high_altitude_throw", "clear_after_s": 600},
            "severity": "major",
            "actions": {
                "work_order": _work_order("security", "urgent"),
                "notify_roles": ["guard", "service_desk"],
            },
        },
        "fire-lane-blocked": {
            "name": "消防通道占用 Fire lane blocked",
            "condition": {"type": "event", "event": "fire_lane_blocked", "clear_after_s": 900},
            "severity": "minor",
            "actions": {"work_order": _work_order("fire_safety", "normal"), "notify_roles": ["guard"]},
        },
    },
    DeviceKind.GATE: {},
}


def _offline(kind: DeviceKind) -> dict[str, Any]:
    """Mains-powered devices upload at least every ten minutes, battery detectors wake at least hourly
    (``iot.kinds``; report by exception, schemas/telemetry.py): two missed uploads and a margin make a device
    offline, one lost upload does not. A firm can tighten it for chattier devices."""
    timeout_s = offline_after_s(kind.value)
    hours, minutes = divmod(timeout_s // 60, 60)
    words = f"{hours} h {minutes} min" if hours else f"{minutes} minutes"
    return {
        "name": f"设备离线 Device silent for {words}",
        "condition": {"type": "heartbeat", "timeout_s": timeout_s},
        "severity": "minor",
        "actions": {"notify_roles": ["technician"]},
    }


def default_rule_id(kind: DeviceKind, name: str) -> str:
    return f"default-{kind.value.replace('_', '-')}-{name}"


def default_rules(kind: DeviceKind) -> dict[str, RuleSpec]:
    """The kind's default rules by id, scoped to the kind, offline detection included."""
    rules = {**_PACK[kind], "offline": _offline(kind)}
    return {
        default_rule_id(kind, name): RuleSpec.model_validate({**body, "scope": {"device_kind": kind.value}})
        for name, body in rules.items()
    }
