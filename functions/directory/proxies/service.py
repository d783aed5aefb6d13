"""Family proxy rules (子女代办, issue 19): an adult child, often in another city, acts for a parent's unit.

- Consent: the parent (a resident of the unit) creates the link in the app, or the service desk records the
  consent the parent gave in person or by phone (``consent_note`` is then required). Either way a one-time
  code (72 hours by default) goes to the child, who accepts it signed in with their own account: that
  account becomes (or stays) a resident record of the firm, with no unit of its own, and the link turns
  active. The code names the firm and its secret proves it, as an invitation's does.
- While active, the proxy receives the unit's bills and its SOS and fire alarms (notifications), pays its
  bills (payments) and issues visitor passes for it (visitors): those features read the link through the
  kernel's directory reader, never this package.
- Revocable by the parent (any resident of the unit), the desk, or the proxy themself; revoking stops all of
  it at once. Every change is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, epoch, to_iso
from courtyard.directory import DirectoryReader, UnitView
from courtyard.errors import Conflict, Forbidden, NotFound, Unprocessable
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from directory.adapters.cognito_identity import IdentityRepository
from directory.invites.models import format_code, new_secret, parse_code, secret_digest
from directory.invites.service import Claimant
from directory.people.models import PersonKind, Resident, UserLinkRecord
from directory.people.repository import PeopleRepository, TransactionRefused
from directory.proxies.models import Proxy, ProxyCreate, ProxyStatus
from directory.proxies.repository import ProxyRepository

DESK = (Role.MANAGER, Role.SERVICE_DESK)
RESIDENT_GROUP = Role.RESIDENT.value


class ProxyService:
    def __init__(
        self,
        proxies: ProxyRepository,
        people: PeopleRepository,
        reader: DirectoryReader,
        audit: AuditWriter,
        clock: Clock,
        identity: IdentityRepository,
    ) -> None:
        self._proxies = proxies
        self._people = people
        self._reader = reader
        self._audit = audit
        self._clock = clock
        self._identity = identity

    def create(self, ctx: TenantContext, unit_id: str, request: ProxyCreate) -> tuple[Proxy, str]:
        """A new link waiting for the child; the code (shown once)."""
        unit = self._unit(ctx, unit_id)
        if ctx.has_role(*DESK) and ctx.on_behalf_of is None:
            if not request.consent_note:
                raise Unprocessable(
                    "record how and when the resident consented",
                    [{"loc": ["body", "consent_note"], "type": "missing", "msg": "required for the desk"}],
                )
            consent_by = "desk"
        elif self._member(ctx, unit.unit_id):
            consent_by = "resident"
        else:
            raise NotFound("unit")
        now = self._clock.now().replace(microsecond=0)
        secret = new_secret()
        expires = now + timedelta(hours=request.expires_in_hours)
        proxy = Proxy(
            tenant_id=ctx.tenant_id,
            proxy_id=new_id(),
            unit_id=unit.unit_id,
            site_id=unit.site_id,
            status=ProxyStatus.INVITED,
            proxy_name=request.proxy_name,
            relation=request.relation,
            consent_by=consent_by,
            consent_note=request.consent_note,
            created_by=ctx.user_id,
            created_at=to_iso(now),
            code_digest=secret_digest(ctx.tenant_id, secret),
            expires_at=to_iso(expires),
            unit_label=unit.label,
        )
        audit = self._audit.put_action(
            ctx,
            "proxy.create",
            "proxy",
            proxy.proxy_id,
            {"unit_id": unit.unit_id, "consent_by": consent_by, "relation": request.relation},
        )
        self._proxies.create(proxy, audit, ttl=epoch(expires + timedelta(days=1)))
        return proxy, format_code(ctx.tenant_id, secret)

    def of_unit(self, ctx: TenantContext, unit_id: str) -> list[Proxy]:
        unit = self._unit(ctx, unit_id)
        if not (ctx.has_role(*DESK) or self._member(ctx, unit.unit_id)):
            raise NotFound("unit")
        return self._proxies.of_unit(ctx.tenant_id, unit.unit_id)

    def mine(self, ctx: TenantContext) -> list[Proxy]:
        """The links the caller acts through (as the proxy)."""
        resident_id = self._resident_id(ctx)
        if resident_id is None:
            return []
        links = self._reader.proxy_links(ctx.tenant_id, resident_id)
        result: list[Proxy] = []
        for link in links:
            for proxy in self._proxies.of_unit(ctx.tenant_id, link.unit_id):
                if proxy.status is ProxyStatus.ACTIVE and proxy.proxy_resident_id == resident_id:
                    result.append(proxy)
        return result

    def accept(self, code: str, claimant: Claimant) -> Proxy:
        try:
            tenant_id, secret = parse_code(code)
        except ValueError:
            raise NotFound("proxy code") from None
        if claimant.tenant_id is not None and claimant.tenant_id != tenant_id:
            raise Conflict("this account belongs to another property firm")
        tenant = self._reader.tenant(tenant_id)
        proxy = self._proxies.by_code(tenant_id, secret_digest(tenant_id, secret)) if tenant else None
        if proxy is None:
            raise NotFound("proxy code")
        if proxy.status is ProxyStatus.ACTIVE and proxy.proxy_user_id == claimant.user_id:
            return proxy  # the same account again: the first answer was lost
        if proxy.status is not ProxyStatus.INVITED:
            raise Conflict("this code has already been used or the link was revoked")
        now = self._clock.now()
        if to_iso(now) >= proxy.expires_at:
            raise Conflict("this code has expired: ask for a new one")
        at = to_iso(now)
        tx = self._proxies.tx()
        account = self._people.user_link(tenant_id, claimant.user_id)
        if account is not None and account.kind is not PersonKind.RESIDENT:
            raise Conflict("this is a staff account of the firm; accept with a personal account")
        if account is not None:
            resident_id = account.person_id
            if any(m.resident_id == resident_id for m in self._reader.unit_members(tenant_id, proxy.unit_id)):
                raise Conflict("you already live in this unit: no proxy link is needed")
        else:
            resident = Resident(
                resident_id=new_id(),
                name=claimant.name or proxy.proxy_name,
                phone=None,
                id_number=None,
                email=claimant.email,
                user_id=claimant.user_id,
                username=claimant.username,
                created_at=at,
                updated_at=at,
            )
            resident_id = resident.resident_id
            self._people.add_new_resident(tx, tenant_id, resident)
            self._people.add_user_link(
                tx,
                tenant_id,
                UserLinkRecord(claimant.user_id, PersonKind.RESIDENT, resident_id, claimant.username),
                at,
            )
        self._proxies.activate(tx, proxy, resident_id, claimant.user_id, at)
        tx.include(
            "audit",
            self._audit.put_action(
                None,
                "proxy.accept",
                "proxy",
                proxy.proxy_id,
                {"unit_id": proxy.unit_id, "proxy_resident_id": resident_id},
                actor=claimant.user_id,
                tenant_id=tenant_id,
            ),
        )
        try:
            tx.run()
        except TransactionRefused as refused:
            raise Conflict("this code has just been used, or the account changed: try again") from refused
        if claimant.tenant_id is None:
            self._identity.join_tenant(claimant.username, tenant_id, RESIDENT_GROUP)
        return replace(
            proxy,
            status=ProxyStatus.ACTIVE,
            proxy_resident_id=resident_id,
            proxy_user_id=claimant.user_id,
            accepted_at=at,
        )

    def revoke(self, ctx: TenantContext, unit_id: str, proxy_id: str) -> Proxy:
        unit = self._unit(ctx, unit_id)
        proxy = self._proxies.get(ctx.tenant_id, unit.unit_id, proxy_id)
        if proxy is None:
            raise NotFound("proxy")
        allowed = (
            ctx.has_role(*DESK)
            or self._member(ctx, unit.unit_id)
            or (proxy.proxy_user_id is not None and proxy.proxy_user_id == ctx.user_id)
        )
        if not allowed:
            raise NotFound("proxy")
        if proxy.status is ProxyStatus.REVOKED:
            return proxy  # revoking twice is revoking once
        at = to_iso(self._clock.now())
        audit = self._audit.put_action(
            ctx, "proxy.revoke", "proxy", proxy.proxy_id, {"unit_id": unit.unit_id, "was": proxy.status.value}
        )
        self._proxies.revoke(proxy, ctx.user_id, at, audit)
        return replace(proxy, status=ProxyStatus.REVOKED, revoked_at=at, revoked_by=ctx.user_id)

    # ------------------------------------------------------------ helpers

    def _unit(self, ctx: TenantContext, unit_id: str) -> UnitView:
        if not ctx.has_role(*DESK, Role.RESIDENT):
            raise Forbidden("family proxies are for residents and the service desk")
        unit = self._reader.unit(ctx.tenant_id, unit_id) if unit_id.isalnum() else None
        if unit is None:
            raise NotFound("unit")
        return unit

    def _resident_id(self, ctx: TenantContext) -> str | None:
        if ctx.on_behalf_of:
            return ctx.on_behalf_of
        link = self._reader.user(ctx.tenant_id, ctx.user_id)
        return link.person_id if link is not None and link.kind == "resident" else None

    def _member(self, ctx: TenantContext, unit_id: str) -> bool:
        """Whether the caller (or the resident the desk acts for) lives in the unit."""
        resident_id = self._resident_id(ctx)
        return resident_id is not None and any(
            m.resident_id == resident_id for m in self._reader.unit_members(ctx.tenant_id, unit_id)
        )
