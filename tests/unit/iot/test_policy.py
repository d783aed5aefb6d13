"""The per-thing IoT policy: exact grants, no wildcards, and the checked-in template kept in step."""

from __future__ import annotations

import json

import pytest

from iot.policy import (
    PLACEHOLDERS,
    TEMPLATE_PATH,
    THING_NAME,
    thing_policy_document,
    thing_policy_template,
)

ARN = "arn:aws:iot:ap-east-1:123456789012"
OWN = f"courtyard/01HTENANT/01HSITE/{THING_NAME}"


def statements_by_action(document: dict[str, object]) -> dict[str, dict[str, object]]:
    statements = document["Statement"]
    assert isinstance(statements, list)
    by_action = {statement["Action"]: statement for statement in statements}
    assert len(by_action) == len(statements), "one statement per action"
    return by_action


def test_policy_grants_exactly_the_devices_own_topics() -> None:
    document = thing_policy_document("ap-east-1", "123456789012", "01HTENANT", "01HSITE")

    assert document["Version"] == "2012-10-17"
    by_action = statements_by_action(document)
    assert set(by_action) == {"iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"}
    assert all(statement["Effect"] == "Allow" for statement in by_action.values())
    assert by_action["iot:Connect"]["Resource"] == f"{ARN}:client/${{iot:Connection.Thing.ThingName}}"
    assert by_action["iot:Publish"]["Resource"] == [
        f"{ARN}:topic/{OWN}/telemetry",
        f"{ARN}:topic/{OWN}/events",
    ]
    assert by_action["iot:Subscribe"]["Resource"] == f"{ARN}:topicfilter/{OWN}/commands"
    assert by_action["iot:Receive"]["Resource"] == f"{ARN}:topic/{OWN}/commands"


def test_connect_requires_an_attached_thing_of_this_tenant_and_site() -> None:
    document = thing_policy_document("ap-east-1", "123456789012", "01HTENANT", "01HSITE")

    condition = statements_by_action(document)["iot:Connect"]["Condition"]

    assert condition == {
        "Bool": {"iot:Connection.Thing.IsAttached": "true"},
        "StringEquals": {
            "iot:Connection.Thing.Attributes[tenant_id]": "01HTENANT",
            "iot:Connection.Thing.Attributes[site_id]": "01HSITE",
        },
    }


def test_policy_has_no_wildcards() -> None:
    text = json.dumps(thing_policy_document("ap-east-1", "123456789012", "t1", "s1"))

    assert "*" not in text
    assert "?" not in text
    assert "+" not in text
    assert "#" not in text


def test_china_partition() -> None:
    document = thing_policy_document("cn-north-1", "123456789012", "t1", "s1", partition="aws-cn")

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
        thing_policy_document(**values)


def test_checked_in_template_matches_the_generator() -> None:
    # If this fails, regenerate: python -m iot.policy > iot/thing-policy.json
    assert TEMPLATE_PATH.read_text(encoding="utf-8") == thing_policy_template()
    assert json.loads(TEMPLATE_PATH.read_text(encoding="utf-8")) == thing_policy_document(**PLACEHOLDERS)
