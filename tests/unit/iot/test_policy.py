"""The per-thing IoT policy: exact grants, no wildcards, and the checked-in template kept in step."""

from __future__ import annotations

import json

import pytest

from iot.policy import (
    BATTERY_TEMPLATE_PATH,
    PLACEHOLDERS,
    TEMPLATE_PATH,
    THING_NAME,
    thing_policy_document,
    thing_policy_template,
)

ARN = "arn:aws:iot:ap-east-1:123456789012"
OWN = f"courtyard/01HTENANT/01HSITE/{THING_NAME}"
INGEST = "$aws/rules/courtyard_telemetry_prod", "$aws/rules/courtyard_events_prod"


def statements_by_action(document: dict[str, object]) -> dict[str, dict[str, object]]:
    statements = document["Statement"]
    assert isinstance(statements, list)
    by_action = {statement["Action"]: statement for statement in statements}
    assert len(by_action) == len(statements), "one statement per action"
    return by_action


def test_policy_grants_exactly_the_devices_own_topics_through_basic_ingest() -> None:
    document = thing_policy_document("ap-east-1", "123456789012", "01HTENANT", "01HSITE", stage="prod")

    assert document["Version"] == "2012-10-17"
    by_action = statements_by_action(document)
    assert set(by_action) == {"iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"}
    assert all(statement["Effect"] == "Allow" for statement in by_action.values())
    assert by_action["iot:Connect"]["Resource"] == f"{ARN}:client/${{iot:Connection.Thing.ThingName}}"
    # Basic Ingest only (issue 18): nothing subscribes to device topics, so the broker's are not granted.
    assert by_action["iot:Publish"]["Resource"] == [
        f"{ARN}:topic/{INGEST[0]}/{OWN}/telemetry",
        f"{ARN}:topic/{INGEST[1]}/{OWN}/events",
    ]
    assert by_action["iot:Subscribe"]["Resource"] == f"{ARN}:topicfilter/{OWN}/commands"
    assert by_action["iot:Receive"]["Resource"] == f"{ARN}:topic/{OWN}/commands"


def test_a_battery_device_may_connect_and_publish_and_nothing_else() -> None:
    """It sleeps between short clean sessions (iot/kinds.py): a subscription could never deliver to it."""
    mains = thing_policy_document("ap-east-1", "123456789012", "01HTENANT", "01HSITE", stage="prod")
    battery = thing_policy_document(
        "ap-east-1", "123456789012", "01HTENANT", "01HSITE", stage="prod", battery=True
    )

    by_action = statements_by_action(battery)
    assert set(by_action) == {"iot:Connect", "iot:Publish"}
    assert by_action == {k: v for k, v in statements_by_action(mains).items() if k in by_action}


def test_connect_requires_an_attached_thing_of_this_tenant_and_site() -> None:
    document = thing_policy_document("ap-east-1", "123456789012", "01HTENANT", "01HSITE", stage="prod")

    condition = statements_by_action(document)["iot:Connect"]["Condition"]

    assert condition == {
        "Bool": {"iot:Connection.Thing.IsAttached": "true"},
        "StringEquals": {
            "iot:Connection.Thing.Attributes[tenant_id]": "01HTENANT",
            "iot:Connection.Thing.Attributes[site_id]": "01HSITE",
        },
    }


@pytest.mark.parametrize("battery", [False, True])
def test_policy_has_no_wildcards(battery: bool) -> None:
    text = json.dumps(
        thing_policy_document("ap-east-1", "123456789012", "t1", "s1", stage="prod", battery=battery)
    )

    assert "*" not in text
    assert "?" not in text
    assert "+" not in text
    assert "#" not in text


def test_china_partition() -> None:
    document = thing_policy_document(
        "cn-north-1", "123456789012", "t1", "s1", stage="prod", partition="aws-cn"
    )

    connect = statements_by_action(document)["iot:Connect"]
    assert str(connect["Resource"]).startswith("arn:aws-cn:iot:cn-north-1:123456789012:client/")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tenant_id", "*"),  # a policy wildcard would grant every tenant's topics
        ("site_id", "s?"),
        ("tenant_id", "t${iot:ClientId}"),  # a policy variable
        ("site_id", "a/b"),
        ("tenant_id", ""),
        ("region", "us-east-1:evil"),
        ("account_id", "*"),
        ("partition", ""),
    ],
)
def test_unsafe_values_are_rejected(field: str, value: str) -> None:
    values = {"region": "ap-east-1", "account_id": "123456789012", "tenant_id": "t1", "site_id": "s1"}
    values[field] = value

    with pytest.raises(ValueError, match=field):
        thing_policy_document(**values, stage="prod", battery=False)


def test_checked_in_templates_match_the_generator() -> None:
    # If this fails, regenerate: python -m iot.policy > iot/thing-policy.json
    # and python -m iot.policy --battery > iot/battery-policy.json
    assert TEMPLATE_PATH.read_text(encoding="utf-8") == thing_policy_template()
    mains = thing_policy_document(**PLACEHOLDERS, battery=False)
    assert json.loads(TEMPLATE_PATH.read_text(encoding="utf-8")) == mains
    assert BATTERY_TEMPLATE_PATH.read_text(encoding="utf-8") == thing_policy_template(battery=True)
