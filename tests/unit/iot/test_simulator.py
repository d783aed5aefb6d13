"""The device simulator: pure reading generation, and publishing through the local IoT broker's rules."""

from __future__ import annotations

import queue
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from awscrt.exceptions import AwsCrtError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra.local.iot_sql import parse_rule
from infra.local.mqtt import LocalIot
from iot.simulator import (
    DEVICE_KINDS,
    AwsIotCore,
    LocalBroker,
    build_parser,
    connected,
    fault_window,
    format_ts,
    is_abnormal,
    main,
    parse_mqtt_url,
    publish_readings,
    readings,
    telemetry_message,
)
from iot.topics import TELEMETRY_RULE_SQL, rule_names

TIMEOUT_S = 5.0
EXPECTED_METRICS = {
    "elevator": {"vibration_mm_s", "door_cycles"},
    "water_pressure": {"pressure_mpa"},
    "pump": {"current_a", "running"},
    "power_meter": {"kwh", "voltage_v"},
    "leak": {"leak"},
    "smoke": {"smoke", "battery_pct"},
    "heat": {"temperature_c"},
}


def test_every_kind_has_its_metrics() -> None:
    assert set(DEVICE_KINDS) == set(EXPECTED_METRICS)
    for kind in DEVICE_KINDS:
        for metrics in readings(kind, 20, True, random.Random(1)):
            assert set(metrics) == EXPECTED_METRICS[kind]


@pytest.mark.parametrize("kind", DEVICE_KINDS)
def test_same_seed_same_readings(kind: Any) -> None:
    first = list(readings(kind, 30, True, random.Random(42)))
    again = list(readings(kind, 30, True, random.Random(42)))

    assert len(first) == 30
    assert first == again


@pytest.mark.parametrize("kind", DEVICE_KINDS)
@pytest.mark.parametrize("seed", range(20))
def test_without_fault_every_reading_is_normal(kind: Any, seed: int) -> None:
    assert not any(is_abnormal(kind, m) for m in readings(kind, 50, False, random.Random(seed)))


@pytest.mark.parametrize("kind", DEVICE_KINDS)
@pytest.mark.parametrize("count", [1, 2, 3, 10, 30])
def test_fault_episode_is_abnormal_and_only_it(kind: Any, count: int) -> None:
    abnormal = [is_abnormal(kind, m) for m in readings(kind, count, True, random.Random(count))]

    window = fault_window(count)
    assert abnormal == [i in window for i in range(count)]


def test_fault_window_shape() -> None:
    assert fault_window(0) == range(0)
    assert fault_window(2) == range(0, 2)
    assert fault_window(3) == range(0, 3)
    assert fault_window(10) == range(3, 6)  # normal readings before and after
    assert fault_window(30) == range(10, 20)


def test_elevator_fault_is_high_vibration_for_several_readings() -> None:
    values = [m["vibration_mm_s"] for m in readings("elevator", 12, True, random.Random(3))]

    high = [v for v in values if v > 4.5]
    assert len(high) >= 3
    assert values[0] < 4.5
    assert values[-1] < 4.5


def test_counters_never_go_backwards() -> None:
    doors = [m["door_cycles"] for m in readings("elevator", 50, True, random.Random(5))]
    kwh = [m["kwh"] for m in readings("power_meter", 50, True, random.Random(5))]
    battery = [m["battery_pct"] for m in readings("smoke", 500, False, random.Random(5))]

    assert doors == sorted(doors)
    assert kwh == sorted(kwh)
    assert battery == sorted(battery, reverse=True)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="kind"):
        list(readings("toaster", 1, False, random.Random()))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count"):
        list(readings("heat", -1, False, random.Random()))


def test_message_shape() -> None:
    at = datetime(2024, 5, 1, 20, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))

    message = telemetry_message("leak", 7, {"leak": False}, at)

    assert message == {
        "device_type": "leak",
        "seq": 7,
        "ts": "2024-05-01T12:00:00.123Z",
        "metrics": {"leak": False},
    }
    with pytest.raises(ValueError, match="naive"):
        format_ts(datetime(2024, 5, 1))  # naive on purpose


