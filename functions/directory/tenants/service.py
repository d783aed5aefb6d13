"""Tenant onboarding and lifecycle, for platform admins: create with a first manager, suspend, reactivate.

Onboarding writes in an order a retry can finish: claim the Idempotency-Key -> tenant "provisioning" ->
Cognito account -> manager's staff record -> audit -> TenantCreated (fixed event id) -> "active". The
temporary password is returned once and never stored, logged or audited; a retry that finds the tenant
still provisioning issues a fresh one (the first never reached anyone), one that finds it active returns null.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any, Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, parse_iso, to_iso
from courtyard.errors import Conflict, NotFound, Unprocessable
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from directory.adapters.cognito_identity import Account
from directory.staff.models import Staff, is_entity_id, username_from_email
from directory.staff.service import Accounts, Publisher, StaffStore
from directory.tenants.models import (
    Onboarded,
    Tenant,
    TenantCreate,
    TenantCreated,
    TenantReactivated,
    TenantStatus,
    TenantSuspended,
)
from directory.tenants.repository import Claim


class UsernameTaken(Conflict):
    """The first manager's username belongs to an account of someone else: no retry can finish."""

    def __init__(self) -> None:
        super().__init__("an account with this username already exists")


class TenantStore(Protocol):
    def claim(
        self, owner_tenant_id: str, key: str, *, tenant_id: str, request_digest: str, at: str
    ) -> Claim: ...
    def release(self, owner_tenant_id: str, key: str) -> None: ...
    def get(self, tenant_id: str, *, consistent: bool = False) -> Tenant | None: ...
    def start(self, tenant: Tenant) -> None: ...
    def discard(self, tenant_id: str) -> None: ...
    def activate(self, tenant_id: str, *, manager_user_id: str, at: str) -> Tenant: ...
    def suspend(self, tenant_id: str, *, at: str, by: str, reason: str | None) -> Tenant: ...
    def reactivate(self, tenant_id: str, *, at: str, by: str) -> Tenant: ...


class ManagerAccounts(Accounts, Protocol):
    def find(self, username: str) -> Account | None: ...
    def issue_temporary_password(self, username: str) -> str: ...


