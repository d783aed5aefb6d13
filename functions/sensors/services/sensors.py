"""The sensors API's rules: who may do what, device registry and provisioning, alarm rules, alarms.

Managers manage devices and rules; technicians, the service desk and guards read devices and alarms and
acknowledge or clear alarms; residents and finance have no access (403). Another tenant's device, rule or
alarm is 404: every key is tenant-scoped, so it is simply not found.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, epoch, to_iso
from courtyard.directory import DirectoryReader
from courtyard.dynamo import Page
from courtyard.errors import Conflict, NotFound, Unprocessable, idempotency_key_reused
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from iot.kinds import is_battery
from sensors import rule_test
from sensors.adapters.iot_registry import Credentials
from sensors.aggregates import hour_of
from sensors.defaults import default_rule_id, default_rules
from sensors.domain import Device, DeviceStatus
from sensors.engine import HoursCheck, Reading, compile_rule
from sensors.lifecycle import Alarm
from sensors.models import DeviceCreate, DeviceUpdate, RuleTestRequest
from sensors.repository import HourAggregate, LedgerEntry, Registration, SensorsRepository, StoredRule
from sensors.rules import RuleSpec
from sensors.services.alarm_book import AlarmBook

MANAGE = (Role.MANAGER,)
WATCH = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.GUARD)
MAX_TELEMETRY_HOURS = 24 * 31


# How long a client may retry a registration with the same Idempotency-Key and get the same device.
REGISTRATION_KEY_HOURS = 24
# An attempt's lease on its key: longer than the function's timeout (template Globals: 10 s), so a
# concurrent request with the same key waits, and a crashed attempt's lease runs out.
REGISTRATION_LEASE_SECONDS = 30


class Registry(Protocol):
    def provision(
        self, tenant_id: str, site_id: str, thing_name: str, *, battery: bool = False, resume: bool = False
    ) -> Credentials: ...
    def unprovision(self, thing_name: str, certificate_arn: str | None) -> None: ...
    def revoke(self, certificate_id: str) -> None: ...


@dataclass(frozen=True)
class Registered:
    """A registered device; ``credentials`` only when provisioned by this request, ``created`` False on a
    replay of the same Idempotency-Key."""

    device: Device
    credentials: Credentials | None
    created: bool


class SensorsService:
    def __init__(
        self,
        repo: SensorsRepository,
        book: AlarmBook,
        registry: Registry,
        directory: DirectoryReader,
        audit: AuditWriter,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._book = book
        self._registry = registry
        self._directory = directory
        self._audit = audit
        self._clock = clock

    # -------------------------------------------------------------- devices

    def register(
        self, ctx: TenantContext, body: DeviceCreate, idempotency_key: str | None = None
    ) -> Registered:
        """Register a device; with ``provision``, its IoT thing (named after the device id), a certificate
        and the site's policy.

        Idempotency-Key (the caller's own within the tenant): the first attempt claims a device id for the
        key before anything is provisioned, and every retry uses that id, so a retry resumes the same
        registration instead of starting a second one. An attempt holds a lease on the claim while it works
        (a concurrent request with the same key is 409 "under way"); a failed attempt releases it.

        Never an orphan: the default rules are installed (idempotently) before provisioning, so the
        device's own write is the registration's last step before the audit. Provisioning removes what it
        created when one of its later IoT calls fails; when the device write fails, the certificate and the
        thing are removed before the error (503) is answered, unless the write turns out to have landed.
        A resumed attempt removes any certificate an earlier attempt left on the thing.

        The private key is shown once, on the 201 of the attempt that completes the registration. An
        attempt that failed before the device was stored deleted its certificate (nobody ever saw its key),
        and the retry that completes the registration creates a fresh one and answers 201 with it. A
        completed registration replayed with the same key answers 200 with the device and no credentials:
        Courtyard never keeps the private key, so it cannot show it again (a device whose key was lost is
        deactivated and registered anew).
        """
        ctx.require(*MANAGE)
        t = ctx.tenant_id
        key: tuple[str, str, str] | None = None
        claimed: Registration | None = None
        if idempotency_key is not None:
            key_digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
            request_digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
            key = (ctx.user_id, key_digest, request_digest)
            claimed = self._repo.registration(t, ctx.user_id, key_digest)
            if claimed is not None:
                if claimed.request_digest != request_digest:
                    raise idempotency_key_reused()
                stored = self._repo.device(t, claimed.device_id, consistent=True)
                if stored is not None:
                    return Registered(stored, None, created=False)
        if not self._directory.site_exists(t, body.site_id):
            raise NotFound("site")
        if body.unit_id is not None:
            unit = self._directory.unit(t, body.unit_id)
            if unit is None or unit.site_id != body.site_id:
                raise NotFound("unit")
        at = self._clock.now()
        now = to_iso(at)
        device_id = claimed.device_id if claimed is not None else new_id()
        if key is not None:
            self._lease(t, key, device_id, at, claimed)
        device = Device(
            tenant_id=t,
            device_id=device_id,
            site_id=body.site_id,
            kind=body.kind,
            name=body.name,
            status=DeviceStatus.ACTIVE,
            created_at=now,
            updated_at=now,
            building_id=body.building_id,
            unit_id=body.unit_id,
            location=body.location,
            model=body.model,
            install_date=body.install_date.isoformat() if body.install_date else None,
        )
        # The audit record commits with the device (the registration's last write), so a failed write
        # runs the provisioning's clean-up and leaves neither a device nor its audit record.
        audit = self._audit.put_action(
            ctx,
            "device.register",
            "device",
            device_id,
            {"kind": device.kind.value, "provisioned": body.provision},
        )
        try:
            self._install_defaults(t, device)
            device, credentials = self._provision_and_store(
                device, body.provision, audit, resume=claimed is not None
            )
        except Exception:
            if key is not None:
                with contextlib.suppress(Exception):
                    self._repo.release_registration(t, key[0], key[1])
            raise
        return Registered(device, credentials, created=True)

    def _lease(
        self,
        tenant_id: str,
        key: tuple[str, str, str],
        device_id: str,
        at: datetime,
        claimed: Registration | None,
    ) -> None:
        """Claim the key for ``device_id`` (first attempt) or take the lease of its registration (retry)."""
        user_id, key_digest, request_digest = key
        until = epoch(at) + REGISTRATION_LEASE_SECONDS
        if claimed is None:
            expires = epoch(at + timedelta(hours=REGISTRATION_KEY_HOURS))
            registration = Registration(device_id, request_digest, until)
            self._repo.claim_registration(tenant_id, user_id, key_digest, registration, expires)
        else:
            self._repo.lease_registration(tenant_id, user_id, key_digest, now=epoch(at), until=until)

    def _provision_and_store(
        self, device: Device, provision: bool, audit: dict[str, Any], *, resume: bool
    ) -> tuple[Device, Credentials | None]:
        credentials = None
        if provision:
            credentials = self._registry.provision(
                device.tenant_id,
                device.site_id,
                device.device_id,
                battery=is_battery(device.kind.value),  # its policy: no commands for a sleeping device
                resume=resume,
            )
            device = replace(
                device, certificate_id=credentials.certificate_id, thing_name=credentials.thing_name
            )
        try:
            self._repo.put_device(device, also=[audit])
        except Exception as error:
            try:
                stored = self._repo.device(device.tenant_id, device.device_id, consistent=True)
            except Exception:
                # Whether the write landed is unknown: keep the certificate. The retry replays the device,
                # or finds it missing and removes the certificate as it resumes.
                raise error from None
            if stored is None or stored.certificate_id != device.certificate_id:
                if credentials is not None:
                    self._registry.unprovision(credentials.thing_name, credentials.certificate_arn)
                raise
            # The write landed though its answer was lost (a timeout; botocore's retry met the item).
        return device, credentials

    def _install_defaults(self, tenant_id: str, device: Device) -> None:
        now = to_iso(self._clock.now())
        pack = [
            StoredRule(tenant_id, rule_id, spec, now, now, default=True)
            for rule_id, spec in default_rules(device.kind).items()
        ]
        if not self._repo.install_pack(tenant_id, device.kind.value, pack, now) and is_battery(
            device.kind.value
        ):
            self._widen_offline(tenant_id, device, now)

    def _widen_offline(self, tenant_id: str, device: Device, now: str) -> None:
        """A battery kind's pack installed before its detectors woke hourly (2026-12-08) still waits 25
        minutes: a new detector would go offline between heartbeats. An unedited default (version 1) takes
        the kind's window once; a firm's own edit is kept."""
        rule_id = default_rule_id(device.kind, "offline")
        stored, wanted = self._repo.rule(tenant_id, rule_id), default_rules(device.kind)[rule_id]
        if stored is None or stored.version != 1 or stored.spec == wanted:
            return
        with contextlib.suppress(Conflict):  # a concurrent registration widened it first
            self._repo.put_rule(replace(stored, spec=wanted, updated_at=now, version=2), expected_version=1)

    def device(self, ctx: TenantContext, device_id: str) -> tuple[Device, list[LedgerEntry]]:
        ctx.require(*WATCH)
        device = self._device(ctx.tenant_id, device_id)
        return device, self._repo.ledger(ctx.tenant_id, device_id)

    def devices(
        self, ctx: TenantContext, *, site_id: str | None, kind: str | None, limit: int, cursor: str | None
    ) -> Page[Device]:
        ctx.require(*WATCH)
        return self._repo.devices(ctx.tenant_id, site_id=site_id, kind=kind, limit=limit, cursor=cursor)

    def update(self, ctx: TenantContext, device_id: str, body: DeviceUpdate) -> Device:
        ctx.require(*MANAGE)
        device = self._device(ctx.tenant_id, device_id, consistent=True)
        changes = body.model_dump(exclude_unset=True)
        if "install_date" in changes and changes["install_date"] is not None:
            changes["install_date"] = changes["install_date"].isoformat()
        if "name" in changes and changes["name"] is None:
            raise Unprocessable("a device keeps a name")
        updated = replace(device, **changes, updated_at=to_iso(self._clock.now()), version=device.version + 1)
        self._repo.put_device(updated, expected_version=device.version)
        self._audit.record(ctx, "device.update", "device", device_id, {"fields": sorted(changes)})
        return updated

    def deactivate(self, ctx: TenantContext, device_id: str) -> Device:
        """Revoke the certificate and stop listening to the device (idempotent)."""
        ctx.require(*MANAGE)
        device = self._device(ctx.tenant_id, device_id, consistent=True)
        if device.status is DeviceStatus.INACTIVE:
            return device
        if device.certificate_id:
            self._registry.revoke(device.certificate_id)
        updated = replace(
            device,
            status=DeviceStatus.INACTIVE,
            updated_at=to_iso(self._clock.now()),
            version=device.version + 1,
        )
        self._repo.put_device(updated, expected_version=device.version)
        self._audit.record(ctx, "device.deactivate", "device", device_id, {"certificate_revoked": True})
        return updated

    def telemetry(
        self, ctx: TenantContext, device_id: str, start: datetime | None, end: datetime | None
    ) -> list[HourAggregate]:
        ctx.require(*WATCH)
        self._device(ctx.tenant_id, device_id)
        end = end or self._clock.now()
        start = start or end - timedelta(hours=24)
        if start > end:
            raise Unprocessable("start must not be after end")
        if end - start > timedelta(hours=MAX_TELEMETRY_HOURS):
            raise Unprocessable(f"at most {MAX_TELEMETRY_HOURS} hours at a time")
        return self._repo.aggregates(
            ctx.tenant_id, device_id, hour_of(start.timestamp()), hour_of(end.timestamp())
        )

    def _device(self, tenant_id: str, device_id: str, *, consistent: bool = False) -> Device:
        device = self._repo.device(tenant_id, device_id, consistent=consistent)
        if device is None:
            raise NotFound("device")
        return device

    # -------------------------------------------------------------- rules

    def create_rule(self, ctx: TenantContext, spec: RuleSpec) -> StoredRule:
        ctx.require(*MANAGE)
        self._check_scope(ctx.tenant_id, spec)
        now = to_iso(self._clock.now())
        rule = StoredRule(ctx.tenant_id, new_id(), spec, now, now)
        self._repo.put_rule(rule)
        self._audit.record(
            ctx, "alarm_rule.create", "alarm_rule", rule.rule_id, {"type": spec.condition.type}
        )
        return rule

    def rules(self, ctx: TenantContext) -> list[StoredRule]:
        ctx.require(*WATCH)
        return sorted(self._repo.rules(ctx.tenant_id), key=lambda r: (not r.default, r.rule_id))

    def rule(self, ctx: TenantContext, rule_id: str) -> StoredRule:
        ctx.require(*WATCH)
        return self._rule(ctx.tenant_id, rule_id)

    def replace_rule(self, ctx: TenantContext, rule_id: str, spec: RuleSpec) -> StoredRule:
        ctx.require(*MANAGE)
        current = self._rule(ctx.tenant_id, rule_id)
        self._check_scope(ctx.tenant_id, spec)
        updated = replace(
            current, spec=spec, updated_at=to_iso(self._clock.now()), version=current.version + 1
        )
        self._repo.put_rule(updated, expected_version=current.version)
        self._audit.record(ctx, "alarm_rule.replace", "alarm_rule", rule_id, {"type": spec.condition.type})
        return updated

    def delete_rule(self, ctx: TenantContext, rule_id: str) -> None:
        ctx.require(*MANAGE)
        self._rule(ctx.tenant_id, rule_id)
        self._repo.delete_rule(ctx.tenant_id, rule_id)
        self._audit.record(ctx, "alarm_rule.delete", "alarm_rule", rule_id)

    def test_rule(
        self, ctx: TenantContext, rule_id: str, body: RuleTestRequest
    ) -> tuple[int, list[rule_test.Hit]]:
        ctx.require(*MANAGE)
        stored = self._rule(ctx.tenant_id, rule_id)
        compiled = compile_rule(rule_id, body.rule or stored.spec)
        tenant = self._directory.tenant(ctx.tenant_id)
        hours = HoursCheck(ZoneInfo(tenant.timezone if tenant else "Asia/Shanghai"))
        if body.readings is not None:
            readings = [
                Reading(
                    r.ts.timestamp(),
                    dict(r.metrics or {}),
                    (r.event.name, r.event.attributes) if r.event else None,
                )
                for r in body.readings
            ]
        else:
            assert body.device_id is not None
            end = body.end or self._clock.now()
            start = body.start or end - timedelta(days=7)
            aggregates = self.telemetry(ctx, body.device_id, start, end)
            readings = rule_test.hourly_readings(compiled, aggregates)
        return rule_test.run(compiled, readings, hours)

    def _rule(self, tenant_id: str, rule_id: str) -> StoredRule:
        rule = self._repo.rule(tenant_id, rule_id)
        if rule is None:
            raise NotFound("alarm rule")
        return rule

    def _check_scope(self, tenant_id: str, spec: RuleSpec) -> None:
        scope = spec.scope
        if scope.device_id is not None:
            device = self._repo.device(tenant_id, scope.device_id)
            if device is None:
                raise Unprocessable("scope.device_id: no such device")
            if scope.device_kind is not None and scope.device_kind != device.kind:
                raise Unprocessable("scope: the device is not of that kind")
        if scope.site_id is not None and not self._directory.site_exists(tenant_id, scope.site_id):
            raise Unprocessable("scope.site_id: no such community")

    # -------------------------------------------------------------- alarms

    def alarms(
        self,
        ctx: TenantContext,
        *,
        status: str | None,
        site_id: str | None,
        severity: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Alarm]:
        ctx.require(*WATCH)
        return self._repo.alarms(
            ctx.tenant_id, status=status, site_id=site_id, severity=severity, limit=limit, cursor=cursor
        )

    def alarm(self, ctx: TenantContext, alarm_id: str) -> Alarm:
        ctx.require(*WATCH)
        return self._book.get(ctx.tenant_id, alarm_id)

    def acknowledge(self, ctx: TenantContext, alarm_id: str) -> Alarm:
        ctx.require(*WATCH)
        alarm = self._book.acknowledge(ctx.tenant_id, alarm_id, ctx.user_id)
        self._audit.record(ctx, "alarm.acknowledge", "alarm", alarm_id)
        return alarm

    def clear(self, ctx: TenantContext, alarm_id: str) -> Alarm:
        ctx.require(*WATCH)
        try:
            alarm = self._book.clear_by_hand(ctx.tenant_id, alarm_id, ctx.user_id)
        except Conflict:
            raise
        self._audit.record(ctx, "alarm.clear", "alarm", alarm_id)
        return alarm


def utc(at: datetime) -> datetime:
    return at.astimezone(UTC)
