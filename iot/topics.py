"""The MQTT topic scheme and the topic-rule SQL that reads it.

Devices publish to ``courtyard/{tenant_id}/{site_id}/{device_id}/{telemetry|events}``, get ``.../commands``.
They should publish through Basic Ingest: ``$aws/rules/{rule}/courtyard/...`` hands the message straight to
the named topic rule, with no message-broker charge (a third of a steady device's IoT Core bill); the rule's
SQL sees the topic without the prefix, so ``topic(n)`` is the same either way. The rules are named
``courtyard_telemetry_{stage}`` and ``courtyard_events_{stage}`` (template.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

PREFIX: Final = "courtyard"

Kind = Literal["telemetry", "events"]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)

MAX_ID_BYTES: Final = 128  # the AWS IoT thing-name limit; device_id is the thing name
MAX_TOPIC_BYTES: Final = 256  # AWS IoT Core rejects longer publish topics

TELEMETRY_FILTER: Final = f"{PREFIX}/+/+/+/telemetry"
EVENTS_FILTER: Final = f"{PREFIX}/+/+/+/events"

# The ids come from the topic, which the thing policy pins to the certificate's own tenant, site and thing
# name, never from the payload: a device cannot claim to be someone else by writing a different body.
TELEMETRY_RULE_SQL: Final = (
    "SELECT *, topic(2) AS tenant_id, topic(3) AS site_id, topic(4) AS device_id, timestamp() AS received_at "
    "FROM 'courtyard/+/+/+/telemetry'"
)
EVENTS_RULE_SQL: Final = (
    "SELECT *, topic(2) AS tenant_id, topic(3) AS site_id, topic(4) AS device_id, timestamp() AS received_at "
    "FROM 'courtyard/+/+/+/events'"
)


TELEMETRY_RULE_BASE: Final = "courtyard_telemetry"
EVENTS_RULE_BASE: Final = "courtyard_events"
BASIC_INGEST_PREFIX: Final = "$aws/rules/"
_RULE_NAME = re.compile(r"^[a-zA-Z0-9_]{1,128}$")


def rule_names(stage: str) -> tuple[str, str]:
    """The stage's telemetry and events topic-rule names (letters, digits and underscores only)."""
    names = (f"{TELEMETRY_RULE_BASE}_{stage}", f"{EVENTS_RULE_BASE}_{stage}")
    if not all(_RULE_NAME.match(name) for name in names):
        raise ValueError(f"stage {stage!r} cannot be part of an IoT rule name (letters, digits, underscores)")
    return names


def basic_ingest_topic(rule: str, topic: str) -> str:
    """``topic`` published through Basic Ingest to ``rule``: ``$aws/rules/{rule}/{topic}``."""
    if not _RULE_NAME.match(rule):
        raise ValueError(f"{rule!r} is not an IoT rule name")
    return f"{BASIC_INGEST_PREFIX}{rule}/{topic}"


def validate_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it can be one level of a topic name; raise ValueError otherwise.

    Rejected: empty, ``/`` (a level separator), ``+`` and ``#`` (wildcards, invalid in a topic name), a
    leading ``$`` (reserved for broker topics such as ``$aws/...``), NUL, and more than 128 UTF-8 bytes.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if len(value.encode()) > MAX_ID_BYTES:
        raise ValueError(f"{what} must be at most {MAX_ID_BYTES} bytes")
    if value.startswith("$"):
        raise ValueError(f"{what} must not start with '$'")
    bad = sorted({ch for ch in value if ch in "/+#\x00"})
    if bad:
        raise ValueError(f"{what} must not contain {', '.join(repr(ch) for ch in bad)}")
    return value


@dataclass(frozen=True)
class DeviceTopic:
    """One device's publish topic, split into its parts (validated on construction)."""

    tenant_id: str
    site_id: str
    device_id: str
    kind: Kind

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        _device_topic(self.tenant_id, self.site_id, self.device_id, self.kind)

    @property
    def topic(self) -> str:
        return f"{PREFIX}/{self.tenant_id}/{self.site_id}/{self.device_id}/{self.kind}"


def _device_topic(tenant_id: str, site_id: str, device_id: str, leaf: str) -> str:
    validate_id(tenant_id, "tenant_id")
    validate_id(site_id, "site_id")
    validate_id(device_id, "device_id")
    topic = f"{PREFIX}/{tenant_id}/{site_id}/{device_id}/{leaf}"
    if len(topic.encode()) > MAX_TOPIC_BYTES:
        raise ValueError(f"topic {topic!r} is longer than {MAX_TOPIC_BYTES} bytes")
    return topic


def telemetry_topic(tenant_id: str, site_id: str, device_id: str) -> str:
    """``courtyard/{tenant_id}/{site_id}/{device_id}/telemetry``: periodic measurements."""
    return DeviceTopic(tenant_id, site_id, device_id, "telemetry").topic


def events_topic(tenant_id: str, site_id: str, device_id: str) -> str:
    """``courtyard/{tenant_id}/{site_id}/{device_id}/events``: discrete events (smoke, detections, scans)."""
    return DeviceTopic(tenant_id, site_id, device_id, "events").topic


def commands_topic(tenant_id: str, site_id: str, device_id: str) -> str:
    """``courtyard/{tenant_id}/{site_id}/{device_id}/commands``: the only topic a device subscribes to."""
    return _device_topic(tenant_id, site_id, device_id, "commands")


def parse_topic(topic: str) -> DeviceTopic | None:
    """Split a device publish topic into its parts; None if it is not one (wrong shape, kind or ids)."""
    levels = topic.split("/")
    if len(levels) != 5 or levels[0] != PREFIX:
        return None
    _, tenant_id, site_id, device_id, kind = levels
    if kind == "telemetry":
        parsed_kind: Kind = "telemetry"
    elif kind == "events":
        parsed_kind = "events"
    else:
        return None
    try:
        return DeviceTopic(tenant_id, site_id, device_id, parsed_kind)
    except ValueError:
        return None
