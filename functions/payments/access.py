"""Who may see and pay which bills: staff see the firm's, residents their own units' and those of the parents
they are the active family proxy of (子女代办, the directory's proxy links), and an agent acting for a
resident (``X-On-Behalf-Of``) exactly that resident's."""

from __future__ import annotations

from typing import Protocol

from courtyard.directory import ResidentUnitView, ResidentView, UserLink
from courtyard.errors import Forbidden, NotFound
from courtyard.tenancy import Role, TenantContext
from payments.domain import Payment

BILL_READERS = (Role.MANAGER, Role.FINANCE, Role.SERVICE_DESK)
MANAGERS = (Role.MANAGER, Role.FINANCE)


class People(Protocol):
    """What deciding who pays which bills reads of the directory (``courtyard.directory.DirectoryReader``)."""

    def user(self, tenant_id: str, user_id: str) -> UserLink | None: ...
    def resident(self, tenant_id: str, resident_id: str) -> ResidentView | None: ...
    def resident_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]: ...
    def proxy_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]: ...


def units_of(directory: People, tenant_id: str, resident_id: str) -> set[str]:
    """A resident's own units and the units they act for as an active family proxy (revoked: gone)."""
    own = {link.unit_id for link in directory.resident_links(tenant_id, resident_id)}
    return own | {link.unit_id for link in directory.proxy_links(tenant_id, resident_id)}


def resident_of(directory: People, ctx: TenantContext) -> str | None:
    """The resident the caller pays as: the one acted for, or the caller's own resident record."""
    if ctx.on_behalf_of:
        if directory.resident(ctx.tenant_id, ctx.on_behalf_of) is None:
            raise NotFound("resident")
        return ctx.on_behalf_of
    if ctx.is_resident:
        link = directory.user(ctx.tenant_id, ctx.user_id)
        if link is None or link.kind != "resident":
            raise Forbidden("this login is not linked to a resident")
        return link.person_id
    return None


def visible_units(directory: People, ctx: TenantContext) -> set[str] | None:
    """The units whose bills the caller sees; None for staff who see every unit of the firm."""
    resident_id = resident_of(directory, ctx)
    if resident_id is not None:
        return units_of(directory, ctx.tenant_id, resident_id)
    if ctx.has_role(*BILL_READERS):
        return None
    raise Forbidden("bills are for residents and for manager, finance and service desk staff")


def sees_payment(directory: People, ctx: TenantContext, payment: Payment) -> bool:
    """Whether the caller may see a payment's papers (receipt, invoice request): the firm's bill readers,
    whoever paid it or was paid for, and the residents (and active family proxies) of the units it paid for;
    a neighbour may not."""
    if ctx.has_role(*BILL_READERS) and not ctx.on_behalf_of:
        return True
    if payment.payer_user_id == ctx.user_id:
        return True
    resident_id = resident_of(directory, ctx) if (ctx.is_resident or ctx.on_behalf_of) else None
    if resident_id is None:
        return False
    if payment.on_behalf_of == resident_id:
        return True
    return bool(set(payment.unit_ids) & units_of(directory, ctx.tenant_id, resident_id))
