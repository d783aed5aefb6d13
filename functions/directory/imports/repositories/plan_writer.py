"""Writes a validated import plan into the directory table in bulk, idempotently.

Claims make it idempotent: a unit exists once per (site, canonical room), a resident once per phone digest,
a link once per (unit, resident). Existing claims are read first and only what is missing is written, so a
second commit of the same file writes nothing. A new unit or resident takes its claim with a conditional put
(a claim someone took meanwhile is theirs, and theirs stands), then the records go in batch writes; a commit
that stopped between the two is finished by the next one, which finds claims without records.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from courtyard.blind_index import BlindIndex
from courtyard.clock import Clock, to_iso
from courtyard.crypto import FieldCipher
from courtyard.directory import DirectoryReader, Keys
from courtyard.errors import Conflict, Unprocessable
from courtyard.ids import new_id
from directory.care.repository import CareRepository
from directory.imports.models import ImportSummary
from directory.imports.validate import ImportPlan, PersonRow, UnitRow
from directory.people.models import LinkSource, Relation, Resident, ResidentLink
from directory.people.repository import PeopleRepository, link_items
from directory.places.models import Building, BuildingKind, Occupancy, Unit, UnitKind
from directory.places.repository import PlacesRepository, building_code_claim, building_item, unit_item
from directory.places.service import unit_label, unit_sort_key
from directory.table import DirectoryTable

# Claims are single conditional puts (cheaper than transactions, which cost twice the writes); this many
# run at once.
_PARALLEL_CLAIMS = 8


class SiteDirectory:
    """What the import needs to know of a site: that it exists, and its buildings' codes."""

    def __init__(self, table: DirectoryTable) -> None:
        self._table = table

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        return self._table.get(Keys.site(tenant_id, site_id)) is not None

    def building_codes(self, tenant_id: str, site_id: str) -> set[str]:
        items = self._table.query_all(partition=Keys.site_children(tenant_id, site_id), sk_prefix="BLDGCODE#")
        return {str(i["sk"]).removeprefix("BLDGCODE#") for i in items}


