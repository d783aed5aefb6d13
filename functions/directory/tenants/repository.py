"""Tenant records and onboarding idempotency claims in the directory table.

Items: the tenant ``Keys.tenant(t)`` (what ``DirectoryReader.tenant`` reads: name, status, currency, locale,
timezone; plus limits, manager, audit fields) and the claim of an ``Idempotency-Key`` under the calling
platform admin's own tenant: ``tenant_key(admin_tenant, "IDEMPOTENCY", "tenants", sha256(key)) / CLAIM``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from courtyard.directory import Keys
from courtyard.dynamo import tenant_key
from courtyard.errors import Conflict
from directory.table import DirectoryTable
from directory.tenants.models import Tenant, TenantStatus

CLAIM_SK = "CLAIM"


@dataclass(frozen=True, slots=True)
class Claim:
    """Which tenant an Idempotency-Key stands for, and a digest of the request that first used it."""

    tenant_id: str
    request_digest: str
    fresh: bool


class TenantRepository:
    def __init__(self, table: DirectoryTable) -> None:
        self._table = table

    def claim(self, owner_tenant_id: str, key: str, *, tenant_id: str, request_digest: str, at: str) -> Claim:
        """Reserve ``tenant_id`` for ``key``; if the key was claimed before, the earlier claim wins."""
        claim_key = _claim_key(owner_tenant_id, key)
        try:
            self._table.put(
                {
                    **claim_key,
                    "tenant_id": tenant_id,
                    "request_digest": request_digest,
                    "created_at": at,
                },
                condition="attribute_not_exists(pk)",
            )
        except Conflict:
            item = self._table.get(claim_key, consistent=True)
            if item is None:  # released between our write and read: a later retry claims it afresh
                raise Conflict("this Idempotency-Key is being used by another request; retry") from None
            return Claim(str(item["tenant_id"]), str(item["request_digest"]), fresh=False)
        return Claim(tenant_id, request_digest, fresh=True)

    def release(self, owner_tenant_id: str, key: str) -> None:
        self._table.transact([self._table.delete_action(_claim_key(owner_tenant_id, key))])

    def get(self, tenant_id: str, *, consistent: bool = False) -> Tenant | None:
        item = self._table.get(Keys.tenant(tenant_id), consistent=consistent)
        return _tenant(item) if item else None

    def start(self, tenant: Tenant) -> None:
        """The provisioning record: reserves the id and remembers what a retry must finish."""
        self._table.put(_item(tenant), condition="attribute_not_exists(pk)", conflict="tenant already exists")

    def discard(self, tenant_id: str) -> None:
        """Delete a tenant that never became active (onboarding rolled back)."""
        self._table.transact([self._table.delete_action(Keys.tenant(tenant_id))])

    def activate(self, tenant_id: str, *, manager_user_id: str, at: str) -> Tenant:
        item = self._table.update(
            Keys.tenant(tenant_id),
            "SET #s = :active, updated_at = :at, manager.user_id = :uid",
            {
                ":active": TenantStatus.ACTIVE.value,
                ":at": at,
                ":uid": manager_user_id,
                ":prov": TenantStatus.PROVISIONING.value,
            },
            names={"#s": "status"},
            condition="#s = :prov",
            conflict="tenant is not being onboarded",
        )
        return _tenant(item)

    def suspend(self, tenant_id: str, *, at: str, by: str, reason: str | None) -> Tenant:
        expression = "SET #s = :new, updated_at = :at, suspended_at = :at, suspended_by = :by"
        values: dict[str, Any] = {":new": "suspended", ":at": at, ":by": by, ":old": "active"}
        if reason:
            expression += ", suspension_reason = :reason"
            values[":reason"] = reason
        else:
            expression += " REMOVE suspension_reason"
        return self._change_status(tenant_id, expression, values)

    def reactivate(self, tenant_id: str, *, at: str, by: str) -> Tenant:
        return self._change_status(
            tenant_id,
            "SET #s = :new, updated_at = :at, reactivated_at = :at, reactivated_by = :by"
            " REMOVE suspended_at, suspended_by, suspension_reason",
            {":new": "active", ":at": at, ":by": by, ":old": "suspended"},
        )

    def _change_status(self, tenant_id: str, expression: str, values: dict[str, Any]) -> Tenant:
        item = self._table.update(
            Keys.tenant(tenant_id),
            expression,
            values,
            names={"#s": "status"},
            condition="attribute_exists(pk) AND #s = :old",
            conflict="the tenant's status changed meanwhile",
        )
        return _tenant(item)


def _claim_key(owner_tenant_id: str, key: str) -> dict[str, str]:
    # Hashed: a client's key may hold the key separator, and it need not be stored as sent.
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {"pk": tenant_key(owner_tenant_id, "IDEMPOTENCY", "tenants", digest), "sk": CLAIM_SK}


def _item(tenant: Tenant) -> dict[str, Any]:
    return {
        **Keys.tenant(tenant.tenant_id),
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "status": tenant.status.value,
        "currency": tenant.currency,
        "locale": tenant.locale,
        "timezone": tenant.timezone,
        "limits": {"households": tenant.households, "devices": tenant.devices},
        "manager": {"staff_id": tenant.manager_staff_id, "username": tenant.manager_username},
        "creation_event_id": tenant.creation_event_id,
        "request_digest": tenant.request_digest,
        "created_at": tenant.created_at,
        "created_by": tenant.created_by,
        "updated_at": tenant.updated_at,
    }


def _tenant(item: dict[str, Any]) -> Tenant:
    limits = item.get("limits") or {}
    manager = item.get("manager") or {}
    return Tenant(
        tenant_id=str(item["tenant_id"]),
        name=str(item["name"]),
        status=TenantStatus(item.get("status", "active")),
        currency=str(item.get("currency", "CNY")),
        locale=str(item.get("locale", "zh-CN")),
        timezone=str(item.get("timezone", "Asia/Shanghai")),
        households=int(limits.get("households", 0)),
        devices=int(limits.get("devices", 0)),
        created_at=str(item.get("created_at", "")),
        created_by=str(item.get("created_by", "")),
        updated_at=str(item.get("updated_at", item.get("created_at", ""))),
        manager_staff_id=str(manager.get("staff_id", "")),
        manager_username=str(manager.get("username", "")),
        manager_user_id=str(manager["user_id"]) if manager.get("user_id") else None,
        creation_event_id=str(item.get("creation_event_id", "")),
        request_digest=str(item.get("request_digest", "")),
        suspended_at=str(item["suspended_at"]) if item.get("suspended_at") else None,
        suspended_by=str(item["suspended_by"]) if item.get("suspended_by") else None,
        suspension_reason=str(item["suspension_reason"]) if item.get("suspension_reason") else None,
    )
