"""Directory models: the domain shapes and the API's response shapes, mapped explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field


class PersonKind(StrEnum):
    STAFF = "staff"
    RESIDENT = "resident"


@dataclass(frozen=True, slots=True)
class Tenant:
    tenant_id: str
    name: str
    status: str = "active"


@dataclass(frozen=True, slots=True)
class Profile:
    """A signed-in person's directory record; ``phone`` is the plaintext only inside the service."""

    tenant_id: str
    user_id: str
    name: str
    kind: PersonKind
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Me:
    tenant_id: str
    user_id: str
    username: str | None
    roles: tuple[str, ...]
    tenant: Tenant | None
    profile: Profile | None


class TenantOut(BaseModel):
    tenant_id: str
    name: str
    status: str


class ProfileOut(BaseModel):
    name: str
    kind: PersonKind
    email: str | None = None
    phone: str | None = Field(default=None, description="The caller's own phone number")


class MeOut(BaseModel):
    tenant_id: str
    user_id: str
    username: str | None
    roles: list[str]
    tenant: TenantOut | None
    profile: ProfileOut | None

    @classmethod
    def from_domain(cls, me: Me) -> MeOut:
        return cls(
            tenant_id=me.tenant_id,
            user_id=me.user_id,
            username=me.username,
            roles=list(me.roles),
            tenant=TenantOut(tenant_id=me.tenant.tenant_id, name=me.tenant.name, status=me.tenant.status)
            if me.tenant
            else None,
            profile=ProfileOut(
                name=me.profile.name, kind=me.profile.kind, email=me.profile.email, phone=me.profile.phone
            )
            if me.profile
            else None,
        )


class HealthOut(BaseModel):
    status: str
    service: str