class ImportWriter:
    def __init__(self, table: DirectoryTable, cipher: FieldCipher, index: BlindIndex, clock: Clock) -> None:
        self._table = table
        self._people = PeopleRepository(table, cipher, index)
        self._places = PlacesRepository(table, DirectoryReader(table.name, client=table.client), clock)
        self._clock = clock

    def commit(
        self, tenant_id: str, site_id: str, plan: ImportPlan, progress: Callable[[int], None]
    ) -> ImportSummary:
        summary = ImportSummary()
        now = to_iso(self._clock.now())
        buildings = self._buildings(
            tenant_id, site_id, {u.room.building for u in plan.units.values()}, now, summary
        )
        unit_ids = self._units(tenant_id, site_id, plan.units, buildings, now, summary)
        progress(len(plan.units))
        residents = self._residents(tenant_id, [p.person for p in plan.people], now, summary)
        self._links(tenant_id, site_id, plan, unit_ids, residents, now, summary)
        self._care(tenant_id, plan, residents)
        self._occupancy(tenant_id, plan, unit_ids)
        progress(plan.rows_valid)
        return summary

    # ------------------------------------------------------------------ buildings
    def _buildings(
        self, tenant_id: str, site_id: str, codes: set[str], now: str, summary: ImportSummary
    ) -> dict[str, str]:
        """Building code -> building id, creating the buildings a first import of a community names."""
        partition = Keys.site_children(tenant_id, site_id)
        claims = self._table.query_all(partition=partition, sk_prefix="BLDGCODE#")
        known = {str(c["sk"]).removeprefix("BLDGCODE#"): str(c["building_id"]) for c in claims}
        for code in sorted(codes - set(known)):
            building_id = new_id()
            building = building_item(
                Building(
                    tenant_id=tenant_id,
                    site_id=site_id,
                    building_id=building_id,
                    name=f"{code}栋",
                    code=code,
                    floors=None,
                    entrances=None,
                    kind=BuildingKind.RESIDENTIAL,
                    created_at=now,
                )
            )
            claim = {
                **building_code_claim(tenant_id, site_id, code),
                "entity": "building_code",
                "building_id": building_id,
            }
            try:
                self._table.transact(
                    [
                        self._table.put_action(claim, "attribute_not_exists(pk)"),
                        self._table.put_action(building),
                    ]
                )
                known[code] = building_id
                summary.buildings_created += 1
            except Conflict:
                existing = self._table.get({"pk": partition, "sk": f"BLDGCODE#{code}"}, consistent=True)
                known[code] = str(existing["building_id"]) if existing else building_id
        return known

    # ------------------------------------------------------------------ units
    def _units(
        self,
        tenant_id: str,
        site_id: str,
        units: dict[str, UnitRow],
        buildings: dict[str, str],
        now: str,
        summary: ImportSummary,
    ) -> dict[str, str]:
        """Room key -> unit id; new units created, changed ones updated, the same ones left alone."""
        partition = Keys.site_children(tenant_id, site_id)
        claims = self._table.query_all(partition=partition, sk_prefix="ROOM#")
        unit_ids = {str(c["sk"]).removeprefix("ROOM#"): str(c["unit_id"]) for c in claims}
        existing_keys = [k for k in units if k in unit_ids]
        stored = {
            str(i["room_key"]): i
            for i in self._table.get_many([Keys.unit(tenant_id, unit_ids[k]) for k in existing_keys])
        }
        # A claim whose unit item is missing is an earlier commit that stopped halfway: finish it.
        items = [
            self._unit(tenant_id, site_id, k, units[k], unit_ids[k], buildings, now)
            for k in existing_keys
            if k not in stored
        ]
        for room_key in existing_keys:
            row, item = units[room_key], stored.get(room_key)
            if item is None:
                summary.units_created += 1
            elif int(item.get("area_centi_m2", 0)) == row.area_m2_centi and item.get("kind") == row.kind:
                summary.units_unchanged += 1
            else:
                self._table.update(
                    Keys.unit(tenant_id, unit_ids[room_key]),
                    "SET area_centi_m2 = :area, kind = :kind, updated_at = :now",
                    {":area": row.area_m2_centi, ":kind": row.kind.value, ":now": now},
                )
                summary.units_updated += 1

        new = [(room_key, new_id()) for room_key in units if room_key not in unit_ids]
        try:
            self._places.reserve_units(tenant_id, len(new), self._places.household_limit(tenant_id))
        except Conflict as full:
            raise Unprocessable(f"this file adds {len(new)} units: {full.message}") from None
        claimed = self._claim_all(
            [
                (
                    {
                        **Keys.room_claim(tenant_id, site_id, k),
                        "entity": "room_claim",
                        "unit_id": u,
                        "room_key": k,
                    },
                    u,
                )
                for k, u in new
            ],
            "unit_id",
        )
        lost = 0
        for (room_key, unit_id), winner in zip(new, claimed, strict=True):
            unit_ids[room_key] = winner
            if winner == unit_id:
                items.append(
                    self._unit(tenant_id, site_id, room_key, units[room_key], unit_id, buildings, now)
                )
                summary.units_created += 1
            else:
                summary.units_unchanged += 1  # someone created this room meanwhile: theirs stands
                lost += 1
        self._places.release_units(tenant_id, lost)
        self._table.put_many(items)
        return unit_ids

    def _claim_all(self, claims: list[tuple[dict[str, Any], str]], owner: str) -> list[str]:
        """Take each claim with a conditional put; per claim, the id that owns it (ours or theirs)."""

        def take(claim: tuple[dict[str, Any], str]) -> str:
            item, mine = claim
            try:
                self._table.put(item, condition="attribute_not_exists(pk)")
            except Conflict:
                current = self._table.get({"pk": item["pk"], "sk": item["sk"]}, consistent=True)
                return str(current[owner]) if current else mine
            return mine

        # Claims are independent single-item writes: a few in flight at once keep a big import quick.
        with ThreadPoolExecutor(max_workers=_PARALLEL_CLAIMS) as pool:
            return list(pool.map(take, claims))

    def _unit(
        self,
        tenant_id: str,
        site_id: str,
        room_key: str,
        row: UnitRow,
        unit_id: str,
        buildings: dict[str, str],
        now: str,
    ) -> dict[str, Any]:
        room = row.room
        unit = Unit(
            tenant_id=tenant_id,
            unit_id=unit_id,
            site_id=site_id,
            building_id=buildings.get(room.building, ""),
            building_code=room.building,
            entrance=room.entrance,
            floor=room.floor,
            room=room.room,
            room_key=room_key,
            label=unit_label(f"{room.building}栋", room),
            area_centi_m2=row.area_m2_centi,
            kind=UnitKind(row.kind.value),
            occupancy=Occupancy.VACANT,
            created_at=now,
            updated_at=now,
        )
        return unit_item(unit, unit_sort_key(room))

    # ------------------------------------------------------------------ residents
    def _residents(
        self, tenant_id: str, people: list[PersonRow], now: str, summary: ImportSummary
    ) -> dict[str, str]:
        """Phone -> resident id: one resident per phone number, matched through the blind index."""
        digests = {p.phone: self._people.phone_digest(tenant_id, p.phone) for p in people}
        claims = self._table.get_many([Keys.phone_claim(tenant_id, d) for d in set(digests.values())])
        by_digest = {str(c["pk"]).rsplit("#", 1)[-1]: str(c["resident_id"]) for c in claims}
        residents: dict[str, str] = {}
        first: dict[str, PersonRow] = {}
        for person in people:
            if digests[person.phone] in by_digest:
                residents[person.phone] = by_digest[digests[person.phone]]
            else:
                first.setdefault(person.phone, person)
        summary.residents_matched = len({p.phone for p in people} - set(first))
        # A resident claimed by an earlier commit that stopped halfway has no record yet: finish it.
        stored = {
            str(i["resident_id"])
            for i in self._table.get_many([Keys.resident(tenant_id, rid) for rid in set(residents.values())])
        }
        pending = {p.phone: p for p in people if residents.get(p.phone) and residents[p.phone] not in stored}
        items = [self._resident(tenant_id, p, residents[p.phone], now)[0] for p in pending.values()]

        new = [(person, new_id()) for person in first.values()]
        built = [self._resident(tenant_id, person, resident_id, now) for person, resident_id in new]
        owners = self._claim_all(
            [(claim, rid) for (_, rid), (_, claim) in zip(new, built, strict=True)], "resident_id"
        )
        for (person, resident_id), (item, _), owner in zip(new, built, owners, strict=True):
            residents[person.phone] = owner
            if owner == resident_id:
                items.append(item)
                summary.residents_created += 1
            else:
                summary.residents_matched += 1
        self._table.put_many(items)
        return residents

    def _resident(
        self, tenant_id: str, person: PersonRow, resident_id: str, now: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        resident = Resident(
            resident_id=resident_id,
            name=person.name,
            phone=person.phone,
            id_number=person.id_number,
            email=None,
            user_id=None,
            username=None,
            created_at=now,
            updated_at=now,
        )
        item, claim = self._people.new_resident_items(tenant_id, resident)
        assert claim is not None  # imported residents always have a phone
        return item, claim

    # ------------------------------------------------------------------ care list and occupancy
    def _care(self, tenant_id: str, plan: ImportPlan, residents: dict[str, str]) -> None:
        """The care flags the remarks column named, added to the residents' (a re-import adds nothing)."""
        flags: dict[str, set[str]] = {}
        for planned in plan.people:
            resident_id = residents.get(planned.person.phone)
            if resident_id and planned.person.care:
                flags.setdefault(resident_id, set()).update(planned.person.care)
        care = CareRepository(self._table)
        for resident_id, named in flags.items():
            care.add_flags(tenant_id, resident_id, sorted(named))

    def _occupancy(self, tenant_id: str, plan: ImportPlan, unit_ids: dict[str, str]) -> None:
        """A unit someone lives in is occupied: rented when a renter (租户) lives there, else self-occupied.
        Only a vacant unit changes: what the desk set (decorating, ...) stands."""
        occupied: dict[str, Occupancy] = {}
        for planned in plan.people:
            unit_id = unit_ids.get(planned.room_key)
            if unit_id is None:
                continue
            rented = planned.person.relation.value == Relation.RENTER.value
            if rented or unit_id not in occupied:
                occupied[unit_id] = Occupancy.RENTED if rented else Occupancy.SELF_OCCUPIED
        for unit_id, occupancy in occupied.items():
            try:
                self._table.update(
                    Keys.unit(tenant_id, unit_id),
                    "SET occupancy = :occupancy",
                    {":occupancy": occupancy.value, ":vacant": Occupancy.VACANT.value},
                    condition="attribute_exists(pk) AND "
                    "(attribute_not_exists(occupancy) OR occupancy = :vacant)",
                )
            except Conflict:
                continue  # not vacant (or gone): left as it is

    # ------------------------------------------------------------------ links
    def _links(
        self,
        tenant_id: str,
        site_id: str,
        plan: ImportPlan,
        unit_ids: dict[str, str],
        residents: dict[str, str],
        now: str,
        summary: ImportSummary,
    ) -> None:
        wanted: dict[tuple[str, str], tuple[str, PersonRow]] = {}
        for planned in plan.people:
            unit_id = unit_ids.get(planned.room_key)
            resident_id = residents.get(planned.person.phone)
            if unit_id and resident_id:
                wanted.setdefault((unit_id, resident_id), (planned.room_key, planned.person))
        existing = self._table.get_many([Keys.unit_member(tenant_id, u, r) for u, r in wanted])
        present = {(str(i["unit_id"]), str(i["resident_id"])) for i in existing}
        items: list[dict[str, Any]] = []
        for (unit_id, resident_id), (room_key, person) in wanted.items():
            if (unit_id, resident_id) in present:
                continue
            primary = person.primary and self._claim_primary(tenant_id, unit_id, resident_id)
            link = ResidentLink(
                resident_id=resident_id,
                unit_id=unit_id,
                site_id=site_id,
                room_key=room_key,
                relation=Relation(person.relation.value),
                primary=primary,
                since=now,
                source=LinkSource.IMPORT,
            )
            items += link_items(tenant_id, link)
            summary.links_created += 1
        self._table.put_many(items)

    def _claim_primary(self, tenant_id: str, unit_id: str, resident_id: str) -> bool:
        """Make the resident the unit's primary contact unless it already has another one."""
        try:
            self._table.update(
                Keys.unit(tenant_id, unit_id),
                "SET primary_resident_id = :rid",
                {":rid": resident_id},
                condition="attribute_exists(pk) AND "
                "(attribute_not_exists(primary_resident_id) OR primary_resident_id = :rid)",
            )
        except Conflict:
            return False
        return True
