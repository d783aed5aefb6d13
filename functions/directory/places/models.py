"""Places: communities (sites), buildings and units — requests, domain shapes, responses and events."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from courtyard.events import DomainEvent
from courtyard.models import Model

MAX_AREA_CENTI = 100_000 * 100
_AREA_UNIT = re.compile(r"(?:㎡|m²|m2|平方米|平米)$")
_PLAIN_DECIMAL = re.compile(r"\d{1,9}(?:\.\d+)?")


class BuildingKind(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    MIXED = "mixed"


class UnitKind(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    PARKING = "parking"


class Occupancy(StrEnum):
    VACANT = "vacant"
    SELF_OCCUPIED = "self_occupied"
    RENTED = "rented"
    DECORATING = "decorating"


def parse_area_centi(value: object) -> int:
    """Hundredths of m² from ``89.5``, ``"89.50"``, ``"89.50㎡"``; ValueError unless 0 < area ≤ 100,000 m².

    Plain decimals only: exponents (``1e3``), signs and a third decimal are refused, never rounded.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("area must be a number of square metres")
    if isinstance(value, float):
        # repr() is the shortest text that round-trips, so 89.5 reads as "89.5", not 89.4999...
        value = repr(value)
    text = _AREA_UNIT.sub("", unicodedata.normalize("NFKC", str(value)).strip().lower()).strip()
    if text.startswith("-"):
        raise ValueError("area must be greater than 0")
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError("area must be a plain decimal number of square metres, e.g. 89.50")
    # Trailing zeros are not precision ("89.500" is 89.50); any other third decimal is refused.
    if len(text.partition(".")[2].rstrip("0")) > 2:
        raise ValueError("area has more than two decimals")
    centi = int(Decimal(text) * 100)
    if centi <= 0:
        raise ValueError("area must be greater than 0")
    if centi > MAX_AREA_CENTI:
        raise ValueError("area must be at most 100000 m²")
    return centi


def format_area(centi: int) -> str:
    """``8950`` -> ``"89.50"``: always two decimals, no float on the way."""
    return f"{centi // 100}.{centi % 100:02d}"


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_timezone(name: str) -> bool:
    """True for a zone name of the IANA database (``Asia/Shanghai``)."""
    return name in _timezones()


# The API speaks square metres ("89.50" or 89.5); inside, area is an integer of hundredths of m².
AreaCenti = Annotated[
    int,
    BeforeValidator(parse_area_centi),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d{1,2})?\s*(㎡|m²|m2|平方米|平米)?$"},
                {"type": "number"},
            ],
            "examples": ["89.50"],
            "description": "square metres, at most two decimals",
        }
    ),
]


def _optional_text(value: Any) -> Any:
    # A blank optional field means "not given", not an empty name.
    return None if isinstance(value, str) and not value.strip() else value


# ------------------------------------------------------------------ requests


class _Request(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SiteCreate(_Request):
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=50)
    district: Annotated[str | None, BeforeValidator(_optional_text)] = Field(default=None, max_length=50)
    timezone: str | None = Field(default=None, description="IANA zone; the tenant's when omitted")
    households_planned: int | None = Field(default=None, ge=1, le=100_000)

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is not None and not valid_timezone(value):
            raise ValueError("not an IANA time zone (e.g. Asia/Shanghai)")
        return value


class BuildingCreate(_Request):
    name: str = Field(min_length=1, max_length=50, examples=["1栋", "A座"])
    code: Annotated[str | None, BeforeValidator(_optional_text)] = Field(
        default=None, max_length=10, description="canonical designation; derived from the name when omitted"
    )
    floors: int = Field(ge=1, le=200)
    entrances: int = Field(default=1, ge=1, le=20)
    kind: BuildingKind = BuildingKind.RESIDENTIAL


