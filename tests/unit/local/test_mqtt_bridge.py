"""The local IoT Core: real MQTT clients publish to the embedded broker; topic rules deliver Lambda events."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from amqtt.client import MQTTClient
from awscrt import io, mqtt

from infra.local.iot_sql import parse_rule
from infra.local.mqtt import LocalIot

TELEMETRY_SQL = (
    "SELECT *, topic(2) AS tenant_id, topic(3) AS site_id, topic(4) AS device_id, timestamp() AS received_at "
    "FROM 'courtyard/+/+/+/telemetry'"
)
ALARM_SQL = (
    "SELECT *, topic(2) AS tenant_id, topic(4) AS device_id, clientid() AS client_id "
    "FROM 'courtyard/+/+/+/events' WHERE kind = 'smoke' OR kind = 'co'"
)
TIMEOUT_S = 5.0

Delivery = tuple[str, dict[str, Any]]


class Recorder:
    """A `deliver` callback that records calls, so tests can wait for them without sleeping."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Delivery] = queue.Queue()

    def __call__(self, function_id: str, event: dict[str, Any]) -> None:
        self.calls.put((function_id, event))

    def next(self) -> Delivery:
        return self.calls.get(timeout=TIMEOUT_S)


@pytest.fixture(scope="module")
def bootstrap() -> io.ClientBootstrap:
    group = io.EventLoopGroup(1)
    return io.ClientBootstrap(group, io.DefaultHostResolver(group))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def iot(recorder: Recorder) -> Iterator[LocalIot]:
    rules = [("TelemetryFunction", parse_rule(TELEMETRY_SQL)), ("AlarmFunction", parse_rule(ALARM_SQL))]
    with LocalIot(rules, recorder) as local_iot:
        yield local_iot


def connect(bootstrap: io.ClientBootstrap, port: int, client_id: str) -> mqtt.Connection:
    # Plain TCP: awscrt's own client with no TLS context (the awsiotsdk builders always force TLS).
    connection = mqtt.Connection(
        mqtt.Client(bootstrap, tls_ctx=None), "127.0.0.1", port, client_id, disable_metrics=True
    )
    connection.connect().result(TIMEOUT_S)
    return connection


@pytest.fixture
def device(iot: LocalIot, bootstrap: io.ClientBootstrap) -> Iterator[mqtt.Connection]:
    connection = connect(bootstrap, iot.port, "d1")
    yield connection
    connection.disconnect().result(TIMEOUT_S)


def publish(connection: mqtt.Connection, topic: str, payload: dict[str, Any] | bytes) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    future, _ = connection.publish(topic, body, mqtt.QoS.AT_LEAST_ONCE)
    future.result(TIMEOUT_S)  # PUBACK: the broker has the message


def test_telemetry_reaches_the_function_with_ids_from_the_topic(
    device: mqtt.Connection, recorder: Recorder
) -> None:
    before_ms = time.time_ns() // 1_000_000

    publish(device, "courtyard/t1/s1/d1/telemetry", {"temperature": 21.5, "battery": 97})

    function_id, event = recorder.next()
    assert function_id == "TelemetryFunction"
    assert event.pop("received_at") >= before_ms
    assert event == {
        "temperature": 21.5,
        "battery": 97,
        "tenant_id": "t1",
        "site_id": "s1",
        "device_id": "d1",
    }


def test_event_failing_where_is_not_delivered(device: mqtt.Connection, recorder: Recorder) -> None:
    publish(device, "courtyard/t1/s1/d1/events", {"kind": "gate_scan"})  # WHERE false
    publish(device, "courtyard/t1/s1/d1/events", {"kind": "SMOKE"})  # string equality is case-sensitive
    publish(device, "courtyard/t1/s1/d1/events", {"ppm": 99})  # kind is Undefined
    publish(device, "courtyard/t1/s1/d1/events", {"kind": "co", "ppm": 80})  # WHERE true

    # One connection's publishes reach each function in order, so the first delivery must be the last one.
    assert recorder.next() == (
        "AlarmFunction",
        {"kind": "co", "ppm": 80, "tenant_id": "t1", "device_id": "d1", "client_id": "d1"},
    )
    assert recorder.calls.empty()


