"""Responses of the sensors API: domain records mapped explicitly, never returned raw."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from courtyard.models import Model
from sensors.domain import Device
from sensors.lifecycle import Alarm
from sensors.repository import HourAggregate, LedgerEntry, StoredRule
from sensors.rules import Actions, ActiveHours, Condition, Scope


class DeviceOut(Model):
    device_id: str
    site_id: str
    kind: str
    name: str
    status: str
    building_id: str | None
    unit_id: str | None
    location: str | None
    model: str | None
    install_date: str | None
    thing_name: str | None
    provisioned: bool
    created_at: str
    updated_at: str

    @classmethod
    def from_domain(cls, device: Device) -> DeviceOut:
        return cls(
            device_id=device.device_id,
            site_id=device.site_id,
            kind=device.kind.value,
            name=device.name,
            status=device.status.value,
            building_id=device.building_id,
            unit_id=device.unit_id,
            location=device.location,
            model=device.model,
            install_date=device.install_date,
            thing_name=device.thing_name,
            provisioned=device.certificate_id is not None,
            created_at=device.created_at,
            updated_at=device.updated_at,
        )


class CredentialsOut(Model):
    """Shown once: the private key is not kept anywhere by Courtyard."""

    thing_name: str
    certificate_pem: str
    private_key: str
    endpoint: str
    # The device's topics through Basic Ingest ($aws/rules/<rule>/courtyard/...): the only ones its policy
    # lets it publish to, as they skip the message broker and its charge (iot/topics.py, iot/policy.py).
    telemetry_ingest_topic: str
    events_ingest_topic: str
    session: Literal["connected", "per_wake"] = Field(
        description="connected: hold one MQTT connection (mains power); per_wake: a battery device connects, "
        "publishes at QoS 1 and disconnects at each wake (iot/kinds.py)"
    )
    upload_interval_s: int = Field(
        description="the steady upload (seconds): 600 connected, 3600 per wake; a change goes out at once"
    )
    commands_topic: str | None = Field(
        default=None, description="what a connected device subscribes to; none for a battery device"
    )


class DeviceCreatedOut(Model):
    device: DeviceOut
    credentials: CredentialsOut | None = None


class MaintenanceOut(Model):
    occurred_at: str
    ticket_id: str
    what: str
    status: str | None

    @classmethod
    def from_domain(cls, entry: LedgerEntry) -> MaintenanceOut:
        return cls(
            occurred_at=entry.occurred_at, ticket_id=entry.ticket_id, what=entry.what, status=entry.status
        )


class DeviceDetailOut(DeviceOut):
    """The device ledger (设备台账): the record, and its maintenance history from tickets."""

    maintenance: list[MaintenanceOut] = Field(default_factory=list)


class DevicePageOut(Model):
    items: list[DeviceOut]
    next_cursor: str | None = None


class MetricHourOut(Model):
    min: float
    max: float
    avg: float
    count: int


class TelemetryHourOut(Model):
    hour: str
    metrics: dict[str, MetricHourOut]

    @classmethod
    def from_domain(cls, aggregate: HourAggregate, metric: str | None) -> TelemetryHourOut:
        return cls(
            hour=aggregate.hour,
            metrics={
                name: MetricHourOut(
                    min=t.low, max=t.high, avg=t.total / t.count if t.count else 0.0, count=t.count
                )
                for name, t in aggregate.metrics.items()
                if metric is None or name == metric
            },
        )


class TelemetryOut(Model):
    device_id: str
    hours: list[TelemetryHourOut]


class RuleOut(Model):
    rule_id: str
    name: str
    enabled: bool
    scope: Scope
    condition: Condition
    severity: str
    active_hours: ActiveHours | None
    actions: Actions
    default: bool
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def from_domain(cls, rule: StoredRule) -> RuleOut:
        spec = rule.spec
        return cls(
            rule_id=rule.rule_id,
            name=spec.name,
            enabled=spec.enabled,
            scope=spec.scope,
            condition=spec.condition,
            severity=spec.severity.value,
            active_hours=spec.active_hours,
            actions=spec.actions,
            default=rule.default,
            version=rule.version,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
        )


class RulePageOut(Model):
    items: list[RuleOut]


class RuleTestHit(Model):
    at: str
    signal: str
    value: Any = None


class RuleTestOut(Model):
    evaluated: int
    alarms: int
    signals: list[RuleTestHit]


class AlarmOut(Model):
    alarm_id: str
    rule_id: str
    rule_name: str
    device_id: str
    device_kind: str
    site_id: str
    building_id: str | None
    severity: str
    kind: str
    status: str
    metric: str | None
    value: float | str | None
    threshold: float | None
    count: int
    raised_at: str
    last_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    cleared_at: str | None
    cleared_by: str | None

    @classmethod
    def from_domain(cls, alarm: Alarm) -> AlarmOut:
        return cls(
            alarm_id=alarm.alarm_id,
            rule_id=alarm.rule_id,
            rule_name=alarm.rule_name,
            device_id=alarm.device_id,
            device_kind=alarm.device_kind,
            site_id=alarm.site_id,
            building_id=alarm.building_id,
            severity=alarm.severity.value,
            kind=alarm.kind,
            status=alarm.status.value,
            metric=alarm.metric,
            value=alarm.value,
            threshold=alarm.threshold,
            count=alarm.count,
            raised_at=alarm.raised_at,
            last_at=alarm.last_at,
            acknowledged_at=alarm.acknowledged_at,
            acknowledged_by=alarm.acknowledged_by,
            cleared_at=alarm.cleared_at,
            cleared_by=alarm.cleared_by,
        )


class AlarmPageOut(Model):
    items: list[AlarmOut]
    next_cursor: str | None = None
