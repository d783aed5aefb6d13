"""The template's IoT rules select exactly what iot/topics.py documents, and route to the sensors ingest."""

from __future__ import annotations

from pathlib import Path

from infra.local.iot_sql import parse_rule
from infra.local.template import Resolver, load_template
from iot.topics import EVENTS_RULE_SQL, TELEMETRY_RULE_SQL, rule_names

ROOT = Path(__file__).resolve().parents[3]


def test_template_rules_are_named_as_devices_address_them_and_select_the_topic_schemes() -> None:
    template = load_template(ROOT / "template.yaml")
    rules = template.resources_of_type("AWS::IoT::TopicRule")

    by_name = {}
    for resource in rules.values():
        props = resource["Properties"]
        name = Resolver(template, {}, parameters={"Stage": "prod"}).resolve_str(props["RuleName"])
        payload = props["TopicRulePayload"]
        (action,) = payload["Actions"]
        by_name[name] = (" ".join(payload["Sql"].split()), action["Lambda"]["FunctionArn"]["Fn::GetAtt"][0])

    telemetry, events = rule_names("prod")
    assert by_name == {
        telemetry: (TELEMETRY_RULE_SQL, "SensorsIngestFunction"),
        events: (EVENTS_RULE_SQL, "SensorsIngestFunction"),
    }


def test_the_rule_puts_the_topics_ids_over_the_payloads() -> None:
    rule = parse_rule(TELEMETRY_RULE_SQL)

    event = rule.evaluate("courtyard/T1/S1/D1/telemetry", b'{"tenant_id": "EVIL", "ts": "x"}', now_ms=5)

    assert event == {"tenant_id": "T1", "site_id": "S1", "device_id": "D1", "received_at": 5, "ts": "x"}