def test_message_on_a_non_matching_topic_is_not_delivered(
    iot: LocalIot, device: mqtt.Connection, recorder: Recorder
) -> None:
    publish(device, "courtyard/t1/s1/d1/status", {"kind": "smoke"})
    publish(device, "courtyard/t1/s1/telemetry", {"temperature": 1})  # one level short
    publish(device, "elsewhere/t1/s1/d1/telemetry", {"temperature": 2})
    publish(device, "courtyard/t1/s1/d1/telemetry", {"temperature": 3})

    function_id, event = recorder.next()
    assert (function_id, event["temperature"]) == ("TelemetryFunction", 3)
    assert recorder.calls.empty()
    stats = iot.stats
    assert stats.messages == 4
    assert stats.messages_by_kind == {"status": 1, "telemetry": 3}
    assert stats.rules_triggered == 1
    assert stats.actions_by_function == {"TelemetryFunction": 1}


def test_non_json_payload_is_counted_but_not_delivered(
    iot: LocalIot, device: mqtt.Connection, recorder: Recorder
) -> None:
    publish(device, "courtyard/t1/s1/d1/telemetry", b"\x00\x01 binary")
    publish(device, "courtyard/t1/s1/d1/telemetry", {"temperature": 4})

    assert recorder.next()[1]["temperature"] == 4
    assert iot.stats.rules_triggered == 2
    assert iot.stats.actions_executed == 1


def test_amqtt_client_publishes_too(iot: LocalIot, recorder: Recorder) -> None:
    async def publish_smoke() -> None:
        client = MQTTClient(client_id="gate-7")
        await client.connect(iot.url)
        await client.publish("courtyard/t2/s9/gate-7/events", b'{"kind": "smoke"}', qos=1)
        await client.disconnect()

    asyncio.run(publish_smoke())

    assert recorder.next() == (
        "AlarmFunction",
        {"kind": "smoke", "tenant_id": "t2", "device_id": "gate-7", "client_id": "gate-7"},
    )


def test_failing_deliver_is_logged_and_counted(
    bootstrap: io.ClientBootstrap, caplog: pytest.LogCaptureFixture
) -> None:
    delivered: queue.Queue[dict[str, Any]] = queue.Queue()

    def deliver(function_id: str, event: dict[str, Any]) -> None:
        if event.get("boom"):
            raise RuntimeError("handler crashed")
        delivered.put(event)

    with LocalIot([("TelemetryFunction", parse_rule(TELEMETRY_SQL))], deliver) as iot:
        connection = connect(bootstrap, iot.port, "d1")
        publish(connection, "courtyard/t1/s1/d1/telemetry", {"boom": True})
        publish(connection, "courtyard/t1/s1/d1/telemetry", {"ok": True})

        assert delivered.get(timeout=TIMEOUT_S)["ok"] is True
        connection.disconnect().result(TIMEOUT_S)
        assert iot.stats.actions_failed == 1
        assert iot.stats.actions_executed == 2
    assert "IoT rule action for TelemetryFunction failed" in caplog.text


def test_a_slow_function_blocks_neither_the_broker_nor_other_functions(
    bootstrap: io.ClientBootstrap,
) -> None:
    release = threading.Event()
    alarms: queue.Queue[dict[str, Any]] = queue.Queue()

    def deliver(function_id: str, event: dict[str, Any]) -> None:
        if function_id == "TelemetryFunction":
            release.wait(TIMEOUT_S)
        else:
            alarms.put(event)

    rules = [("TelemetryFunction", parse_rule(TELEMETRY_SQL)), ("AlarmFunction", parse_rule(ALARM_SQL))]
    with LocalIot(rules, deliver) as iot:
        connection = connect(bootstrap, iot.port, "d1")
        publish(connection, "courtyard/t1/s1/d1/telemetry", {"temperature": 1})
        publish(connection, "courtyard/t1/s1/d1/telemetry", {"temperature": 2})
        publish(connection, "courtyard/t1/s1/d1/events", {"kind": "smoke"})

        assert alarms.get(timeout=TIMEOUT_S)["kind"] == "smoke"
        release.set()
        connection.disconnect().result(TIMEOUT_S)


