"""Sites, buildings, units and their uniqueness claims in the directory table.

Items (``Keys`` of courtyard.directory):
- site: ``Keys.site`` — the community.
- building: ``Keys.building``; its code claim ``BLDGCODE#{code}`` in ``Keys.site_children`` (one per site).
- unit: ``Keys.unit`` (gsi1 = the site's units in natural room order) and its room claim ``Keys.room_claim``,
  written in one transaction, so a room exists once per site however it was spelled.
"""

from __future__ import annotations

from typing import Any

from courtyard.clock import Clock, to_iso
from courtyard.directory import DirectoryReader, Keys
from courtyard.dynamo import Page, tenant_key
from courtyard.errors import Conflict, NotFound
from courtyard.ids import new_id
from directory.imports.rooms import RoomRef
from directory.places.models import (
    Building,
    BuildingKind,
    Occupancy,
    Site,
    Unit,
    UnitFilter,
    UnitKind,
    UnitUpsert,
    UpsertOutcome,
)
from directory.places.service import building_sort_prefix, unit_label, unit_sort_key
from directory.table import DirectoryTable, deserialize, serialize

_NEW = "attribute_not_exists(pk)"
_SITE_PREFIX = "SITE#"
_BUILDING_PREFIX = "BLDG#"
_CODE_PREFIX = "BLDGCODE#"
# A filtered unit page stops reading after this many items even if it is not full (the cursor goes on).
_MAX_SCANNED_PER_PAGE = 1000


def units_counter(tenant_id: str) -> dict[str, str]:
    """How many units the firm manages, counted against its plan's household limit."""
    return {"pk": tenant_key(tenant_id, "COUNTERS"), "sk": "UNITS"}


def building_code_claim(tenant_id: str, site_id: str, code: str) -> dict[str, str]:
    return {"pk": Keys.site_children(tenant_id, site_id), "sk": f"{_CODE_PREFIX}{code}"}


