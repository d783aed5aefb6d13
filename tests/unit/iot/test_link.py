"""How a device holds its connection (iot/link.py): the cheaper mode for its upload interval, the billed
connections of a run on the device's own clock, and a per-upload link that really connects for each upload."""

from __future__ import annotations

import queue
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench import prices
from infra.local.iot_sql import parse_rule
from infra.local.mqtt import LocalIot
from iot.link import BREAK_EVEN_S, Connections, cheaper_mode, connections_of, session
from iot.simulator import (
    LocalBroker,
    build_parser,
    connect_mode,
    is_abnormal,
    publish_readings,
    stepped_clock,
)
from iot.topics import TELEMETRY_RULE_SQL

TIMEOUT_S = 5.0
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_the_break_even_comes_from_the_benchs_prices() -> None:
    message = prices.PRICES["iot.messages"].cost(1_000_000)
    minute = prices.PRICES["iot.connect_minutes"].cost(1_000_000)
    # Per upload: one CONNECT message + one billed minute, against the minutes of staying connected.
    assert pytest.approx(60 * (message + minute) / minute) == BREAK_EVEN_S
    assert pytest.approx(13.5 * 60) == BREAK_EVEN_S


def test_a_device_uploading_every_ten_minutes_stays_connected_and_a_half_hourly_one_connects_per_upload() -> (
    None
):
    assert cheaper_mode(600) == "stay"
    assert cheaper_mode(1800) == "per-upload"
    assert connect_mode(build_parser().parse_args(_cli("--batch", "10", "--interval", "60"))) == "stay"
    assert connect_mode(build_parser().parse_args(_cli("--batch", "30", "--interval", "60"))) == "per-upload"
    assert connect_mode(build_parser().parse_args(_cli("--connect", "per-upload"))) == "per-upload"


def _cli(*extra: str) -> list[str]:
    base = ["--mqtt-url", "mqtt://127.0.0.1:1", "--tenant", "t", "--site", "s", "--device", "d"]
    return [*base, "--kind", "pump", *extra]


def _sent(*minutes: int) -> list[dict[str, Any]]:
    return [{"ts": (START + timedelta(minutes=m)).isoformat().replace("+00:00", "Z")} for m in minutes]


def test_billed_connections_are_timed_on_the_devices_clock() -> None:
    uploads = _sent(0, 1, 11, 21, 599)
    assert connections_of(uploads, "per-upload") == Connections(connects=5, minutes=5)
    assert connections_of(uploads, "stay") == Connections(connects=1, minutes=599)
    assert connections_of(_sent(0), "stay") == Connections(connects=1, minutes=1)  # the 1-minute minimum
    assert connections_of([], "stay") == Connections(0, 0)


class _Recorder:
    def __init__(self) -> None:
        self.calls: queue.Queue[dict[str, Any]] = queue.Queue()

    def __call__(self, function_id: str, event: dict[str, Any]) -> None:
        self.calls.put(event)


@pytest.fixture
def iot_and_calls() -> Iterator[tuple[LocalIot, _Recorder]]:
    recorder = _Recorder()
    with LocalIot([("SensorsTelemetryFunction", parse_rule(TELEMETRY_RULE_SQL))], recorder) as iot:
        yield iot, recorder


@pytest.mark.parametrize("mode", ["per-upload", "stay"])
def test_a_per_upload_device_connects_once_per_upload_and_every_upload_arrives(
    iot_and_calls: tuple[LocalIot, _Recorder], mode: Any
) -> None:
    iot, recorder = iot_and_calls
    with session(LocalBroker(iot.url), "lift-1", mode, timeout_s=TIMEOUT_S) as link:
        sent = publish_readings(
            link,
            tenant_id="t1",
            site_id="s1",
            device_id="lift-1",
            kind="elevator",
            count=60,
            interval_s=0,
            fault=True,
            rng=random.Random(4),
            clock=stepped_clock(START, 60.0),
            batch=10,
        )

    events = [recorder.calls.get(timeout=TIMEOUT_S) for _ in sent]
    assert [e["seq"] for e in events] == list(range(len(sent)))  # in order, none lost
    samples = [s for e in events for s in e["samples"]]
    assert len(samples) == 60
    assert any(is_abnormal("elevator", s["metrics"]) for s in samples)  # the fault went out at once
    connects = iot.stats.connections
    assert connects == (len(sent) if mode == "per-upload" else 1)
    assert connections_of(sent, mode).connects == connects


@pytest.mark.parametrize(("connect", "connections"), [("per-upload", 4), ("stay", 1)])
def test_the_command_line_connects_as_asked(
    iot_and_calls: tuple[LocalIot, _Recorder], connect: str, connections: int
) -> None:
    from iot.simulator import main

    iot, recorder = iot_and_calls
    argv = ["--mqtt-url", iot.url, "--tenant", "t1", "--site", "s1", "--device", "pump-1", "--kind", "pump"]
    assert main([*argv, "--count", "4", "--interval", "0", "--connect", connect, "--seed", "1"]) == 0

    assert [recorder.calls.get(timeout=TIMEOUT_S)["seq"] for _ in range(4)] == [0, 1, 2, 3]
    assert iot.stats.connections == connections
