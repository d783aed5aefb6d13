"""Staff models: requests (StaffCreate, StaffUpdate), the domain record (Staff), responses and events."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from courtyard.events import DomainEvent
from courtyard.models import Model
from courtyard.tenancy import Role
from directory.staff.rules import Skill, Zone, role_problems, skill_problems, zone_problems

# Spaces, dashes and brackets; NFKC has already folded full-width ones to ASCII.
_SEPARATORS = re.compile(r"[\s\-()]")
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{2,127}$")
_USERNAME_UNSAFE = re.compile(r"[^a-z0-9._@+-]")


_ENTITY_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def is_entity_id(value: str) -> bool:
    """Whether ``value`` can be an id at all (ids go into keys, which never hold ``#``)."""
    return bool(_ENTITY_ID.match(value))


def normalise_phone(value: str) -> str:
    """Mainland mobiles as 11 digits (``+86`` dropped), others as ``+<digits>``; errors never echo it."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if _MAINLAND_MOBILE.match(text) or _INTERNATIONAL.match(text):
        return text
    raise ValueError("phone must be a mainland mobile number or an international number starting with +")


def normalise_email(value: str) -> str:
    text = value.strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValueError("email is not a valid address")
    return text


def normalise_username(value: str) -> str:
    text = value.strip().lower()
    if not _USERNAME.match(text):
        raise ValueError("username must be 3-128 characters: lower-case letters, digits and . _ @ + -")
    return text


def username_from_email(email: str) -> str:
    """The default sign-in name: the address itself, with any character Cognito would refuse replaced."""
    return _USERNAME_UNSAFE.sub("-", email.lower())[:128]


def _roles(roles: list[Role]) -> list[Role]:
    problems = role_problems([r.value for r in roles])
    if problems:
        raise ValueError("; ".join(problems))
    return roles


def _skills(skills: list[Skill]) -> list[Skill]:
    problems = skill_problems([s.value for s in skills])
    if problems:
        raise ValueError("; ".join(problems))
    return skills


def _zones(zones: list[ZoneIn]) -> list[ZoneIn]:
    problems = zone_problems(zones)
    if problems:
        raise ValueError("; ".join(problems))
    return zones


PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PhoneNumber = Annotated[str, StringConstraints(max_length=32), AfterValidator(normalise_phone)]
EmailAddress = Annotated[str, StringConstraints(max_length=254), AfterValidator(normalise_email)]
Username = Annotated[str, StringConstraints(max_length=128), AfterValidator(normalise_username)]
# Ids end up inside keys, so they never carry the key separator.
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class ZoneIn(Model):
    model_config = ConfigDict(extra="forbid")

    site_id: EntityId
    building_ids: list[EntityId] = Field(
        default_factory=list, max_length=200, description="Buildings served; empty means the whole site"
    )


StaffRoles = Annotated[list[Role], Field(min_length=1, max_length=5), AfterValidator(_roles)]
StaffSkills = Annotated[list[Skill], Field(max_length=6), AfterValidator(_skills)]
StaffZones = Annotated[list[ZoneIn], Field(max_length=100), AfterValidator(_zones)]


class StaffCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    phone: PhoneNumber
    email: EmailAddress
    username: Username | None = Field(default=None, description="Sign-in name; defaults to the email")
    roles: StaffRoles
    zones: StaffZones = Field(default_factory=list)
    skills: StaffSkills = Field(default_factory=list)
    on_duty: bool = False


class StaffUpdate(Model):
    """A partial change; a staff member editing their own record may send only ``on_duty``."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    phone: PhoneNumber | None = None
    roles: StaffRoles | None = None
    zones: StaffZones | None = None
    skills: StaffSkills | None = None
    on_duty: bool | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> StaffUpdate:
        if not self.model_fields_set:
            raise ValueError("the change names no field")
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"these fields cannot be null: {', '.join(nulls)}")
        return self

    def changed_fields(self) -> list[str]:
        return sorted(self.model_fields_set)


@dataclass(frozen=True, slots=True)
class Staff:
    """A staff member; ``phone`` is the plaintext, only ever held inside the service."""

    tenant_id: str
    staff_id: str
    name: str
    email: str | None
    username: str
    user_id: str
    roles: tuple[Role, ...]
    zones: tuple[Zone, ...] = ()
    skills: tuple[Skill, ...] = ()
    phone: str | None = None
    on_duty: bool = False
    active: bool = True
    created_at: str = ""
    created_by: str = ""
    updated_at: str = ""
    version: int = 1


@dataclass(frozen=True, slots=True)
class NewStaff:
    """A created staff member and the temporary password of their account, handed over once."""

    staff: Staff
    temporary_password: str | None


class ZoneOut(Model):
    site_id: str
    building_ids: list[str]

    @classmethod
    def from_domain(cls, zone: Zone) -> ZoneOut:
        return cls(site_id=zone.site_id, building_ids=list(zone.building_ids))


class StaffOut(Model):
    staff_id: str
    name: str
    phone: str | None = Field(description="Masked (138****1234) unless the caller may see the full number")
    email: str | None
    username: str
    user_id: str
    roles: list[Role]
    zones: list[ZoneOut]
    skills: list[Skill]
    on_duty: bool
    active: bool
    created_at: str
    updated_at: str

    @classmethod
    def from_domain(cls, staff: Staff, phone: str | None) -> StaffOut:
        """``phone`` is what the caller may see (already masked or full)."""
        return cls(
            staff_id=staff.staff_id,
            name=staff.name,
            phone=phone,
            email=staff.email,
            username=staff.username,
            user_id=staff.user_id,
            roles=list(staff.roles),
            zones=[ZoneOut.from_domain(z) for z in staff.zones],
            skills=list(staff.skills),
            on_duty=staff.on_duty,
            active=staff.active,
            created_at=staff.created_at,
            updated_at=staff.updated_at,
        )


class StaffCreatedOut(StaffOut):
    temporary_password: str | None = Field(
        description="The account's first password, shown once: it is not stored and cannot be read again "
        "(null when a retry with the same Idempotency-Key is answered)"
    )


class StaffEvent(DomainEvent):
    """What dispatch and notifications need about a staff member; never personal data."""

    staff_id: str
    roles: list[str]
    skills: list[str]
    zones: list[dict[str, Any]]
    on_duty: bool
    active: bool


class StaffCreated(StaffEvent):
    pass


class StaffUpdated(StaffEvent):
    changed: list[str] = Field(default_factory=list, description="Names of the fields that changed")
