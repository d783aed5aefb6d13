"""The sensors API: provisioning, roles, tenancy, rule validation, alarm actions, telemetry and rule tests."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3

from courtyard.tenancy import Role
from tests.integration.sensors.conftest import alarms_of

HIGH = 6.0
NORMAL = 1.2


def test_provisioning_returns_credentials_once_and_sets_up_the_thing(manager, call) -> None:
    community, wang = manager

    reply = call(
        "POST",
        "/devices",
        as_=wang,
        body={"site_id": community.site_id, "kind": "elevator", "name": "1栋1号梯"},
    )

    assert reply.status == 201
    device = reply.body["device"]
    credentials = reply.body["credentials"]
    assert credentials["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" in credentials["private_key"]
    assert credentials["endpoint"].endswith(".amazonaws.com")
    own = f"courtyard/{community.tenant_id}/{community.site_id}/{device['device_id']}"
    # What a device publishes to: its topics through Basic Ingest to the stage's rules, and nothing else.
    assert credentials["telemetry_ingest_topic"] == f"$aws/rules/courtyard_telemetry_dev/{own}/telemetry"
    assert credentials["events_ingest_topic"] == f"$aws/rules/courtyard_events_dev/{own}/events"
    assert "telemetry_topic" not in credentials
    assert "events_topic" not in credentials
    # A lift monitor is mains-powered: it stays connected, uploads every ten minutes, listens for commands.
    assert credentials["session"] == "connected"
    assert credentials["upload_interval_s"] == 600
    assert credentials["commands_topic"] == f"{own}/commands"
    iot = boto3.client("iot")
    thing = iot.describe_thing(thingName=device["device_id"])
    assert thing["attributes"] == {"tenant_id": community.tenant_id, "site_id": community.site_id}
    principals = iot.list_thing_principals(thingName=device["device_id"])["principals"]
    assert len(principals) == 1
    policies = iot.list_attached_policies(target=principals[0])["policies"]
    site_policy = f"courtyard-dev-{community.tenant_id}-{community.site_id}"
    assert [p["policyName"] for p in policies] == [f"{site_policy}-mains"]
    document = json.loads(iot.get_policy(policyName=policies[0]["policyName"])["policyDocument"])
    grants = {statement["Action"]: statement["Resource"] for statement in document["Statement"]}
    assert set(grants) == {"iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"}
    # Basic Ingest only: the broker's own telemetry and events topics are not granted (issue 18).
    assert all("/$aws/rules/courtyard_" in topic for topic in grants["iot:Publish"])
    shown_again = call("GET", f"/devices/{device['device_id']}", as_=wang)
    assert shown_again.status == 200
    assert "private_key" not in str(shown_again.body)
    assert "certificate_pem" not in str(shown_again.body)


def test_a_battery_detector_is_told_to_wake_and_send_and_its_policy_has_no_commands(manager, call) -> None:
    """A smoke detector (battery, iot/kinds.py): a short session per wake at an hourly heartbeat, Basic Ingest
    only, and a policy of the site's battery class with Connect and Publish and no Subscribe or Receive."""
    community, wang = manager

    reply = call(
        "POST",
        "/devices",
        as_=wang,
        body={"site_id": community.site_id, "kind": "smoke", "name": "1栋大堂烟感"},
    )

    assert reply.status == 201, reply.body
    credentials = reply.body["credentials"]
    assert credentials["session"] == "per_wake"
    assert credentials["upload_interval_s"] == 3600
    assert credentials["commands_topic"] is None
    assert credentials["telemetry_ingest_topic"].startswith("$aws/rules/courtyard_telemetry_dev/courtyard/")
    iot = boto3.client("iot")
    principal = iot.list_thing_principals(thingName=reply.body["device"]["device_id"])["principals"][0]
    policies = iot.list_attached_policies(target=principal)["policies"]
    assert [p["policyName"] for p in policies] == [
        f"courtyard-dev-{community.tenant_id}-{community.site_id}-battery"
    ]
    document = json.loads(iot.get_policy(policyName=policies[0]["policyName"])["policyDocument"])
    assert [statement["Action"] for statement in document["Statement"]] == ["iot:Connect", "iot:Publish"]
    # Its default offline rule waits for two missed hourly heartbeats, not two ten-minute uploads.
    rules = call("GET", "/alarm-rules", as_=wang).body["items"]
    offline = next(r for r in rules if r["rule_id"] == "default-smoke-offline")
    assert offline["condition"]["timeout_s"] == 2 * 3600 + 300


