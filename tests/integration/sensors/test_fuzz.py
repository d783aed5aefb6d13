"""No payload makes the ingest fail, and every valid message in the same run is still processed."""

from __future__ import annotations

import json
import math
import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courtyard.clock import to_iso
from tests.factories import lambda_context

RUN = 10_000


def _junk(rng: random.Random) -> Any:
    return rng.choice(
        [
            # Every one of these is invalid as a metric value, a timestamp and an event name.
            None,
            10**30,
            math.nan,
            math.inf,
            -math.inf,
            "x" * 200,
            [1, 2],
            {"a": {"b": [None]}},
        ]
    )


def _bad_message(rng: random.Random, base: dict[str, Any], ts: str, other: dict[str, str]) -> Any:
    kind = rng.randrange(14)
    if kind == 0:
        return {**base, "ts": ts, "metrics": {"vibration_mm_s": _junk(rng)}}
    if kind == 1:
        return {**base, "ts": ts, "metrics": {"vibration_mm_s": math.nan}}
    if kind == 2:
        return {**base, "ts": ts, "metrics": {f"m{i}": 1.0 for i in range(2000)}}  # huge
    if kind == 3:
        return {**base, "ts": ts, "metrics": {"vibration_mm_s": 9.0}, "device_id": "01UNKNOWNDEVICE"}
    if kind == 4:
        return {**base, **other, "ts": ts, "metrics": {"vibration_mm_s": 9.0}}  # another tenant's topic
    if kind == 5:
        return rng.choice(["not json", b"\xff\xfe", 42, None, [], [{"ts": ts}], "{"])
    if kind == 6:
        return {**base, "ts": _junk(rng), "metrics": {"vibration_mm_s": 1.0}}
    if kind == 7:
        return {**base, "ts": ts}  # neither metrics nor event
    if kind == 8:
        return {**base, "ts": ts, "metrics": {"Bad-Name": 1.0}}
    if kind == 9:
        return {**base, "ts": ts, "event": {"name": _junk(rng)}}
    if kind == 10:
        return {**base, "ts": ts, "metrics": {"vibration_mm_s": 1.0}, "surprise": _junk(rng)}
    if kind == 11:
        return {k: _junk(rng) for k in ("tenant_id", "site_id", "device_id", "ts", "metrics")}
    if kind == 12:
        return {**base, "ts": ts, "metrics": {"vibration_mm_s": 1e15}}
    return {**base, "ts": ts, "metrics": {"vibration_mm_s": 1.0}, "device_type": "toaster"}


@pytest.mark.reliability
def test_ten_thousand_fuzzed_payloads(manager, register, seed, sensors, clock) -> None:
    from sensors import ingest_handler

    community, wang = manager
    elevator = register(community, wang)
    other = seed("Harbour")
    base = elevator.message({})
    other_topic = {"tenant_id": other.tenant_id, "site_id": other.site_id}
    rng = random.Random(8)
    valid = 0
    expected = 0  # a list event is a batch: one outcome per element
    outcomes: dict[str, int] = {}
    start = clock.now()
    for index in range(RUN):
        clock.set(start + timedelta(milliseconds=100 * (index + 1)))
        ts = to_iso(clock.now())
        is_valid = rng.random() < 0.3
        if is_valid:
            valid += 1
            message: Any = {
                **base,
                "ts": ts,
                "seq": index,
                "metrics": {"vibration_mm_s": round(rng.uniform(0.5, 2.0), 2)},
            }
        else:
            message = _bad_message(rng, base, ts, other_topic)
        expected += len(message) if isinstance(message, list) else 1
        reply = ingest_handler.lambda_handler(message, lambda_context())
        for outcome, count in reply["outcomes"].items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    clock.advance(seconds=RUN / 10 + 1)
    sensors.ingest().flush_all()

    assert outcomes["processed"] == valid
    assert sum(outcomes.values()) == expected
    assert {"malformed", "oversized", "unknown_device", "kind_mismatch"} <= set(outcomes)
    history = sensors.repository().aggregates(
        community.tenant_id, elevator.device_id, "2026-03-10T00", "2026-03-10T23"
    )
    assert sum(h.metrics["vibration_mm_s"].count for h in history) == valid


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(
            ["ts", "seq", "metrics", "event", "device_type", "tenant_id", "site_id", "device_id", "x"]
        ),
        json_values,
        max_size=6,
    )
)
def test_no_payload_raises(manager, register, body) -> None:
    from sensors import ingest_handler

    community, wang = manager
    elevator = _device(register, community, wang)
    message = {**elevator.message({}), **body}

    reply = ingest_handler.lambda_handler(message, lambda_context())

    assert sum(reply["outcomes"].values()) == 1
    json.dumps(reply)


_registered: dict[str, Any] = {}


def _device(register: Any, community: Any, wang: Any) -> Any:
    # Hypothesis reuses the function-scoped fixtures across examples; register once per community.
    if community.tenant_id not in _registered:
        _registered.clear()
        _registered[community.tenant_id] = register(community, wang)
    return _registered[community.tenant_id]
