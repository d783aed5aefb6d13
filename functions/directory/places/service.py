"""Places rules: who may create and see communities, buildings and units, and how rooms are identified."""

from __future__ import annotations

import re
from typing import Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, to_iso
from courtyard.dynamo import Page
from courtyard.errors import NotFound, Unprocessable
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from directory.imports.rooms import RoomFormatError, RoomRef, canonical_building, parse_room, parse_room_parts
from directory.places.models import (
    Building,
    BuildingCreate,
    BuildingCreated,
    Site,
    SiteCreate,
    SiteCreated,
    Unit,
    UnitCreate,
    UnitCreated,
    UnitFilter,
    UnitUpdate,
    UnitUpdated,
)

SITE_WRITERS = (Role.MANAGER,)
BUILDING_WRITERS = (Role.MANAGER,)
UNIT_WRITERS = (Role.MANAGER, Role.SERVICE_DESK)
READERS = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT)
DEFAULT_TIMEZONE = "Asia/Shanghai"
_BUILDING_MARKS = ("号楼", "栋", "幢", "座", "楼")
# Ids are ULIDs; anything that could not be one (a "#", a slash) is simply not found, never a key part.
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


# ------------------------------------------------------------------ pure rules


def building_code_from(name: str, code: str | None = None) -> str:
    """The canonical code of a building: ``code`` if given, else derived from ``name`` ("1栋" -> "1").

    Raises RoomFormatError when neither reads as a building designation units could be addressed with.
    """
    return canonical_building(code if code else name)


def resolve_room(building_code: str | None, entrance: str | None, room: str) -> RoomRef:
    """The canonical room from the request's fields; the room may be a full designation or just a number.

    With a building given, ``room`` is first read as the part inside it ("0101", "1-101" = entrance 1,
    room 101), then as a full designation ("1-1-101") that must name the same building and entrance.
    """
    if building_code is None:
        ref = parse_room(room)
        if (
            entrance is not None
            and parse_room_parts(ref.building, entrance, ref.room).entrance != ref.entrance
        ):
            raise RoomFormatError("entrance and room designation name different entrances")
        return ref
    try:
        return parse_room_parts(building_code, entrance or "", room)
    except RoomFormatError as inside_error:
        try:
            ref = parse_room(room)
        except RoomFormatError:
            raise inside_error from None
    if ref.building != building_code:
        raise RoomFormatError("room designation names another building than the one given")
    if entrance is not None and parse_room_parts(building_code, entrance, ref.room).entrance != ref.entrance:
        raise RoomFormatError("entrance and room designation name different entrances")
    return ref


def _pad_building(code: str) -> str:
    letters = code.rstrip("0123456789")
    digits = code[len(letters) :]
    return letters + (digits.zfill(4) if digits else "")


def building_sort_prefix(code: str) -> str:
    """The start of every unit sort key of one building (``"0001-"``)."""
    return f"{_pad_building(code)}-"


def unit_sort_key(ref: RoomRef) -> str:
    """A key whose string order is the natural room order (1-1-201 before 1-1-1001, 2-x before 10-x)."""
    basement = ref.room.startswith("B")
    room = ("B" if basement else "") + ref.room.removeprefix("B").zfill(5)
    return f"{building_sort_prefix(ref.building)}{(ref.entrance or '0').zfill(3)}-{room}"


def unit_label(building_name: str, ref: RoomRef) -> str:
    """How people write the unit: the building as named ("A座") plus entrance and room: A座1单元101室."""
    building = building_name if building_name.endswith(_BUILDING_MARKS) else f"{ref.building}栋"
    entrance = f"{ref.entrance}单元" if ref.entrance is not None else ""
    return f"{building}{entrance}{ref.room}室"


def room_fit_problem(building: Building, ref: RoomRef) -> str | None:
    """Why the room cannot be in this building (entrance or floor out of range), or None."""
    if building.entrances is not None and ref.entrance is not None and int(ref.entrance) > building.entrances:
        return f"entrance {ref.entrance} is beyond the building's {building.entrances} entrance(s)"
    if building.floors is not None and ref.floor is not None and ref.floor > building.floors:
        return f"floor {ref.floor} is above the building's top floor ({building.floors})"
    return None