class PlacesRepository:
    def __init__(self, table: DirectoryTable, reader: DirectoryReader, clock: Clock) -> None:
        self._table = table
        self._reader = reader
        self._clock = clock

    # -------------------------------------------------------------- tenant and residents

    def tenant_timezone(self, tenant_id: str) -> str | None:
        tenant = self._reader.tenant(tenant_id)
        return tenant.timezone if tenant else None

    def resident_unit_ids(self, tenant_id: str, user_id: str) -> list[str]:
        """The units the signed-in user lives in; none for a user who is not linked as a resident."""
        link = self._reader.user(tenant_id, user_id)
        if link is None or link.kind != "resident":
            return []
        return self._reader.unit_ids_of_resident(tenant_id, link.person_id)

    # -------------------------------------------------------------- sites

    def put_site(self, site: Site) -> None:
        self._table.put(_site_item(site), condition=_NEW)

    def site(self, tenant_id: str, site_id: str) -> Site | None:
        item = self._table.get(Keys.site(tenant_id, site_id))
        return _site(tenant_id, item) if item else None

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        return self.site(tenant_id, site_id) is not None

    def sites_page(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Site]:
        page = self._table.query_page(
            tenant_id,
            partition=Keys.sites(tenant_id),
            sk_prefix=_SITE_PREFIX,
            limit=limit,
            cursor=cursor,
            scope="sites",
        )
        return Page([_site(tenant_id, item) for item in page.items], page.next_cursor)

    def sites_among(self, tenant_id: str, site_ids: set[str], limit: int, cursor: str | None) -> Page[Site]:
        """A page of the given sites in site order, with the same kind of cursor as ``sites_page``."""
        start = self._table.cursors.decode(tenant_id, cursor, scope="sites")
        after = str(start.get("sk", "")) if start else ""
        items = self._table.get_many([Keys.site(tenant_id, site_id) for site_id in site_ids])
        ordered = sorted(
            (item for item in items if str(item["sk"]) > after), key=lambda item: str(item["sk"])
        )
        chosen = ordered[:limit]
        next_cursor = None
        if len(ordered) > limit:
            last = chosen[-1]
            next_cursor = self._table.cursors.encode(
                tenant_id, {"pk": last["pk"], "sk": last["sk"]}, scope="sites"
            )
        return Page([_site(tenant_id, item) for item in chosen], next_cursor)

    # -------------------------------------------------------------- buildings

    def create_building(self, building: Building) -> None:
        """Write the building and its code claim together; a taken code is a Conflict naming its owner."""
        claim = building_code_claim(building.tenant_id, building.site_id, building.code)
        try:
            self._table.transact(
                [
                    self._table.put_action(
                        {**claim, "entity": "building_code", "building_id": building.building_id}, _NEW
                    ),
                    self._table.put_action(building_item(building), _NEW),
                ]
            )
        except Conflict:
            owner = self._table.get(claim, consistent=True)
            owner_id = str(owner["building_id"]) if owner else None
            raise Conflict(
                f"building code {building.code} is already used in this site"
                + (f" by building {owner_id}" if owner_id else ""),
                [{"code": building.code, "building_id": owner_id}],
            ) from None

    def building(self, tenant_id: str, site_id: str, building_id: str) -> Building | None:
        item = self._table.get(Keys.building(tenant_id, site_id, building_id))
        return _building(tenant_id, item) if item else None

    def building_by_code(self, tenant_id: str, site_id: str, code: str) -> Building | None:
        claim = self._table.get(building_code_claim(tenant_id, site_id, code))
        return self.building(tenant_id, site_id, str(claim["building_id"])) if claim else None

    def buildings_page(self, tenant_id: str, site_id: str, limit: int, cursor: str | None) -> Page[Building]:
        page = self._table.query_page(
            tenant_id,
            partition=Keys.site_children(tenant_id, site_id),
            sk_prefix=_BUILDING_PREFIX,
            limit=limit,
            cursor=cursor,
            scope=f"buildings:{site_id}",
        )
        return Page([_building(tenant_id, item) for item in page.items], page.next_cursor)

    def buildings_by_code(self, tenant_id: str, site_id: str) -> dict[str, Building]:
        """Every building of a site by canonical code (imports resolve rows against it)."""
        items = self._table.query_all(
            partition=Keys.site_children(tenant_id, site_id), sk_prefix=_BUILDING_PREFIX
        )
        buildings = (_building(tenant_id, item) for item in items)
        return {building.code: building for building in buildings}

    def building_codes(self, tenant_id: str, site_id: str) -> set[str]:
        return set(self.buildings_by_code(tenant_id, site_id))

    def ensure_building(
        self, tenant_id: str, site_id: str, code: str, *, create: bool = False, name: str | None = None
    ) -> Building:
        """The site's building with this canonical code; with ``create`` a missing one is made ("{code}栋").

        Without ``create`` a missing building is ``NotFound``. A concurrent creator wins and is returned.
        """
        existing = self.building_by_code(tenant_id, site_id, code)
        if existing is not None:
            return existing
        if not create:
            raise NotFound("building")
        building = Building(
            tenant_id=tenant_id,
            site_id=site_id,
            building_id=new_id(),
            name=name or f"{code}栋",
            code=code,
            floors=None,
            entrances=None,
            kind=BuildingKind.RESIDENTIAL,
            created_at=to_iso(self._clock.now()),
        )
        try:
            self.create_building(building)
        except Conflict:
            winner = self.building_by_code(tenant_id, site_id, code)
            if winner is None:
                raise
            return winner
        return building

    # -------------------------------------------------------------- units

    def household_limit(self, tenant_id: str) -> int | None:
        """The firm's plan: how many households (units) it may manage; None when the plan sets no limit."""
        item = self._table.get(Keys.tenant(tenant_id))
        households = ((item or {}).get("limits") or {}).get("households")
        return int(households) if households else None

    def reserve_units(self, tenant_id: str, count: int, limit: int | None) -> None:
        """Count ``count`` more units against the plan; a Conflict when the plan's limit would be passed."""
        if count <= 0:
            return
        full = f"the plan allows {limit} households; ask the platform operator to raise it"
        if limit is not None and count > limit:
            raise Conflict(full)  # the counter's condition only looks at units already counted
        self._table.update(
            units_counter(tenant_id),
            "ADD units :n",
            {":n": count} | ({} if limit is None else {":room": limit - count}),
            condition=None if limit is None else "attribute_not_exists(units) OR units <= :room",
            conflict=full,
        )

    def release_units(self, tenant_id: str, count: int) -> None:
        if count > 0:
            self._table.update(units_counter(tenant_id), "ADD units :n", {":n": -count})

    def create_unit(self, unit: Unit, sort_key: str, limit: int | None = None) -> None:
        """Write the unit, its room claim and the plan's unit count together.

        A claimed room is a Conflict naming its unit; a full plan is a Conflict saying so.
        """
        claim = Keys.room_claim(unit.tenant_id, unit.site_id, unit.room_key)
        count = self._table.update_action(
            units_counter(unit.tenant_id),
            "ADD units :one",
            {":one": 1} | ({} if limit is None else {":room": limit - 1}),
            None if limit is None else "attribute_not_exists(units) OR units <= :room",
        )
        try:
            self._table.transact(
                [
                    self._table.put_action(room_claim_item(unit), _NEW),
                    self._table.put_action(unit_item(unit, sort_key), _NEW),
                    count,
                ]
            )
        except Conflict:
            owner = self._table.get(claim, consistent=True)
            owner_id = str(owner["unit_id"]) if owner else None
            if owner_id is None and limit is not None:
                raise Conflict(
                    f"the plan allows {limit} households; ask the platform operator to raise it"
                ) from None
            raise Conflict(
                f"room {unit.room_key} already exists in this site"
                + (f" as unit {owner_id}" if owner_id else ""),
                [{"room_key": unit.room_key, "unit_id": owner_id}],
            ) from None

    def upsert_unit(
        self,
        tenant_id: str,
        site_id: str,
        building: Building,
        room_ref: RoomRef,
        area_centi_m2: int,
        kind: str,
    ) -> tuple[str, bool]:
        """Idempotent on the room claim: ``(unit_id, True)`` when created, ``(unit_id, False)`` otherwise.

        An existing unit whose area or kind differ is updated; ``upsert_unit_outcome`` tells updated apart.
        """
        outcome = self.upsert_unit_outcome(tenant_id, site_id, building, room_ref, area_centi_m2, kind)
        return outcome.unit_id, outcome.outcome is UpsertOutcome.CREATED

    def upsert_unit_outcome(
        self,
        tenant_id: str,
        site_id: str,
        building: Building,
        room_ref: RoomRef,
        area_centi_m2: int,
        kind: str,
    ) -> UnitUpsert:
        """Create the unit of ``room_ref`` or bring its area and kind up to date; occupancy is left alone."""
        claim = Keys.room_claim(tenant_id, site_id, room_ref.key)
        owner = self._table.get(claim, consistent=True)
        if owner is None:
            now = to_iso(self._clock.now())
            unit = Unit(
                tenant_id=tenant_id,
                unit_id=new_id(),
                site_id=site_id,
                building_id=building.building_id,
                building_code=building.code,
                entrance=room_ref.entrance,
                floor=room_ref.floor,
                room=room_ref.room,
                room_key=room_ref.key,
                label=unit_label(building.name, room_ref),
                area_centi_m2=area_centi_m2,
                kind=UnitKind(kind),
                occupancy=Occupancy.VACANT,
                created_at=now,
                updated_at=now,
            )
            try:
                self.create_unit(unit, unit_sort_key(room_ref))
                return UnitUpsert(unit.unit_id, UpsertOutcome.CREATED)
            except Conflict:
                # Another writer claimed the room between the read and the write: treat theirs as existing.
                owner = self._table.get(claim, consistent=True)
                if owner is None:
                    raise
        unit_id = str(owner["unit_id"])
        current = self._table.get(Keys.unit(tenant_id, unit_id), consistent=True)
        if current is None:
            raise Conflict(f"room {room_ref.key} is claimed by a unit that no longer exists")
        changed = tuple(
            name
            for name, stored, wanted in (
                ("area_centi_m2", int(current["area_centi_m2"]), area_centi_m2),
                ("kind", str(current["kind"]), str(kind)),
            )
            if stored != wanted
        )
        if not changed:
            return UnitUpsert(unit_id, UpsertOutcome.UNCHANGED)
        self._table.update(
            Keys.unit(tenant_id, unit_id),
            "SET area_centi_m2 = :area, #kind = :kind, updated_at = :now",
            {":area": area_centi_m2, ":kind": str(kind), ":now": to_iso(self._clock.now())},
            names={"#kind": "kind"},
            condition="attribute_exists(pk)",
        )
        return UnitUpsert(unit_id, UpsertOutcome.UPDATED, changed)

    def unit(self, tenant_id: str, unit_id: str) -> Unit | None:
        item = self._table.get(Keys.unit(tenant_id, unit_id))
        return _unit(tenant_id, item) if item else None

    def update_unit(self, tenant_id: str, unit_id: str, changes: dict[str, int | str], now: str) -> Unit:
        """Set the given attributes (names from ``UnitUpdate.changes``) and ``updated_at``."""
        names = {f"#{name}": name for name in changes}
        values: dict[str, Any] = {f":{name}": value for name, value in changes.items()} | {":now": now}
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in changes) + ", updated_at = :now"
        try:
            item = self._table.update(
                Keys.unit(tenant_id, unit_id),
                expression,
                values,
                names=names,
                condition="attribute_exists(pk)",
            )
        except Conflict:
            raise NotFound("unit") from None
        return _unit(tenant_id, item)

    def units(self, tenant_id: str, unit_ids: list[str]) -> list[Unit]:
        if not unit_ids:
            return []
        items = self._table.get_many([Keys.unit(tenant_id, unit_id) for unit_id in unit_ids])
        return [_unit(tenant_id, item) for item in items]

    def units_page(
        self,
        tenant_id: str,
        site_id: str,
        where: UnitFilter,
        building_code: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Unit]:
        """A page of a site's units in room order; a building filter narrows the key range itself.

        Occupancy and kind are filters, so a page may come back short with a cursor: DynamoDB reads at most
        ``limit`` items per call and the page never reads past the last unit it returns.
        """
        scope = f"units:{site_id}:{where.building_id or ''}:{where.occupancy or ''}:{where.kind or ''}"
        start = self._table.cursors.decode(tenant_id, cursor, scope=scope)
        expression = "gsi1pk = :pk"
        values: dict[str, Any] = {":pk": Keys.site_units_index(tenant_id, site_id)}
        if building_code is not None:
            expression += " AND begins_with(gsi1sk, :building)"
            values[":building"] = building_sort_prefix(building_code)
        filters: list[str] = []
        names: dict[str, str] = {}
        if where.occupancy is not None:
            filters.append("#occupancy = :occupancy")
            names["#occupancy"] = "occupancy"
            values[":occupancy"] = where.occupancy.value
        if where.kind is not None:
            filters.append("#kind = :kind")
            names["#kind"] = "kind"
            values[":kind"] = where.kind.value
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "gsi1",
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": serialize(values),
        }
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
            params["ExpressionAttributeNames"] = names
        if start:
            params["ExclusiveStartKey"] = serialize(start)

        units: list[Unit] = []
        scanned = 0
        last: dict[str, Any] | None = None
        while True:
            # Asking for no more than the items still missing means the page never overshoots its cursor.
            response = self._table.client.query(**params, Limit=limit - len(units))
            units.extend(_unit(tenant_id, deserialize(item)) for item in response.get("Items", []))
            scanned += int(response.get("ScannedCount", 0))
            raw_last = response.get("LastEvaluatedKey")
            last = deserialize(raw_last) if raw_last else None
            if last is None or len(units) >= limit or scanned >= _MAX_SCANNED_PER_PAGE:
                break
            params["ExclusiveStartKey"] = raw_last
        return Page(units, self._table.cursors.encode(tenant_id, last, scope=scope))


