"""People: residents, their unit links and the signed-in person: pure rules, requests, domain, responses."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from courtyard.models import Model

ERASED_NAME = "已注销用户"
MAX_UNITS_PER_REQUEST = 10


class Relation(StrEnum):
    OWNER = "owner"
    RENTER = "renter"
    FAMILY = "family"


class PersonKind(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"


class LinkSource(StrEnum):
    """How a resident came to be linked to a unit (the export lists invitations accepted)."""

    STAFF = "staff"
    INVITE = "invite"
    IMPORT = "import"


# ---------------------------------------------------------------- pure rules

_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII only: \d would accept any script's digits
# Separators people type inside a number; anything else (letters, dots) makes the value invalid.
_PHONE_SEPARATORS = str.maketrans("", "", " -()\u00a0\u2010\u2011\u2012\u2013")


def normalise_mobile(raw: str) -> str:
    """A mainland mobile number as its 11 digits: "+86 138-1234-5678" -> "13812345678".

    Full-width digits and separators are accepted (NFKC).

    Messages never repeat the value: they reach error bodies, and the value is personal data.
    """
    text = unicodedata.normalize("NFKC", raw).strip().translate(_PHONE_SEPARATORS)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    else:
        if len(text) == 13 and text.startswith("86"):
            text = text[2:]
    if not _MOBILE.fullmatch(text):
        raise ValueError("not a mainland China mobile number (11 digits starting with 13-19)")
    return text


_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_check_character(first17: str) -> str:
    """The GB 11643 check character of an 18-character resident ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(raw: str) -> str:
    """An 18-character PRC resident ID number, upper case; the birth date and check character must hold."""
    text = unicodedata.normalize("NFKC", raw).replace(" ", "").strip().upper()
    if not _ID_NUMBER.fullmatch(text):
        raise ValueError("an ID number has 17 digits and a check digit or X")
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValueError("the ID number's birth date is not a date") from None
    if born.year < 1900:
        raise ValueError("the ID number's birth date is not a date")
    if text[17] != id_number_check_character(text[:17]):
        raise ValueError("the ID number's check character does not match")
    return text


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def normalise_email(raw: str) -> str:
    text = raw.strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise ValueError("not an email address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_name(raw: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not text:
        raise ValueError("a name is required")
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise ValueError("a name may not contain control characters")
    return text


MobilePhone = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(normalise_mobile)]
IdNumber = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(validate_id_number)]
Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(normalise_email)]
PersonName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(normalise_name)]
EntityId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


# ---------------------------------------------------------------- requests


class UnitLinkIn(Model):
    model_config = ConfigDict(extra="forbid")

    unit_id: EntityId
    relation: Relation
    primary: bool = Field(default=False, description="Make this resident the unit's primary contact")


class ResidentCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    phone: MobilePhone = Field(description="Mainland mobile number; +86, spaces and dashes are accepted")
    id_number: IdNumber | None = Field(default=None, description="18-character PRC resident ID number")
    email: Email | None = None
    units: list[UnitLinkIn] = Field(default_factory=list, max_length=MAX_UNITS_PER_REQUEST)

    @model_validator(mode="after")
    def _units_once(self) -> ResidentCreate:
        ids = [u.unit_id for u in self.units]
        if len(ids) != len(set(ids)):
            raise ValueError("a unit may appear only once")
        return self


