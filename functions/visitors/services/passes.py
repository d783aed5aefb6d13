"""Pass rules: who issues, sees and revokes passes; windows, blocklist at issue, signing, QR, settings.

Issuers: a resident for one of their own units (their primary unit by default; guest passes only), service
desk and managers for any pass of a community (contractors, deliveries; unit optional). Assisted mode
(``X-On-Behalf-Of``) issues for the resident as their host. Readers: the host sees their own passes; managers,
service desk and guards see every pass of the tenant; anyone else's pass, and another tenant's, is
``NotFound`` like a missing one. Revocation: the host who issued it, or a manager.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from courtyard.audit import TransactionalAuditLog
from courtyard.clock import Clock, epoch, to_iso
from courtyard.crypto import mask_phone, mask_plate
from courtyard.directory import ResidentUnitView, ResidentView, TenantView, UnitView, UserLink
from courtyard.dynamo import Page
from courtyard.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable, idempotency_key_reused
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from courtyard.live_link import LiveLink, LiveLinks
from courtyard.outbox import Outbox
from courtyard.tenancy import Role, TenantContext
from schemas.events import PassIssued, PassRevoked
from visitors import keys as table_keys
from visitors import qr, rules, tokens
from visitors.models import (
    BlockKind,
    Claim,
    EntryRecord,
    PassCreate,
    PassKind,
    PassStatus,
    VisitorPass,
    VisitorSettingsIn,
)
from visitors.token_access import may_hold_token
from visitors.tokens import PassClaims

ISSUERS = (Role.RESIDENT, Role.SERVICE_DESK, Role.MANAGER)
STAFF_ISSUERS = (Role.SERVICE_DESK, Role.MANAGER)
PASS_READERS = (Role.MANAGER, Role.SERVICE_DESK, Role.GUARD)
SETTINGS_ROLES = (Role.MANAGER,)
DEFAULT_TIMEZONE = "Asia/Shanghai"
# A settings change reaches every warm function within a minute, like a tenant's suspension.
SETTINGS_TTL_SECONDS = 60.0
_PLATE_SEPARATORS = str.maketrans("", "", "·•・.- ")


class VisitorBlocked(Conflict):
    code = "visitor_blocked"


# ------------------------------------------------------------------ collaborators


class Repository(Protocol):
    def get(self, tenant_id: str, pass_id: str, *, consistent: bool = False) -> VisitorPass | None: ...
    def create(
        self,
        visitor_pass: VisitorPass,
        retention: timedelta,
        claim: tuple[str, str, str] | None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None: ...
    def claim(self, tenant_id: str, user_id: str, key_digest: str) -> Claim | None: ...
    def revoke(self, tenant_id: str, pass_id: str, by: str, at: datetime) -> VisitorPass: ...
    def host_page(
        self, tenant_id: str, user_id: str, limit: int, cursor: str | None, unit_id: str | None = None
    ) -> Page[VisitorPass]: ...
    def site_page(
        self, tenant_id: str, site_id: str, limit: int, cursor: str | None, unit_id: str | None = None
    ) -> Page[VisitorPass]: ...
    def pass_entries(
        self, tenant_id: str, pass_id: str, limit: int, cursor: str | None
    ) -> Page[EntryRecord]: ...
    def blocked(self, tenant_id: str, site_id: str, digests: Sequence[tuple[BlockKind, str]]) -> bool: ...
    def settings(self, tenant_id: str) -> dict[str, Any] | None: ...
    def put_settings(self, tenant_id: str, document: dict[str, Any], by: str, at: datetime) -> None: ...


class Directory(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...
    def user(self, tenant_id: str, user_id: str) -> UserLink | None: ...
    def resident(self, tenant_id: str, resident_id: str) -> ResidentView | None: ...
    def resident_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]: ...
    def proxy_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]: ...
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...


class Events(Protocol):
    def publish_many(self, events: Sequence[tuple[str, DomainEvent]]) -> None: ...


class Cipher(Protocol):
    def encrypt(self, tenant_id: str, plaintext: str) -> str: ...


class Index(Protocol):
    def digest(self, tenant_id: str, kind: str, value: str) -> str: ...


class Keys(Protocol):
    def signer(self, tenant_id: str, until: int | None = None) -> tokens.Signer: ...
    def public_keys(self, tenant_id: str | None = None) -> Mapping[str, Any]: ...


def normalise_plate(plate: str) -> str:
    """``粤B·12345`` and ``粤b 12345`` are one plate: separators dropped, upper case."""
    return plate.strip().translate(_PLATE_SEPARATORS).upper()


def visitor_digests(
    index: Index, tenant_id: str, phone: str | None, plate: str | None
) -> list[tuple[BlockKind, str]]:
    digests: list[tuple[BlockKind, str]] = []
    if phone:
        digests.append((BlockKind.PHONE, index.digest(tenant_id, BlockKind.PHONE.value, phone)))
    if plate:
        digests.append(
            (BlockKind.PLATE, index.digest(tenant_id, BlockKind.PLATE.value, normalise_plate(plate)))
        )
    return digests


@dataclass(frozen=True, slots=True)
class Host:
    user_id: str
    site_id: str
    unit: UnitView | None
    link: LiveLink | None = None  # the resident's link the pass is issued through (bound at the write)


# ------------------------------------------------------------------ service


class PassService:
    def __init__(
        self,
        repo: Repository,
        directory: Directory,
        audit: TransactionalAuditLog,
        events: Events,
        clock: Clock,
        cipher: Cipher,
        index: Index,
        keys: Keys,
        share_base_url: str,
        outbox: Outbox,
        monotonic: Callable[[], float] = time.monotonic,
        links: LiveLinks | None = None,
    ) -> None:
        self._repo = repo
        self._links = links
        self._outbox = outbox
        self._directory = directory
        self._audit = audit
        self._events = events
        self._clock = clock
        self._cipher = cipher
        self._index = index
        self._keys = keys
        self._share_base_url = share_base_url
        self._monotonic = monotonic
        self._settings_cache: dict[str, tuple[float, VisitorSettingsIn]] = {}

    # -------------------------------------------------------------- settings

    def effective_settings(self, tenant_id: str) -> VisitorSettingsIn:
        """The tenant's settings, cached for a minute per warm function (every scan needs the retention)."""
        now = self._monotonic()
        cached = self._settings_cache.get(tenant_id)
        if cached is not None and now - cached[0] < SETTINGS_TTL_SECONDS:
            return cached[1]
        document = self._repo.settings(tenant_id)
        settings = VisitorSettingsIn.model_validate(document) if document else VisitorSettingsIn()
        self._settings_cache[tenant_id] = (now, settings)
        return settings

    def timezone(self, tenant_id: str) -> str:
        tenant = self._directory.tenant(tenant_id)
        return tenant.timezone if tenant else DEFAULT_TIMEZONE

    def settings(self, ctx: TenantContext) -> VisitorSettingsIn:
        ctx.require(*SETTINGS_ROLES)
        return self.effective_settings(ctx.tenant_id)

    def put_settings(self, ctx: TenantContext, document: VisitorSettingsIn) -> VisitorSettingsIn:
        ctx.require(*SETTINGS_ROLES)
        if timedelta(hours=document.default_window_hours) > timedelta(days=document.max_window_days):
            raise Unprocessable("the default window is longer than the longest window")
        self._repo.put_settings(
            ctx.tenant_id, document.model_dump(mode="json"), ctx.user_id, self._clock.now()
        )
        self._settings_cache[ctx.tenant_id] = (self._monotonic(), document)
        self._audit.record(
            ctx,
            "visitor_settings.update",
            "visitor_settings",
            None,
            {"fields": sorted(document.model_fields_set)},
        )
        return document

    # -------------------------------------------------------------- issue

    def issue(
        self, ctx: TenantContext, request: PassCreate, idempotency_key: str | None = None
    ) -> tuple[VisitorPass, bool]:
        """Issue and sign a pass; ``(pass, False)`` when the Idempotency-Key was seen before."""
        ctx.require(*ISSUERS)
        claim: tuple[str, str, str] | None = None
        if idempotency_key is not None:
            key_digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
            request_digest = hashlib.sha256(
                f"{ctx.on_behalf_of}|{request.model_dump_json()}".encode()
            ).hexdigest()
            replay = self._replay(ctx, key_digest, request_digest)
            if replay is not None:
                return replay, False
            claim = (ctx.user_id, key_digest, request_digest)

        host = self._host(ctx, request)
        settings = self.effective_settings(ctx.tenant_id)
        now = self._clock.now()
        valid_from = request.valid_from or now
        valid_until = request.valid_until or valid_from + timedelta(hours=settings.default_window_hours)
        problems = rules.window_problems(
            valid_from, valid_until, now, timedelta(days=settings.max_window_days)
        )
        if problems:
            raise Unprocessable(
                "the validity window cannot be issued",
                [{"loc": ["body", "valid_until"], "type": "window", "msg": m} for m in problems],
            )
        t = ctx.tenant_id
        digests = visitor_digests(self._index, t, request.visitor_phone, request.visitor_plate)
        if self._repo.blocked(t, host.site_id, digests):
            raise VisitorBlocked("this visitor is on the community's blocklist")

        pass_id = new_id()
        claims = PassClaims(
            pass_id=pass_id,
            tenant_id=t,
            site_id=host.site_id,
            not_before=epoch(valid_from),
            expires=epoch(valid_until),
            gates=tuple(request.gates),
            offline_seconds=tokens.SINGLE_USE_OFFLINE_SECONDS if request.entries_allowed == 1 else None,
        )
        # The pass's end is recorded on the firm's key first: a rotation keeps that key verifying until then.
        signer = self._keys.signer(t, until=claims.expires)
        token = tokens.sign(claims, signer)
        phone, plate = request.visitor_phone, request.visitor_plate
        digest_of = dict(digests)
        visitor_pass = VisitorPass(
            tenant_id=t,
            pass_id=pass_id,
            site_id=host.site_id,
            unit_id=host.unit.unit_id if host.unit else None,
            unit_label=(host.unit.label or host.unit.room_key) if host.unit else None,
            host_user_id=host.user_id,
            issued_by=ctx.user_id,
            kind=request.kind,
            visitor_name=request.visitor_name.strip(),
            valid_from=valid_from.astimezone(now.tzinfo),
            valid_until=valid_until.astimezone(now.tzinfo),
            entries_allowed=request.entries_allowed,
            entries_used=0,
            status=PassStatus.ACTIVE,
            created_at=now,
            token=token,
            kid=signer.key_id,
            gates=tuple(request.gates),
            recurrence=request.recurrence,
            note=request.note,
            visitor_phone_enc=self._cipher.encrypt(t, phone) if phone else None,
            visitor_plate_enc=self._cipher.encrypt(t, normalise_plate(plate)) if plate else None,
            phone_digest=digest_of.get(BlockKind.PHONE),
            plate_digest=digest_of.get(BlockKind.PLATE),
            phone_masked=mask_phone(phone) if phone else None,
            plate_masked=mask_plate(normalise_plate(plate)) if plate else None,
        )
        # Ids stay out of details (the writer refuses digit runs that look like phone numbers); the audit
        # record carries the assisted-mode resident itself.
        audit = self._audit.put_action(
            ctx,
            "pass.issue",
            "pass",
            pass_id,
            {
                "kind": request.kind.value,
                "fields": [f for f in ("visitor_phone", "visitor_plate") if getattr(request, f)],
            },
        )
        issued = PassIssued(
            tenant_id=t,
            occurred_at=now,
            pass_id=pass_id,
            site_id=host.site_id,
            unit_id=visitor_pass.unit_id,
            host_user_id=host.user_id,
            visitor_name=visitor_pass.visitor_name,
            visitor_phone_enc=visitor_pass.visitor_phone_enc,
            share_url=self.share_url(visitor_pass),
            valid_from=to_iso(visitor_pass.valid_from),
            valid_until=to_iso(visitor_pass.valid_until),
            entries_allowed=visitor_pass.entries_allowed,
        )
        # The audit record and PassIssued commit with the pass; PassIssued goes out right after, or on
        # the client's retry (the replay flushes it), or from the scheduled sweep.
        pending = self._outbox.pending(
            table_keys.visitor_pass(t, pass_id)["pk"], events=[("PassIssued", issued)]
        )
        also = [audit, self._outbox.put_action(pending)]
        links, bound = self._links, host.link
        if links is not None and bound is not None:  # last: a link ended meanwhile refuses the write
            also.append(links.check(bound))
        try:
            self._repo.create(visitor_pass, timedelta(days=settings.retention_days), claim, also=also)
        except Conflict as conflict:
            ended = links.refusal(bound, conflict) if links and bound else None
            if ended is not None:
                raise ended from None
            if claim is None:
                raise
            # A concurrent retry with the same key won the claim: answer as the retry it is.
            replay = self._replay(ctx, claim[1], claim[2])
            if replay is None:
                raise
            return replay, False
        self._outbox.flush(pending)
        return visitor_pass, True

    def _replay(self, ctx: TenantContext, key_digest: str, request_digest: str) -> VisitorPass | None:
        claim = self._repo.claim(ctx.tenant_id, ctx.user_id, key_digest)
        if claim is None:
            return None
        if claim.request_digest != request_digest:
            raise idempotency_key_reused()
        visitor_pass = self._repo.get(ctx.tenant_id, claim.pass_id, consistent=True)
        if visitor_pass is not None:
            # What the first attempt could not send after its commit goes out before the replay answers.
            self._outbox.flush_entity(table_keys.visitor_pass(ctx.tenant_id, claim.pass_id)["pk"])
        return visitor_pass

    def _host(self, ctx: TenantContext, request: PassCreate) -> Host:
        t = ctx.tenant_id
        resident_id: str | None = ctx.on_behalf_of
        host_user_id = ctx.user_id
        if resident_id is None and not ctx.has_role(*STAFF_ISSUERS) and not ctx.is_staff and ctx.person_id:
            resident_id = ctx.person_id  # the token names the resident: no user link to read
        if resident_id is None and not ctx.has_role(*STAFF_ISSUERS):
            link = self._directory.user(t, ctx.user_id)
            if link is None or link.kind != "resident":
                raise Forbidden("only residents with a unit, service desk and managers issue passes")
            resident_id = link.person_id
        if resident_id is None:
            return self._staff_host(ctx, request)

        if request.kind is not PassKind.GUEST and not ctx.has_role(*STAFF_ISSUERS):
            raise Forbidden("contractor and delivery passes are issued by the service desk")
        if ctx.on_behalf_of is not None:
            resident = self._directory.resident(t, resident_id)
            if resident is None:
                raise NotFound("resident")
            host_user_id = resident.user_id or ctx.user_id
        # A family proxy (子女代办) issues passes for the parent's unit too (a carer), naming the unit.
        own = self._directory.resident_links(t, resident_id)
        links = own + (self._directory.proxy_links(t, resident_id) if request.unit_id else [])
        at = (
            next((i for i, link in enumerate(links) if link.unit_id == request.unit_id), None)
            if request.unit_id
            else (0 if links else None)
        )
        if at is None:
            # Not one of the resident's units: answered like a unit that does not exist.
            raise NotFound("unit")
        chosen = links[at]
        unit = self._directory.unit(t, chosen.unit_id)
        if unit is None:
            raise NotFound("unit")
        if request.site_id is not None and request.site_id != unit.site_id:
            raise Unprocessable("the unit is not in that community")
        live = LiveLink(t, resident_id, chosen.unit_id, proxy=at >= len(own))
        return Host(host_user_id, unit.site_id, unit, live)

    def _staff_host(self, ctx: TenantContext, request: PassCreate) -> Host:
        t = ctx.tenant_id
        if request.site_id is None:
            raise Unprocessable(
                "site_id is required when staff issue a pass",
                [{"loc": ["body", "site_id"], "type": "missing", "msg": "required for staff"}],
            )
        if not self._directory.site_exists(t, request.site_id):
            raise NotFound("site")
        unit: UnitView | None = None
        if request.unit_id is not None:
            unit = self._directory.unit(t, request.unit_id)
            if unit is None or unit.site_id != request.site_id:
                raise NotFound("unit")
        return Host(ctx.user_id, request.site_id, unit)

    # -------------------------------------------------------------- reads

    def get(self, ctx: TenantContext, pass_id: str) -> VisitorPass:
        visitor_pass = self._repo.get(ctx.tenant_id, _known(pass_id))
        if visitor_pass is None or not _visible(ctx, visitor_pass):
            raise NotFound("pass")
        return visitor_pass

    def passes(
        self, ctx: TenantContext, site_id: str | None, limit: int, cursor: str | None, unit_id: str | None
    ) -> Page[VisitorPass]:
        """Staff: a community's passes (``site_id``, or the community of ``unit_id``); residents: the passes
        they host. ``unit_id`` keeps one unit's (the console's unit page)."""
        if ctx.has_role(*PASS_READERS):
            if site_id is None and unit_id is None:
                raise Invalid("site_id is required to list a community's passes")
            if site_id is None:
                unit = self._directory.unit(ctx.tenant_id, _known(str(unit_id), "unit"))
                if unit is None:  # another firm's unit, or none: nothing to list, and nothing said
                    raise NotFound("unit")
                site_id = unit.site_id
            return self._repo.site_page(ctx.tenant_id, _known(site_id, "site"), limit, cursor, unit_id)
        ctx.require(Role.RESIDENT)
        return self._repo.host_page(ctx.tenant_id, ctx.user_id, limit, cursor, unit_id)

    def entries(self, ctx: TenantContext, pass_id: str, limit: int, cursor: str | None) -> Page[EntryRecord]:
        visitor_pass = self.get(ctx, pass_id)
        return self._repo.pass_entries(ctx.tenant_id, visitor_pass.pass_id, limit, cursor)

    def qr_code(self, ctx: TenantContext, pass_id: str, image_format: str) -> tuple[bytes, str]:
        visitor_pass = self.get(ctx, pass_id)
        if not may_hold_token(ctx, visitor_pass):
            raise Forbidden("guards and gate accounts verify passes; they do not read their QR codes")
        if image_format == "png":
            return qr.png(visitor_pass.token), "image/png"
        return qr.svg(visitor_pass.token), "image/svg+xml"

    def share_url(self, visitor_pass: VisitorPass) -> str:
        return qr.share_url(self._share_base_url, visitor_pass.token)

    # -------------------------------------------------------------- revoke

    def revoke(self, ctx: TenantContext, pass_id: str) -> VisitorPass:
        visitor_pass = self.get(ctx, pass_id)
        if not (
            ctx.has_role(Role.MANAGER)
            or visitor_pass.issued_by == ctx.user_id
            or (ctx.is_resident and visitor_pass.host_user_id == ctx.user_id)
        ):
            raise Forbidden("only the pass's host or a manager may revoke it")
        now = self._clock.now()
        revoked = self._repo.revoke(ctx.tenant_id, visitor_pass.pass_id, ctx.user_id, now)
        self._audit.record(ctx, "pass.revoke", "pass", revoked.pass_id)
        self._events.publish_many(
            [
                (
                    "PassRevoked",
                    PassRevoked(
                        tenant_id=ctx.tenant_id,
                        occurred_at=now,
                        pass_id=revoked.pass_id,
                        site_id=revoked.site_id,
                        host_user_id=revoked.host_user_id,
                        by=ctx.user_id,
                    ),
                )
            ]
        )
        return revoked


def _visible(ctx: TenantContext, visitor_pass: VisitorPass) -> bool:
    if ctx.has_role(*PASS_READERS):
        return True
    return ctx.user_id in {visitor_pass.host_user_id, visitor_pass.issued_by}


def _known(identifier: str, what: str = "pass") -> str:
    # A malformed id cannot name anything; it is answered like a missing one, without a read.
    if not identifier or len(identifier) > 64 or "#" in identifier:
        raise NotFound(what)
    return identifier