def test_a_firms_battery_pack_from_before_hourly_wakes_is_widened_once_unless_the_firm_edited_it(
    manager, call, sensors
) -> None:
    """Packs are installed once per firm: a smoke pack installed when detectors stayed connected says 25
    minutes, and would take a new detector waking hourly for offline between heartbeats."""
    from sensors.repository import StoredRule

    community, wang = manager
    body = {"site_id": community.site_id, "kind": "smoke", "name": "烟感"}
    assert call("POST", "/devices", as_=wang, body=body).status == 201
    repo = sensors.repository()
    current = repo.rule(community.tenant_id, "default-smoke-offline")
    old_spec = current.spec.model_copy(
        update={"condition": current.spec.condition.model_copy(update={"timeout_s": 1500})}
    )
    repo.delete_rule(community.tenant_id, "default-smoke-offline")
    repo.put_rule(
        StoredRule(
            community.tenant_id,
            current.rule_id,
            old_spec,
            "2026-11-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
            default=True,
        )
    )

    assert call("POST", "/devices", as_=wang, body={**body, "name": "烟感 2"}).status == 201

    widened = repo.rule(community.tenant_id, "default-smoke-offline")
    assert (widened.spec.condition.timeout_s, widened.version) == (7_500, 2)
    # A firm's own edit (a later version) is kept.
    edited = widened.spec.model_copy(
        update={"condition": widened.spec.condition.model_copy(update={"timeout_s": 3_000})}
    )
    repo.put_rule(replace(widened, spec=edited, version=3), expected_version=2)
    assert call("POST", "/devices", as_=wang, body={**body, "name": "烟感 3"}).status == 201
    assert repo.rule(community.tenant_id, "default-smoke-offline").spec.condition.timeout_s == 3_000


def test_same_idempotency_key_returns_the_same_device_without_its_private_key_and_a_different_body_is_422(
    manager, call, seed, staff
) -> None:
    community, wang = manager
    harbour = seed("Harbour")
    lin = staff(harbour, "Lin", Role.MANAGER)
    headers = {"Idempotency-Key": "device-0001-abcdef"}
    body = {"site_id": community.site_id, "kind": "elevator", "name": "1栋1号梯"}

    first = call("POST", "/devices", as_=wang, body=body, headers=headers)
    again = call("POST", "/devices", as_=wang, body=body, headers=headers)
    other = call("POST", "/devices", as_=wang, body={**body, "name": "2号梯"}, headers=headers)
    elsewhere = call("POST", "/devices", as_=lin, body={**body, "site_id": harbour.site_id}, headers=headers)

    assert first.status == 201, first.body
    assert "PRIVATE KEY" in first.body["credentials"]["private_key"]
    assert again.status == 200, again.body
    assert again.body == {"device": first.body["device"], "credentials": None}
    assert other.status == 422, other.body
    assert other.body["error"]["details"][0]["type"] == "key_reused"
    # Another firm's manager with the same key registers a device (and a thing) of their own.
    assert elsewhere.status == 201, elsewhere.body
    assert elsewhere.body["device"]["device_id"] != first.body["device"]["device_id"]
    devices = call("GET", "/devices", as_=wang).body["items"]
    assert [d["device_id"] for d in devices] == [first.body["device"]["device_id"]]
    principals = boto3.client("iot").list_thing_principals(thingName=first.body["device"]["device_id"])
    assert len(principals["principals"]) == 1


def test_a_device_write_that_landed_though_its_answer_was_lost_completes_the_registration(
    manager, call, monkeypatch
) -> None:
    from botocore.exceptions import ReadTimeoutError
    from sensors.repository import SensorsRepository

    community, wang = manager
    put_device = SensorsRepository.put_device

    def landed_then_timed_out(self: SensorsRepository, device: Any, **kwargs: Any) -> None:
        put_device(self, device, **kwargs)
        raise ReadTimeoutError(endpoint_url="https://dynamodb")

    monkeypatch.setattr(SensorsRepository, "put_device", landed_then_timed_out)
    reply = call(
        "POST",
        "/devices",
        as_=wang,
        body={"site_id": community.site_id, "kind": "elevator", "name": "1栋1号梯"},
        headers={"Idempotency-Key": "device-landed-0001"},
    )

    assert reply.status == 201, reply.body
    device_id = reply.body["device"]["device_id"]
    iot = boto3.client("iot")
    principals = iot.list_thing_principals(thingName=device_id)["principals"]
    assert len(principals) == 1
    certificate = iot.describe_certificate(certificateId=principals[0].rsplit("/", 1)[-1])
    assert certificate["certificateDescription"]["status"] == "ACTIVE"
    assert (
        certificate["certificateDescription"]["certificatePem"]
        == reply.body["credentials"]["certificate_pem"]
    )


