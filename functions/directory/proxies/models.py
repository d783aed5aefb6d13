"""Family proxy links (子女代办): requests, the domain record and responses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from courtyard.models import Model
from directory.people.models import PersonName


class ProxyStatus(StrEnum):
    INVITED = "invited"  # consent given, the code not used yet
    ACTIVE = "active"
    REVOKED = "revoked"


class ProxyCreate(Model):
    """The parent (a resident of the unit) consents in the app; the desk records a consent given in person
    or by phone (``consent_note``: how and when, e.g. "2026-03-10 张阿姨电话确认")."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    proxy_name: PersonName = Field(description="the adult child's name, as the parent calls them")
    relation: Literal["child", "grandchild", "relative", "carer"] = "child"
    consent_note: str | None = Field(default=None, min_length=4, max_length=200)
    expires_in_hours: int = Field(default=72, ge=1, le=168, description="how long the code may be used")


class ProxyAccept(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=8, max_length=80, description="the code the parent or the desk passed on")


@dataclass(frozen=True, slots=True)
class Proxy:
    tenant_id: str
    proxy_id: str
    unit_id: str
    site_id: str
    status: ProxyStatus
    proxy_name: str
    relation: str
    consent_by: str  # "resident" (the parent, in the app) or "desk" (recorded by staff)
    consent_note: str | None
    created_by: str
    created_at: str
    code_digest: str
    expires_at: str
    proxy_resident_id: str | None = None
    proxy_user_id: str | None = None
    accepted_at: str | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None
    unit_label: str = ""  # the unit as people write it, kept from when the link was made


class ProxyOut(Model):
    proxy_id: str
    unit_id: str
    unit_label: str
    site_id: str
    status: ProxyStatus
    proxy_name: str
    relation: str
    consent_by: str
    consent_note: str | None
    created_at: str
    expires_at: str
    proxy_resident_id: str | None
    accepted_at: str | None
    revoked_at: str | None
    # Only when it is issued: the code is shown once and never stored.
    code: str | None = None

    @classmethod
    def from_domain(cls, proxy: Proxy, code: str | None = None) -> ProxyOut:
        return cls(
            proxy_id=proxy.proxy_id,
            unit_id=proxy.unit_id,
            unit_label=proxy.unit_label,
            site_id=proxy.site_id,
            status=proxy.status,
            proxy_name=proxy.proxy_name,
            relation=proxy.relation,
            consent_by=proxy.consent_by,
            consent_note=proxy.consent_note,
            created_at=proxy.created_at,
            expires_at=proxy.expires_at,
            proxy_resident_id=proxy.proxy_resident_id,
            accepted_at=proxy.accepted_at,
            revoked_at=proxy.revoked_at,
            code=code,
        )


class ProxyListOut(Model):
    items: list[ProxyOut]