# ------------------------------------------------------------------ items


def _site_item(site: Site) -> dict[str, Any]:
    return {
        **Keys.site(site.tenant_id, site.site_id),
        "entity": "site",
        "tenant_id": site.tenant_id,
        "site_id": site.site_id,
        "name": site.name,
        "address": site.address,
        "city": site.city,
        "district": site.district,
        "timezone": site.timezone,
        "households_planned": site.households_planned,
        "created_at": site.created_at,
        "created_by": site.created_by,
    }


def _site(tenant_id: str, item: dict[str, Any]) -> Site:
    planned = item.get("households_planned")
    return Site(
        tenant_id=tenant_id,
        site_id=str(item["site_id"]),
        name=str(item["name"]),
        address=str(item.get("address", "")),
        city=str(item.get("city", "")),
        district=_text_or_none(item.get("district")),
        timezone=str(item.get("timezone", "Asia/Shanghai")),
        households_planned=int(planned) if planned is not None else None,
        created_at=str(item.get("created_at", "")),
        created_by=_text_or_none(item.get("created_by")),
    )


def building_item(building: Building) -> dict[str, Any]:
    return {
        **Keys.building(building.tenant_id, building.site_id, building.building_id),
        "entity": "building",
        "tenant_id": building.tenant_id,
        "site_id": building.site_id,
        "building_id": building.building_id,
        "name": building.name,
        "code": building.code,
        "floors": building.floors,
        "entrances": building.entrances,
        "kind": building.kind.value,
        "created_at": building.created_at,
    }