def test_a_registration_whose_attempt_died_is_resumed_once_its_lease_runs_out(
    manager, call, clock, monkeypatch
) -> None:
    from sensors.adapters.iot_registry import ThingRegistry
    from sensors.repository import SensorsRepository

    community, wang = manager
    body = {"site_id": community.site_id, "kind": "elevator", "name": "1栋1号梯"}
    headers = {"Idempotency-Key": "device-crashed-0001"}

    def timed_out(*_: Any, **__: Any) -> None:
        raise RuntimeError("the function timed out")  # a killed attempt neither cleans up nor releases

    with monkeypatch.context() as crash:
        crash.setattr(ThingRegistry, "provision", timed_out)
        crash.setattr(SensorsRepository, "release_registration", timed_out)
        assert call("POST", "/devices", as_=wang, body=body, headers=headers).status == 500
    under_way = call("POST", "/devices", as_=wang, body=body, headers=headers)
    clock.advance(31)
    resumed = call("POST", "/devices", as_=wang, body=body, headers=headers)

    assert under_way.status == 409, under_way.body
    assert resumed.status == 201, resumed.body
    assert "PRIVATE KEY" in resumed.body["credentials"]["private_key"]


def test_deactivating_revokes_the_certificate_and_refuses_messages(manager, register, call) -> None:
    community, wang = manager
    elevator = register(community, wang)
    principal = boto3.client("iot").list_thing_principals(thingName=elevator.device_id)["principals"][0]

    reply = call("DELETE", f"/devices/{elevator.device_id}", as_=wang)

    assert reply.status == 200
    assert reply.body["status"] == "inactive"
    certificate_id = principal.rsplit("/", 1)[-1]
    status = boto3.client("iot").describe_certificate(certificateId=certificate_id)["certificateDescription"][
        "status"
    ]
    assert status == "REVOKED"
    assert elevator.send({"vibration_mm_s": HIGH})["outcomes"] == {"inactive_device": 1}


def test_devices_list_by_site_and_kind(manager, register, call) -> None:
    community, wang = manager
    register(community, wang, kind="elevator")
    register(community, wang, kind="smoke", provision=False)

    everything = call("GET", "/devices", as_=wang)
    smoke = call("GET", "/devices", as_=wang, query={"site_id": community.site_id, "kind": "smoke"})

    assert len(everything.body["items"]) == 2
    assert [d["kind"] for d in smoke.body["items"]] == ["smoke"]
    assert smoke.body["items"][0]["provisioned"] is False


def test_residents_and_finance_have_no_access(manager, register, call, residents, staff) -> None:
    community, wang = manager
    elevator = register(community, wang)
    chen = residents(community, "Chen", "a101")
    zhao = staff(community, "Zhao", Role.FINANCE)

    for caller in (chen, zhao):
        assert call("GET", "/devices", as_=caller).status == 403
        assert call("GET", f"/devices/{elevator.device_id}", as_=caller).status == 403
        assert call("GET", "/alarms", as_=caller).status == 403
        assert call("GET", "/alarm-rules", as_=caller).status == 403


def test_technicians_read_and_act_on_alarms_but_do_not_manage(manager, register, call, staff) -> None:
    community, wang = manager
    elevator = register(community, wang)
    zhang = staff(community, "Zhang", Role.TECHNICIAN)
    elevator.stream([HIGH] * 11)
    alarm_id = alarms_of(call, zhang)[0]["alarm_id"]

    assert (
        call(
            "POST", "/devices", as_=zhang, body={"site_id": community.site_id, "kind": "leak", "name": "x"}
        ).status
        == 403
    )
    assert call("DELETE", f"/devices/{elevator.device_id}", as_=zhang).status == 403
    assert call("DELETE", "/alarm-rules/default-elevator-vibration", as_=zhang).status == 403
    acked = call("POST", f"/alarms/{alarm_id}/ack", as_=zhang)
    assert acked.status == 200
    assert acked.body["status"] == "acknowledged"
    assert call("POST", f"/alarms/{alarm_id}/ack", as_=zhang).status == 409
    cleared = call("POST", f"/alarms/{alarm_id}/clear", as_=zhang)
    assert cleared.status == 200
    assert cleared.body["cleared_by"] == zhang.user_id
    assert call("POST", f"/alarms/{alarm_id}/clear", as_=zhang).status == 409


