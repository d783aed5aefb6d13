"""The sensors table: devices, rules, evaluation state, alarms, hourly aggregates and the device ledger.

Item shapes stay here; services see domain records. Numbers go to DynamoDB as Decimals; rule bodies and
evaluation states are JSON text (they are read whole, never queried inside).

Indexes (issue 18: each earns its writes):
- gsi1 (ALL) a site's devices by kind (the devices page) and the tenant's alarms, newest first.
- gsi2 (ALL) a site's alarms, newest first (the alarms page of one community).
- due (INCLUDE tenant_id, device_id; sparse) devices whose heartbeat is due: the heartbeat job reads only
  those two and moves the entry when a device reports (``sensors/write_budget.py`` keeps that to one write
  every third upload).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from courtyard.clock import epoch, to_iso
from courtyard.drain import Page as DuePage
from courtyard.drain import shard_pages
from courtyard.dynamo import Page, is_conditional_failure
from courtyard.errors import Conflict
from courtyard.table import MAX_PAGE, Table, deserialize, serialize
from sensors import keys
from sensors.aggregates import MetricTotals
from sensors.domain import AlarmStatus, Device, DeviceKind, DeviceStatus, Severity
from sensors.engine import Phase, RuleState
from sensors.lifecycle import Alarm
from sensors.rules import RuleSpec

_DUE_INDEX = "due"


@dataclass(frozen=True, slots=True)
class StoredRule:
    tenant_id: str
    rule_id: str
    spec: RuleSpec
    created_at: str
    updated_at: str
    version: int = 1
    default: bool = False


@dataclass(frozen=True, slots=True)
class StoredState:
    """A device's evaluation state as stored (``version`` 0: nothing stored yet)."""

    rules: dict[str, RuleState]
    seen: dict[str, float]
    last_seen: float | None
    version: int = 0


@dataclass(frozen=True, slots=True)
class HourAggregate:
    hour: str
    metrics: dict[str, MetricTotals]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    occurred_at: str
    event_id: str
    ticket_id: str
    what: str
    status: str | None


@dataclass(frozen=True, slots=True)
class DueDevice:
    tenant_id: str
    device_id: str


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(float(value)))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# ------------------------------------------------------------------ item mapping


def device_item(device: Device) -> dict[str, Any]:
    return {
        **keys.device(device.tenant_id, device.device_id),
        "gsi1pk": keys.site_devices(device.tenant_id, device.site_id),
        "gsi1sk": f"{device.kind.value}#{device.device_id}",
        "tenant_id": device.tenant_id,
        "device_id": device.device_id,
        "site_id": device.site_id,
        "kind": device.kind.value,
        "name": device.name,
        "status": device.status.value,
        "created_at": device.created_at,
        "updated_at": device.updated_at,
        "building_id": device.building_id,
        "unit_id": device.unit_id,
        "location": device.location,
        "model": device.model,
        "install_date": device.install_date,
        "certificate_id": device.certificate_id,
        "thing_name": device.thing_name,
        "version": device.version,
    }


def device_from_item(item: Mapping[str, Any]) -> Device:
    return Device(
        tenant_id=str(item["tenant_id"]),
        device_id=str(item["device_id"]),
        site_id=str(item["site_id"]),
        kind=DeviceKind(str(item["kind"])),
        name=str(item["name"]),
        status=DeviceStatus(str(item["status"])),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        building_id=item.get("building_id"),
        unit_id=item.get("unit_id"),
        location=item.get("location"),
        model=item.get("model"),
        install_date=item.get("install_date"),
        certificate_id=item.get("certificate_id"),
        thing_name=item.get("thing_name"),
        version=int(item.get("version", 1)),
    )


def rule_item(rule: StoredRule) -> dict[str, Any]:
    return {
        **keys.rule(rule.tenant_id, rule.rule_id),
        "tenant_id": rule.tenant_id,
        "rule_id": rule.rule_id,
        "body": rule.spec.model_dump_json(),
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
        "version": rule.version,
        "default": rule.default,
    }


def rule_from_item(item: Mapping[str, Any]) -> StoredRule:
    return StoredRule(
        tenant_id=str(item["tenant_id"]),
        rule_id=str(item["rule_id"]),
        spec=RuleSpec.model_validate_json(str(item["body"])),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        version=int(item.get("version", 1)),
        default=bool(item.get("default", False)),
    )