class ResidentUpdate(Model):
    """Fields left out stay as they are; ``email`` and ``id_number`` may be set to null to remove them."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    phone: MobilePhone | None = None
    id_number: IdNumber | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> ResidentUpdate:
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        for required in ("name", "phone"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be removed")
        return self


class UnitLinkCreate(Model):
    model_config = ConfigDict(extra="forbid")

    resident_id: EntityId
    relation: Relation
    primary: bool = False


# ---------------------------------------------------------------- domain


@dataclass(frozen=True, slots=True)
class UnitSlot:
    """What linking needs to know about a unit: where it is and who its primary contact is."""

    unit_id: str
    site_id: str
    room_key: str
    primary_resident_id: str | None


@dataclass(frozen=True, slots=True)
class ResidentLink:
    resident_id: str
    unit_id: str
    site_id: str
    room_key: str
    relation: Relation
    primary: bool
    since: str
    source: LinkSource = LinkSource.STAFF
    erased: bool = False


@dataclass(frozen=True, slots=True)
class Resident:
    """A person record; ``phone`` and ``id_number`` are plaintext in the service, display values after it."""

    resident_id: str
    name: str
    phone: str | None
    id_number: str | None
    email: str | None
    user_id: str | None
    username: str | None
    created_at: str
    updated_at: str
    erased_at: str | None = None
    units: tuple[ResidentLink, ...] | None = None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    @property
    def current_units(self) -> tuple[ResidentLink, ...]:
        return tuple(link for link in self.units or () if not link.erased)


@dataclass(frozen=True, slots=True)
class ResidentChanges:
    """A validated PATCH: only the fields in ``fields`` change (None removes an optional field)."""

    fields: frozenset[str]
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class UserLinkRecord:
    user_id: str
    kind: PersonKind
    person_id: str
    username: str | None


@dataclass(frozen=True, slots=True)
class StaffPerson:
    """The staff record as /me and the export show it (the staff part of the directory writes it)."""

    staff_id: str
    name: str
    phone: str | None
    email: str | None
    roles: tuple[str, ...]
    zones: tuple[Any, ...]
    skills: tuple[str, ...]
    on_duty: bool
    created_at: str | None


@dataclass(frozen=True, slots=True)
class TenantInfo:
    tenant_id: str
    name: str
    status: str
    timezone: str
    currency: str
    locale: str


@dataclass(frozen=True, slots=True)
class Me:
    tenant_id: str
    user_id: str
    username: str | None
    roles: tuple[str, ...]
    tenant: TenantInfo | None
    kind: PersonKind | None = None
    resident: Resident | None = None
    staff: StaffPerson | None = None


@dataclass(frozen=True, slots=True)
class Export:
    exported_at: str
    tenant: TenantInfo | None
    user_id: str | None
    username: str | None
    kind: PersonKind
    resident: Resident | None = None
    staff: StaffPerson | None = None
    links: tuple[ResidentLink, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class ResidentPage:
    residents: list[Resident]
    next_cursor: str | None


# ---------------------------------------------------------------- events


# ---------------------------------------------------------------- responses


class ResidentUnitOut(Model):
    unit_id: str
    site_id: str
    room: str = Field(description="The unit's canonical room label, e.g. 1-1-101")
    relation: Relation
    primary: bool
    since: str

    @classmethod
    def from_domain(cls, link: ResidentLink) -> ResidentUnitOut:
        return cls(
            unit_id=link.unit_id,
            site_id=link.site_id,
            room=link.room_key,
            relation=link.relation,
            primary=link.primary,
            since=link.since,
        )


class ResidentOut(Model):
    resident_id: str
    name: str
    phone: str | None = Field(description="Masked (138****5678) unless the caller's role needs it in full")
    id_number: str | None = Field(description="Masked unless the caller's role needs it in full")
    email: str | None
    has_account: bool
    erased: bool
    created_at: str
    units: list[ResidentUnitOut] | None = Field(
        description="Unit links; in lists filtered by unit or site, only that unit's or site's links; "
        "null in the unfiltered list"
    )

    @classmethod
    def from_domain(cls, resident: Resident) -> ResidentOut:
        return cls(
            resident_id=resident.resident_id,
            name=resident.name,
            phone=resident.phone,
            id_number=resident.id_number,
            email=resident.email,
            has_account=resident.user_id is not None,
            erased=resident.erased,
            created_at=resident.created_at,
            units=[ResidentUnitOut.from_domain(link) for link in resident.current_units]
            if resident.units is not None
            else None,
        )


class UnitResidentOut(Model):
    unit_id: str
    resident_id: str
    relation: Relation
    primary: bool
    since: str

    @classmethod
    def from_domain(cls, link: ResidentLink) -> UnitResidentOut:
        return cls(
            unit_id=link.unit_id,
            resident_id=link.resident_id,
            relation=link.relation,
            primary=link.primary,
            since=link.since,
        )


class TenantOut(Model):
    tenant_id: str
    name: str
    status: str
    timezone: str
    currency: str
    locale: str

    @classmethod
    def from_domain(cls, tenant: TenantInfo) -> TenantOut:
        return cls(
            tenant_id=tenant.tenant_id,
            name=tenant.name,
            status=tenant.status,
            timezone=tenant.timezone,
            currency=tenant.currency,
            locale=tenant.locale,
        )


class PersonOut(Model):
    kind: PersonKind
    person_id: str
    name: str
    phone: str | None = Field(description="The caller's own number, in full")
    email: str | None
    erased: bool = False
    units: list[ResidentUnitOut] | None = Field(default=None, description="Residents: their units")
    roles: list[str] | None = Field(default=None, description="Staff: their roles")
    zones: list[Any] | None = Field(default=None, description="Staff: the sites and buildings they serve")
    skills: list[str] | None = Field(default=None, description="Staff: their trades")
    on_duty: bool | None = Field(default=None, description="Staff: on duty now")

    @classmethod
    def from_me(cls, me: Me) -> PersonOut | None:
        if me.resident is not None:
            r = me.resident
            return cls(
                kind=PersonKind.RESIDENT,
                person_id=r.resident_id,
                name=r.name,
                phone=r.phone,
                email=r.email,
                erased=r.erased,
                units=[ResidentUnitOut.from_domain(link) for link in r.current_units],
            )
        if me.staff is not None:
            s = me.staff
            return cls(
                kind=PersonKind.STAFF,
                person_id=s.staff_id,
                name=s.name,
                phone=s.phone,
                email=s.email,
                roles=list(s.roles),
                zones=list(s.zones),
                skills=list(s.skills),
                on_duty=s.on_duty,
            )
        return None


class MeOut(Model):
    tenant_id: str
    user_id: str
    username: str | None
    roles: list[str]
    tenant: TenantOut | None
    person: PersonOut | None = Field(
        description="Null until the account is linked (invitation, staff record)"
    )

    @classmethod
    def from_domain(cls, me: Me) -> MeOut:
        return cls(
            tenant_id=me.tenant_id,
            user_id=me.user_id,
            username=me.username,
            roles=list(me.roles),
            tenant=TenantOut.from_domain(me.tenant) if me.tenant else None,
            person=PersonOut.from_me(me),
        )


class ExportUnitOut(Model):
    unit_id: str
    site_id: str
    room: str
    relation: Relation
    primary: bool
    since: str
    source: LinkSource
    erased: bool


class ExportInviteOut(Model):
    unit_id: str
    relation: Relation
    accepted_at: str


class ExportPersonOut(Model):
    kind: PersonKind
    person_id: str
    name: str
    phone: str | None
    id_number: str | None = None
    email: str | None
    created_at: str | None
    updated_at: str | None = None
    erased_at: str | None = None
    roles: list[str] | None = None
    zones: list[Any] | None = None
    skills: list[str] | None = None
    on_duty: bool | None = None


class ExportOut(Model):
    """Everything the directory holds about the caller, unmasked (it is theirs)."""

    exported_at: str
    tenant: TenantOut | None
    user_id: str | None
    username: str | None
    person: ExportPersonOut
    units: list[ExportUnitOut]
    invites_accepted: list[ExportInviteOut]

    @classmethod
    def from_domain(cls, export: Export) -> ExportOut:
        if export.resident is not None:
            r = export.resident
            person = ExportPersonOut(
                kind=PersonKind.RESIDENT,
                person_id=r.resident_id,
                name=r.name,
                phone=r.phone,
                id_number=r.id_number,
                email=r.email,
                created_at=r.created_at,
                updated_at=r.updated_at,
                erased_at=r.erased_at,
            )
        elif export.staff is not None:
            s = export.staff
            person = ExportPersonOut(
                kind=PersonKind.STAFF,
                person_id=s.staff_id,
                name=s.name,
                phone=s.phone,
                email=s.email,
                created_at=s.created_at,
                roles=list(s.roles),
                zones=list(s.zones),
                skills=list(s.skills),
                on_duty=s.on_duty,
            )
        else:  # pragma: no cover - the service always fills one of the two
            raise ValueError("an export needs a person")
        return cls(
            exported_at=export.exported_at,
            tenant=TenantOut.from_domain(export.tenant) if export.tenant else None,
            user_id=export.user_id,
            username=export.username,
            person=person,
            units=[
                ExportUnitOut(
                    unit_id=link.unit_id,
                    site_id=link.site_id,
                    room=link.room_key,
                    relation=link.relation,
                    primary=link.primary,
                    since=link.since,
                    source=link.source,
                    erased=link.erased,
                )
                for link in export.links
            ],
            invites_accepted=[
                ExportInviteOut(unit_id=link.unit_id, relation=link.relation, accepted_at=link.since)
                for link in export.links
                if link.source is LinkSource.INVITE
            ],
        )


class EraseOut(Model):
    resident_id: str
    erased_at: str
    account_disabled: bool
