"""Sensors on the local cloud: an elevator provisioned through the API, a vibration fault published by the
simulator over MQTT, one alarm and one work order; a second episode adds to the same alarm and ticket. A smoke
detector's alarm event through Basic Ingest on the events rule is a critical alarm. A battery leak detector
wakes for a short session per upload (iot/kinds.py) and its leak reaches the alarm board the same way."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from courtyard.tenancy import Role
from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.seed import DemoData
from iot.kinds import connect_mode_of, samples_per_upload
from iot.link import connections_of, session
from iot.simulator import LocalBroker, connected, publish_event, publish_readings, stepped_clock


def _alarms(api: str, token: str, device_id: str) -> list[dict[str, Any]]:
    items = request("GET", f"{api}/alarms", token=token).json()["items"]
    return [a for a in items if a["device_id"] == device_id and a["kind"] != "offline"]


def _alarm_tickets(api: str, token: str, alarm_id: str) -> list[dict[str, Any]]:
    items = request("GET", f"{api}/tickets", token=token).json()["items"]
    return [t for t in items if alarm_id in (t.get("description") or "")]


def test_elevator_fault_over_mqtt_becomes_one_alarm_and_one_work_order(
    cloud: LocalCloud, api: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    info = cloud.info
    assert info is not None
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    technician = tokens[demo.user("greenfield", Role.TECHNICIAN).username]
    tenant_id, site_id = demo.tenants["greenfield"], demo.sites["greenfield"]
    created = request(
        "POST",
        f"{api}/devices",
        token=manager,
        body={"site_id": site_id, "kind": "elevator", "name": "1栋1号梯 Lift 1", "model": "KONE MonoSpace"},
    )
    assert created.status == 201, created.text
    device_id = created.json()["device"]["device_id"]
    assert created.json()["credentials"]["private_key"]

    started = datetime.now(UTC)

    def episode(seed: int, offset_s: float, **how: Any) -> None:
        # 40 readings one second apart in their timestamps (sent 0.1 s apart), the middle 13 above 4.5 mm/s.
        with connected(LocalBroker(info.mqtt_url), device_id) as connection:
            publish_readings(
                connection,
                tenant_id=tenant_id,
                site_id=site_id,
                device_id=device_id,
                kind="elevator",
                count=40,
                interval_s=0.1,
                fault=True,
                rng=random.Random(seed),
                clock=stepped_clock(started + timedelta(seconds=offset_s), 1.0),
                **how,
            )

    episode(1, 0)
    assert wait_for(lambda: len(_alarms(api, technician, device_id)) == 1, timeout_s=30)
    alarm = _alarms(api, technician, device_id)[0]
    assert (alarm["status"], alarm["severity"], alarm["metric"]) == ("active", "major", "vibration_mm_s")
    assert wait_for(lambda: len(_alarm_tickets(api, manager, alarm["alarm_id"])) == 1, timeout_s=30)
    ticket = _alarm_tickets(api, manager, alarm["alarm_id"])[0]
    assert ticket["category"] == "elevator"

    # The second episode continues the first (newer readings): the fault returns before the alarm cleared.
    # This time the device reports as in production: batches of readings, through Basic Ingest.
    assert cloud.iot is not None
    assert cloud.stack is not None
    rule = cloud.stack.ref("SensorsTelemetryRule")
    assert created.json()["credentials"]["telemetry_ingest_topic"].startswith(f"$aws/rules/{rule}/courtyard/")
    basic_before = cloud.iot.stats.basic_ingest
    episode(2, 40, batch=10, ingest_rule=rule)
    assert cloud.iot.stats.basic_ingest > basic_before
    assert wait_for(lambda: _alarms(api, technician, device_id)[0]["count"] > 1, timeout_s=30)
    alarms = _alarms(api, technician, device_id)
    assert len(alarms) == 1
    assert alarms[0]["alarm_id"] == alarm["alarm_id"]
    assert len(_alarm_tickets(api, manager, alarm["alarm_id"])) == 1


def test_a_smoke_event_through_basic_ingest_is_a_critical_alarm_and_no_broker_message(
    cloud: LocalCloud, api: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    info = cloud.info
    assert info is not None
    assert cloud.iot is not None
    assert cloud.stack is not None
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    technician = tokens[demo.user("greenfield", Role.TECHNICIAN).username]
    tenant_id, site_id = demo.tenants["greenfield"], demo.sites["greenfield"]
    created = request(
        "POST", f"{api}/devices", token=manager, body={"site_id": site_id, "kind": "smoke", "name": "3栋烟感"}
    )
    assert created.status == 201, created.text
    device_id = created.json()["device"]["device_id"]
    rule = cloud.stack.ref("SensorsEventsRule")
    assert created.json()["credentials"]["events_ingest_topic"].startswith(f"$aws/rules/{rule}/courtyard/")

    before = cloud.iot.stats
    with connected(LocalBroker(info.mqtt_url), device_id) as connection:
        publish_event(
            connection,
            tenant_id=tenant_id,
            site_id=site_id,
            device_id=device_id,
            name="smoke",
            attributes={"state": "alarm"},
            ingest_rule=rule,
        )
    # One report is enough although the ingest's container already cached the tenant's rules (the previous
    # test's elevator) before this first smoke detector brought its kind's pack; the ingest takes its
    # messages in order, so the previous test's last uploads may still be ahead of this one.
    assert wait_for(lambda: len(_alarms(api, technician, device_id)) == 1, timeout_s=120)
    alarms = _alarms(api, technician, device_id)
    assert len(alarms) == 1
    assert alarms[0]["severity"] == "critical"
    after = cloud.iot.stats
    # Rules and the action are charged; the broker saw no billable message from this device.
    assert after.basic_ingest == before.basic_ingest + 1
    assert after.billable_messages == before.billable_messages
    assert after.actions_by_function.get("SensorsIngestFunction", 0) > before.actions_by_function.get(
        "SensorsIngestFunction", 0
    )


def test_a_battery_leak_detector_wakes_connects_and_its_leak_reaches_the_alarm_board(
    cloud: LocalCloud, api: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    """The device's answer says per_wake; the simulated detector buffers an hour of samples, wakes at once
    on the leak, and each upload is a connection of its own (CONNECT, PUBLISH through Basic Ingest, PUBACK,
    DISCONNECT), read by the same telemetry rule and ingest as a gateway's."""
    info = cloud.info
    assert info is not None
    assert cloud.iot is not None
    assert cloud.stack is not None
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    technician = tokens[demo.user("greenfield", Role.TECHNICIAN).username]
    tenant_id, site_id = demo.tenants["greenfield"], demo.sites["greenfield"]
    created = request(
        "POST",
        f"{api}/devices",
        token=manager,
        body={"site_id": site_id, "kind": "leak", "name": "B2泵房漏水"},
    )
    assert created.status == 201, created.text
    device_id = created.json()["device"]["device_id"]
    credentials = created.json()["credentials"]
    assert (credentials["session"], credentials["commands_topic"]) == ("per_wake", None)
    rule = cloud.stack.ref("SensorsTelemetryRule")
    assert credentials["telemetry_ingest_topic"].startswith(f"$aws/rules/{rule}/courtyard/")

    before = cloud.iot.stats
    mode = connect_mode_of("leak")
    # Two hours of one-minute samples, the middle third wet: the wake-ups are the first sample, the leak and
    # the five samples after it, the dry-again change and the end of the run.
    with session(LocalBroker(info.mqtt_url), device_id, mode, timeout_s=30.0) as link:
        sent = publish_readings(
            link,
            tenant_id=tenant_id,
            site_id=site_id,
            device_id=device_id,
            kind="leak",
            count=120,
            interval_s=0,
            fault=True,
            rng=random.Random(3),
            clock=stepped_clock(datetime.now(UTC) - timedelta(minutes=120), 60.0),
            batch=samples_per_upload("leak"),
            ingest_rule=rule,
        )

    assert wait_for(lambda: len(_alarms(api, technician, device_id)) == 1, timeout_s=120)
    alarm = _alarms(api, technician, device_id)[0]
    assert (alarm["metric"], alarm["severity"]) == ("leak", "major")
    after = cloud.iot.stats
    # It buffers beyond a gateway's ten-minute batch: the wakes are the changes and what follows them.
    assert max(len(message["samples"]) for message in sent) > 10
    # A connection per wake, as AWS meters them (each CONNECT a message, each session a billed minute) ...
    assert after.connections - before.connections == len(sent) == connections_of(sent, mode).connects
    # ... and every upload through Basic Ingest: no broker message.
    assert after.basic_ingest - before.basic_ingest == len(sent)
    assert after.billable_messages == before.billable_messages