def alarm_item(alarm: Alarm) -> dict[str, Any]:
    order = f"{alarm.raised_at}#{alarm.alarm_id}"
    return {
        **keys.alarm(alarm.tenant_id, alarm.alarm_id),
        "gsi1pk": keys.tenant_alarms(alarm.tenant_id),
        "gsi1sk": order,
        "gsi2pk": keys.site_alarms(alarm.tenant_id, alarm.site_id),
        "gsi2sk": order,
        "tenant_id": alarm.tenant_id,
        "alarm_id": alarm.alarm_id,
        "rule_id": alarm.rule_id,
        "rule_name": alarm.rule_name,
        "device_id": alarm.device_id,
        "device_kind": alarm.device_kind,
        "site_id": alarm.site_id,
        "building_id": alarm.building_id,
        "unit_id": alarm.unit_id,
        "severity": alarm.severity.value,
        "kind": alarm.kind,
        "status": alarm.status.value,
        "raised_at": alarm.raised_at,
        "last_at": alarm.last_at,
        "raise_event_id": alarm.raise_event_id,
        "metric": alarm.metric,
        "value": json.dumps(alarm.value),
        "threshold": _dec(alarm.threshold),
        "count": alarm.count,
        "published_at": alarm.published_at,
        "acknowledged_at": alarm.acknowledged_at,
        "acknowledged_by": alarm.acknowledged_by,
        "cleared_at": alarm.cleared_at,
        "cleared_by": alarm.cleared_by,
        "work_order_category": alarm.work_order_category,
        "work_order_priority": alarm.work_order_priority,
        "notify_roles": list(alarm.notify_roles) or None,
        "notify_residents": alarm.notify_residents,
        "version": alarm.version,
        "device_name": alarm.device_name,
        "device_location": alarm.device_location,
    }


def alarm_from_item(item: Mapping[str, Any]) -> Alarm:
    return Alarm(
        tenant_id=str(item["tenant_id"]),
        alarm_id=str(item["alarm_id"]),
        rule_id=str(item["rule_id"]),
        rule_name=str(item["rule_name"]),
        device_id=str(item["device_id"]),
        device_kind=str(item["device_kind"]),
        site_id=str(item["site_id"]),
        severity=Severity(str(item["severity"])),
        kind=str(item["kind"]),
        status=AlarmStatus(str(item["status"])),
        raised_at=str(item["raised_at"]),
        last_at=str(item["last_at"]),
        raise_event_id=str(item["raise_event_id"]),
        building_id=item.get("building_id"),
        unit_id=item.get("unit_id"),
        metric=item.get("metric"),
        value=json.loads(str(item.get("value", "null"))),
        threshold=_float(item.get("threshold")),
        count=int(item.get("count", 1)),
        published_at=item.get("published_at"),
        acknowledged_at=item.get("acknowledged_at"),
        acknowledged_by=item.get("acknowledged_by"),
        cleared_at=item.get("cleared_at"),
        cleared_by=item.get("cleared_by"),
        work_order_category=item.get("work_order_category"),
        work_order_priority=item.get("work_order_priority"),
        notify_roles=tuple(item.get("notify_roles") or ()),
        notify_residents=bool(item.get("notify_residents", False)),
        version=int(item.get("version", 1)),
        device_name=item.get("device_name"),
        device_location=item.get("device_location"),
    )


def _state_json(rules: Mapping[str, RuleState]) -> str:
    return json.dumps(
        {
            rule_id: [s.phase.value, s.since, s.clear_since, s.last_event_at]
            for rule_id, s in rules.items()
            if s.phase is not Phase.OK
        },
        separators=(",", ":"),
    )


def _state_from_json(text: str) -> dict[str, RuleState]:
    return {
        rule_id: RuleState(Phase(phase), since=since, clear_since=clear_since, last_event_at=last_event_at)
        for rule_id, (phase, since, clear_since, last_event_at) in json.loads(text).items()
    }


# ------------------------------------------------------------------ the repository


@dataclass(frozen=True, slots=True)
class Registration:
    """What a client's Idempotency-Key on POST /devices stands for: the device id every attempt uses."""

    device_id: str
    request_digest: str
    lease_until: int  # epoch seconds; an attempt is under way until then (0: none)


