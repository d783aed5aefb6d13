"""Validate parsed import rows into a per-row error report and a fingerprinted plan of units and people.

Rules: a row with any error adds no person; a unit takes its area and kind from the first row that states
them validly, and later rows stating other values are `conflicting_unit`. Duplicates and conflicts are
judged on the file's content, so a row's verdict does not depend on another row's unrelated error.
Messages never echo a cell's value (phone and ID numbers would end up in logs and reports).

One phone number is one person (the directory keeps one resident per number): the same number under two
names that are not one person's, in the file or against the directory, is `phone_name_mismatch` on the row
that says it second (the directory, when it knows the number, says it first). The same name on several
units is one person owning or living in several flats, and is fine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, NamedTuple

from directory.care.rules import flags_from_remarks
from directory.imports.cells import (
    id_check_char,
    normalise_id_number,
    normalise_name,
    normalise_phone,
    parse_area_centi,
)
from directory.imports.parse import SourceRow
from directory.imports.rooms import RoomFormatError, RoomRef, canonical_building, parse_room_parts
from directory.people.identity import same_person_name

__all__ = [
    "ErrorCode",
    "ImportPlan",
    "NamesOnRecord",
    "PersonRow",
    "PlannedPerson",
    "Relation",
    "RowError",
    "UnitKind",
    "UnitRow",
    "id_check_char",
    "normalise_id_number",
    "normalise_phone",
    "parse_area_centi",
    "validate_rows",
]

# Phone numbers -> the name the directory already holds for each (those it knows); one call per file.
NamesOnRecord = Callable[[set[str]], Mapping[str, str]]


class UnitKind(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    PARKING = "parking"


class Relation(StrEnum):
    OWNER = "owner"
    RENTER = "renter"
    FAMILY = "family"


class ErrorCode(StrEnum):
    MISSING_AREA = "missing_area"
    ZERO_AREA = "zero_area"
    INVALID_AREA = "invalid_area"
    MISSING_PHONE = "missing_phone"
    INVALID_PHONE = "invalid_phone"
    DUPLICATE_PERSON = "duplicate_person"
    CONFLICTING_UNIT = "conflicting_unit"
    UNKNOWN_BUILDING = "unknown_building"
    INVALID_ROOM = "invalid_room"
    INVALID_ID_NUMBER = "invalid_id_number"
    MISSING_NAME = "missing_name"
    INVALID_KIND = "invalid_kind"
    INVALID_RELATION = "invalid_relation"
    INVALID_PRIMARY = "invalid_primary"
    DUPLICATE_PRIMARY = "duplicate_primary"
    PHONE_NAME_MISMATCH = "phone_name_mismatch"


@dataclass(frozen=True, slots=True)
class UnitRow:
    """A unit as the file describes it; `line` is the row that stated its area."""

    room: RoomRef
    area_m2_centi: int
    kind: UnitKind
    line: int


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A resident of one unit; phone is 11 digits, id_number upper-cased or None."""

    name: str
    phone: str
    relation: Relation
    id_number: str | None
    primary: bool
    care: tuple[str, ...] = ()  # care-list flags read from the remarks column (sorted)


