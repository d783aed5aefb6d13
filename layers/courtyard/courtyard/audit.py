"""The audit trail: who did what to which resource, when, in which tenant; kept ``retention_days`` by TTL.

One record per write and per read of personal data. ``details`` carries field *names*, counts and ids
(``{"fields": ["phone"]}``), never personal data values: the writer refuses strings that look like a phone
number, an ID number or a plate, as a last line of defence.

The audit table has no secondary index (issue 18): a record's key is its tenant's day and its time
(``T#{tenant}#AUDIT#{day}`` / ``{at}#{id}``), so a day's trail is one query and a record is written once
(inside the write's transaction when it audits one), never copied.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from courtyard import aws
from courtyard.clock import Clock, epoch, to_iso
from courtyard.dynamo import tenant_key
from courtyard.ids import new_id
from courtyard.tenancy import TenantContext

MIN_RETENTION_DAYS = 180
SYSTEM_ACTOR = "system"
# Records of actions outside any tenant (platform operators, scheduled jobs) live under this marker;
# the leading underscore keeps it apart from real tenant ids (ULIDs, slugs).
PLATFORM_TENANT = "_platform"

# Personal data values as they appear in text: what audit details refuse and what the log scans look for.
PERSONAL_DATA_PATTERNS = (
    # Mainland mobile number, standing alone: the digits inside a UUID's hex group (a user id) are not one.
    re.compile(r"(?<![0-9A-Za-z])(?:\+?86)?1[3-9]\d{9}(?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),  # resident ID number
    re.compile(r"[\u4e00-\u9fff][A-Z][·\s-]?[A-Z0-9]{5,6}(?![A-Za-z0-9])"),  # licence plate
)


class AuditLog(Protocol):
    """The audit trail as a service takes it: ``AuditWriter`` in a function, ``RecordedAudit``
    (tests/fakes/kernel.py) in the unit tests; one Protocol for every feature's services."""

    def record(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        *,
        tenant_id: str | None = None,
    ) -> object: ...


class TransactionalAuditLog(AuditLog, Protocol):
    """An audit trail that can also hand its record to a transaction (``AuditWriter.put_action``)."""

    def put_action(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        *,
        tenant_id: str | None = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class AuditRecord:
    pk: str
    sk: str
    audit_id: str
    at: str
    expires_at: int


class AuditWriter:
    def __init__(self, table_name: str, retention_days: int, clock: Clock, client: Any | None = None) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"audit retention must be at least {MIN_RETENTION_DAYS} days")
        self.table_name = table_name
        self.retention_days = retention_days
        self._clock = clock
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("dynamodb")

    def record(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        *,
        tenant_id: str | None = None,
    ) -> AuditRecord:
        """Write one audit record on its own (reads, and writes that are not a transaction).

        The tenant is ``ctx.tenant_id``; without a context (an event consumer, a schedule) pass ``tenant_id``,
        or leave both out for a platform-level action. ``actor`` defaults to the caller's user id.
        """
        record, item = self._build(ctx, action, resource, resource_id, details, actor, tenant_id)
        # Append-only: a record is never replaced (the functions' IAM policy allows nothing but PutItem).
        self.client.put_item(
            TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)"
        )
        return record

    def put_action(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        *,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        """The audit record as a TransactWriteItems ``Put``, to commit in the same transaction as the write.

        Same record and checks as ``record``; the write and its audit record then commit together, so a
        retried request never finds its write stored but unaudited (and a replay never audits it twice).
        """
        _, item = self._build(ctx, action, resource, resource_id, details, actor, tenant_id)
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _build(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None,
        details: dict[str, Any] | None,
        actor: str | None,
        tenant_id: str | None,
    ) -> tuple[AuditRecord, dict[str, Any]]:
        if not action or not resource:
            raise ValueError("action and resource are required")
        if ctx is not None and tenant_id is not None and tenant_id != ctx.tenant_id:
            raise ValueError("tenant_id differs from the caller's tenant")
        tenant = ctx.tenant_id if ctx is not None else (tenant_id or PLATFORM_TENANT)
        if details:
            _refuse_personal_values(details)

        now = self._clock.now()
        audit_id = new_id()
        at = to_iso(now)
        record = AuditRecord(
            pk=tenant_key(tenant, "AUDIT", now.strftime("%Y-%m-%d")),
            sk=f"{at}#{audit_id}",
            audit_id=audit_id,
            at=at,
            expires_at=epoch(now) + self.retention_days * 86_400,
        )
        item: dict[str, Any] = {
            "pk": {"S": record.pk},
            "sk": {"S": record.sk},
            "tenant_id": {"S": tenant},
            "actor": {"S": actor or (ctx.user_id if ctx is not None else SYSTEM_ACTOR)},
            "roles": {"L": [{"S": role} for role in sorted(ctx.roles)] if ctx is not None else []},
            "action": {"S": action},
            "resource": {"S": resource},
            "at": {"S": at},
            "expires_at": {"N": str(record.expires_at)},
        }
        if resource_id is not None:
            item["resource_id"] = {"S": resource_id}
        if ctx is not None and ctx.on_behalf_of:
            item["on_behalf_of"] = {"S": ctx.on_behalf_of}
            if ctx.assist_reason:
                item["assist_reason"] = {"S": ctx.assist_reason}
        if details:
            # JSON text rather than a map: any JSON-able shape is accepted and no float conversion can fail.
            item["details"] = {"S": json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)}
        return record, item


def _refuse_personal_values(value: Any) -> None:
    if isinstance(value, str):
        if any(pattern.search(value) for pattern in PERSONAL_DATA_PATTERNS):
            raise ValueError("audit details must name fields, not carry personal data values")
    elif isinstance(value, int) and not isinstance(value, bool):
        _refuse_personal_values(str(value))
    elif isinstance(value, dict):
        for key, inner in value.items():
            _refuse_personal_values(key)
            _refuse_personal_values(inner)
    elif isinstance(value, list | tuple | set | frozenset):
        for inner in value:
            _refuse_personal_values(inner)