class UnitCreate(_Request):
    building_id: str | None = Field(default=None, max_length=40)
    building_code: str | None = Field(default=None, max_length=10, description="instead of building_id")
    entrance: Annotated[str | None, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)] = Field(
        default=None, max_length=10
    )
    room: str = Field(min_length=1, max_length=40, examples=["1-1-101", "1栋1单元101室", "0101"])
    area_centi_m2: AreaCenti = Field(alias="area_m2")
    kind: UnitKind = UnitKind.RESIDENTIAL
    occupancy: Occupancy = Occupancy.VACANT

    @field_validator("building_id", "building_code", "entrance", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return _optional_text(value)


class UnitUpdate(_Request):
    """The mutable facts of a unit; its room and building are its identity and never change."""

    area_centi_m2: AreaCenti | None = Field(default=None, alias="area_m2")
    kind: UnitKind | None = None
    occupancy: Occupancy | None = None

    @model_validator(mode="after")
    def _something(self) -> UnitUpdate:
        if not self.changes():
            raise ValueError("give at least one of area_m2, kind, occupancy")
        return self

    def changes(self) -> dict[str, int | str]:
        """Stored attribute -> new value, for the fields the request sets."""
        values: dict[str, int | str | None] = {
            "area_centi_m2": self.area_centi_m2,
            "kind": self.kind.value if self.kind else None,
            "occupancy": self.occupancy.value if self.occupancy else None,
        }
        return {name: value for name, value in values.items() if value is not None}


# ------------------------------------------------------------------ domain


@dataclass(frozen=True, slots=True)
class Site:
    tenant_id: str
    site_id: str
    name: str
    address: str
    city: str
    district: str | None
    timezone: str
    households_planned: int | None
    created_at: str
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class Building:
    tenant_id: str
    site_id: str
    building_id: str
    name: str
    code: str
    # Unknown (None) for buildings an import created from a bare code.
    floors: int | None
    entrances: int | None
    kind: BuildingKind
    created_at: str


@dataclass(frozen=True, slots=True)
class Unit:
    tenant_id: str
    unit_id: str
    site_id: str
    building_id: str
    building_code: str
    entrance: str | None
    floor: int | None
    room: str
    room_key: str
    label: str
    area_centi_m2: int
    kind: UnitKind
    occupancy: Occupancy
    created_at: str
    updated_at: str


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class UnitUpsert:
    """What an idempotent unit write did; ``changed`` names the fields an update replaced."""

    unit_id: str
    outcome: UpsertOutcome
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitFilter:
    building_id: str | None = None
    occupancy: Occupancy | None = None
    kind: UnitKind | None = None

    def matches(self, unit: Unit) -> bool:
        return (
            (self.building_id is None or unit.building_id == self.building_id)
            and (self.occupancy is None or unit.occupancy == self.occupancy)
            and (self.kind is None or unit.kind == self.kind)
        )


# ------------------------------------------------------------------ responses


class SiteOut(Model):
    site_id: str
    name: str
    address: str
    city: str
    district: str | None
    timezone: str
    households_planned: int | None
    created_at: str

    @classmethod
    def from_domain(cls, site: Site) -> SiteOut:
        return cls(
            site_id=site.site_id,
            name=site.name,
            address=site.address,
            city=site.city,
            district=site.district,
            timezone=site.timezone,
            households_planned=site.households_planned,
            created_at=site.created_at,
        )


class BuildingOut(Model):
    building_id: str
    site_id: str
    name: str
    code: str
    floors: int | None
    entrances: int | None
    kind: BuildingKind
    created_at: str

    @classmethod
    def from_domain(cls, building: Building) -> BuildingOut:
        return cls(
            building_id=building.building_id,
            site_id=building.site_id,
            name=building.name,
            code=building.code,
            floors=building.floors,
            entrances=building.entrances,
            kind=building.kind,
            created_at=building.created_at,
        )


class UnitOut(Model):
    unit_id: str
    site_id: str
    building_id: str
    building_code: str
    building_name: str | None = None
    entrance: str | None
    floor: int | None
    room: str
    room_key: str = Field(examples=["1-1-101"])
    label: str = Field(examples=["1栋1单元101室"])
    area_m2: str = Field(examples=["89.50"])
    kind: UnitKind
    occupancy: Occupancy
    created_at: str
    updated_at: str

    @classmethod
    def from_domain(cls, unit: Unit, building: Building | None = None) -> UnitOut:
        return cls(
            unit_id=unit.unit_id,
            site_id=unit.site_id,
            building_id=unit.building_id,
            building_code=unit.building_code,
            building_name=building.name if building is not None else None,
            entrance=unit.entrance,
            floor=unit.floor,
            room=unit.room,
            room_key=unit.room_key,
            label=unit.label,
            area_m2=format_area(unit.area_centi_m2),
            kind=unit.kind,
            occupancy=unit.occupancy,
            created_at=unit.created_at,
            updated_at=unit.updated_at,
        )


# ------------------------------------------------------------------ events


class SiteCreated(DomainEvent):
    site_id: str
    name: str
    timezone: str


class BuildingCreated(DomainEvent):
    site_id: str
    building_id: str
    code: str


class UnitCreated(DomainEvent):
    unit_id: str
    site_id: str
    building_id: str
    room_key: str
    kind: UnitKind


class UnitUpdated(DomainEvent):
    unit_id: str
    site_id: str
    fields: list[str]
    occupancy: Occupancy


__all__ = [
    "AreaCenti",
    "Building",
    "BuildingCreate",
    "BuildingCreated",
    "BuildingKind",
    "BuildingOut",
    "Occupancy",
    "Site",
    "SiteCreate",
    "SiteCreated",
    "SiteOut",
    "Unit",
    "UnitCreate",
    "UnitCreated",
    "UnitFilter",
    "UnitKind",
    "UnitOut",
    "UnitUpdate",
    "UnitUpdated",
    "UnitUpsert",
    "UpsertOutcome",
]
