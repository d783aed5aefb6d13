"""Staff rules: managers create and change staff, the desk reads them, staff toggle their own duty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, epoch, to_iso
from courtyard.errors import Conflict, Forbidden, NotFound, Unprocessable
from courtyard.events import DomainEvent
from courtyard.idempotency import KeyUse, same_request
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from directory.access import sees_full_phone, shown_phone
from directory.adapters.cognito_identity import CreatedUser
from directory.staff.models import (
    NewStaff,
    Staff,
    StaffCreate,
    StaffCreated,
    StaffEvent,
    StaffUpdate,
    StaffUpdated,
    ZoneIn,
    is_entity_id,
    username_from_email,
)
from directory.staff.rules import Skill, Zone, beyond_self_service, locks_out_self

READERS = (Role.MANAGER, Role.SERVICE_DESK)
# How long a create's Idempotency-Key is remembered: a client retries within minutes, a day is plenty.
KEY_KEPT = timedelta(hours=24)


class StaffStore(Protocol):
    def add(
        self, staff: Staff, *, replace: bool = False, claim: KeyUse | None = None, claim_ttl: int = 0
    ) -> None: ...
    def claimed(self, tenant_id: str, key_digest: str) -> tuple[str, str] | None: ...
    def request_digest(self, tenant_id: str, digest: str) -> str: ...
    def remove(self, staff: Staff) -> None: ...
    def get(self, tenant_id: str, staff_id: str, *, consistent: bool = False) -> Staff | None: ...
    def staff_id_of_user(self, tenant_id: str, user_id: str) -> str | None: ...
    def page(self, tenant_id: str, *, limit: int, cursor: str | None) -> tuple[list[Staff], str | None]: ...
    def update(self, before: Staff, after: Staff) -> Staff: ...
    def missing_places(
        self, tenant_id: str, zones: Sequence[Zone]
    ) -> tuple[list[str], list[tuple[str, str]]]: ...


class Accounts(Protocol):
    def create_user(
        self, *, username: str, email: str | None, name: str, tenant_id: str, groups: list[str]
    ) -> CreatedUser: ...
    def set_groups(self, username: str, groups: list[str], previous: list[str]) -> None: ...
    def disable(self, username: str) -> None: ...
    def sign_out(self, username: str) -> None: ...
    def enable(self, username: str) -> None: ...
    def delete(self, username: str) -> None: ...


class Publisher(Protocol):
    def publish(self, detail_type: str, detail: DomainEvent) -> None: ...


@dataclass(frozen=True, slots=True)
class StaffFilter:
    """Filters of the staff list, applied to each page after it is read (a page may come back short)."""

    role: Role | None = None
    skill: Skill | None = None
    site_id: str | None = None
    on_duty: bool | None = None

    def matches(self, staff: Staff) -> bool:
        return (
            (self.role is None or self.role in staff.roles)
            and (self.skill is None or self.skill in staff.skills)
            and (self.site_id is None or any(z.site_id == self.site_id for z in staff.zones))
            and (self.on_duty is None or staff.on_duty == self.on_duty)
        )


@dataclass(frozen=True, slots=True)
class Shown:
    """A staff record as the caller may see it: ``phone`` masked or full."""

    staff: Staff
    phone: str | None
    full: bool


class StaffService:
    def __init__(
        self, repo: StaffStore, accounts: Accounts, audit: AuditLog, events: Publisher, clock: Clock
    ) -> None:
        self._repo = repo
        self._accounts = accounts
        self._audit = audit
        self._events = events
        self._clock = clock

    # ------------------------------------------------------------------ writes

    def create(
        self, ctx: TenantContext, req: StaffCreate, idempotency_key: str | None = None
    ) -> tuple[NewStaff, bool]:
        """A staff record with an account whose groups are the roles; bad input writes nothing.

        ``(new staff, False)`` answers a retry of the caller's Idempotency-Key: the same staff member,
        without a password (it is shown once, and never stored).
        """
        ctx.require(Role.MANAGER)
        key = KeyUse.of(
            ctx.user_id, idempotency_key, req, keyed=lambda d: self._repo.request_digest(ctx.tenant_id, d)
        )
        if key is not None:
            replay = self._replay(ctx, key)
            if replay is not None:
                return replay, False
        zones = _zones(req.zones)
        self._check_places(ctx.tenant_id, zones)
        username = req.username or username_from_email(req.email)
        now = to_iso(self._clock.now())
        account = self._accounts.create_user(
            username=username,
            email=req.email,
            name=req.name,
            tenant_id=ctx.tenant_id,
            groups=[r.value for r in req.roles],
        )
        staff = Staff(
            tenant_id=ctx.tenant_id,
            staff_id=new_id(),
            name=req.name,
            email=req.email,
            username=account.username,
            user_id=account.user_id,
            roles=tuple(req.roles),
            zones=zones,
            skills=tuple(req.skills),
            phone=req.phone,
            on_duty=req.on_duty,
            active=True,
            created_at=now,
            created_by=ctx.user_id,
            updated_at=now,
        )
        try:
            self._repo.add(staff, claim=key, claim_ttl=epoch(self._clock.now() + KEY_KEPT))
        except Exception as failed:
            # An account without a record could sign in as nobody and would block its username forever.
            self._accounts.delete(account.username)
            if key is not None and isinstance(failed, Conflict):
                # A concurrent retry with the same key won the claim: answer as the retry it is.
                replay = self._replay(ctx, key)
                if replay is not None:
                    return replay, False
            raise
        self._audit.record(ctx, "create", "staff", staff.staff_id, {"fields": sorted(req.model_fields_set)})
        self._events.publish("StaffCreated", self._event(StaffCreated, staff))
        return NewStaff(staff=staff, temporary_password=account.temporary_password), True

    def _replay(self, ctx: TenantContext, key: KeyUse) -> NewStaff | None:
        claimed = self._repo.claimed(ctx.tenant_id, key.key_digest)
        if claimed is None:
            return None
        staff_id, request_digest = claimed
        same_request(key, request_digest)
        staff = self._repo.get(ctx.tenant_id, staff_id, consistent=True)
        return NewStaff(staff=staff, temporary_password=None) if staff is not None else None

    def create_first_manager(self, ctx: TenantContext, staff: Staff) -> None:
        """Write an onboarded tenant's first manager (rewritable: onboarding retries converge)."""
        ctx.require(Role.PLATFORM_ADMIN)
        self._repo.add(staff, replace=True)

    def update(self, ctx: TenantContext, staff_id: str, req: StaffUpdate) -> Shown:
        """A manager changes anything; a staff member changes only their own ``on_duty``."""
        before = self._readable(ctx, staff_id, for_update=True)
        editing_self = before.user_id == ctx.user_id
        if not ctx.has_role(Role.MANAGER):
            refused = beyond_self_service(req.changed_fields())
            if refused:
                raise Forbidden(f"staff may change only their own on_duty, not: {', '.join(refused)}")
        if locks_out_self(editing_self=editing_self, roles=req.roles, active=req.active):
            raise Unprocessable("a manager cannot remove their own manager role or deactivate themself")
        zones = _zones(req.zones) if req.zones is not None else before.zones
        if req.zones is not None:
            self._check_places(ctx.tenant_id, zones)
        active = before.active if req.active is None else req.active
        on_duty = before.on_duty if req.on_duty is None else req.on_duty
        if not active and req.on_duty:
            raise Unprocessable("an inactive staff member cannot be on duty")
        after = replace(
            before,
            name=req.name if req.name is not None else before.name,
            phone=req.phone if req.phone is not None else before.phone,
            roles=tuple(req.roles) if req.roles is not None else before.roles,
            zones=zones,
            skills=tuple(req.skills) if req.skills is not None else before.skills,
            active=active,
            # Leaving means going off duty: dispatch must not pick a deactivated account.
            on_duty=on_duty and active,
        )
        changed = _changed(before, after)
        if not changed:
            return self._show(ctx, before)
        # The account first: a failed record write is then fixed by retrying the same change.
        self._sync_account(before, after)
        saved = self._repo.update(before, replace(after, updated_at=to_iso(self._clock.now())))
        self._audit.record(ctx, "update", "staff", staff_id, {"fields": changed})
        self._events.publish("StaffUpdated", self._event(StaffUpdated, saved, changed=changed))
        return self._show(ctx, saved)

    # ------------------------------------------------------------------ reads

    def get(self, ctx: TenantContext, staff_id: str) -> Shown:
        shown = self._show(ctx, self._readable(ctx, staff_id))
        if shown.full:
            self._audit.record(ctx, "read_personal_data", "staff", staff_id, {"fields": ["phone"]})
        return shown

    def list(
        self, ctx: TenantContext, filters: StaffFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Shown], str | None]:
        ctx.require(*READERS)
        staff, next_cursor = self._repo.page(ctx.tenant_id, limit=limit, cursor=cursor)
        shown = [self._show(ctx, s) for s in staff if filters.matches(s)]
        full = [s.staff.staff_id for s in shown if s.full]
        if full:
            self._audit.record(
                ctx, "read_personal_data", "staff", None, {"fields": ["phone"], "staff_ids": full}
            )
        return shown, next_cursor

    # ------------------------------------------------------------------ helpers

    def _readable(self, ctx: TenantContext, staff_id: str, *, for_update: bool = False) -> Staff:
        """The record if the caller may see it: readers see everyone, other staff only themselves."""
        if not is_entity_id(staff_id):
            raise NotFound("staff member")
        privileged = ctx.has_role(Role.MANAGER) if for_update else ctx.has_role(*READERS)
        if not privileged and (
            not ctx.is_staff or self._repo.staff_id_of_user(ctx.tenant_id, ctx.user_id) != staff_id
        ):
            raise Forbidden("staff records are read by managers and the service desk, or by their owner")
        staff = self._repo.get(ctx.tenant_id, staff_id, consistent=for_update)
        if staff is None:
            raise NotFound("staff member")
        return staff

    def _show(self, ctx: TenantContext, staff: Staff) -> Shown:
        full = staff.phone is not None and sees_full_phone(ctx, staff.user_id)
        return Shown(staff, shown_phone(staff.phone, full), full)

    def _check_places(self, tenant_id: str, zones: Sequence[Zone]) -> None:
        sites, buildings = self._repo.missing_places(tenant_id, zones)
        if not sites and not buildings:
            return
        index = {z.site_id: i for i, z in enumerate(zones)}
        details: list[dict[str, Any]] = [
            {
                "loc": ["body", "zones", str(index[s]), "site_id"],
                "type": "unknown_site",
                "msg": "no such site",
            }
            for s in sites
        ] + [
            {
                "loc": ["body", "zones", str(index[s]), "building_ids"],
                "type": "unknown_building",
                "msg": f"no building {b} in this site",
            }
            for s, b in buildings
        ]
        raise Unprocessable("a zone names a site or building that does not exist", details)

    def _sync_account(self, before: Staff, after: Staff) -> None:
        if set(after.roles) != set(before.roles):
            self._accounts.set_groups(
                before.username, [r.value for r in after.roles], [r.value for r in before.roles]
            )
        if before.active and not after.active:
            self._accounts.disable(before.username)  # refuses sign-in and revokes the sessions
        elif set(after.roles) != set(before.roles):
            # Refresh tokens would mint new tokens with the old groups' claims until they expire; the
            # resolver's standing check covers the tokens already issued.
            self._accounts.sign_out(before.username)
        elif after.active and not before.active:
            self._accounts.enable(before.username)

    def _event(self, kind: type[StaffEvent], staff: Staff, **extra: Any) -> StaffEvent:
        return kind(
            tenant_id=staff.tenant_id,
            occurred_at=self._clock.now(),
            staff_id=staff.staff_id,
            roles=[r.value for r in staff.roles],
            skills=[s.value for s in staff.skills],
            zones=[{"site_id": z.site_id, "building_ids": list(z.building_ids)} for z in staff.zones],
            on_duty=staff.on_duty,
            active=staff.active,
            **extra,
        )


def _zones(zones: Sequence[ZoneIn]) -> tuple[Zone, ...]:
    return tuple(Zone(site_id=z.site_id, building_ids=tuple(z.building_ids)) for z in zones)


def _changed(before: Staff, after: Staff) -> list[str]:
    fields = ("name", "phone", "roles", "zones", "skills", "on_duty", "active")
    changed = [f for f in fields if getattr(before, f) != getattr(after, f)]
    # Order-only differences are no change (roles and skills are sets).
    return sorted(
        f
        for f in changed
        if f not in ("roles", "skills") or set(getattr(before, f)) != set(getattr(after, f))
    )
