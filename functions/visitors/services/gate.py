"""Gate scans: online verdicts with atomic entry counting, plate-camera scans, offline uploads, the visit log.

Every scan, allowed or denied, becomes one line of the community's visit log for the local day it happened
(the tenant's time zone). An allowed ``in`` publishes ``VisitorArrived`` so the host is told.

Offline gates verify tokens with the JWKS and upload their scans later (``POST /gate/scans/batch``). The
upload is reconciled in scan-time order: each entry the gate admitted is counted against the pass's limit
(once per ``scan_id``, so a re-upload changes nothing); an entry past the limit, or one the server would have
refused at that time (revoked before the scan, outside the window, blocked), is flagged in the response and
in the log (``overuse``), never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from courtyard.audit import AuditLog
from courtyard.clock import Clock, to_iso
from courtyard.crypto import mask_plate
from courtyard.dynamo import Page
from courtyard.errors import NotFound
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from schemas.events import VisitorArrived
from visitors import rules, tokens
from visitors.models import (
    BlockKind,
    Direction,
    EntryRecord,
    OfflineScan,
    PassStatus,
    PassViewOut,
    PassViewState,
    Reason,
    ReconciledScan,
    ScanBatch,
    ScanRequest,
    ScanResult,
    Verdict,
    VisitorPass,
    VisitorSettingsIn,
)
from visitors.repository import CountOutcome
from visitors.services.passes import Directory, Events, Index, Keys, normalise_plate
from visitors.visit_log import calendar_day, visits_csv

SCANNERS = (Role.GUARD, Role.MANAGER)
LOG_READERS = (Role.GUARD, Role.MANAGER)


class Repository(Protocol):
    def get(self, tenant_id: str, pass_id: str, *, consistent: bool = False) -> VisitorPass | None: ...
    def take_entry(self, tenant_id: str, pass_id: str, at: datetime) -> CountOutcome: ...
    def take_entry_logged(
        self, seen: VisitorPass, at: datetime, entry: EntryRecord, day: str, retention: timedelta
    ) -> bool: ...
    def take_offline_entry(
        self, tenant_id: str, pass_id: str, scan_id: str, at: datetime
    ) -> CountOutcome: ...
    def passes_for_plate(
        self, tenant_id: str, site_id: str, plate_digest: str, ending_after: datetime
    ) -> list[VisitorPass]: ...
    def blocked(self, tenant_id: str, site_id: str, digests: Sequence[tuple[BlockKind, str]]) -> bool: ...
    def log(self, entry: EntryRecord, day: str, retention: timedelta, *, only_new: bool = False) -> bool: ...
    def visits_page(
        self, tenant_id: str, site_id: str, day: str, limit: int, cursor: str | None
    ) -> Page[EntryRecord]: ...
    def visits_all(self, tenant_id: str, site_id: str, day: str) -> list[EntryRecord]: ...


@dataclass(frozen=True, slots=True)
class _Scan:
    """Where an online scan happens: what its visit-log line needs besides the verdict."""

    ctx: TenantContext
    site_id: str
    gate_id: str
    plate_masked: str | None


class PassSettings(Protocol):
    """What the gate needs of the passes' use case (``PassService``): the firm's time zone and settings."""

    def timezone(self, tenant_id: str) -> str: ...
    def effective_settings(self, tenant_id: str) -> VisitorSettingsIn: ...


class GateService:
    def __init__(
        self,
        repo: Repository,
        directory: Directory,
        audit: AuditLog,
        events: Events,
        clock: Clock,
        index: Index,
        keys: Keys,
        passes: PassSettings,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._audit = audit
        self._events = events
        self._clock = clock
        self._index = index
        self._keys = keys
        self._passes = passes

    # -------------------------------------------------------------- the visitor's page

    def view(self, token: str) -> PassViewOut:
        """The pass a token names, for its holder (no account): the signed token is the credential.

        A forged, altered or unknown token reads nothing (404), so the route reveals no pass id or firm.
        """
        try:
            claims = tokens.verify(token, self._keys.public_keys(tokens.claimed_tenant(token)))
        except tokens.TokenError as err:
            raise NotFound("no such pass") from err
        visitor_pass = self._repo.get(claims.tenant_id, claims.pass_id, consistent=True)
        tenant = self._directory.tenant(claims.tenant_id)
        # The stored token too: a pass re-signed later (key rotation) is read only through its current token.
        if visitor_pass is None or tenant is None or visitor_pass.token != token:
            raise NotFound("no such pass")
        now = self._clock.now()
        left = max(visitor_pass.entries_allowed - visitor_pass.entries_used, 0)
        if visitor_pass.status is PassStatus.REVOKED:
            state = PassViewState.REVOKED
        elif now > visitor_pass.valid_until:
            state = PassViewState.EXPIRED
        elif left == 0:
            state = PassViewState.USED_UP
        elif now < visitor_pass.valid_from:
            state = PassViewState.NOT_YET_VALID
        else:
            state = PassViewState.VALID
        return PassViewOut(
            state=state,
            visitor_name=visitor_pass.visitor_name,
            firm=tenant.name,
            unit_label=visitor_pass.unit_label,
            valid_from=to_iso(visitor_pass.valid_from),
            valid_until=to_iso(visitor_pass.valid_until),
            entries_allowed=visitor_pass.entries_allowed,
            entries_left=left,
        )

    # -------------------------------------------------------------- online scans

    def scan(self, ctx: TenantContext, request: ScanRequest) -> ScanResult:
        ctx.require(*SCANNERS)
        now = self._clock.now()
        if request.plate is not None:
            result, plate_masked = (
                self._scan_plate(ctx, request, request.plate, now),
                mask_plate(normalise_plate(request.plate)),
            )
        else:
            result, plate_masked = self._scan_token(ctx, request, request.token or "", now), None
        self._record(ctx, request.site_id, request.gate_id, result, plate_masked=plate_masked)
        return result

    def _scan_context(self, ctx: TenantContext, request: ScanRequest) -> _Scan:
        plate = mask_plate(normalise_plate(request.plate)) if request.plate is not None else None
        return _Scan(ctx, request.site_id, request.gate_id, plate)

    def _scan_token(self, ctx: TenantContext, request: ScanRequest, token: str, now: datetime) -> ScanResult:
        deny = _denial(request.direction, now)
        try:
            claims = tokens.verify(token, self._keys.public_keys(ctx.tenant_id))
        except tokens.TokenError:
            return deny(Reason.BAD_SIGNATURE, None)
        reason = rules.token_reason(
            claims,
            tenant_id=ctx.tenant_id,
            site_id=request.site_id,
            gate_id=request.gate_id,
            now=now,
            direction=request.direction,
        )
        if reason is not None:
            return deny(reason, None)
        # A consistent read: a revocation is effective on the very next scan.
        visitor_pass = self._repo.get(ctx.tenant_id, claims.pass_id, consistent=True)
        if visitor_pass is None or visitor_pass.site_id != request.site_id:
            return deny(Reason.UNKNOWN, None)
        if not rules.signed_by_issuing_key(claims, visitor_pass):
            return deny(Reason.BAD_SIGNATURE, None)
        return self._admit(ctx, visitor_pass, request.direction, now, self._scan_context(ctx, request))

    def _scan_plate(self, ctx: TenantContext, request: ScanRequest, plate: str, now: datetime) -> ScanResult:
        deny = _denial(request.direction, now)
        t = ctx.tenant_id
        digest = self._index.digest(t, BlockKind.PLATE.value, normalise_plate(plate))
        if request.direction is Direction.IN and self._repo.blocked(
            t, request.site_id, [(BlockKind.PLATE, digest)]
        ):
            return deny(Reason.BLOCKED, None)
        candidates = self._repo.passes_for_plate(t, request.site_id, digest, now - rules.CLOCK_TOLERANCE)
        first_denial: ScanResult | None = None
        for candidate in sorted(candidates, key=lambda p: p.valid_from):
            if candidate.gates and request.gate_id not in candidate.gates:
                continue
            result = self._admit(ctx, candidate, request.direction, now, self._scan_context(ctx, request))
            if result.verdict is Verdict.ALLOW:
                return result
            first_denial = first_denial or result
        return first_denial or deny(Reason.UNKNOWN, None)

    def _admit(
        self,
        ctx: TenantContext,
        visitor_pass: VisitorPass,
        direction: Direction,
        now: datetime,
        scan: _Scan | None = None,
    ) -> ScanResult:
        """The stored pass's verdict; an ``in`` that passes every rule takes an entry atomically."""
        deny = _denial(direction, now)
        t = ctx.tenant_id
        blocked = direction is Direction.IN and self._repo.blocked(
            t, visitor_pass.site_id, _digests(visitor_pass)
        )
        reason = rules.pass_reason(
            visitor_pass, now=now, timezone=self._passes.timezone(t), blocked=blocked, direction=direction
        )
        if reason is not None:
            return deny(reason, visitor_pass)
        if direction is Direction.OUT:
            return ScanResult(Verdict.ALLOW, None, direction, now, visitor_pass)
        if scan is not None:
            taken = self._take_and_log(visitor_pass, now, scan)
            if taken is not None:
                return taken
        # The entry limit (a single-use pass: one entry) is taken atomically: rules.entry_left.
        outcome = self._repo.take_entry(t, visitor_pass.pass_id, now)
        if not outcome.counted:
            return deny(rules.refused_entry(outcome.visitor_pass), outcome.visitor_pass)
        return ScanResult(Verdict.ALLOW, None, direction, now, outcome.visitor_pass, outcome.entry_number)

    def _take_and_log(self, seen: VisitorPass, now: datetime, scan: _Scan) -> ScanResult | None:
        """The entry taken on the pass as read and the log line written in one transaction (issue 18); None
        when the pass moved since it was read (a race with another gate): then the atomic way decides."""
        counted = replace(seen, entries_used=seen.entries_used + 1)
        result = ScanResult(
            Verdict.ALLOW, None, Direction.IN, now, counted, counted.entries_used, logged=True
        )
        entry = self._entry(scan.ctx, scan.site_id, scan.gate_id, result, plate_masked=scan.plate_masked)
        settings = self._passes.effective_settings(seen.tenant_id)
        day = self._local_day(seen.tenant_id, entry.scanned_at)
        if self._repo.take_entry_logged(seen, now, entry, day, timedelta(days=settings.retention_days)):
            return result
        return None

    def _record(
        self,
        ctx: TenantContext,
        site_id: str,
        gate_id: str,
        result: ScanResult,
        *,
        plate_masked: str | None,
    ) -> None:
        visitor_pass = result.visitor_pass
        if not result.logged:
            self._log(ctx.tenant_id, self._entry(ctx, site_id, gate_id, result, plate_masked=plate_masked))
        if result.verdict is Verdict.ALLOW and result.direction is Direction.IN and visitor_pass is not None:
            self._arrived(visitor_pass, gate_id, result.entry_number or 0, result.scanned_at, offline=False)

    def _entry(
        self,
        ctx: TenantContext,
        site_id: str,
        gate_id: str,
        result: ScanResult,
        *,
        plate_masked: str | None,
    ) -> EntryRecord:
        visitor_pass = result.visitor_pass
        named = visitor_pass is not None and result.reason not in {Reason.WRONG_SITE, Reason.UNKNOWN}
        return EntryRecord(
            tenant_id=ctx.tenant_id,
            site_id=site_id,
            scan_id=new_id(),
            scanned_at=result.scanned_at,
            gate_id=gate_id,
            direction=result.direction,
            verdict=result.verdict,
            reason=result.reason,
            by=ctx.user_id,
            pass_id=visitor_pass.pass_id if named and visitor_pass else None,
            visitor_name=visitor_pass.visitor_name if named and visitor_pass else None,
            unit_id=visitor_pass.unit_id if named and visitor_pass else None,
            unit_label=visitor_pass.unit_label if named and visitor_pass else None,
            entry_number=result.entry_number,
            plate_masked=plate_masked,
        )

    def _log(self, tenant_id: str, entry: EntryRecord, *, only_new: bool = False) -> bool:
        settings = self._passes.effective_settings(tenant_id)
        day = self._local_day(tenant_id, entry.scanned_at)
        return self._repo.log(entry, day, timedelta(days=settings.retention_days), only_new=only_new)

    def _arrived(
        self, visitor_pass: VisitorPass, gate_id: str, entry_number: int, at: datetime, *, offline: bool
    ) -> None:
        self._events.publish_many(
            [
                (
                    "VisitorArrived",
                    VisitorArrived(
                        tenant_id=visitor_pass.tenant_id,
                        occurred_at=self._clock.now(),
                        pass_id=visitor_pass.pass_id,
                        site_id=visitor_pass.site_id,
                        unit_id=visitor_pass.unit_id,
                        host_user_id=visitor_pass.host_user_id,
                        visitor_name=visitor_pass.visitor_name,
                        gate_id=gate_id,
                        entry_number=entry_number,
                        arrived_at=to_iso(at),
                        offline=offline,
                    ),
                )
            ]
        )

    # -------------------------------------------------------------- offline uploads

    def upload(self, ctx: TenantContext, batch: ScanBatch) -> list[ReconciledScan]:
        ctx.require(*SCANNERS)
        if not self._directory.site_exists(ctx.tenant_id, batch.site_id):
            raise NotFound("site")
        results = [
            self._reconcile(ctx, batch, scan) for scan in sorted(batch.scans, key=lambda s: s.scanned_at)
        ]
        self._audit.record(
            ctx,
            "gate_scans.upload",
            "gate",
            batch.gate_id,
            {"scans": len(results), "flagged": sum(1 for r in results if r.flags)},
        )
        return results

    def _reconcile(self, ctx: TenantContext, batch: ScanBatch, scan: OfflineScan) -> ReconciledScan:
        t = ctx.tenant_id
        at = scan.scanned_at.astimezone(self._clock.now().tzinfo)
        gate_allowed = scan.verdict is Verdict.ALLOW
        visitor_pass: VisitorPass | None = None
        reason: Reason | None = None
        try:
            claims = tokens.verify(scan.token, self._keys.public_keys(t))
        except tokens.TokenError:
            reason = Reason.BAD_SIGNATURE
        else:
            reason = rules.token_reason(
                claims,
                tenant_id=t,
                site_id=batch.site_id,
                gate_id=batch.gate_id,
                now=at,
                direction=scan.direction,
            )
            if reason is None:
                visitor_pass = self._repo.get(t, claims.pass_id, consistent=True)
                if visitor_pass is None or visitor_pass.site_id != batch.site_id:
                    reason, visitor_pass = Reason.UNKNOWN, None
                elif not rules.signed_by_issuing_key(claims, visitor_pass):
                    reason, visitor_pass = Reason.BAD_SIGNATURE, None
                else:
                    reason = rules.pass_reason(
                        _as_of(visitor_pass, at),
                        now=at,
                        timezone=self._passes.timezone(t),
                        blocked=scan.direction is Direction.IN
                        and self._repo.blocked(t, batch.site_id, _digests(visitor_pass)),
                        direction=scan.direction,
                    )

        counted, duplicate, entry_number = False, False, None
        flags: list[str] = []
        if gate_allowed and scan.direction is Direction.IN:
            if reason is not None:
                flags.append(reason.value)
            elif visitor_pass is not None:
                outcome = self._repo.take_offline_entry(t, visitor_pass.pass_id, scan.scan_id, at)
                counted, duplicate, entry_number = outcome.counted, outcome.duplicate, outcome.entry_number
                if outcome.counted and outcome.visitor_pass is not None:
                    visitor_pass = outcome.visitor_pass
                elif not outcome.duplicate:
                    reason = Reason.EXHAUSTED
                    flags.append("over_limit")
        verdict = Verdict.ALLOW if reason is None else Verdict.DENY
        named = visitor_pass is not None and reason not in {
            Reason.WRONG_SITE,
            Reason.UNKNOWN,
            Reason.BAD_SIGNATURE,
        }
        entry = EntryRecord(
            tenant_id=t,
            site_id=batch.site_id,
            scan_id=scan.scan_id,
            scanned_at=at,
            gate_id=batch.gate_id,
            direction=scan.direction,
            verdict=Verdict.ALLOW if gate_allowed else Verdict.DENY,
            reason=reason,
            by=ctx.user_id,
            pass_id=visitor_pass.pass_id if named and visitor_pass else None,
            visitor_name=visitor_pass.visitor_name if named and visitor_pass else None,
            unit_id=visitor_pass.unit_id if named and visitor_pass else None,
            unit_label=visitor_pass.unit_label if named and visitor_pass else None,
            entry_number=entry_number,
            offline=True,
            overuse=bool(flags),
            flags=tuple(flags),
        )
        first_upload = self._log(t, entry, only_new=True)
        duplicate = duplicate or not first_upload
        if counted and visitor_pass is not None:
            self._arrived(visitor_pass, batch.gate_id, entry_number or 0, at, offline=True)
        return ReconciledScan(
            scan_id=scan.scan_id,
            gate_verdict=scan.verdict,
            verdict=verdict,
            reason=reason,
            counted=counted,
            entry_number=entry_number,
            flags=() if duplicate else tuple(flags),
            duplicate=duplicate,
        )

    # -------------------------------------------------------------- visit log

    def visits(
        self, ctx: TenantContext, site_id: str, day: str | None, limit: int, cursor: str | None
    ) -> tuple[str, Page[EntryRecord]]:
        the_day = self._readable_day(ctx, site_id, day)
        return the_day, self._repo.visits_page(ctx.tenant_id, site_id, the_day, limit, cursor)

    def visits_csv(self, ctx: TenantContext, site_id: str, day: str | None) -> tuple[str, str]:
        the_day = self._readable_day(ctx, site_id, day)
        entries = self._repo.visits_all(ctx.tenant_id, site_id, the_day)
        self._audit.record(ctx, "visits.export", "site", site_id, {"day": the_day, "rows": len(entries)})
        return the_day, visits_csv(entries)

    def _readable_day(self, ctx: TenantContext, site_id: str, day: str | None) -> str:
        ctx.require(*LOG_READERS)
        if "#" in site_id or not self._directory.site_exists(ctx.tenant_id, site_id):
            raise NotFound("site")
        if day is None:
            return self._local_day(ctx.tenant_id, self._clock.now())
        return calendar_day(day)

    def _local_day(self, tenant_id: str, at: datetime) -> str:
        return at.astimezone(ZoneInfo(self._passes.timezone(tenant_id))).date().isoformat()


def _denial(direction: Direction, now: datetime) -> Callable[[Reason, VisitorPass | None], ScanResult]:
    def deny(reason: Reason, visitor_pass: VisitorPass | None) -> ScanResult:
        return ScanResult(Verdict.DENY, reason, direction, now, visitor_pass)

    return deny


def _digests(visitor_pass: VisitorPass) -> list[tuple[BlockKind, str]]:
    digests: list[tuple[BlockKind, str]] = []
    if visitor_pass.phone_digest:
        digests.append((BlockKind.PHONE, visitor_pass.phone_digest))
    if visitor_pass.plate_digest:
        digests.append((BlockKind.PLATE, visitor_pass.plate_digest))
    return digests


def _as_of(visitor_pass: VisitorPass, at: datetime) -> VisitorPass:
    """The pass as it stood at ``at``: a revocation after that time did not bind the gate; entries are counted
    by the atomic counter, not judged from the current count."""
    active = (
        visitor_pass.status is PassStatus.REVOKED
        and visitor_pass.revoked_at is not None
        and visitor_pass.revoked_at > at
    )
    return replace(visitor_pass, status=PassStatus.ACTIVE if active else visitor_pass.status, entries_used=0)