class PlannedPerson(NamedTuple):
    room_key: str
    person: PersonRow
    line: int


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What committing the file would write, and why the other rows were refused."""

    units: dict[str, UnitRow]
    people: list[PlannedPerson]
    errors: list[RowError]
    rows_total: int
    rows_valid: int
    # Line -> canonical room key for every row whose room could be read (for the per-row report).
    room_keys: dict[int, str]
    fingerprint: str

    @property
    def rows_invalid(self) -> int:
        return self.rows_total - self.rows_valid

    def report(self, max_errors: int = 1000) -> dict[str, Any]:
        """A JSON-ready summary; error messages carry no personal data."""
        return {
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "rows_invalid": self.rows_invalid,
            "units": len(self.units),
            "people": len(self.people),
            "fingerprint": self.fingerprint,
            "errors": [
                {"line": e.line, "field": e.field, "code": str(e.code), "message": e.message}
                for e in self.errors[:max_errors]
            ],
            "errors_truncated": len(self.errors) > max_errors,
        }


def _lookup(table: dict[Any, tuple[str, ...]]) -> dict[str, Any]:
    return {word.lower(): value for value, words in table.items() for word in words}


_KINDS: Final = _lookup(
    {
        UnitKind.RESIDENTIAL: ("住宅", "住房", "公寓", "residential", "residence", "home"),
        UnitKind.COMMERCIAL: ("商铺", "商业", "底商", "门面", "商用", "办公", "写字楼", "commercial", "shop"),
        UnitKind.PARKING: ("车位", "车库", "停车位", "parking"),
    }
)
_RELATIONS: Final = _lookup(
    {
        Relation.OWNER: ("业主", "户主", "产权人", "房主", "本人", "owner"),
        Relation.RENTER: ("租户", "租客", "承租人", "renter", "tenant"),
        Relation.FAMILY: (
            "家属",
            "家庭成员",
            "家人",
            "亲属",
            "配偶",
            "子女",
            "父母",
            "family",
        ),
    }
)
_YES: Final = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "主"})
_NO: Final = frozenset({"否", "n", "no", "false", "0", "x", "\u00d7"})


@dataclass(slots=True)
class _Row:
    line: int
    errors: list[RowError] = field(default_factory=list)
    ref: RoomRef | None = None
    area: int | None = None
    area_blank: bool = True
    kind: UnitKind | None = None
    unit_ok: bool = True
    has_person: bool = False
    name: str = ""
    phone: str | None = None
    relation: Relation = Relation.OWNER
    id_number: str | None = None
    primary: bool = False
    care: tuple[str, ...] = ()

    def fail(self, fld: str, code: ErrorCode, message: str) -> None:
        self.errors.append(RowError(self.line, fld, code, message))


_PERSON_FIELDS: Final = ("name", "phone", "relation", "id_number", "primary")


def _check_unit(row: _Row, values: dict[str, str], known: frozenset[str] | None) -> None:
    try:
        row.ref = parse_room_parts(
            values.get("building", ""), values.get("entrance", ""), values.get("room", "")
        )
    except RoomFormatError as exc:
        row.fail("room", ErrorCode.INVALID_ROOM, str(exc))
        row.unit_ok = False
    if row.ref is not None and known is not None and row.ref.building not in known:
        row.fail(
            "building", ErrorCode.UNKNOWN_BUILDING, f"building {row.ref.building} is not in this community"
        )
        row.unit_ok = False
    area_text = values.get("area", "")
    if area_text:
        row.area_blank = False
        try:
            row.area = parse_area_centi(area_text)
        except ValueError as exc:
            row.fail("area", ErrorCode.INVALID_AREA, str(exc))
            row.unit_ok = False
        else:
            if row.area == 0:
                row.fail("area", ErrorCode.ZERO_AREA, "area must be greater than 0")
                row.unit_ok = False
                row.area = None
    kind_text = values.get("kind", "")
    if kind_text:
        row.kind = _KINDS.get(kind_text.lower())
        if row.kind is None:
            row.fail("kind", ErrorCode.INVALID_KIND, "unit kind must be 住宅, 商铺 or 车位")
            row.unit_ok = False


def _check_person(row: _Row, values: dict[str, str]) -> None:
    row.has_person = any(values.get(f) for f in _PERSON_FIELDS)
    if not row.has_person:
        return
    row.name = normalise_name(values.get("name", ""))
    if not row.name:
        row.fail("name", ErrorCode.MISSING_NAME, "name is missing")
    phone_text = values.get("phone", "")
    if not phone_text:
        row.fail("phone", ErrorCode.MISSING_PHONE, "phone number is missing")
    else:
        row.phone = normalise_phone(phone_text)
        if row.phone is None:
            row.fail("phone", ErrorCode.INVALID_PHONE, "phone number is not a valid mainland mobile number")
    relation_text = values.get("relation", "")
    if relation_text:
        relation = _RELATIONS.get(relation_text.lower())
        if relation is None:
            row.fail("relation", ErrorCode.INVALID_RELATION, "relation must be 业主, 租户 or 家属")
        else:
            row.relation = relation
    id_text = values.get("id_number", "")
    if id_text:
        row.id_number = normalise_id_number(id_text)
        if row.id_number is None:
            row.fail(
                "id_number",
                ErrorCode.INVALID_ID_NUMBER,
                "ID number is not a valid 18-character resident ID (length, birth date or check digit)",
            )
    row.care = tuple(sorted(flags_from_remarks(values.get("remarks", ""))))
    primary_text = values.get("primary", "").lower()
    if primary_text in _YES:
        row.primary = True
    elif primary_text and primary_text not in _NO:
        row.fail("primary", ErrorCode.INVALID_PRIMARY, "primary contact must be 是 or 否")


def _known(buildings: Iterable[str] | None) -> frozenset[str] | None:
    if buildings is None:
        return None
    known: set[str] = set()
    for building in buildings:
        try:
            known.add(canonical_building(building))
        except RoomFormatError:
            known.add(building.strip().upper())
    return frozenset(known)


class _FileFacts:
    """What the file has said so far about each unit and its people (first statement wins)."""

    def __init__(self) -> None:
        self.area: dict[str, tuple[int, int]] = {}
        self.kind: dict[str, tuple[UnitKind, int]] = {}
        self.refs: dict[str, RoomRef] = {}
        self.people: dict[tuple[str, str], int] = {}
        self.primary: dict[str, int] = {}
        # Phone -> (name, line) of the first row that gave the number a name.
        self.phone_owner: dict[str, tuple[str, int]] = {}

    def check_unit(self, row: _Row, key: str) -> None:
        area = self.area.get(key)
        kind = self.kind.get(key)
        if row.area is not None and area is not None and area[0] != row.area:
            row.fail(
                "area",
                ErrorCode.CONFLICTING_UNIT,
                f"unit {key} already appears on line {area[1]} with a different area",
            )
        elif row.kind is not None and kind is not None and kind[0] != row.kind:
            row.fail(
                "kind",
                ErrorCode.CONFLICTING_UNIT,
                f"unit {key} already appears on line {kind[1]} with a different kind",
            )
        else:
            if row.area is not None and area is None:
                assert row.ref is not None
                self.area[key] = (row.area, row.line)
                self.refs[key] = row.ref
            if row.kind is not None and kind is None:
                self.kind[key] = (row.kind, row.line)

    def check_person(self, row: _Row, key: str, on_record: Mapping[str, str]) -> None:
        self._check_phone_owner(row, on_record)
        identities = [(key, f"p:{row.phone}")] if row.phone else []
        if row.id_number:
            identities.append((key, f"i:{row.id_number}"))
        seen = [self.people[i] for i in identities if i in self.people]
        if seen:
            row.fail(
                "phone" if row.phone else "id_number",
                ErrorCode.DUPLICATE_PERSON,
                f"the same person already appears for unit {key} on line {min(seen)}",
            )
        for identity in identities:
            self.people.setdefault(identity, row.line)
        if row.primary:
            first = self.primary.setdefault(key, row.line)
            if first != row.line:
                row.fail(
                    "primary",
                    ErrorCode.DUPLICATE_PRIMARY,
                    f"unit {key} already has a primary contact on line {first}",
                )

    def _check_phone_owner(self, row: _Row, on_record: Mapping[str, str]) -> None:
        if not row.phone or not row.name:
            return
        first = self.phone_owner.get(row.phone)
        if first is not None:
            if not same_person_name(first[0], row.name):
                row.fail(
                    "phone",
                    ErrorCode.PHONE_NAME_MISMATCH,
                    f"this phone number is given to someone else on line {first[1]}: one number is one "
                    "person; correct the name or the number",
                )
            return
        self.phone_owner[row.phone] = (row.name, row.line)
        recorded = on_record.get(row.phone)
        if recorded is not None and not same_person_name(recorded, row.name):
            row.fail(
                "phone",
                ErrorCode.PHONE_NAME_MISMATCH,
                "this phone number belongs to another resident on record: correct the name or the number, "
                "or change the resident's record first",
            )


def _fingerprint(units: dict[str, UnitRow], people: list[PlannedPerson]) -> str:
    payload = {
        "v": 1,
        "units": sorted([key, unit.area_m2_centi, str(unit.kind)] for key, unit in units.items()),
        "people": sorted(
            [
                p.room_key,
                p.person.phone,
                p.person.name,
                str(p.person.relation),
                p.person.id_number or "",
                p.person.primary,
                *p.person.care,
            ]
            for p in people
        ),
    }
    encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


_FIELD_ORDER: Final = {f: i for i, f in enumerate(("room", "building", "area", "kind", *_PERSON_FIELDS))}


def validate_rows(
    rows: Iterable[SourceRow],
    known_buildings: Iterable[str] | None = None,
    names_on_record: NamesOnRecord | None = None,
) -> ImportPlan:
    """Check every row and build the plan; `known_buildings` (e.g. {"1", "A"}) enables unknown_building,
    `names_on_record` (the directory's names of the file's phone numbers) the check against the directory."""
    known = _known(known_buildings)
    checked: list[_Row] = []
    for source in rows:
        row = _Row(source.line)
        _check_unit(row, source.values, known)
        _check_person(row, source.values)
        checked.append(row)
    phones = {row.phone for row in checked if row.phone}
    on_record = names_on_record(phones) if names_on_record is not None and phones else {}

    seen = _FileFacts()
    room_keys: dict[int, str] = {}
    for row in checked:
        if row.ref is None:
            continue
        key = row.ref.key
        room_keys[row.line] = key
        if known is not None and row.ref.building not in known:
            continue
        if row.unit_ok:
            seen.check_unit(row, key)
        if row.has_person:
            seen.check_person(row, key, on_record)

    people: list[PlannedPerson] = []
    for row in checked:
        if row.ref is None or not row.unit_ok:
            continue
        key = row.ref.key
        if row.area_blank and key not in seen.area:
            row.fail("area", ErrorCode.MISSING_AREA, f"area is missing for unit {key}")
        if row.has_person and not row.errors:
            assert row.phone is not None
            person = PersonRow(row.name, row.phone, row.relation, row.id_number, row.primary, row.care)
            people.append(PlannedPerson(key, person, row.line))

    units = {
        key: UnitRow(
            seen.refs[key], area, seen.kind[key][0] if key in seen.kind else UnitKind.RESIDENTIAL, line
        )
        for key, (area, line) in seen.area.items()
    }
    errors = sorted(
        (e for row in checked for e in row.errors), key=lambda e: (e.line, _FIELD_ORDER.get(e.field, 99))
    )
    return ImportPlan(
        units=units,
        people=people,
        errors=errors,
        rows_total=len(checked),
        rows_valid=sum(1 for row in checked if not row.errors),
        room_keys=room_keys,
        fingerprint=_fingerprint(units, people),
    )