def _building(tenant_id: str, item: dict[str, Any]) -> Building:
    floors, entrances = item.get("floors"), item.get("entrances")
    return Building(
        tenant_id=tenant_id,
        site_id=str(item["site_id"]),
        building_id=str(item["building_id"]),
        name=str(item["name"]),
        code=str(item["code"]),
        floors=int(floors) if floors is not None else None,
        entrances=int(entrances) if entrances is not None else None,
        kind=BuildingKind(str(item.get("kind", BuildingKind.RESIDENTIAL.value))),
        created_at=str(item.get("created_at", "")),
    )


def room_claim_item(unit: Unit) -> dict[str, Any]:
    return {
        **Keys.room_claim(unit.tenant_id, unit.site_id, unit.room_key),
        "entity": "room_claim",
        "unit_id": unit.unit_id,
        "room_key": unit.room_key,
    }


def unit_item(unit: Unit, sort_key: str) -> dict[str, Any]:
    return {
        **Keys.unit(unit.tenant_id, unit.unit_id),
        "entity": "unit",
        "tenant_id": unit.tenant_id,
        "unit_id": unit.unit_id,
        "site_id": unit.site_id,
        "building_id": unit.building_id,
        "building_code": unit.building_code,
        "entrance": unit.entrance,
        "floor": unit.floor,
        "room": unit.room,
        "room_key": unit.room_key,
        "label": unit.label,
        "area_centi_m2": unit.area_centi_m2,
        "kind": unit.kind.value,
        "occupancy": unit.occupancy.value,
        "created_at": unit.created_at,
        "updated_at": unit.updated_at,
        "gsi1pk": Keys.site_units_index(unit.tenant_id, unit.site_id),
        "gsi1sk": sort_key,
    }


def _unit(tenant_id: str, item: dict[str, Any]) -> Unit:
    floor = item.get("floor")
    return Unit(
        tenant_id=tenant_id,
        unit_id=str(item["unit_id"]),
        site_id=str(item["site_id"]),
        building_id=str(item["building_id"]),
        building_code=str(item.get("building_code", "")),
        entrance=_text_or_none(item.get("entrance")),
        floor=int(floor) if floor is not None else None,
        room=str(item.get("room", "")),
        room_key=str(item["room_key"]),
        label=str(item.get("label", item["room_key"])),
        area_centi_m2=int(item.get("area_centi_m2", 0)),
        kind=UnitKind(str(item.get("kind", UnitKind.RESIDENTIAL.value))),
        occupancy=Occupancy(str(item.get("occupancy", Occupancy.VACANT.value))),
        created_at=str(item.get("created_at", "")),
        updated_at=str(item.get("updated_at", item.get("created_at", ""))),
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
