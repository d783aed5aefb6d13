"""What the directory reader hands to features: frozen views of tenants, units, people and staff.

Split from `courtyard.directory` (the reader) so each module stays small; import them from either.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TenantView:
    tenant_id: str
    name: str
    status: str
    timezone: str
    currency: str
    locale: str

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class UnitView:
    tenant_id: str
    unit_id: str
    site_id: str
    building_id: str
    room_key: str
    kind: str  # residential | commercial | parking
    label: str = ""
    # Hundredths of a square metre (area-based fees multiply by it; never a float).
    area_centi_m2: int = 0
    occupancy: str = "vacant"


@dataclass(frozen=True, slots=True)
class UnitMemberView:
    """Who lives in a unit, seen from the unit: one resident link."""

    unit_id: str
    resident_id: str
    relation: str
    primary: bool


@dataclass(frozen=True, slots=True)
class UserLink:
    """Who a signed-in user is in the directory."""

    kind: str  # "resident" or "staff"
    person_id: str


@dataclass(frozen=True, slots=True)
class StaffZoneView:
    """A site a staff member serves: every building of it (``building_ids`` empty) or only the listed ones."""

    site_id: str
    building_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StaffView:
    """A staff member as other features see them (no contact data): roles, skills, zones, duty."""

    staff_id: str
    user_id: str | None
    name: str
    roles: frozenset[str]
    skills: frozenset[str]
    zones: tuple[StaffZoneView, ...]
    on_duty: bool
    active: bool


@dataclass(frozen=True, slots=True)
class ResidentUnitView:
    """One of a resident's units, seen from the resident; ``primary`` marks the one they file from."""

    unit_id: str
    site_id: str
    primary: bool
    resident_id: str = ""


@dataclass(frozen=True, slots=True)
class ProxyView:
    """An active family proxy of a unit: the proxy's resident record and login."""

    unit_id: str
    site_id: str
    proxy_id: str
    resident_id: str
    user_id: str | None


@dataclass(frozen=True, slots=True)
class ResidentView:
    """A resident's identity for other features: who they are and the login (``sub``) they sign in with."""

    resident_id: str
    user_id: str | None
    erased: bool = False


@dataclass(frozen=True, slots=True)
class ContactView:
    """How to reach a person (resident or staff) for notifications; the phone stays a FieldCipher token."""

    kind: str  # "resident" or "staff"
    person_id: str
    name: str
    user_id: str | None
    email: str | None
    phone_enc: str | None
    locale: str | None = None
