"""People rules: residents and their units, who sees whom, masking and its audit, /me, personal-data rights.

Who may do what (documented choices where the issue is silent):
- create/edit residents and link them to units: manager, service desk; a resident edits their own name, email
  and phone (not the ID number, which the office verifies against a document).
- list residents: manager, service desk and finance (billing) list freely; technicians and guards list one
  unit at a time (the people to ask for at a door or a gate), never the whole directory; looking a number
  up (``phone=``) needs a role that sees full numbers (manager, service desk), or it would reveal owners.
- a resident lists and reads only themself and the current people of their own units.
- write responses carry masked values (the writer just sent them); reading full values is a GET, audited.
- assisted mode (``X-On-Behalf-Of``) acts for a resident on PATCH /residents/{id} only here; it never
  exports or erases a person nor opens an account for them (courtyard.assisted; the resolver refuses it).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, epoch, to_iso
from courtyard.crypto import mask_phone
from courtyard.directory import DirectoryReader
from courtyard.errors import Conflict, Forbidden, Invalid, NotFound, idempotency_key_reused
from courtyard.events import EventPublisher
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from directory.access import (
    sees_contact_details,
    sees_full_id_number,
    sees_full_phone,
    shown_id_number,
    shown_phone,
)
from directory.adapters.cognito_identity import IdentityRepository
from directory.people.models import (
    Export,
    LinkSource,
    Me,
    PersonKind,
    Resident,
    ResidentChanges,
    ResidentCreate,
    ResidentLink,
    ResidentPage,
    ResidentUpdate,
    TenantInfo,
    UnitLinkCreate,
    UnitSlot,
)
from directory.people.repository import PeopleRepository
from schemas.events import ResidentErased, ResidentPhoneChanged

EDIT_ROLES = (Role.MANAGER, Role.SERVICE_DESK)
DIRECTORY_ROLES = (Role.MANAGER, Role.SERVICE_DESK, Role.FINANCE)
UNIT_SCOPED_ROLES = (Role.TECHNICIAN, Role.GUARD)
PHONE_LOOKUP_ROLES = (Role.MANAGER, Role.SERVICE_DESK)
STAFF_READERS = (*DIRECTORY_ROLES, *UNIT_SCOPED_ROLES)
# Not the phone: a resident changes it by proving the new number (directory.phones), so no answer here
# can tell whether a number is registered.
RESIDENT_EDITABLE = frozenset({"name", "email"})


class PeopleService:
    def __init__(
        self,
        repo: PeopleRepository,
        reader: DirectoryReader,
        audit: AuditWriter,
        events: EventPublisher,
        clock: Clock,
        identity: IdentityRepository,
        idempotency_hours: int = 24,
    ) -> None:
        self._idempotency = timedelta(hours=idempotency_hours)
        self._repo = repo
        self._reader = reader
        self._audit = audit
        self._events = events
        self._clock = clock
        self._identity = identity

    # ------------------------------------------------------------ residents

    def create(
        self, ctx: TenantContext, request: ResidentCreate, idempotency_key: str | None = None
    ) -> tuple[Resident, bool]:
        """Register a resident; ``(resident, False)`` when the caller's Idempotency-Key was seen before.

        The key's claim is written in the resident's transaction: a retry after any failure finds both (and
        answers the same resident, masked, instead of "phone already registered") or neither.
        """
        ctx.require(*EDIT_ROLES)
        claim: tuple[str, str, str] | None = None
        if idempotency_key is not None:
            key_digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
            request_digest = self._repo.request_digest(
                ctx.tenant_id, f"{ctx.on_behalf_of}|{request.model_dump_json()}"
            )
            replay = self._replay(ctx, key_digest, request_digest)
            if replay is not None:
                return replay, False
            claim = (ctx.user_id, key_digest, request_digest)
        slots = [self._unit(ctx, link.unit_id) for link in request.units]
        at = self._clock.now()
        now = to_iso(at)
        resident_id = new_id()
        links = tuple(
            ResidentLink(
                resident_id=resident_id,
                unit_id=slot.unit_id,
                site_id=slot.site_id,
                room_key=slot.room_key,
                relation=link.relation,
                primary=link.primary,
                since=now,
            )
            for link, slot in zip(request.units, slots, strict=True)
        )
        resident = Resident(
            resident_id=resident_id,
            name=request.name,
            phone=request.phone,
            id_number=request.id_number,
            email=request.email,
            user_id=None,
            username=None,
            created_at=now,
            updated_at=now,
            units=links,
        )
        fields = [f for f in ("email", "id_number", "name", "phone") if getattr(request, f) is not None]
        audit = self._audit.put_action(
            ctx, "create", "resident", resident_id, {"fields": fields, "unit_ids": [s.unit_id for s in slots]}
        )
        try:
            self._repo.create(
                ctx.tenant_id,
                resident,
                list(zip(links, slots, strict=True)),
                claim,
                epoch(at + self._idempotency),
                audit,
            )
        except Conflict:
            if claim is None:
                raise
            # A concurrent retry with the same key won the claim: answer as the retry it is.
            replay = self._replay(ctx, claim[1], claim[2])
            if replay is None:
                raise
            return replay, False
        return _masked(resident), True

    def _replay(self, ctx: TenantContext, key_digest: str, request_digest: str) -> Resident | None:
        claim = self._repo.idempotency_claim(ctx.tenant_id, ctx.user_id, key_digest)
        if claim is None:
            return None
        resident_id, claimed_digest = claim
        if claimed_digest != request_digest:
            raise idempotency_key_reused()
        resident = self._repo.resident(ctx.tenant_id, resident_id, consistent=True)
        if resident is None:
            raise NotFound("resident")
        return _masked(resident)

    def get(self, ctx: TenantContext, resident_id: str) -> Resident:
        if ctx.is_staff:
            ctx.require(*STAFF_READERS)
            resident = self._repo.resident(ctx.tenant_id, resident_id)
            if resident is None:
                raise NotFound("resident")
        else:
            ctx.require(Role.RESIDENT)
            household = self._household(ctx)
            if resident_id not in household.people:
                raise NotFound("resident")
            resident = self._repo.resident(ctx.tenant_id, resident_id)
            if resident is None:
                raise NotFound("resident")
            if resident_id != household.self_id:
                # A neighbour's other homes are not the caller's business: only the units they share.
                shared = [link for link in resident.current_units if link.unit_id in household.units]
                resident = replace(resident, units=tuple(shared))
        return self._shown_audited(ctx, [resident])[0]

    def find(
        self,
        ctx: TenantContext,
        *,
        unit_id: str | None,
        site_id: str | None,
        phone: str | None,
        limit: int,
        cursor: str | None,
    ) -> ResidentPage:
        if sum(f is not None for f in (unit_id, site_id, phone)) > 1:
            raise Invalid("filter by one of unit_id, site_id or phone")
        if not ctx.is_staff:
            ctx.require(Role.RESIDENT)
            return self._list_household(
                ctx, unit_id=unit_id, site_id=site_id, phone=phone, limit=limit, cursor=cursor
            )
        ctx.require(*STAFF_READERS)
        if not ctx.has_role(*DIRECTORY_ROLES) and unit_id is None:
            raise Forbidden("technicians and guards list the residents of one unit at a time (unit_id)")
        if phone is not None:
            ctx.require(*PHONE_LOOKUP_ROLES)
            found = self._repo.resident_id_by_phone(ctx.tenant_id, phone)
            resident = self._repo.resident(ctx.tenant_id, found) if found else None
            return ResidentPage(self._shown_audited(ctx, [resident] if resident else []), None)
        if unit_id is not None:
            self._unit(ctx, unit_id)
            links, next_cursor = self._repo.page_unit(ctx.tenant_id, unit_id, limit, cursor)
            residents = self._with_links(ctx, [link for link in links if not link.erased])
        elif site_id is not None:
            if not self._repo.site_exists(ctx.tenant_id, site_id):
                raise NotFound("site")
            links, next_cursor = self._repo.page_site(ctx.tenant_id, site_id, limit, cursor)
            residents = self._with_links(ctx, [link for link in links if not link.erased])
        else:
            residents, next_cursor = self._repo.page_all(ctx.tenant_id, limit, cursor)
        return ResidentPage(self._shown_audited(ctx, residents), next_cursor)

    def update(self, ctx: TenantContext, resident_id: str, request: ResidentUpdate) -> Resident:
        if ctx.on_behalf_of is not None and ctx.on_behalf_of != resident_id:
            raise Invalid("X-On-Behalf-Of names another resident than the one being changed")
        if ctx.has_role(*EDIT_ROLES):
            current = self._repo.resident(ctx.tenant_id, resident_id)
            if current is None:
                raise NotFound("resident")
        else:
            ctx.require(Role.RESIDENT)
            household = self._household(ctx)
            if resident_id not in household.people:
                raise NotFound("resident")
            if resident_id != household.self_id:
                raise Forbidden("residents change only their own details")
            if not request.model_fields_set <= RESIDENT_EDITABLE:
                raise Forbidden(
                    "the ID number is changed by the property office, against a document; a new phone "
                    "number is confirmed by a texted code (POST /me/phone)"
                )
            current = self._repo.resident(ctx.tenant_id, resident_id)
            if current is None:
                raise NotFound("resident")
        if current.erased:
            raise Conflict("this resident's data was erased")
        fields = frozenset(request.model_fields_set)
        changes = ResidentChanges(
            fields=fields,
            name=request.name,
            phone=request.phone,
            id_number=request.id_number,
            email=request.email,
        )
        now = to_iso(self._clock.now())
        self._repo.update(ctx.tenant_id, current, changes, now)
        self._audit.record(ctx, "update", "resident", resident_id, {"fields": sorted(fields)})
        if "phone" in fields and request.phone and request.phone != current.phone and current.user_id:
            # The resident's sign-in number follows (identity consumes it); the bus carries its digest only.
            self._events.publish(
                "ResidentPhoneChanged",
                ResidentPhoneChanged(
                    tenant_id=ctx.tenant_id,
                    resident_id=resident_id,
                    user_id=current.user_id,
                    sign_in_phone_digest=self._repo.sign_in_phone_digest(request.phone),
                    occurred_at=self._clock.now(),
                ),
            )
        updated = replace(
            current,
            name=request.name if "name" in fields and request.name else current.name,
            phone=request.phone if "phone" in fields and request.phone else current.phone,
            id_number=request.id_number if "id_number" in fields else current.id_number,
            email=request.email if "email" in fields else current.email,
            updated_at=now,
        )
        return _masked(updated)

    def link(self, ctx: TenantContext, unit_id: str, request: UnitLinkCreate) -> tuple[ResidentLink, bool]:
        """Link a resident to a unit, or change an existing link; True when the link is new."""
        ctx.require(*EDIT_ROLES)
        slot = self._unit(ctx, unit_id)
        resident = self._repo.resident(ctx.tenant_id, request.resident_id)
        if resident is None:
            raise NotFound("resident")
        if resident.erased:
            raise Conflict("this resident's data was erased")
        existing = next((link for link in resident.current_units if link.unit_id == unit_id), None)
        link = self.new_link(slot, request.resident_id, request, existing=existing)
        self._repo.link(ctx.tenant_id, link, slot)
        self._audit.record(
            ctx,
            "link_resident",
            "unit",
            unit_id,
            {"resident_id": link.resident_id, "relation": link.relation.value, "primary": link.primary},
        )
        return link, existing is None

    def new_link(
        self,
        slot: UnitSlot,
        resident_id: str,
        request: UnitLinkCreate,
        *,
        existing: ResidentLink | None = None,
        source: LinkSource = LinkSource.STAFF,
    ) -> ResidentLink:
        return ResidentLink(
            resident_id=resident_id,
            unit_id=slot.unit_id,
            site_id=slot.site_id,
            room_key=slot.room_key,
            relation=request.relation,
            primary=request.primary,
            since=existing.since if existing else to_iso(self._clock.now()),
            source=existing.source if existing else source,
        )

    # ------------------------------------------------------------ the signed-in person

    def me(self, ctx: TenantContext) -> Me:
        """Identity, tenant and person, in one read when the token names the person (``person_id``).

        The own phone is shown masked, so an ordinary ``GET /me`` reads no personal data and writes no
        audit record (issue 18: one call); the full number is in ``GET /me/export``, which is audited.
        """
        view = self._reader.tenant(ctx.tenant_id)
        tenant = (
            TenantInfo(view.tenant_id, view.name, view.status, view.timezone, view.currency, view.locale)
            if view
            else None
        )
        me = Me(
            tenant_id=ctx.tenant_id,
            user_id=ctx.user_id,
            username=ctx.username,
            roles=tuple(sorted(r.value for r in ctx.roles)),
            tenant=tenant,
        )
        who = self._caller(ctx)
        if who is None:
            return me
        kind, person_id = who
        if kind is PersonKind.RESIDENT:
            resident = self._repo.resident(ctx.tenant_id, person_id)
            if resident is None or (resident.user_id is not None and resident.user_id != ctx.user_id):
                return me
            shown = replace(resident, id_number=None, phone=_masked_phone(resident.phone))
            return replace(me, kind=PersonKind.RESIDENT, resident=shown)
        staff = self._repo.staff(ctx.tenant_id, person_id)
        if staff is None:
            return me
        return replace(me, kind=PersonKind.STAFF, staff=replace(staff, phone=_masked_phone(staff.phone)))

    def _caller(self, ctx: TenantContext) -> tuple[PersonKind, str] | None:
        """Who the caller is in the directory: from the token's ``person_id`` (staff roles name a staff
        record, the resident role a resident), else from the user link."""
        if ctx.person_id is not None:
            return (PersonKind.STAFF if ctx.is_staff else PersonKind.RESIDENT), ctx.person_id
        link = self._repo.user_link(ctx.tenant_id, ctx.user_id)
        return (link.kind, link.person_id) if link is not None else None

    def export(self, ctx: TenantContext) -> Export:
        """Everything the directory holds about the caller (or assisted resident), unmasked and audited."""
        tenant_view = self._reader.tenant(ctx.tenant_id)
        tenant = (
            TenantInfo(
                tenant_view.tenant_id,
                tenant_view.name,
                tenant_view.status,
                tenant_view.timezone,
                tenant_view.currency,
                tenant_view.locale,
            )
            if tenant_view
            else None
        )
        now = to_iso(self._clock.now())
        _not_assisted(ctx, "exports")
        link = self._repo.user_link(ctx.tenant_id, ctx.user_id)
        if link is None:
            raise NotFound("person record")
        kind, person_id = link.kind, link.person_id
        if kind is PersonKind.STAFF:
            staff = self._repo.staff(ctx.tenant_id, person_id)
            if staff is None:
                raise NotFound("person record")
            fields = [f for f in ("email", "name", "phone") if getattr(staff, f)]
            self._audit.record(ctx, "export_personal_data", "staff", person_id, {"fields": fields})
            return Export(now, tenant, ctx.user_id, ctx.username, PersonKind.STAFF, staff=staff)
        resident = self._repo.resident(ctx.tenant_id, person_id)
        if resident is None:
            raise NotFound("person record")
        fields = [f for f in ("email", "id_number", "name", "phone") if getattr(resident, f)]
        self._audit.record(ctx, "export_personal_data", "resident", person_id, {"fields": fields})
        return Export(
            exported_at=now,
            tenant=tenant,
            user_id=resident.user_id,
            username=resident.username,
            kind=PersonKind.RESIDENT,
            resident=resident,
            links=resident.units or (),
        )

    def erase(self, ctx: TenantContext) -> tuple[Resident, bool]:
        """Anonymise the resident, disable their account and tell other features; again changes nothing.

        Staff records are not erased here (employment records have their own retention): 403 for staff.
        """
        _not_assisted(ctx, "erases")
        if ctx.is_staff or not ctx.has_role(Role.RESIDENT):
            raise Forbidden("staff accounts are closed by the property firm, not erased here")
        link = self._repo.user_link(ctx.tenant_id, ctx.user_id)
        if link is None:
            raise NotFound("person record")
        if link.kind is not PersonKind.RESIDENT:
            raise Conflict("staff records are not erased here; ask the property firm's manager")
        resident_id = link.person_id
        resident = self._repo.resident(ctx.tenant_id, resident_id)
        if resident is None:
            raise NotFound("person record")
        if resident.erased:
            return resident, resident.user_id is not None
        # Sign-in is refused and the sessions revoked before the data goes, then the account itself (and with
        # it the name, email and phone Cognito holds) is deleted: a failure part-way leaves a locked state
        # that a retry finishes, since the record still names the account until the erasure below.
        if resident.username:
            self._identity.disable(resident.username)
            self._identity.delete(resident.username)
        now = self._clock.now()
        self._repo.erase(ctx.tenant_id, resident, to_iso(now))
        self._events.publish(
            "ResidentErased",
            ResidentErased(
                tenant_id=ctx.tenant_id,
                resident_id=resident_id,
                user_id=resident.user_id,
                occurred_at=now,
            ),
        )
        self._audit.record(
            ctx,
            "erase_personal_data",
            "resident",
            resident_id,
            {
                "fields": ["name", "phone", "id_number", "email"],
                "account_disabled": resident.username is not None,
            },
        )
        erased = self._repo.resident(ctx.tenant_id, resident_id)
        return (erased or resident), resident.user_id is not None

    # ------------------------------------------------------------ helpers

    def require_resident(self, ctx: TenantContext, resident_id: str) -> Resident:
        """The resident of the caller's tenant (assisted mode's subject); 404 when there is none."""
        resident = self._repo.resident(ctx.tenant_id, resident_id)
        if resident is None:
            raise NotFound("resident")
        return resident

    def _unit(self, ctx: TenantContext, unit_id: str) -> UnitSlot:
        slot = self._repo.unit_slot(ctx.tenant_id, unit_id)
        if slot is None:
            raise NotFound("unit")
        return slot

    def _with_links(self, ctx: TenantContext, links: list[ResidentLink]) -> list[Resident]:
        """Residents of a page of links, each with the links of that page, in the page's order."""
        by_id = self._repo.residents(ctx.tenant_id, (link.resident_id for link in links))
        grouped: dict[str, list[ResidentLink]] = {}
        for link in links:
            grouped.setdefault(link.resident_id, []).append(link)
        return [replace(by_id[rid], units=tuple(group)) for rid, group in grouped.items() if rid in by_id]

    def _household(self, ctx: TenantContext) -> _Household:
        link = self._repo.user_link(ctx.tenant_id, ctx.user_id)
        if link is None or link.kind is not PersonKind.RESIDENT:
            return _Household(None, {}, set())
        me = self._repo.resident(ctx.tenant_id, link.person_id)
        if me is None or me.erased:
            return _Household(None, {}, set())
        units = {
            unit.unit_id: [m for m in self._repo.unit_members(ctx.tenant_id, unit.unit_id) if not m.erased]
            for unit in me.current_units
        }
        people = {me.resident_id} | {m.resident_id for members in units.values() for m in members}
        return _Household(me.resident_id, units, people)

    def _list_household(
        self,
        ctx: TenantContext,
        *,
        unit_id: str | None,
        site_id: str | None,
        phone: str | None,
        limit: int,
        cursor: str | None,
    ) -> ResidentPage:
        if phone is not None:
            raise Forbidden("residents cannot look people up by phone number")
        household = self._household(ctx)
        units = household.units
        if unit_id is not None:
            if unit_id not in units:
                raise NotFound("unit")
            units = {unit_id: units[unit_id]}
        elif site_id is not None:
            units = {u: ms for u, ms in units.items() if any(m.site_id == site_id for m in ms)}
        links = [m for members in units.values() for m in members]
        ids = {m.resident_id for m in links}
        if unit_id is None and site_id is None and household.self_id:
            ids.add(household.self_id)
        scope = f"household:{unit_id or ''}:{site_id or ''}"
        page_ids, next_cursor = self._repo.page_of_ids(ctx.tenant_id, sorted(ids), limit, cursor, scope)
        by_id = self._repo.residents(ctx.tenant_id, page_ids)
        residents = [
            replace(by_id[rid], units=tuple(link for link in links if link.resident_id == rid))
            for rid in page_ids
            if rid in by_id
        ]
        return ResidentPage(self._shown_audited(ctx, residents), next_cursor)

    def _shown_audited(self, ctx: TenantContext, residents: list[Resident]) -> list[Resident]:
        """Mask what the caller may not see in full; one audit record names every full value shown."""
        shown: list[Resident] = []
        fields: set[str] = set()
        subjects: list[str] = []
        for resident in residents:
            full_phone = sees_full_phone(ctx, resident.user_id) and resident.phone is not None
            full_id = sees_full_id_number(ctx, resident.user_id) and resident.id_number is not None
            contact = sees_contact_details(ctx, resident.user_id)
            shown.append(
                replace(
                    resident,
                    phone=shown_phone(resident.phone, full_phone),
                    id_number=shown_id_number(resident.id_number, full_id) if contact else None,
                    email=resident.email if contact else None,
                )
            )
            if full_phone or full_id:
                fields.update(name for name, full in (("phone", full_phone), ("id_number", full_id)) if full)
                subjects.append(resident.resident_id)
        if subjects:
            self._audit.record(
                ctx,
                "read_personal_data",
                "resident",
                subjects[0] if len(subjects) == 1 else None,
                {"fields": sorted(fields), "resident_ids": subjects},
            )
        return shown


class _Household:
    """The caller's resident id, their current units with the people in them, and everyone they may see."""

    __slots__ = ("people", "self_id", "units")

    def __init__(self, self_id: str | None, units: dict[str, list[ResidentLink]], people: set[str]) -> None:
        self.self_id = self_id
        self.units = units
        self.people = people


def _not_assisted(ctx: TenantContext, what: str) -> None:
    """Assisted mode never exports or erases a person (the resolver refuses the header on these routes
    already; this keeps the rule true if a route is ever added to courtyard.assisted by mistake)."""
    if ctx.on_behalf_of is not None:
        raise Forbidden(f"assisted mode never {what} a person's data; the person does it themself")


def _masked(resident: Resident) -> Resident:
    return replace(
        resident,
        phone=shown_phone(resident.phone, False),
        id_number=shown_id_number(resident.id_number, False),
    )


def _masked_phone(phone: str | None) -> str | None:
    return mask_phone(phone) if phone else None