def test_another_tenants_devices_rules_and_alarms_are_404(manager, register, call, seed, staff) -> None:
    community, wang = manager
    elevator = register(community, wang)
    elevator.stream([HIGH] * 11)
    alarm_id = alarms_of(call, wang)[0]["alarm_id"]
    rule = call(
        "POST",
        "/alarm-rules",
        as_=wang,
        body={
            "name": "r",
            "scope": {"device_kind": "pump"},
            "condition": {"type": "heartbeat", "timeout_s": 600},
        },
    )
    other = seed("Harbour")
    lin = staff(other, "Lin", Role.MANAGER)

    assert call("GET", f"/devices/{elevator.device_id}", as_=lin).status == 404
    assert call("PATCH", f"/devices/{elevator.device_id}", as_=lin, body={"name": "x"}).status == 404
    assert call("DELETE", f"/devices/{elevator.device_id}", as_=lin).status == 404
    assert call("GET", f"/devices/{elevator.device_id}/telemetry", as_=lin).status == 404
    assert call("GET", f"/alarm-rules/{rule.body['rule_id']}", as_=lin).status == 404
    put_body = {"name": "r", "scope": {"device_kind": "pump"}, "condition": {"type": "heartbeat"}}
    assert call("PUT", f"/alarm-rules/{rule.body['rule_id']}", as_=lin, body=put_body).status == 404
    assert call("DELETE", f"/alarm-rules/{rule.body['rule_id']}", as_=lin).status == 404
    assert call("GET", f"/alarms/{alarm_id}", as_=lin).status == 404
    assert call("POST", f"/alarms/{alarm_id}/ack", as_=lin).status == 404
    assert call("POST", f"/alarms/{alarm_id}/clear", as_=lin).status == 404
    assert call("GET", "/alarms", as_=lin).body["items"] == []
    assert call("GET", "/devices", as_=lin).body["items"] == []


def test_a_device_publishing_under_another_tenants_topic_is_rejected(manager, register, seed) -> None:
    community, wang = manager
    elevator = register(community, wang)
    other = seed("Harbour")
    from sensors import ingest_handler

    from tests.factories import lambda_context

    message = elevator.message(
        {"ts": "2026-03-10T02:00:05.000Z", "metrics": {"vibration_mm_s": HIGH}},
        tenant_id=other.tenant_id,
        site_id=other.site_id,
    )
    wrong_site = elevator.message(
        {"ts": "2026-03-10T02:00:05.000Z", "metrics": {"vibration_mm_s": HIGH}}, site_id="SOMEWHERE"
    )

    assert ingest_handler.lambda_handler(message, lambda_context())["outcomes"] == {"unknown_device": 1}
    assert ingest_handler.lambda_handler(wrong_site, lambda_context())["outcomes"] == {"site_mismatch": 1}


def test_invalid_rules_are_refused_with_the_reason(manager, call, sensors) -> None:
    _, wang = manager
    flapping = {
        "name": "flaps",
        "scope": {"device_kind": "elevator"},
        "condition": {
            "type": "threshold",
            "metric": "vibration_mm_s",
            "op": ">",
            "value": 4.5,
            "clear": {"op": "<", "value": 5.0},
        },
    }
    ordering_on_bool = {
        "name": "bool",
        "scope": {"device_kind": "leak"},
        "condition": {"type": "threshold", "metric": "leak", "op": ">", "value": True},
    }
    no_scope = {"name": "nowhere", "scope": {}, "condition": {"type": "heartbeat"}}
    bad_category = {
        "name": "x",
        "scope": {"device_kind": "pump"},
        "condition": {"type": "heartbeat"},
        "actions": {"work_order": {"category": "spaceship", "priority": "urgent"}},
    }
    unknown_device = {"name": "x", "scope": {"device_id": "01NOPE"}, "condition": {"type": "heartbeat"}}

    replies = [
        call("POST", "/alarm-rules", as_=wang, body=body)
        for body in (flapping, ordering_on_bool, no_scope, bad_category, unknown_device)
    ]

    assert [r.status for r in replies] == [422] * 5
    assert "overlaps the trigger" in str(replies[0].body)
    assert "compares numbers" in str(replies[1].body)
    assert "scope needs" in str(replies[2].body)
    assert "no such device" in str(replies[4].body)
    assert [r["rule_id"] for r in call("GET", "/alarm-rules", as_=wang).body["items"]] == []


