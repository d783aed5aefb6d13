"""The device topic scheme: building, parsing and validating topics, and the rule SQL built on it."""

from __future__ import annotations

import pytest

from infra.local.iot_sql import parse_rule
from iot.topics import (
    EVENTS_FILTER,
    EVENTS_RULE_SQL,
    TELEMETRY_FILTER,
    TELEMETRY_RULE_SQL,
    DeviceTopic,
    commands_topic,
    events_topic,
    parse_topic,
    telemetry_topic,
    validate_id,
)

BAD_IDS = ["", "a/b", "a+", "#", "$aws", "\x00", "x" * 129]


def test_topics_follow_the_design_scheme() -> None:
    assert telemetry_topic("t1", "s1", "d1") == "courtyard/t1/s1/d1/telemetry"
    assert events_topic("t1", "s1", "d1") == "courtyard/t1/s1/d1/events"
    assert commands_topic("t1", "s1", "d1") == "courtyard/t1/s1/d1/commands"


@pytest.mark.parametrize("kind", ["telemetry", "events"])
def test_parse_topic_round_trips(kind: str) -> None:
    topic = f"courtyard/01HTENANT/01HSITE/elevator-3/{kind}"

    parsed = parse_topic(topic)

    assert parsed == DeviceTopic("01HTENANT", "01HSITE", "elevator-3", kind)  # type: ignore[arg-type]
    assert parsed is not None
    assert parsed.topic == topic


@pytest.mark.parametrize(
    "topic",
    [
        "courtyard/t1/s1/d1/commands",  # devices receive commands; they never publish them
        "courtyard/t1/s1/telemetry",  # one level short
        "courtyard/t1/s1/d1/x/telemetry",  # one level long
        "elsewhere/t1/s1/d1/telemetry",
        "courtyard/t1//d1/telemetry",  # empty id
        "courtyard/+/s1/d1/telemetry",  # a filter, not a topic name
        "courtyard/t1/s1/#",
        "courtyard/$t1/s1/d1/events",
        "",
    ],
)
def test_parse_topic_rejects_anything_else(topic: str) -> None:
    assert parse_topic(topic) is None


@pytest.mark.parametrize("bad", BAD_IDS)
def test_builders_reject_invalid_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="device_id"):
        telemetry_topic("t1", "s1", bad)
    with pytest.raises(ValueError, match="tenant_id"):
        events_topic(bad, "s1", "d1")
    with pytest.raises(ValueError, match="site_id"):
        commands_topic("t1", bad, "d1")


def test_id_rules() -> None:
    assert validate_id("a$b") == "a$b"  # only a leading $ is reserved
    assert validate_id("x" * 128) == "x" * 128
    assert validate_id("小区-1") == "小区-1"
    with pytest.raises(ValueError, match="bytes"):
        validate_id("区" * 43)  # 129 UTF-8 bytes: the limit is on bytes, like AWS's thing-name limit


def test_topic_longer_than_aws_limit_is_rejected() -> None:
    long_id = "x" * 100  # each id is fine; together they exceed the 256-byte topic limit
    with pytest.raises(ValueError, match="256"):
        telemetry_topic(long_id, long_id, long_id)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        DeviceTopic("t1", "s1", "d1", "status")  # type: ignore[arg-type]


def test_rule_sql_is_the_agreed_statement() -> None:
    assert TELEMETRY_RULE_SQL == (
        "SELECT *, topic(2) AS tenant_id, topic(3) AS site_id, topic(4) AS device_id, "
        "timestamp() AS received_at FROM 'courtyard/+/+/+/telemetry'"
    )
    assert TELEMETRY_RULE_SQL.replace("/telemetry'", "/events'") == EVENTS_RULE_SQL
    assert parse_rule(TELEMETRY_RULE_SQL).topic_filter == TELEMETRY_FILTER
    assert parse_rule(EVENTS_RULE_SQL).topic_filter == EVENTS_FILTER


def test_rules_take_ids_from_the_topic_not_the_payload() -> None:
    telemetry, events = parse_rule(TELEMETRY_RULE_SQL), parse_rule(EVENTS_RULE_SQL)
    payload = b'{"tenant_id": "forged", "metrics": {"leak": true}}'

    event = telemetry.evaluate(telemetry_topic("t1", "s1", "d1"), payload, now_ms=1_700_000_000_000)

    assert event == {
        "tenant_id": "t1",
        "site_id": "s1",
        "device_id": "d1",
        "metrics": {"leak": True},
        "received_at": 1_700_000_000_000,
    }
    assert not telemetry.matches(events_topic("t1", "s1", "d1"))
    assert events.matches(events_topic("t1", "s1", "d1"))
    assert not events.matches(commands_topic("t1", "s1", "d1"))
