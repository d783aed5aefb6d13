"""Unit tests for the local AWS IoT SQL subset: parsing, topic filters, WHERE semantics and SELECT results."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.local.iot_sql import RuleSqlError, parse_rule, topic_matches

TELEMETRY_RULE = (
    "SELECT *, topic(2) AS tenant_id, topic(3) AS site_id, topic(4) AS device_id, timestamp() AS received_at "
    "FROM 'courtyard/+/+/+/telemetry'"
)
NOW_MS = 1_700_000_000_123


def run(sql: str, payload: Any, topic: str = "a/b/c", client_id: str | None = None) -> dict[str, Any] | None:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return parse_rule(sql).evaluate(topic, raw, now_ms=NOW_MS, client_id=client_id)


def where(condition: str, payload: dict[str, Any], topic: str = "a/b/c") -> bool:
    return run(f"SELECT * FROM '#' WHERE {condition}", payload, topic) is not None


def test_telemetry_rule_builds_the_lambda_event() -> None:
    event = run(TELEMETRY_RULE, {"temperature": 21.5, "humidity": 40}, topic="courtyard/t1/s1/d1/telemetry")

    assert event == {
        "temperature": 21.5,
        "humidity": 40,
        "tenant_id": "t1",
        "site_id": "s1",
        "device_id": "d1",
        "received_at": NOW_MS,
    }


def test_telemetry_rule_ignores_events_topic() -> None:
    rule = parse_rule(TELEMETRY_RULE)

    assert rule.topic_filter == "courtyard/+/+/+/telemetry"
    assert rule.matches("courtyard/t1/s1/d1/telemetry")
    assert not rule.matches("courtyard/t1/s1/d1/events")
    assert rule.evaluate("courtyard/t1/s1/d1/events", b"{}", now_ms=NOW_MS) is None


def test_selected_aliases_override_payload_keys() -> None:
    event = run("SELECT *, topic(2) AS tenant_id FROM 'x/+'", {"tenant_id": "forged"}, topic="x/real")

    assert event == {"tenant_id": "real"}


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("a/b/c", "a/b/c", True),
        ("a/b/c", "a/b", False),
        ("a/b", "a/b/c", False),
        ("a/+/c", "a/x/c", True),
        ("a/+/c", "a/x/y/c", False),
        ("a/+", "a/", True),  # an empty level is still a level
        ("+/+", "a/b", True),
        ("a/#", "a", True),  # '#' also matches the parent level
        ("a/#", "a/b/c/d", True),
        ("a/#", "b/c", False),
        ("#", "anything/at/all", True),
        ("courtyard/+/+/+/#", "courtyard/t1/s1/d1/events", True),
        ("courtyard/+/+/+/#", "courtyard/t1/s1", False),
        ("#", "$aws/things/x", False),  # wildcards never match $-topics at the first level
        ("+/things/x", "$aws/things/x", False),
        ("$aws/things/+", "$aws/things/x", True),
        ("A/b", "a/b", False),  # topics are case-sensitive
    ],
)
def test_topic_matches(topic_filter: str, topic: str, expected: bool) -> None:
    assert topic_matches(topic_filter, topic) is expected
    assert parse_rule(f"SELECT * FROM '{topic_filter}'").matches(topic) is expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT temp FROM '#'", {"temp": 21}),
        ("SELECT temp AS t FROM '#'", {"t": 21}),
        ("SELECT state.reported.mode FROM '#'", {"mode": "eco"}),
        ("SELECT state.reported.mode AS m, temp FROM '#'", {"m": "eco", "temp": 21}),
        ("SELECT state.reported FROM '#'", {"reported": {"mode": "eco"}}),
        ("SELECT missing, temp FROM '#'", {"temp": 21}),  # an Undefined field is left out
        ("SELECT temp.deeper AS x FROM '#'", {}),  # drilling into a number is Undefined
        ("SELECT topic() FROM '#'", {"topic": "courtyard/t1/s1/d1/telemetry"}),
        ("SELECT topic() AS t FROM '#'", {"t": "courtyard/t1/s1/d1/telemetry"}),
        ("SELECT topic(1) AS a, topic(5) AS e FROM '#'", {"a": "courtyard", "e": "telemetry"}),
        ("SELECT topic(0) AS x, topic(6) AS y FROM '#'", {}),  # out of range: Undefined
        ("SELECT timestamp() AS ts FROM '#'", {"ts": NOW_MS}),
        ("SELECT timestamp() FROM '#'", {"timestamp": NOW_MS}),
        ("SELECT clientid() AS c FROM '#'", {"c": "thing-1"}),
        ("SELECT temp > 20 AS hot, temp < 20 AS cold FROM '#'", {"hot": True, "cold": False}),
        ("select Temp as t from '#'", {}),  # keywords are case-insensitive; field names are not
        (
            "SELECT 'v1' AS schema, 2 AS n, -1.5 AS f, 1e3 AS e FROM '#'",
            {"schema": "v1", "n": 2, "f": -1.5, "e": 1000.0},
        ),
        (
            "SELECT true AS yes, false AS no, null AS nothing FROM '#'",
            {"yes": True, "no": False, "nothing": None},
        ),
        ("SELECT 'it''s' AS quote FROM '#'", {"quote": "it's"}),
    ],
)
def test_select_list(sql: str, expected: dict[str, Any]) -> None:
    payload = {"temp": 21, "state": {"reported": {"mode": "eco"}}}

    assert run(sql, payload, topic="courtyard/t1/s1/d1/telemetry", client_id="thing-1") == expected


def test_clientid_is_undefined_without_a_client() -> None:
    assert run("SELECT clientid() AS c, temp FROM '#'", {"temp": 1}) == {"temp": 1}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("temp > 30", True),
        ("temp >= 35", True),
        ("temp > 35", False),
        ("temp < 40 ", True),
        ("temp <= 34.9", False),
        ("temp = 35", True),
        ("temp = 35.0", True),
        ("temp <> 35", False),
        ("temp != 36", True),
        ("30 < temp", True),
        ("temp > -5", True),
        ("kind = 'smoke'", True),
        ("kind = 'SMOKE'", False),  # string equality is case-sensitive
        ("kind <> 'smoke'", False),
        ("kind != 'gate'", True),
        ("'smoke' = kind", True),
        ("level = '35'", True),
        ("temp = '35'", False),  # different JSON types are never equal
        ("level > 30", True),  # ordering converts numeric strings
        ("kind > 'a'", False),  # ordering non-numeric strings is Undefined
        ("armed = true", True),
        ("armed = false", False),
        ("armed", True),
        ("NOT armed", False),
        ("meta.site.floor = 3", True),
        ("meta.site.floor > 2 AND meta.site.name = 'north'", True),
        ("meta = meta", True),
        ("topic(2) = 't1'", True),
        ("topic(2) = 't2'", False),
        ("topic(5) = 'telemetry'", True),
        ("empty IS NULL", True),
        ("empty IS NOT NULL", False),
        ("temp IS NOT NULL", True),
        ("isNull(empty)", True),
        ("isUndefined(missing)", True),
        ("isUndefined(temp)", False),
    ],
)
def test_where_comparisons(condition: str, expected: bool) -> None:
    payload = {
        "temp": 35,
        "kind": "smoke",
        "level": "35",
        "armed": True,
        "empty": None,
        "meta": {"site": {"floor": 3, "name": "north"}},
    }

    assert where(condition, payload, topic="courtyard/t1/s1/d1/telemetry") is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # AND binds tighter than OR: true OR (false AND false)
        ("a = 1 OR b = 1 AND c = 1", True),
        # parentheses override it: (true OR false) AND false
        ("(a = 1 OR b = 1) AND c = 1", False),
        # false OR (true AND true)
        ("b = 1 OR a = 1 AND d = 1", True),
        ("(b = 1 OR a = 1) AND (d = 1 OR c = 1)", True),
        # NOT binds tighter than AND: (NOT false) AND true
        ("NOT b = 1 AND a = 1", True),
        ("NOT (a = 1 AND b = 1)", True),
        ("NOT NOT a = 1", True),
        ("((a = 1))", True),
        ("a = 1 AND a = 1 AND b = 1", False),
        ("b = 1 OR c = 1 OR d = 1", True),
    ],
)
def test_where_logic_precedence(condition: str, expected: bool) -> None:
    assert where(condition, {"a": 1, "b": 0, "c": 0, "d": 1}) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "missing = 1",
        "missing <> 1",  # Undefined poisons every comparison, even inequality
        "missing > 1",
        "NOT missing = 1",
        "a.b.c = 1",
        "temp = 1 OR missing = 1",
        "missing IS NULL",  # Undefined is not null; use isUndefined()
        "missing IS NOT NULL",
        "topic(9) = 'x'",
        "temp",  # a number is not a boolean
        "'maybe'",
    ],
)
def test_undefined_makes_where_false(condition: str) -> None:
    assert where(condition, {"temp": 1}) is False


def test_logic_follows_aws_not_sql_three_valued_logic() -> None:
    # AWS documents AND/OR as Undefined unless both operands are booleans (or "true"/"false" strings), so
    # `true OR Undefined` does not fire. Stricter than SQL, so a rule that fires locally also fires on AWS.
    assert where("temp = 1 AND 'TRUE'", {"temp": 1}) is True
    assert where("temp = 1 OR missing = 2", {"temp": 1}) is False
    assert where("temp = 1 OR isUndefined(missing)", {"temp": 1}) is True


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1, 2, 3]", b"42", b'"text"', b"\xff\xfe", b""],
)
def test_non_object_payload_does_not_fire(payload: bytes) -> None:
    assert run("SELECT * FROM '#'", payload) is None
    assert run("SELECT topic(1) AS t FROM '#'", payload) is None


def test_non_matching_topic_does_not_fire_even_when_where_holds() -> None:
    assert run("SELECT * FROM 'a/+/c' WHERE x = 1", {"x": 1}, topic="a/b/d") is None
    assert run("SELECT * FROM 'a/+/c' WHERE x = 1", {"x": 1}, topic="a/b/c") == {"x": 1}


def test_rule_is_reusable_and_returns_fresh_results() -> None:
    rule = parse_rule("SELECT *, topic(2) AS t FROM 'x/+'")

    first = rule.evaluate("x/1", b'{"v": 1}', now_ms=0)
    second = rule.evaluate("x/2", b'{"v": 2}', now_ms=0)

    assert first == {"v": 1, "t": "1"}
    assert second == {"v": 2, "t": "2"}


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("", "expected SELECT"),
        ("DELETE FROM 'a'", "expected SELECT"),
        ("SELECT FROM 'a'", "expected a field"),
        ("SELECT * TO 'a'", "expected end of statement"),  # FROM may be absent (Basic Ingest), not misspelt
        ("SELECT * FROM", "quoted topic filter"),
        ("SELECT * FROM a/b", "unexpected character '/'"),
        ("SELECT * FROM ''", "empty"),
        ("SELECT * FROM 'a/#/b'", "invalid topic filter"),
        ("SELECT * FROM 'a/b#'", "invalid topic filter"),
        ("SELECT * FROM 'a/b+/c'", "invalid topic filter"),
        ("SELECT * FROM 'a' WHERE", "expected a field"),
        ("SELECT * FROM 'a' WHERE x =", "expected a field"),
        ("SELECT * FROM 'a' WHERE (x = 1", "expected )"),
        ("SELECT * FROM 'a' WHERE x = 'open", "unterminated string"),
        ("SELECT * FROM 'a' WHERE x IS 1", "NULL after IS"),
        ("SELECT * FROM 'a' WHERE x = 1 LIMIT 1", "expected end of statement"),
        ("SELECT * FROM 'a' WHERE x = 1 ; DROP", "unexpected character ';'"),
        ("SELECT a + b AS c FROM 'a'", "unexpected character '+'"),
        ("SELECT 1 FROM 'a'", "needs an alias"),
        ("SELECT temp > 1 FROM 'a'", "needs an alias"),
        ("SELECT topic(1) = 'x' FROM 'a'", "needs an alias"),
        ("SELECT x AS FROM 'a'", "alias after AS"),
        ("SELECT upper(x) AS y FROM 'a'", "unsupported function upper()"),
        ("SELECT topic(1, 2) AS y FROM 'a'", "takes 0..1 arguments"),
        ("SELECT timestamp(1) AS y FROM 'a'", "takes 0..0 arguments"),
        ("SELECT state.* FROM 'a'", "field name after '.'"),
        ("SELECT * FROM 'a' WHERE x = #", "unexpected character '#'"),
        ('SELECT * FROM "a"', "unexpected character '\"'"),
    ],
)
def test_invalid_sql_raises_rule_sql_error(sql: str, message: str) -> None:
    with pytest.raises(RuleSqlError, match=re.escape(message)):
        parse_rule(sql)


def test_rule_sql_error_is_a_value_error_with_position() -> None:
    with pytest.raises(ValueError, match="at position 23"):
        parse_rule("SELECT * FROM 'a' WHERE")


def test_from_is_optional_for_a_rule_only_basic_ingest_invokes() -> None:
    # AWS IoT SQL reference, FROM: "Optional for rules that are only activated using the Basic Ingest
    # feature".
    rule = parse_rule("SELECT *, topic(2) AS tenant_id WHERE n > 1")
    assert rule.topic_filter is None
    assert not rule.matches("courtyard/t1/s1/d1/telemetry")  # no broker topic activates it
    topic, now = "courtyard/t1/s1/d1/telemetry", 1
    assert rule.evaluate(topic, b'{"n": 2}', now_ms=now) is None  # not through the broker
    assert rule.evaluate(topic, b'{"n": 2}', now_ms=now, basic_ingest=True) == {"n": 2, "tenant_id": "t1"}
    assert rule.evaluate(topic, b'{"n": 1}', now_ms=now, basic_ingest=True) is None  # WHERE still decides


def test_basic_ingest_evaluates_a_rule_whatever_its_from() -> None:
    rule = parse_rule("SELECT n FROM 'courtyard/+/+/+/events'")
    assert rule.evaluate("courtyard/t1/s1/d1/telemetry", b'{"n": 3}', now_ms=1) is None
    assert rule.evaluate("courtyard/t1/s1/d1/telemetry", b'{"n": 3}', now_ms=1, basic_ingest=True) == {"n": 3}