def test_large_messages_are_billed_in_5_kb_units(
    iot: LocalIot, device: mqtt.Connection, recorder: Recorder
) -> None:
    publish(device, "courtyard/t1/s1/d1/telemetry", {"blob": "x" * 12_000})

    recorder.next()
    assert iot.stats.messages == 1
    assert iot.stats.billable_messages == 3


def test_start_picks_a_free_port_and_stop_is_idempotent(recorder: Recorder) -> None:
    first, second = LocalIot([], recorder), LocalIot([], recorder)
    try:
        port = first.start()
        assert port > 0
        assert first.port == port
        assert first.url == f"mqtt://127.0.0.1:{port}"
        assert second.start() != port
    finally:
        first.stop()
        second.stop()
    first.stop()
    with pytest.raises(RuntimeError, match="starts once"):
        first.start()


@pytest.fixture
def named_iot(recorder: Recorder) -> Iterator[LocalIot]:
    rules = [("TelemetryFunction", parse_rule(TELEMETRY_SQL)), ("AlarmFunction", parse_rule(ALARM_SQL))]
    with LocalIot(rules, recorder, rule_names=["courtyard_telemetry", "courtyard_alarms"]) as local_iot:
        yield local_iot


def test_basic_ingest_runs_only_the_named_rule_on_the_topic_after_the_prefix_without_messaging(
    named_iot: LocalIot, bootstrap: io.ClientBootstrap, recorder: Recorder
) -> None:
    connection = connect(bootstrap, named_iot.port, "d1")
    try:
        publish(connection, "$aws/rules/courtyard_telemetry/courtyard/t1/s1/d1/telemetry", {"battery": 97})
        function_id, event = recorder.next()
        # The connection stays usable (MQTT reserves "$" topics; a plain broker would drop the client).
        publish(connection, "courtyard/t1/s1/d1/telemetry", {"battery": 96})
        assert recorder.next()[1]["battery"] == 96
    finally:
        connection.disconnect().result(TIMEOUT_S)

    assert function_id == "TelemetryFunction"
    event.pop("received_at")
    assert event == {"battery": 97, "tenant_id": "t1", "site_id": "s1", "device_id": "d1"}
    stats = named_iot.stats
    assert (stats.messages, stats.basic_ingest, stats.billable_messages) == (2, 1, 1)
    assert stats.rules_triggered == 2


def test_basic_ingest_to_an_unknown_rule_runs_nothing(
    named_iot: LocalIot, bootstrap: io.ClientBootstrap, recorder: Recorder
) -> None:
    connection = connect(bootstrap, named_iot.port, "d1")
    try:
        publish(connection, "$aws/rules/no_such_rule/courtyard/t1/s1/d1/telemetry", {"battery": 97})
        publish(connection, "courtyard/t1/s1/d1/telemetry", {"battery": 95})  # a marker: all before it ran
        assert recorder.next()[1]["battery"] == 95
    finally:
        connection.disconnect().result(TIMEOUT_S)

    assert recorder.calls.empty()
    stats = named_iot.stats
    assert (stats.billable_messages, stats.basic_ingest, stats.rules_triggered) == (1, 0, 1)


