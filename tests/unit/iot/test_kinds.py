"""The device kind says how it sends (iot/kinds.py): battery detectors wake and hold a short session, gateways
stay connected; the simulator follows the kind, and the choice holds at the bench's prices."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest

from bench import prices
from infra.local.iot_sql import parse_rule
from infra.local.mqtt import LocalIot
from iot.kinds import (
    BATTERY_KINDS,
    connect_mode_of,
    is_battery,
    offline_after_s,
    samples_per_upload,
    session_of,
    upload_interval_s,
)
from iot.simulator import DEVICE_KINDS, build_parser, connect_mode, main
from iot.topics import TELEMETRY_RULE_SQL, rule_names

TIMEOUT_S = 5.0


@pytest.mark.parametrize("kind", ["smoke", "heat", "leak"])
def test_a_battery_detector_wakes_hourly_for_a_short_session(kind: str) -> None:
    assert is_battery(kind)
    assert session_of(kind) == "per_wake"
    assert connect_mode_of(kind) == "per-upload"
    assert upload_interval_s(kind) == 3600
    assert samples_per_upload(kind) == 60  # an hour of one-minute samples: schemas/telemetry.py's limit
    assert offline_after_s(kind) == 2 * 3600 + 300  # two missed heartbeats, not two ten-minute uploads


@pytest.mark.parametrize("kind", ["elevator", "water_pressure", "pump", "power_meter", "camera", "gate"])
def test_a_mains_powered_device_stays_connected(kind: str) -> None:
    assert not is_battery(kind)
    assert session_of(kind) == "connected"
    assert connect_mode_of(kind) == "stay"
    assert upload_interval_s(kind) == 600
    assert offline_after_s(kind) == 25 * 60


def test_every_battery_kind_is_one_the_simulator_knows() -> None:
    assert set(DEVICE_KINDS) >= BATTERY_KINDS


def test_a_wake_costs_less_as_a_short_mqtt_session_than_as_an_https_post() -> None:
    """The decision in iot/kinds.py at the bench's prices: a wake over MQTT is one CONNECT (a message) and one
    billed minute, its publish through Basic Ingest free; an HTTPS post meters its request body and its
    response body (IoT Core's additional metering details), two messages."""
    message = prices.PRICES["iot.messages"].cost(1)
    minute = prices.PRICES["iot.connect_minutes"].cost(1)
    short_session = message + minute
    https_post = 2 * message
    assert short_session < https_post
    # And it is far below holding the connection for the hour between heartbeats.
    assert short_session < 60 * minute


def _cli(kind: str, *extra: str) -> list[str]:
    base = ["--mqtt-url", "mqtt://127.0.0.1:1", "--tenant", "t", "--site", "s", "--device", "d"]
    return [*base, "--kind", kind, *extra]


def test_the_simulator_wakes_a_battery_detector_whatever_its_interval() -> None:
    # A gateway at one message a minute stays connected; a smoke detector never does.
    assert connect_mode(build_parser().parse_args(_cli("pump", "--interval", "60"))) == "stay"
    assert connect_mode(build_parser().parse_args(_cli("smoke", "--interval", "60"))) == "per-upload"
    assert connect_mode(build_parser().parse_args(_cli("smoke", "--connect", "stay"))) == "stay"  # as asked


class _Recorder:
    def __init__(self) -> None:
        self.calls: queue.Queue[dict[str, Any]] = queue.Queue()

    def __call__(self, function_id: str, event: dict[str, Any]) -> None:
        self.calls.put(event)


@pytest.fixture
def iot_and_calls() -> Iterator[tuple[LocalIot, _Recorder]]:
    recorder = _Recorder()
    rules = [("SensorsTelemetryFunction", parse_rule(TELEMETRY_RULE_SQL))]
    with LocalIot(rules, recorder, rule_names=[rule_names("dev")[0]]) as iot:
        yield iot, recorder


def test_a_simulated_smoke_detector_connects_once_per_wake_through_basic_ingest(
    iot_and_calls: tuple[LocalIot, _Recorder],
) -> None:
    iot, recorder = iot_and_calls
    argv = ["--mqtt-url", iot.url, "--tenant", "t1", "--site", "s1", "--device", "smoke-1", "--kind", "smoke"]
    wakes = ["--count", "3", "--interval", "0", "--seed", "1", "--stage", "dev"]

    assert main([*argv, *wakes]) == 0

    events = [recorder.calls.get(timeout=TIMEOUT_S) for _ in range(3)]
    assert [e["seq"] for e in events] == [0, 1, 2]
    assert {e["device_id"] for e in events} == {"smoke-1"}
    assert iot.stats.connections == 3  # a CONNECT per wake, as AWS meters them
    assert iot.stats.basic_ingest == 3  # each upload through Basic Ingest: no messaging charge
