"""schemas/telemetry.json is generated from the model, and both accept and refuse the same messages."""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import ValidationError

from schemas.telemetry import JSON_PATH, Telemetry, json_text

GOOD: list[dict[str, Any]] = [
    {"ts": "2026-03-10T02:00:00.000Z", "seq": 1, "metrics": {"vibration_mm_s": 1.2, "door_cycles": 12}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"leak": True}, "device_type": "leak"},
    {"ts": "2026-03-10T10:00:00+08:00", "event": {"name": "smoke", "attributes": {"state": "alarm"}}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"mode": "standby"}},
]
BAD: list[dict[str, Any]] = [
    {"metrics": {"a": 1}},  # no ts
    {"ts": "2026-03-10T02:00:00Z"},  # neither metrics nor event
    {"ts": "2026-03-10T02:00:00Z", "metrics": {}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"a": 1}, "event": {"name": "smoke"}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"Vibration": 1}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"a": [1]}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"a": 1e13}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"a": "x" * 65}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {"a": 1}, "extra": 1},
    {"ts": "2026-03-10T02:00:00Z", "seq": -1, "metrics": {"a": 1}},
    {"ts": "2026-03-10T02:00:00Z", "metrics": {f"m{i}": 1 for i in range(33)}},
]


def test_checked_in_schema_matches_the_model() -> None:
    # If this fails, regenerate: python -m schemas.telemetry
    assert JSON_PATH.read_text(encoding="utf-8") == json_text()


@pytest.mark.parametrize("message", GOOD)
def test_valid_messages_pass_both(message: dict[str, Any]) -> None:
    Telemetry.model_validate(message)
    jsonschema.validate(message, json.loads(JSON_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("message", BAD)
def test_invalid_messages_fail_both(message: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Telemetry.model_validate(message)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, json.loads(JSON_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(value: float) -> None:
    with pytest.raises(ValidationError):
        Telemetry.model_validate({"ts": "2026-03-10T02:00:00Z", "metrics": {"a": value}})
