"""The template's IoT rules select exactly what iot/topics.py documents, and route to the sensors ingest."""

from __future__ import annotations

from pathlib import Path

from infra.local.iot_sql import parse_rule
from infra.local.template import IoTRuleEvent, load_template
from iot.topics import EVENTS_RULE_SQL, TELEMETRY_RULE_SQL

ROOT = Path(__file__).resolve().parents[3]


def test_template_rule_sql_is_the_topic_schemes() -> None:
    function = load_template(ROOT / "template.yaml").function("SensorsIngestFunction")

    sql = sorted(" ".join(e.sql.split()) for e in function.events_of(IoTRuleEvent))

    assert sql == sorted([TELEMETRY_RULE_SQL, EVENTS_RULE_SQL])


def test_the_rule_puts_the_topics_ids_over_the_payloads() -> None:
    rule = parse_rule(TELEMETRY_RULE_SQL)

    event = rule.evaluate("courtyard/T1/S1/D1/telemetry", b'{"tenant_id": "EVIL", "ts": "x"}', now_ms=5)

    assert event == {"tenant_id": "T1", "site_id": "S1", "device_id": "D1", "received_at": 5, "ts": "x"}