def test_basic_ingest_runs_the_named_rule_even_where_its_from_would_not_match_but_where_still_decides(
    named_iot: LocalIot, bootstrap: io.ClientBootstrap, recorder: Recorder
) -> None:
    # AWS activates a rule by its FROM filter only for messages through the broker; a Basic Ingest message
    # names its rule (FROM is optional for a rule only Basic Ingest invokes). The alarm rule listens to
    # .../events; here it is named with a .../telemetry topic.
    connection = connect(bootstrap, named_iot.port, "d1")
    try:
        publish(connection, "$aws/rules/courtyard_alarms/courtyard/t1/s1/d1/telemetry", {"kind": "heat"})
        publish(connection, "$aws/rules/courtyard_alarms/courtyard/t1/s1/d1/telemetry", {"kind": "smoke"})
        function_id, event = recorder.next()
        publish(connection, "courtyard/t1/s1/d1/telemetry", {"battery": 95})  # a marker: all before it ran
        assert recorder.next()[1]["battery"] == 95
    finally:
        connection.disconnect().result(TIMEOUT_S)

    assert recorder.calls.empty()  # the "heat" message: triggered, WHERE false, no action
    assert function_id == "AlarmFunction"
    assert event == {"kind": "smoke", "tenant_id": "t1", "device_id": "d1", "client_id": "d1"}
    stats = named_iot.stats
    # Two Basic Ingest messages, each triggering only the named rule (the telemetry rule, whose FROM matches
    # the topic after the prefix, is not run); the marker is the one billable message and triggers one rule.
    assert (stats.basic_ingest, stats.billable_messages, stats.rules_triggered) == (2, 1, 3)
    assert stats.actions_by_function == {"AlarmFunction": 1, "TelemetryFunction": 1}


def test_basic_ingest_reaches_no_subscriber(
    named_iot: LocalIot, bootstrap: io.ClientBootstrap, recorder: Recorder
) -> None:
    received: queue.Queue[str] = queue.Queue()
    listener = connect(bootstrap, named_iot.port, "listener")
    device = connect(bootstrap, named_iot.port, "d1")
    try:
        future, _ = listener.subscribe(
            "courtyard/#", mqtt.QoS.AT_LEAST_ONCE, lambda topic, payload, **_kw: received.put(topic)
        )
        future.result(TIMEOUT_S)
        publish(device, "$aws/rules/courtyard_telemetry/courtyard/t1/s1/d1/telemetry", {"battery": 97})
        assert recorder.next()[1]["battery"] == 97  # the rule ran
        publish(device, "courtyard/t1/s1/d1/telemetry", {"battery": 96})  # through the broker: delivered
        assert received.get(timeout=TIMEOUT_S) == "courtyard/t1/s1/d1/telemetry"
        assert recorder.next()[1]["battery"] == 96
    finally:
        device.disconnect().result(TIMEOUT_S)
        listener.disconnect().result(TIMEOUT_S)

    assert received.empty()  # the subscriber got the broker's message only, never the Basic Ingest one


def test_a_rule_without_from_runs_only_through_basic_ingest(
    bootstrap: io.ClientBootstrap, recorder: Recorder
) -> None:
    rules = [
        ("IngestOnly", parse_rule("SELECT *, topic(4) AS device_id")),
        ("Marker", parse_rule(TELEMETRY_SQL)),
    ]
    with LocalIot(rules, recorder, rule_names=["ingest_only", None]) as local_iot:
        connection = connect(bootstrap, local_iot.port, "d1")
        try:
            publish(connection, "courtyard/t1/s1/d1/telemetry", {"n": 1})  # at the broker only Marker matches
            assert recorder.next()[0] == "Marker"
            publish(connection, "$aws/rules/ingest_only/courtyard/t1/s1/d1/telemetry", {"n": 2})
            assert recorder.next() == ("IngestOnly", {"n": 2, "device_id": "d1"})
        finally:
            connection.disconnect().result(TIMEOUT_S)
        assert recorder.calls.empty()
        assert local_iot.stats.rules_triggered == 2


def test_rule_names_must_name_every_rule(recorder: Recorder) -> None:
    with pytest.raises(ValueError, match="every rule"):
        LocalIot([("F", parse_rule(TELEMETRY_SQL))], recorder, rule_names=[])