class TenantService:
    def __init__(
        self,
        tenants: TenantStore,
        staff: StaffStore,
        accounts: ManagerAccounts,
        audit: AuditLog,
        events: Publisher,
        clock: Clock,
    ) -> None:
        self._tenants = tenants
        self._staff = staff
        self._accounts = accounts
        self._audit = audit
        self._events = events
        self._clock = clock

    def create(self, ctx: TenantContext, req: TenantCreate, idempotency_key: str | None) -> Onboarded:
        ctx.require(Role.PLATFORM_ADMIN)
        username = req.manager.username or username_from_email(req.manager.email)
        digest = _request_digest(req, username)
        now = to_iso(self._clock.now())
        tenant: Tenant | None = None
        tenant_id = new_id()
        claim: Claim | None = None
        if idempotency_key:
            claim = self._tenants.claim(
                ctx.tenant_id, idempotency_key, tenant_id=tenant_id, request_digest=digest, at=now
            )
            if claim.request_digest != digest:
                raise Unprocessable("this Idempotency-Key was already used for a different request")
            tenant_id = claim.tenant_id
            tenant = self._tenants.get(tenant_id, consistent=True)
            if tenant is not None and tenant.status is not TenantStatus.PROVISIONING:
                return Onboarded(tenant, req.manager.name, req.manager.email, None, replayed=True)

        resumed = tenant is not None
        if tenant is None:
            if self._accounts.find(username) is not None:
                if idempotency_key and claim is not None and claim.fresh:
                    self._give_up(ctx, idempotency_key, None)
                raise UsernameTaken()
            tenant = Tenant(
                tenant_id=tenant_id,
                name=req.name,
                status=TenantStatus.PROVISIONING,
                currency=req.currency,
                locale=req.locale,
                timezone=req.timezone,
                households=req.limits.households,
                devices=req.limits.devices,
                created_at=now,
                created_by=ctx.user_id,
                updated_at=now,
                manager_staff_id=new_id(),
                manager_username=username,
                creation_event_id=new_id(),
                request_digest=digest,
            )
            self._tenants.start(tenant)
        try:
            return self._finish(ctx, tenant, req, resumed=resumed)
        except UsernameTaken:
            # Someone else holds the username: no retry can finish this tenant, so roll it back entirely.
            self._give_up(ctx, idempotency_key, tenant)
            raise
        except Exception:
            # With a key the client retries and the retry converges; without one, nothing may stay behind.
            if not idempotency_key:
                self._give_up(ctx, None, tenant)
            raise

    def get(self, ctx: TenantContext, tenant_id: str) -> Tenant:
        ctx.require(Role.PLATFORM_ADMIN)
        return self._existing(tenant_id)

    def suspend(self, ctx: TenantContext, tenant_id: str, reason: str | None) -> Tenant:
        ctx.require(Role.PLATFORM_ADMIN)
        tenant = self._existing(tenant_id)
        if tenant_id == ctx.tenant_id:
            raise Unprocessable("the platform's own tenant cannot be suspended")
        if tenant.status is not TenantStatus.ACTIVE:
            raise Conflict(f"the tenant is {tenant.status.value}, not active")
        now = self._clock.now()
        updated = self._tenants.suspend(tenant_id, at=to_iso(now), by=ctx.user_id, reason=reason)
        self._audit_both(ctx, "suspend", tenant_id, {"has_reason": bool(reason)})
        self._events.publish("TenantSuspended", TenantSuspended(tenant_id=tenant_id, occurred_at=now))
        return updated

    def reactivate(self, ctx: TenantContext, tenant_id: str) -> Tenant:
        ctx.require(Role.PLATFORM_ADMIN)
        tenant = self._existing(tenant_id)
        if tenant.status is not TenantStatus.SUSPENDED:
            raise Conflict(f"the tenant is {tenant.status.value}, not suspended")
        now = self._clock.now()
        updated = self._tenants.reactivate(tenant_id, at=to_iso(now), by=ctx.user_id)
        self._audit_both(ctx, "reactivate", tenant_id, {})
        self._events.publish("TenantReactivated", TenantReactivated(tenant_id=tenant_id, occurred_at=now))
        return updated

    # ------------------------------------------------------------------ onboarding steps

    def _finish(self, ctx: TenantContext, tenant: Tenant, req: TenantCreate, *, resumed: bool) -> Onboarded:
        username = tenant.manager_username
        account = self._accounts.find(username) if resumed else None
        if account is None:
            try:
                created = self._accounts.create_user(
                    username=username,
                    email=req.manager.email,
                    name=req.manager.name,
                    tenant_id=tenant.tenant_id,
                    groups=[Role.MANAGER.value],
                )
            except Conflict as error:
                raise UsernameTaken() from error
            user_id, password = created.user_id, created.temporary_password
        elif account.tenant_id == tenant.tenant_id:
            # An earlier attempt made the account, but its password never reached anyone.
            user_id, password = account.user_id, self._accounts.issue_temporary_password(username)
        else:
            raise UsernameTaken()
        self._staff.add(
            Staff(
                tenant_id=tenant.tenant_id,
                staff_id=tenant.manager_staff_id,
                name=req.manager.name,
                email=req.manager.email,
                username=username,
                user_id=user_id,
                roles=(Role.MANAGER,),
                phone=req.manager.phone,
                created_at=tenant.created_at,
                created_by=ctx.user_id,
                updated_at=tenant.created_at,
            ),
            replace=True,
        )
        fields = sorted({"name", "currency", "locale", "timezone", "limits", "manager"})
        self._audit_both(
            ctx, "create", tenant.tenant_id, {"fields": fields, "manager": tenant.manager_staff_id}
        )
        self._events.publish(
            "TenantCreated",
            TenantCreated(
                event_id=tenant.creation_event_id,
                tenant_id=tenant.tenant_id,
                occurred_at=parse_iso(tenant.created_at),
                name=tenant.name,
            ),
        )
        active = self._tenants.activate(
            tenant.tenant_id, manager_user_id=user_id, at=to_iso(self._clock.now())
        )
        return Onboarded(active, req.manager.name, req.manager.email, password, replayed=False)

    def _give_up(self, ctx: TenantContext, idempotency_key: str | None, tenant: Tenant | None) -> None:
        """Best-effort rollback of a tenant no retry can finish; the caller sees the original error."""
        if tenant is not None:
            with contextlib.suppress(Exception):
                account = self._accounts.find(tenant.manager_username)
                if account is not None and account.tenant_id == tenant.tenant_id:
                    self._accounts.delete(tenant.manager_username)
                    self._staff.remove(_placeholder_staff(tenant, account.user_id))
            with contextlib.suppress(Exception):
                self._tenants.discard(tenant.tenant_id)
        if idempotency_key:
            with contextlib.suppress(Exception):
                self._tenants.release(ctx.tenant_id, idempotency_key)

    # ------------------------------------------------------------------ helpers

    def _existing(self, tenant_id: str) -> Tenant:
        tenant = self._tenants.get(tenant_id, consistent=True) if is_entity_id(tenant_id) else None
        if tenant is None:
            raise NotFound("tenant")
        return tenant

    def _audit_both(self, ctx: TenantContext, action: str, tenant_id: str, details: dict[str, Any]) -> None:
        """In the platform's trail (who acted) and in the tenant's own (what happened to it)."""
        self._audit.record(ctx, action, "tenant", tenant_id, details)
        if tenant_id != ctx.tenant_id:
            self._audit.record(
                None, action, "tenant", tenant_id, details, actor=ctx.user_id, tenant_id=tenant_id
            )


def _request_digest(req: TenantCreate, username: str) -> str:
    """Identifies the request without storing it (it holds the manager's contact details)."""
    document = req.model_dump(mode="json")
    document["manager"]["username"] = username
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _placeholder_staff(tenant: Tenant, user_id: str) -> Staff:
    """Just enough of the manager's record to name its keys for deletion."""
    return Staff(
        tenant_id=tenant.tenant_id,
        staff_id=tenant.manager_staff_id,
        name="",
        email=None,
        username=tenant.manager_username,
        user_id=user_id,
        roles=(),
    )