# ------------------------------------------------------------------ collaborators


class Places(Protocol):
    def tenant_timezone(self, tenant_id: str) -> str | None: ...
    def put_site(self, site: Site) -> None: ...
    def site(self, tenant_id: str, site_id: str) -> Site | None: ...
    def sites_page(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Site]: ...
    def sites_among(
        self, tenant_id: str, site_ids: set[str], limit: int, cursor: str | None
    ) -> Page[Site]: ...
    def create_building(self, building: Building) -> None: ...
    def building(self, tenant_id: str, site_id: str, building_id: str) -> Building | None: ...
    def building_by_code(self, tenant_id: str, site_id: str, code: str) -> Building | None: ...
    def buildings_page(
        self, tenant_id: str, site_id: str, limit: int, cursor: str | None
    ) -> Page[Building]: ...
    def create_unit(self, unit: Unit, sort_key: str, limit: int | None = None) -> None: ...
    def household_limit(self, tenant_id: str) -> int | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> Unit | None: ...
    def update_unit(self, tenant_id: str, unit_id: str, changes: dict[str, int | str], now: str) -> Unit: ...
    def units(self, tenant_id: str, unit_ids: list[str]) -> list[Unit]: ...
    def units_page(
        self,
        tenant_id: str,
        site_id: str,
        where: UnitFilter,
        building_code: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Unit]: ...
    def resident_unit_ids(self, tenant_id: str, user_id: str) -> list[str]: ...


class Events(Protocol):
    def publish(self, detail_type: str, detail: DomainEvent) -> object: ...


# ------------------------------------------------------------------ service