def test_mqtt_url() -> None:
    assert parse_mqtt_url("mqtt://127.0.0.1:1884") == ("127.0.0.1", 1884)
    assert parse_mqtt_url("mqtt://broker") == ("broker", 1883)
    for bad in ["http://127.0.0.1:1883", "mqtt://", "mqtt://h:1/topic", "127.0.0.1:1883"]:
        with pytest.raises(ValueError, match="mqtt"):
            parse_mqtt_url(bad)


@pytest.mark.parametrize(
    "argv",
    [
        ["--endpoint", "x.iot.amazonaws.com"],  # no certificate
        ["--endpoint", "x", "--cert", "c.pem"],  # no key
        ["--mqtt-url", "mqtt://127.0.0.1:1", "--cert", "c.pem"],
        ["--mqtt-url", "mqtt://127.0.0.1:1", "--port", "8883"],
        ["--mqtt-url", "mqtt://127.0.0.1:1", "--endpoint", "x", "--cert", "c", "--key", "k"],
        ["--mqtt-url", "http://127.0.0.1:1"],
        ["--mqtt-url", "mqtt://127.0.0.1:1", "--count", "0"],
        ["--mqtt-url", "mqtt://127.0.0.1:1", "--interval", "-1"],
        ["--mqtt-url", "mqtt://127.0.0.1:1", "--kind", "toaster"],
    ],
)
def test_cli_rejects_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--tenant", "t1", "--site", "s1", "--device", "d1"]
    if "--kind" not in argv:
        base += ["--kind", "elevator"]

    with pytest.raises(SystemExit) as exited:
        main([*argv, *base])

    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_rejects_an_id_that_cannot_be_a_topic_level() -> None:
    with pytest.raises(SystemExit):
        main(
            [
                *("--mqtt-url", "mqtt://127.0.0.1:1", "--tenant", "t/1"),
                *("--site", "s", "--device", "d", "--kind", "heat"),
            ]
        )


def test_parser_defaults() -> None:
    args = build_parser().parse_args(
        [
            "--mqtt-url",
            "mqtt://127.0.0.1:1",
            "--tenant",
            "t",
            "--site",
            "s",
            "--device",
            "d",
            "--kind",
            "pump",
        ]
    )

    assert (args.count, args.interval, args.fault, args.seed) == (10, 1.0, False, None)


# --- publishing through the local broker and its topic rule ----------------------------------------