class SensorsRepository:
    def __init__(self, table: Table, aggregate_retention_days: int = 90) -> None:
        self._table = table
        self._retention_s = aggregate_retention_days * 86_400

    # -------------------------------------------------------------- devices

    def put_device(
        self, device: Device, *, expected_version: int | None = None, also: Sequence[dict[str, Any]] = ()
    ) -> None:
        """Store the device; a new one with ``also`` (its audit record) in the same transaction."""
        if expected_version is None and also:
            put = self._table.put_action(device_item(device), "attribute_not_exists(pk)")
            self._table.transact([put, *also])
        elif expected_version is None:
            self._table.put(device_item(device), condition="attribute_not_exists(pk)")
        else:
            self._put_versioned(device_item(device), expected_version)

    # -------------------------------------------------------------- registrations (Idempotency-Key)

    def registration(self, tenant_id: str, user_id: str, key_digest: str) -> Registration | None:
        item = self._table.get(keys.registration(tenant_id, user_id, key_digest), consistent=True)
        if item is None:
            return None
        return Registration(
            str(item["device_id"]), str(item["request_digest"]), int(item.get("lease_until", 0))
        )

    def claim_registration(
        self, tenant_id: str, user_id: str, key_digest: str, registration: Registration, ttl: int
    ) -> None:
        """Reserve the device id for the key, leased to this attempt; a key already claimed is a Conflict."""
        self._table.put(
            {
                **keys.registration(tenant_id, user_id, key_digest),
                "entity": "registration",
                "device_id": registration.device_id,
                "request_digest": registration.request_digest,
                "lease_until": registration.lease_until,
                "ttl": ttl,
            },
            condition="attribute_not_exists(pk)",
            conflict="a registration with this Idempotency-Key is under way; retry shortly",
        )

    def lease_registration(
        self, tenant_id: str, user_id: str, key_digest: str, *, now: int, until: int
    ) -> None:
        """Lease the key's registration to this attempt; one under way (lease not expired) is a Conflict."""
        self._table.update(
            keys.registration(tenant_id, user_id, key_digest),
            "SET lease_until = :until",
            {":until": until, ":now": now},
            condition="attribute_exists(pk) AND lease_until <= :now",
            conflict="a registration with this Idempotency-Key is under way; retry shortly",
        )

    def release_registration(self, tenant_id: str, user_id: str, key_digest: str) -> None:
        """End this attempt's lease (it failed): the client's retry may resume at once."""
        self._table.update(
            keys.registration(tenant_id, user_id, key_digest),
            "SET lease_until = :zero",
            {":zero": 0},
            condition="attribute_exists(pk)",
        )

    def _put_action(
        self, item: Mapping[str, Any], condition: str, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        action = self._table.put_action(item, condition)
        action["Put"]["ExpressionAttributeValues"] = serialize(values)
        return action

    def _put_versioned(self, item: dict[str, Any], expected_version: int) -> None:
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "Item": serialize(item),
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": serialize({":v": expected_version}),
        }
        try:
            self._table.client.put_item(**params)
        except Exception as err:
            if _conditional(err):
                raise Conflict("changed concurrently; read it again") from err
            raise

    def device(self, tenant_id: str, device_id: str, *, consistent: bool = False) -> Device | None:
        item = self._table.get(keys.device(tenant_id, device_id), consistent=consistent)
        return device_from_item(item) if item else None

    def devices(
        self, tenant_id: str, *, site_id: str | None, kind: str | None, limit: int, cursor: str | None
    ) -> Page[Device]:
        if site_id:
            page = self._table.query_page(
                tenant_id,
                partition=keys.site_devices(tenant_id, site_id),
                sk_prefix=f"{kind}#" if kind else None,
                index="gsi1",
                limit=limit,
                cursor=cursor,
                scope=f"devices:{site_id}:{kind or ''}",
            )
        else:
            page = self._table.query_page(
                tenant_id,
                partition=keys.devices_partition(tenant_id),
                sk_prefix="DEVICE#",
                limit=limit,
                cursor=cursor,
                scope="devices",
            )
        found = [device_from_item(i) for i in page.items]
        if kind and not site_id:
            found = [d for d in found if d.kind.value == kind]
        return Page(found, page.next_cursor)

    # -------------------------------------------------------------- rules

    def rules(self, tenant_id: str) -> list[StoredRule]:
        items = self._table.query_all(partition=keys.rules_partition(tenant_id), sk_prefix="RULE#")
        return [rule_from_item(i) for i in items]

    def rule(self, tenant_id: str, rule_id: str) -> StoredRule | None:
        item = self._table.get(keys.rule(tenant_id, rule_id), consistent=True)
        return rule_from_item(item) if item else None

    def put_rule(self, rule: StoredRule, *, expected_version: int | None = None) -> None:
        if expected_version is None:
            self._table.put(rule_item(rule), condition="attribute_not_exists(pk)", conflict="the rule exists")
        else:
            self._put_versioned(rule_item(rule), expected_version)

    def delete_rule(self, tenant_id: str, rule_id: str) -> None:
        self._table.client.delete_item(
            TableName=self._table.name, Key=serialize(keys.rule(tenant_id, rule_id))
        )

    def install_pack(self, tenant_id: str, kind: str, rules: Iterable[StoredRule], at: str) -> bool:
        """Install a kind's default rules once per tenant (a deleted default stays deleted)."""
        try:
            self._table.put(
                {**keys.pack_marker(tenant_id, kind), "installed_at": at},
                condition="attribute_not_exists(pk)",
            )
        except Conflict:
            return False
        for rule in rules:
            try:
                self.put_rule(rule)
            except Conflict:
                continue
        return True

    # -------------------------------------------------------------- evaluation state

    def state(self, tenant_id: str, device_id: str) -> StoredState:
        item = self._table.get(keys.state(tenant_id, device_id), consistent=True)
        if not item:
            return StoredState({}, {}, None, 0)
        return StoredState(
            rules=_state_from_json(str(item.get("rules", "{}"))),
            seen=json.loads(str(item.get("seen", "{}"))),
            last_seen=_float(item.get("last_seen")),
            version=int(item.get("version", 0)),
        )

    def save_state(
        self,
        tenant_id: str,
        device_id: str,
        rules: Mapping[str, RuleState],
        seen: Mapping[str, float],
        last_seen: float | None,
        deadline: datetime | None,
        expected_version: int,
    ) -> int:
        """Write the state if nobody else did since ``expected_version``; return the new version.

        Conflict when another writer (a concurrent container, the heartbeat job, a manual clear) moved it.
        """
        item: dict[str, Any] = {
            **keys.state(tenant_id, device_id),
            "tenant_id": tenant_id,
            "device_id": device_id,
            "rules": _state_json(rules),
            "seen": json.dumps(dict(seen), separators=(",", ":")),
            "last_seen": _dec(last_seen),
            "version": expected_version + 1,
        }
        if deadline is not None:
            item["due_pk"] = keys.due_partition(device_id)
            item["due_sk"] = keys.due_sort(to_iso(deadline), tenant_id, device_id)
        condition = "attribute_not_exists(pk)" if expected_version == 0 else None
        if expected_version:
            self._put_versioned(item, expected_version)
        else:
            self._table.put(item, condition=condition, conflict="state changed concurrently")
        return expected_version + 1

    def due_devices(self, now: datetime, per_shard: int) -> Iterator[DueDevice]:
        """Every device with a deadline at or before ``now``: pages of ``per_shard`` round-robin over the
        shards, taken as the caller goes on (``courtyard.drain``)."""
        upper = f"{to_iso(now)}$"

        def page(shard: int, start: Mapping[str, Any] | None) -> DuePage[DueDevice]:
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": _DUE_INDEX,
                "KeyConditionExpression": "due_pk = :pk AND due_sk < :upper",
                "ExpressionAttributeValues": serialize({":pk": keys.due_shard(shard), ":upper": upper}),
                "ProjectionExpression": "tenant_id, device_id",
                "Limit": max(1, per_shard),
            }
            if start:
                params["ExclusiveStartKey"] = dict(start)
            response = self._table.client.query(**params)
            items = (deserialize(raw) for raw in response.get("Items", []))
            return [DueDevice(str(i["tenant_id"]), str(i["device_id"])) for i in items], response.get(
                "LastEvaluatedKey"
            )

        return shard_pages(page, keys.DUE_SHARDS)

    # -------------------------------------------------------------- alarms

    def open_alarm(self, alarm: Alarm) -> bool:
        """Create the alarm if the (device, rule) has none open; False when one is open already."""
        current = {
            **keys.current(alarm.tenant_id, alarm.device_id, alarm.rule_id),
            "alarm_id": alarm.alarm_id,
            "is_open": True,
        }
        try:
            self._table.transact(
                [
                    self._put_action(
                        current, "attribute_not_exists(pk) OR is_open = :false", {":false": False}
                    ),
                    self._table.put_action(alarm_item(alarm), condition="attribute_not_exists(pk)"),
                ]
            )
        except Conflict:
            return False
        return True

    def current_alarm(self, tenant_id: str, device_id: str, rule_id: str) -> Alarm | None:
        """The open alarm of a (device, rule), if any."""
        item = self._table.get(keys.current(tenant_id, device_id, rule_id), consistent=True)
        if not item or not item.get("is_open"):
            return None
        alarm = self.alarm(tenant_id, str(item["alarm_id"]), consistent=True)
        return alarm if alarm is not None and alarm.open else None

    def alarm(self, tenant_id: str, alarm_id: str, *, consistent: bool = False) -> Alarm | None:
        item = self._table.get(keys.alarm(tenant_id, alarm_id), consistent=consistent)
        return alarm_from_item(item) if item else None

    def update_alarm(
        self, alarm: Alarm, expected_version: int, also: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        """Replace the alarm (same status family) if unchanged since ``expected_version``; with ``also`` (the
        outbox's pending events) in one transaction."""
        if not also:
            self._put_versioned(alarm_item(alarm), expected_version)
            return
        self._table.transact(
            [
                self._put_action(alarm_item(alarm), "version = :v", {":v": expected_version}),
                *(dict(action) for action in also),
            ],
            conflict="changed concurrently; read it again",
        )

    def close_alarm(self, alarm: Alarm, expected_version: int) -> None:
        """Store the cleared alarm and free its (device, rule) for the next one, together."""
        current = keys.current(alarm.tenant_id, alarm.device_id, alarm.rule_id)
        self._table.transact(
            [
                self._put_action(alarm_item(alarm), "version = :v", {":v": expected_version}),
                self._table.update_action(
                    current,
                    "SET is_open = :false",
                    {":false": False, ":id": alarm.alarm_id},
                    "alarm_id = :id",
                ),
            ],
            conflict="the alarm changed concurrently; read it again",
        )

    def alarms(
        self,
        tenant_id: str,
        *,
        status: str | None,
        site_id: str | None,
        severity: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Alarm]:
        index, pk_name, partition = (
            ("gsi2", "gsi2pk", keys.site_alarms(tenant_id, site_id))
            if site_id
            else ("gsi1", "gsi1pk", keys.tenant_alarms(tenant_id))
        )
        scope = f"alarms:{site_id or ''}:{status or ''}:{severity or ''}"
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": index,
            "KeyConditionExpression": f"{pk_name} = :pk",
            "ScanIndexForward": False,
            "Limit": max(1, min(limit, MAX_PAGE)),
        }
        values: dict[str, Any] = {":pk": partition}
        filters = []
        names: dict[str, str] = {}
        if status:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = status
        if severity:
            filters.append("severity = :severity")
            values[":severity"] = severity
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
        if names:
            params["ExpressionAttributeNames"] = names
        params["ExpressionAttributeValues"] = serialize(values)
        start = self._table.cursors.decode(tenant_id, cursor, scope=scope)
        if start:
            params["ExclusiveStartKey"] = serialize(start)
        response = self._table.client.query(**params)
        last = response.get("LastEvaluatedKey")
        return Page(
            [alarm_from_item(deserialize(i)) for i in response.get("Items", [])],
            self._table.cursors.encode(tenant_id, deserialize(last), scope=scope) if last else None,
        )

    # -------------------------------------------------------------- aggregates

    def add_aggregates(
        self, tenant_id: str, device_id: str, hour: str, metrics: Mapping[str, MetricTotals]
    ) -> int:
        """Merge one hour's buffered totals into the stored hour: one update, plus one per extreme that
        beats the stored one. Return the number of writes made."""
        if not metrics:
            return 0
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets: list[str] = []
        adds: list[str] = []
        for index, (metric, totals) in enumerate(sorted(metrics.items())):
            names[f"#m{index}"] = metric
            for part in ("n", "s", "lo", "hi"):
                names[f"#{part}{index}"] = f"{part}_{metric}"
            values[f":n{index}"] = totals.count
            values[f":s{index}"] = _dec(totals.total)
            values[f":lo{index}"] = _dec(totals.low)
            values[f":hi{index}"] = _dec(totals.high)
            adds.extend([f"#n{index} :n{index}", f"#s{index} :s{index}"])
            sets.extend(
                [
                    f"#lo{index} = if_not_exists(#lo{index}, :lo{index})",
                    f"#hi{index} = if_not_exists(#hi{index}, :hi{index})",
                ]
            )
        hour_start = datetime.fromisoformat(f"{hour}:00:00+00:00")
        values[":ttl"] = epoch(hour_start) + self._retention_s
        values[":hour"] = hour
        values[":device"] = device_id
        values[":tenant"] = tenant_id
        sets.extend(["#ttl = :ttl", "#hour = :hour", "device_id = :device", "tenant_id = :tenant"])
        names["#ttl"] = "ttl"
        names["#hour"] = "hour"
        used = {name for name in names if any(name in clause for clause in sets + adds)}
        stored = self._table.client.update_item(
            TableName=self._table.name,
            Key=serialize(keys.aggregate(tenant_id, device_id, hour)),
            UpdateExpression=f"SET {', '.join(sets)} ADD {', '.join(adds)}",
            ExpressionAttributeNames={k: v for k, v in names.items() if k in used},
            ExpressionAttributeValues=serialize(values),
            ReturnValues="ALL_NEW",
        )["Attributes"]
        item = deserialize(stored)
        writes = 1
        for metric, totals in metrics.items():
            for part, mine, better in (("lo", totals.low, float.__lt__), ("hi", totals.high, float.__gt__)):
                attribute = f"{part}_{metric}"
                if better(mine, float(item.get(attribute, mine))):
                    writes += self._improve(tenant_id, device_id, hour, attribute, mine, part == "lo")
        return writes

    def _improve(
        self, tenant_id: str, device_id: str, hour: str, attribute: str, value: float, low: bool
    ) -> int:
        try:
            self._table.client.update_item(
                TableName=self._table.name,
                Key=serialize(keys.aggregate(tenant_id, device_id, hour)),
                UpdateExpression="SET #a = :v",
                ConditionExpression=f"#a {'>' if low else '<'} :v",
                ExpressionAttributeNames={"#a": attribute},
                ExpressionAttributeValues=serialize({":v": _dec(value)}),
            )
        except Exception as err:
            if not _conditional(err):
                raise
        return 1

    def aggregates(
        self, tenant_id: str, device_id: str, start_hour: str, end_hour: str
    ) -> list[HourAggregate]:
        response_items: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": serialize(
                {":pk": keys.aggregates(tenant_id, device_id), ":a": f"H#{start_hour}", ":b": f"H#{end_hour}"}
            ),
        }
        while True:
            response = self._table.client.query(**params)
            response_items.extend(deserialize(i) for i in response.get("Items", []))
            if not response.get("LastEvaluatedKey"):
                break
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [_aggregate_from_item(item) for item in response_items]

    # -------------------------------------------------------------- ledger

    def add_ledger_entry(self, tenant_id: str, device_id: str, entry: LedgerEntry) -> None:
        # The sort key holds the event id: a redelivered event overwrites its own entry, never adds one.
        self._table.put(
            {
                "pk": keys.ledger(tenant_id, device_id),
                "sk": f"{entry.occurred_at}#{entry.event_id}",
                "tenant_id": tenant_id,
                "device_id": device_id,
                "occurred_at": entry.occurred_at,
                "event_id": entry.event_id,
                "ticket_id": entry.ticket_id,
                "what": entry.what,
                "status": entry.status,
            }
        )

    def ledger(self, tenant_id: str, device_id: str, limit: int = 50) -> list[LedgerEntry]:
        response = self._table.client.query(
            TableName=self._table.name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=serialize({":pk": keys.ledger(tenant_id, device_id)}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [
            LedgerEntry(
                occurred_at=str(i["occurred_at"]),
                event_id=str(i["event_id"]),
                ticket_id=str(i["ticket_id"]),
                what=str(i["what"]),
                status=i.get("status"),
            )
            for i in (deserialize(raw) for raw in response.get("Items", []))
        ]


def _aggregate_from_item(item: Mapping[str, Any]) -> HourAggregate:
    metrics: dict[str, MetricTotals] = {}
    for name, value in item.items():
        if name.startswith("n_"):
            metric = name[2:]
            metrics[metric] = MetricTotals(
                count=int(value),
                total=float(item.get(f"s_{metric}", 0)),
                low=float(item.get(f"lo_{metric}", 0)),
                high=float(item.get(f"hi_{metric}", 0)),
            )
    return HourAggregate(str(item["hour"]), metrics)


def _conditional(err: Exception) -> bool:
    from botocore.exceptions import ClientError

    return isinstance(err, ClientError) and is_conditional_failure(err)