class PlacesService:
    def __init__(self, repo: Places, audit: AuditLog, events: Events, clock: Clock) -> None:
        self._repo = repo
        self._audit = audit
        self._events = events
        self._clock = clock

    # -------------------------------------------------------------- sites

    def create_site(self, ctx: TenantContext, request: SiteCreate) -> Site:
        ctx.require(*SITE_WRITERS)
        now = self._clock.now()
        site = Site(
            tenant_id=ctx.tenant_id,
            site_id=new_id(),
            name=request.name,
            address=request.address,
            city=request.city,
            district=request.district,
            timezone=request.timezone or self._repo.tenant_timezone(ctx.tenant_id) or DEFAULT_TIMEZONE,
            households_planned=request.households_planned,
            created_at=to_iso(now),
            created_by=ctx.user_id,
        )
        self._repo.put_site(site)
        self._audit.record(
            ctx, "site.create", "site", site.site_id, {"fields": sorted(request.model_fields_set)}
        )
        self._events.publish(
            "SiteCreated",
            SiteCreated(
                tenant_id=ctx.tenant_id,
                occurred_at=now,
                site_id=site.site_id,
                name=site.name,
                timezone=site.timezone,
            ),
        )
        return site

    def list_sites(self, ctx: TenantContext, limit: int, cursor: str | None) -> Page[Site]:
        ctx.require(*READERS)
        if ctx.is_staff:
            return self._repo.sites_page(ctx.tenant_id, limit, cursor)
        return self._repo.sites_among(ctx.tenant_id, self._resident_site_ids(ctx), limit, cursor)

    def get_site(self, ctx: TenantContext, site_id: str) -> Site:
        ctx.require(*READERS)
        return self._visible_site(ctx, site_id)

    # -------------------------------------------------------------- buildings

    def create_building(self, ctx: TenantContext, site_id: str, request: BuildingCreate) -> Building:
        ctx.require(*BUILDING_WRITERS)
        self._site(ctx, site_id)
        try:
            code = building_code_from(request.name, request.code)
        except RoomFormatError as error:
            field = "code" if request.code else "name"
            raise _unprocessable(field, "building_code", f"cannot derive a building code: {error}") from None
        now = self._clock.now()
        building = Building(
            tenant_id=ctx.tenant_id,
            site_id=site_id,
            building_id=new_id(),
            name=request.name,
            code=code,
            floors=request.floors,
            entrances=request.entrances,
            kind=request.kind,
            created_at=to_iso(now),
        )
        self._repo.create_building(building)
        self._audit.record(
            ctx, "building.create", "building", building.building_id, {"site_id": site_id, "code": code}
        )
        self._events.publish(
            "BuildingCreated",
            BuildingCreated(
                tenant_id=ctx.tenant_id,
                occurred_at=now,
                site_id=site_id,
                building_id=building.building_id,
                code=code,
            ),
        )
        return building

    def list_buildings(
        self, ctx: TenantContext, site_id: str, limit: int, cursor: str | None
    ) -> Page[Building]:
        ctx.require(*READERS)
        self._visible_site(ctx, site_id)
        return self._repo.buildings_page(ctx.tenant_id, site_id, limit, cursor)

    # -------------------------------------------------------------- units

    def create_unit(self, ctx: TenantContext, site_id: str, request: UnitCreate) -> tuple[Unit, Building]:
        ctx.require(*UNIT_WRITERS)
        self._site(ctx, site_id)
        building = self._building_for(ctx, site_id, request)
        try:
            ref = resolve_room(building.code if building else None, request.entrance, request.room)
        except RoomFormatError as error:
            raise _unprocessable("room", "room_format", str(error)) from None
        if building is None:
            building = self._repo.building_by_code(ctx.tenant_id, site_id, ref.building)
            if building is None:
                raise _unprocessable(
                    "room", "unknown_building", f"building {ref.building} is not in this site"
                )
        problem = room_fit_problem(building, ref)
        if problem:
            raise _unprocessable("room", "room_outside_building", problem)

        now = to_iso(self._clock.now())
        unit = Unit(
            tenant_id=ctx.tenant_id,
            unit_id=new_id(),
            site_id=site_id,
            building_id=building.building_id,
            building_code=building.code,
            entrance=ref.entrance,
            floor=ref.floor,
            room=ref.room,
            room_key=ref.key,
            label=unit_label(building.name, ref),
            area_centi_m2=request.area_centi_m2,
            kind=request.kind,
            occupancy=request.occupancy,
            created_at=now,
            updated_at=now,
        )
        self._repo.create_unit(unit, unit_sort_key(ref), self._repo.household_limit(ctx.tenant_id))
        self._audit.record(
            ctx,
            "unit.create",
            "unit",
            unit.unit_id,
            {"site_id": site_id, "building_id": building.building_id, "room_key": unit.room_key},
        )
        self._events.publish(
            "UnitCreated",
            UnitCreated(
                tenant_id=ctx.tenant_id,
                occurred_at=self._clock.now(),
                unit_id=unit.unit_id,
                site_id=site_id,
                building_id=building.building_id,
                room_key=unit.room_key,
                kind=unit.kind,
            ),
        )
        return unit, building

    def update_unit(
        self, ctx: TenantContext, unit_id: str, request: UnitUpdate
    ) -> tuple[Unit, Building | None]:
        """Change a unit's area, kind or occupancy; a request that changes nothing writes nothing."""
        ctx.require(*UNIT_WRITERS)
        unit = self._repo.unit(ctx.tenant_id, _known(unit_id, "unit"))
        if unit is None:
            raise NotFound("unit")
        current: dict[str, int | str] = {
            "area_centi_m2": unit.area_centi_m2,
            "kind": unit.kind.value,
            "occupancy": unit.occupancy.value,
        }
        changes = {name: value for name, value in request.changes().items() if current[name] != value}
        if changes:
            now = self._clock.now()
            unit = self._repo.update_unit(ctx.tenant_id, unit_id, changes, to_iso(now))
            self._audit.record(ctx, "unit.update", "unit", unit_id, {"fields": sorted(changes)})
            self._events.publish(
                "UnitUpdated",
                UnitUpdated(
                    tenant_id=ctx.tenant_id,
                    occurred_at=now,
                    unit_id=unit_id,
                    site_id=unit.site_id,
                    fields=sorted(changes),
                    occupancy=unit.occupancy,
                ),
            )
        return unit, self._repo.building(ctx.tenant_id, unit.site_id, unit.building_id)

    def list_units(
        self, ctx: TenantContext, site_id: str, where: UnitFilter, limit: int, cursor: str | None
    ) -> Page[Unit]:
        ctx.require(*READERS)
        if ctx.is_staff:
            self._site(ctx, site_id)
            code = None
            if where.building_id is not None:
                building = None
                if _ID.fullmatch(where.building_id):
                    building = self._repo.building(ctx.tenant_id, site_id, where.building_id)
                if building is None:
                    message = "building_id is not a building of this site"
                    raise Unprocessable(
                        message,
                        [{"loc": ["query", "building_id"], "type": "unknown_building", "msg": message}],
                    )
                code = building.code
            return self._repo.units_page(ctx.tenant_id, site_id, where, code, limit, cursor)
        # A resident's own units: a handful, so one page in room order; a site without any is not theirs.
        own = [u for u in self._resident_units(ctx) if u.site_id == site_id]
        if not own:
            raise NotFound("site")
        matching = sorted((u for u in own if where.matches(u)), key=lambda u: u.room_key)
        return Page(items=matching[:limit])

    def get_unit(self, ctx: TenantContext, unit_id: str) -> tuple[Unit, Building | None]:
        ctx.require(*READERS)
        if not ctx.is_staff and unit_id not in self._repo.resident_unit_ids(ctx.tenant_id, ctx.user_id):
            raise NotFound("unit")
        unit = self._repo.unit(ctx.tenant_id, _known(unit_id, "unit"))
        if unit is None:
            raise NotFound("unit")
        return unit, self._repo.building(ctx.tenant_id, unit.site_id, unit.building_id)

    # -------------------------------------------------------------- helpers

    def _site(self, ctx: TenantContext, site_id: str) -> Site:
        site = self._repo.site(ctx.tenant_id, _known(site_id, "site"))
        if site is None:
            raise NotFound("site")
        return site

    def _visible_site(self, ctx: TenantContext, site_id: str) -> Site:
        # A resident asking for a community they do not live in gets the answer a missing one gets.
        if not ctx.is_staff and site_id not in self._resident_site_ids(ctx):
            raise NotFound("site")
        return self._site(ctx, site_id)

    def _resident_units(self, ctx: TenantContext) -> list[Unit]:
        return self._repo.units(ctx.tenant_id, self._repo.resident_unit_ids(ctx.tenant_id, ctx.user_id))

    def _resident_site_ids(self, ctx: TenantContext) -> set[str]:
        return {unit.site_id for unit in self._resident_units(ctx)}

    def _building_for(self, ctx: TenantContext, site_id: str, request: UnitCreate) -> Building | None:
        if request.building_id:
            building = None
            if _ID.fullmatch(request.building_id):
                building = self._repo.building(ctx.tenant_id, site_id, request.building_id)
            if building is None:
                raise _unprocessable("building_id", "unknown_building", "building_id is not in this site")
            if request.building_code and _canonical_or_none(request.building_code) != building.code:
                raise _unprocessable(
                    "building_code", "building_mismatch", "building_code differs from building_id"
                )
            return building
        if request.building_code:
            code = _canonical_or_none(request.building_code)
            building = self._repo.building_by_code(ctx.tenant_id, site_id, code) if code else None
            if building is None:
                raise _unprocessable("building_code", "unknown_building", "building_code is not in this site")
            return building
        return None


def _known(identifier: str, resource: str) -> str:
    if not _ID.fullmatch(identifier):
        raise NotFound(resource)
    return identifier


def _canonical_or_none(text: str) -> str | None:
    try:
        return canonical_building(text)
    except RoomFormatError:
        return None


def _unprocessable(field: str, kind: str, message: str) -> Unprocessable:
    return Unprocessable(message, [{"loc": ["body", field], "type": kind, "msg": message}])


__all__ = [
    "PlacesService",
    "building_code_from",
    "building_sort_prefix",
    "resolve_room",
    "room_fit_problem",
    "unit_label",
    "unit_sort_key",
]
