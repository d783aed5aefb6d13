"""A certificate's policy cannot publish to another tenant's, site's or device's topic (policy evaluation).

A small evaluator of the rendered document, as IoT Core applies it: the connection's thing name and
attributes substitute the policy variables, Connect checks the conditions, and every other action must
name the exact resource (the document has no wildcards).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from iot.policy import THING_NAME, thing_policy_document
from iot.topics import basic_ingest_topic, commands_topic, events_topic, rule_names, telemetry_topic

ARN = "arn:aws:iot:ap-east-1:123456789012"


@dataclass(frozen=True)
class Connection:
    thing_name: str
    tenant_id: str
    site_id: str


def allowed(document: dict[str, Any], connection: Connection, action: str, resource: str) -> bool:
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow" or statement["Action"] != action:
            continue
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        resources = [r.replace(THING_NAME, connection.thing_name) for r in resources]
        if resource not in resources:
            continue
        condition = statement.get("Condition", {})
        attributes = {"tenant_id": connection.tenant_id, "site_id": connection.site_id}
        for key, wanted in condition.get("StringEquals", {}).items():
            name = key.split("[", 1)[1].rstrip("]")
            if attributes.get(name) != wanted:
                return False
        return True
    return False


POLICY = thing_policy_document("ap-east-1", "123456789012", "TENANTA", "SITEA", stage="prod")
BATTERY = thing_policy_document("ap-east-1", "123456789012", "TENANTA", "SITEA", stage="prod", battery=True)
DEVICE = Connection("DEV1", "TENANTA", "SITEA")
TELEMETRY_RULE, EVENTS_RULE = rule_names("prod")


def publish(topic: str) -> str:
    return f"{ARN}:topic/{topic}"


def test_a_device_publishes_to_its_own_topics_through_basic_ingest() -> None:
    own_telemetry = basic_ingest_topic(TELEMETRY_RULE, telemetry_topic("TENANTA", "SITEA", "DEV1"))
    own_events = basic_ingest_topic(EVENTS_RULE, events_topic("TENANTA", "SITEA", "DEV1"))
    commands = f"{ARN}:topicfilter/{commands_topic('TENANTA', 'SITEA', 'DEV1')}"
    for policy in (POLICY, BATTERY):
        assert allowed(policy, DEVICE, "iot:Connect", f"{ARN}:client/DEV1")
        assert allowed(policy, DEVICE, "iot:Publish", publish(own_telemetry))
        assert allowed(policy, DEVICE, "iot:Publish", publish(own_events))
    assert allowed(POLICY, DEVICE, "iot:Subscribe", commands)
    assert not allowed(BATTERY, DEVICE, "iot:Subscribe", commands)  # a sleeping device hears nothing
    assert not allowed(
        BATTERY, DEVICE, "iot:Receive", f"{ARN}:topic/{commands_topic('TENANTA', 'SITEA', 'DEV1')}"
    )


def test_the_brokers_own_device_topics_are_not_granted() -> None:
    """Issue 18: devices need only Basic Ingest (nothing subscribes to device topics)."""
    for policy in (POLICY, BATTERY):
        assert not allowed(
            policy, DEVICE, "iot:Publish", publish(telemetry_topic("TENANTA", "SITEA", "DEV1"))
        )
        assert not allowed(policy, DEVICE, "iot:Publish", publish(events_topic("TENANTA", "SITEA", "DEV1")))


@pytest.mark.parametrize(
    "topic",
    [
        telemetry_topic("TENANTB", "SITEA", "DEV1"),  # another tenant, same site and device names
        telemetry_topic("TENANTB", "SITEB", "DEV9"),
        events_topic("TENANTB", "SITEB", "DEV1"),
        telemetry_topic("TENANTA", "SITEB", "DEV1"),  # another site of the same tenant
        telemetry_topic("TENANTA", "SITEA", "DEV2"),  # another device of the same site
        commands_topic("TENANTA", "SITEA", "DEV1"),  # devices do not publish commands
        "courtyard/TENANTA/SITEA/+/telemetry",
        "courtyard/#",
    ],
)
def test_a_certificate_cannot_publish_elsewhere(topic: str) -> None:
    assert not allowed(POLICY, DEVICE, "iot:Publish", publish(topic))
    assert not allowed(POLICY, DEVICE, "iot:Publish", publish(basic_ingest_topic(TELEMETRY_RULE, topic)))
    assert not allowed(BATTERY, DEVICE, "iot:Publish", publish(basic_ingest_topic(TELEMETRY_RULE, topic)))


def test_a_thing_of_another_tenant_cannot_connect_with_this_policy() -> None:
    stranger = Connection("DEV1", "TENANTB", "SITEA")

    assert not allowed(POLICY, stranger, "iot:Connect", f"{ARN}:client/DEV1")


def test_a_client_id_other_than_the_thing_name_cannot_connect() -> None:
    assert not allowed(POLICY, DEVICE, "iot:Connect", f"{ARN}:client/DEV2")


STAGED = POLICY


@pytest.mark.parametrize(
    "topic",
    [
        basic_ingest_topic("courtyard_telemetry_prod", telemetry_topic("TENANTB", "SITEA", "DEV1")),
        basic_ingest_topic("courtyard_telemetry_prod", telemetry_topic("TENANTA", "SITEA", "DEV2")),
        basic_ingest_topic(
            "courtyard_telemetry_dev", telemetry_topic("TENANTA", "SITEA", "DEV1")
        ),  # other stage
        basic_ingest_topic(
            "courtyard_events_prod", telemetry_topic("TENANTA", "SITEA", "DEV1")
        ),  # wrong rule
        basic_ingest_topic("some_other_rule", telemetry_topic("TENANTA", "SITEA", "DEV1")),
    ],
)
def test_basic_ingest_is_limited_to_the_stages_rules_and_the_devices_own_topics(topic: str) -> None:
    assert not allowed(STAGED, DEVICE, "iot:Publish", publish(topic))


def test_a_stage_that_cannot_name_a_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="rule name"):
        rule_names("my-stage")
