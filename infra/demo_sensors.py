"""`make demo` chapter: devices provisioned for greenfield's community, a simulated elevator fault over MQTT
becomes an alarm and a work order (tickets); the staff alert is the notifications feature's (checked by the
lead's chapter). Uses the local cloud as an installer, a device and the app would.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from infra.local.cloud import wait_for
from infra.seed import DemoData
from iot.simulator import LocalBroker, connected, publish_readings, stepped_clock

if TYPE_CHECKING:
    from infra.demo import Story


def chapter(story: Story, demo: DemoData) -> None:
    print(
        "\n== Sensors: an elevator and a smoke detector are provisioned; a vibration fault becomes an alarm"
    )
    manager = story.token(demo.user("greenfield", "manager").username)
    technician = story.token(demo.user("greenfield", "technician").username)
    tenant_id, site_id = demo.tenants["greenfield"], demo.sites["greenfield"]
    devices: dict[str, dict[str, Any]] = {}
    for kind, name in (("elevator", "1栋1号梯 Lift 1"), ("smoke", "1栋大堂烟感 Lobby smoke")):
        created = story.call(
            "POST",
            "/devices",
            manager,
            body={"site_id": site_id, "kind": kind, "name": name, "model": "demo"},
        )
        story.check(created.status == 201, f"{kind} provisioned: {created.text}")
        body = created.json()
        story.check(bool(body["credentials"]["private_key"]), "the private key is shown once")
        devices[kind] = body
        shown = body["credentials"]
        thing = f"{body['device']['device_id']} ({shown['session']})"
        print(f"   {kind:<8} thing {thing} -> {shown['telemetry_ingest_topic']}")
    print(f"   certificate and key returned once; endpoint {devices['elevator']['credentials']['endpoint']}")
    rules = story.call("GET", "/alarm-rules", manager).json()["items"]
    print(f"   default rule pack installed: {', '.join(r['rule_id'] for r in rules)}")

    device_id = devices["elevator"]["device"]["device_id"]
    # As a production device: through Basic Ingest to the topic POST /devices named ($aws/rules/<rule>/...).
    ingest_rule = devices["elevator"]["credentials"]["telemetry_ingest_topic"].split("/")[2]
    with connected(LocalBroker(story.info.mqtt_url), device_id) as connection:
        sent = publish_readings(
            connection,
            tenant_id=tenant_id,
            site_id=site_id,
            device_id=device_id,
            kind="elevator",
            count=40,
            interval_s=0.1,
            fault=True,
            rng=random.Random(8),
            clock=stepped_clock(datetime.now(UTC), 1.0),
            ingest_rule=ingest_rule,
        )
    high = sum(1 for m in sent if float(m["metrics"]["vibration_mm_s"]) > 4.5)
    print(
        f"   the simulator published {len(sent)} readings over MQTT (Basic Ingest), {high} s above 4.5 mm/s"
    )

    def alarms() -> list[dict[str, Any]]:
        items = story.call("GET", "/alarms", technician).json()["items"]
        return [a for a in items if a["device_id"] == device_id and a["kind"] != "offline"]

    story.check(wait_for(lambda: len(alarms()) == 1, timeout_s=30), "one alarm for the fault")
    alarm = alarms()[0]
    print(
        f"   alarm {alarm['alarm_id']}: {alarm['rule_name']}, {alarm['severity']}, "
        f"{alarm['value']} mm/s (threshold {alarm['threshold']})"
    )

    def work_orders() -> list[dict[str, Any]]:
        items = story.call("GET", "/tickets", manager).json()["items"]
        return [t for t in items if alarm["alarm_id"] in (t.get("description") or "")]

    story.check(wait_for(lambda: len(work_orders()) == 1, timeout_s=30), "one work order for the alarm")
    ticket = work_orders()[0]
    print(
        f"   work order {ticket['ticket_id']}: {ticket['category']}, {ticket['priority']}, {ticket['status']}"
    )
    acked = story.call("POST", f"/alarms/{alarm['alarm_id']}/ack", technician)
    story.check(acked.status == 200, f"acknowledged: {acked.text}")
    print(f"   the technician acknowledges it: {acked.json()['status']}")
    resident = story.token(demo.user("greenfield", "resident").username)
    story.check(story.call("GET", "/alarms", resident).status == 403, "residents do not see alarms")
    neighbour = story.token(demo.user("harbour", "manager").username)
    story.check(
        story.call("GET", f"/alarms/{alarm['alarm_id']}", neighbour).status == 404,
        "another firm's alarm is 404",
    )
    print("   residents get 403; another firm's manager gets 404")