def test_rules_crud_and_default_pack(manager, register, call) -> None:
    community, wang = manager
    register(community, wang)
    body = {
        "name": "水压下降过快 Pressure falling fast",
        "scope": {"site_id": community.site_id, "device_kind": "water_pressure"},
        "condition": {"type": "rate", "metric": "pressure_mpa", "op": "<", "per_minute": -0.05},
        "severity": "major",
        "active_hours": {"start": "08:00", "end": "20:00"},
        "actions": {"notify_roles": ["technician"]},
    }

    created = call("POST", "/alarm-rules", as_=wang, body=body)
    rule_id = created.body["rule_id"]
    replaced = call("PUT", f"/alarm-rules/{rule_id}", as_=wang, body={**body, "enabled": False})
    listed = call("GET", "/alarm-rules", as_=wang).body["items"]
    deleted = call("DELETE", f"/alarm-rules/{rule_id}", as_=wang)

    assert created.status == 201
    assert replaced.status == 200
    assert replaced.body["enabled"] is False
    assert replaced.body["version"] == 2
    assert {r["rule_id"] for r in listed} == {
        "default-elevator-vibration",
        "default-elevator-offline",
        rule_id,
    }
    assert deleted.status == 200
    assert call("GET", f"/alarm-rules/{rule_id}", as_=wang).status == 404


def test_a_deleted_default_rule_stays_deleted(manager, register, call) -> None:
    community, wang = manager
    register(community, wang)
    assert call("DELETE", "/alarm-rules/default-elevator-vibration", as_=wang).status == 200

    register(community, wang)

    assert call("GET", "/alarm-rules/default-elevator-vibration", as_=wang).status == 404


def test_rule_test_on_readings_shows_what_would_have_been_raised(manager, register, call) -> None:
    community, wang = manager
    register(community, wang)
    readings = [
        {
            "ts": f"2026-03-10T02:00:{second:02d}Z",
            "metrics": {"vibration_mm_s": HIGH if 5 <= second < 25 else NORMAL},
        }
        for second in range(60)
    ]

    reply = call(
        "POST", "/alarm-rules/default-elevator-vibration/test", as_=wang, body={"readings": readings}
    )

    assert reply.status == 200
    assert reply.body["evaluated"] == 60
    assert reply.body["alarms"] == 1
    assert [s["signal"] for s in reply.body["signals"]] == ["raise", "clear"]
    assert reply.body["signals"][0]["at"] == "2026-03-10T02:00:15.000Z"


def test_telemetry_history_is_hourly_aggregates(manager, register, call, sensors) -> None:
    community, wang = manager
    elevator = register(community, wang)
    elevator.stream([1.0, 2.0, 3.0])
    sensors.ingest().flush_all()

    reply = call(
        "GET", f"/devices/{elevator.device_id}/telemetry", as_=wang, query={"metric": "vibration_mm_s"}
    )
    history = call(
        "POST",
        "/alarm-rules/default-elevator-vibration/test",
        as_=wang,
        body={
            "device_id": elevator.device_id,
            "start": "2026-03-10T00:00:00Z",
            "end": "2026-03-10T03:00:00Z",
        },
    )

    assert reply.status == 200
    assert reply.body["hours"] == [
        {
            "hour": "2026-03-10T02",
            "metrics": {"vibration_mm_s": {"min": 1.0, "max": 3.0, "avg": 2.0, "count": 3}},
        }
    ]
    assert history.status == 200
    assert history.body["evaluated"] == 1
    assert history.body["alarms"] == 0


def test_acknowledging_an_alarm_publishes_alarm_acknowledged_once(
    manager, register, call, staff, published
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    guard = staff(community, "Zhao", Role.GUARD)
    elevator.stream([HIGH] * 11)
    alarm_id = alarms_of(call, guard)[0]["alarm_id"]

    assert call("POST", f"/alarms/{alarm_id}/ack", as_=guard).status == 200
    assert call("POST", f"/alarms/{alarm_id}/ack", as_=guard).status == 409

    acks = [detail for name, detail in published if name == "AlarmAcknowledged"]
    assert len(acks) == 1
    assert (acks[0]["alarm_id"], acks[0]["acknowledged_by"]) == (alarm_id, guard.user_id)
    assert acks[0]["raised_at"]