class Recorder:
    """The `deliver` callback of LocalIot: queues each delivery so the test can wait with a timeout."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()

    def __call__(self, function_id: str, event: dict[str, Any]) -> None:
        self.calls.put((function_id, event))

    def take(self, n: int) -> list[dict[str, Any]]:
        events = []
        for _ in range(n):
            function_id, event = self.calls.get(timeout=TIMEOUT_S)
            assert function_id == "SensorsTelemetryFunction"
            events.append(event)
        return events


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def local_iot(recorder: Recorder) -> Iterator[LocalIot]:
    with LocalIot([("SensorsTelemetryFunction", parse_rule(TELEMETRY_RULE_SQL))], recorder) as iot:
        yield iot


def test_published_readings_reach_the_rule_with_ids_from_the_topic(
    local_iot: LocalIot, recorder: Recorder
) -> None:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    ticks = iter(start + timedelta(seconds=i) for i in range(100))

    with connected(LocalBroker(local_iot.url), "elevator-7") as connection:
        sent = publish_readings(
            connection,
            tenant_id="01HTENANT",
            site_id="01HSITE",
            device_id="elevator-7",
            kind="elevator",
            count=6,
            interval_s=0,
            fault=True,
            rng=random.Random(9),
            clock=lambda: next(ticks),
        )

    events = recorder.take(6)  # one connection's publishes arrive in order
    assert recorder.calls.empty()
    assert len(sent) == 6
    for seq, (message, event) in enumerate(zip(sent, events, strict=True)):
        assert isinstance(event.pop("received_at"), int)
        assert event == {
            **message,
            "tenant_id": "01HTENANT",
            "site_id": "01HSITE",
            "device_id": "elevator-7",
        }
        assert event["seq"] == seq
        assert event["ts"] == format_ts(start + timedelta(seconds=seq))
        assert set(event["metrics"]) == {"vibration_mm_s", "door_cycles"}
    assert [is_abnormal("elevator", e["metrics"]) for e in events] == [i in fault_window(6) for i in range(6)]
    assert local_iot.stats.messages_by_kind == {"telemetry": 6}


def test_cli_publishes_to_the_local_broker(local_iot: LocalIot, recorder: Recorder) -> None:
    code = main(
        [
            *("--mqtt-url", local_iot.url, "--tenant", "t1", "--site", "s1", "--device", "leak-1"),
            *("--kind", "leak", "--count", "2", "--interval", "0", "--seed", "1"),
        ]
    )

    assert code == 0
    events = recorder.take(2)
    assert [(e["device_id"], e["device_type"], e["seq"]) for e in events] == [
        ("leak-1", "leak", 0),
        ("leak-1", "leak", 1),
    ]


def test_cli_with_a_stage_publishes_through_basic_ingest_to_the_stages_telemetry_rule(
    recorder: Recorder,
) -> None:
    rules = [("SensorsTelemetryFunction", parse_rule(TELEMETRY_RULE_SQL))]
    with LocalIot(rules, recorder, rule_names=[rule_names("dev")[0]]) as iot:
        code = main(
            [
                *("--mqtt-url", iot.url, "--tenant", "t1", "--site", "s1", "--device", "smoke-1"),
                *("--kind", "smoke", "--count", "2", "--interval", "0", "--seed", "1", "--stage", "dev"),
            ]
        )
        assert code == 0
        assert [e["device_id"] for e in recorder.take(2)] == ["smoke-1", "smoke-1"]
        stats = iot.stats
    assert (stats.basic_ingest, stats.billable_messages) == (2, 0)


def test_cli_simulates_a_fleet_with_some_faulty_devices(local_iot: LocalIot, recorder: Recorder) -> None:
    code = main(
        [
            *("--mqtt-url", local_iot.url, "--tenant", "t1", "--site", "s1", "--device", "lift"),
            *("--kind", "elevator", "--count", "6", "--interval", "0", "--seed", "3"),
            *("--devices", "3", "--faulty", "1"),
        ]
    )

    assert code == 0
    events = recorder.take(18)
    by_device: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_device.setdefault(event["device_id"], []).append(event)
    assert sorted(by_device) == ["lift-001", "lift-002", "lift-003"]
    abnormal = {d: any(is_abnormal("elevator", e["metrics"]) for e in ev) for d, ev in by_device.items()}
    assert abnormal == {"lift-001": True, "lift-002": False, "lift-003": False}


def test_cli_refuses_a_fleet_on_aws_and_a_bad_faulty_count(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--tenant", "t", "--site", "s", "--device", "d", "--kind", "pump"]
    with pytest.raises(SystemExit):
        main([*base, "--endpoint", "x.iot.amazonaws.com", "--cert", "c", "--key", "k", "--devices", "2"])
    with pytest.raises(SystemExit):
        main([*base, "--mqtt-url", "mqtt://127.0.0.1:1883", "--devices", "2", "--faulty", "3"])
    assert "--faulty" in capsys.readouterr().err


def test_cli_reports_an_unreachable_broker() -> None:
    with LocalIot([], Recorder()) as iot:
        url = iot.url  # a port that was just free and is now closed again
    code = main(
        [
            *("--mqtt-url", url, "--tenant", "t1", "--site", "s1"),
            *("--device", "d1", "--kind", "heat", "--count", "1"),
        ]
    )

    assert code == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "device.pem.crt", tmp_path / "private.pem.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_mtls_transport_builds_and_reports_a_failed_connect(tmp_path: Path) -> None:
    # No AWS here: this checks the awsiotsdk builder accepts our arguments and a refused connect is reported.
    cert, key = self_signed(tmp_path)
    target = AwsIotCore("127.0.0.1", str(cert), str(key), port=closed_port())

    with pytest.raises(AwsCrtError, match="CONNECTION_REFUSED"), connected(target, "d1", timeout_s=TIMEOUT_S):
        pass
    code = main(
        [
            *("--endpoint", "127.0.0.1", "--port", str(target.port), "--cert", str(cert), "--key", str(key)),
            *("--tenant", "t1", "--site", "s1", "--device", "d1", "--kind", "smoke", "--count", "1"),
        ]
    )
    assert code == 1
