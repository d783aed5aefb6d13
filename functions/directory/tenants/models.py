"""Tenant models: onboarding requests, the tenant record, responses and the tenant lifecycle events."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from courtyard.events import DomainEvent
from courtyard.models import Model
from directory.staff.models import EmailAddress, PersonName, PhoneNumber, Username

# ISO 4217 active codes (2024), fund and precious-metal codes left out: a firm bills in money people hold.
_ISO_4217_CODES = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD "
    "CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ "
    "GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR "
    "LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN "
    "PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB "
    "TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW "
    "ZWG"
)
ISO_4217 = frozenset(_ISO_4217_CODES.split())


class TenantStatus(StrEnum):
    # Being onboarded: the record exists so that a retry finishes the job, but nobody can sign in to it yet.
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"


_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in ISO_4217:
        raise ValueError("currency must be an ISO 4217 code such as CNY")
    return code


def _timezone(value: str) -> str:
    known = _known_zones()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("timezone must be an IANA time zone such as Asia/Shanghai") from None
    # Some files of a zoneinfo directory load but are not zones; a firm's zone must be a real one.
    if value in _NOT_ZONES or (known and value not in known):
        raise ValueError("timezone must be an IANA time zone such as Asia/Shanghai")
    return value


Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)]
TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_timezone)]
Locale = Literal["zh-CN", "en"]
FirmName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TenantLimits(Model):
    """The plan's limits; other features refuse to grow past them."""

    model_config = ConfigDict(extra="forbid")

    households: int = Field(gt=0, le=10_000_000)
    devices: int = Field(ge=0, le=10_000_000)


class ManagerIn(Model):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    email: EmailAddress
    username: Username | None = Field(default=None, description="Sign-in name; defaults to the email")
    phone: PhoneNumber | None = None


class TenantCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: FirmName
    currency: Currency = "CNY"
    locale: Locale = "zh-CN"
    timezone: TimeZone = "Asia/Shanghai"
    limits: TenantLimits
    manager: ManagerIn


class TenantSuspend(Model):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500, description="Kept on the record, not audited")


@dataclass(frozen=True, slots=True)
class Tenant:
    tenant_id: str
    name: str
    status: TenantStatus
    currency: str
    locale: str
    timezone: str
    households: int
    devices: int
    created_at: str
    created_by: str
    updated_at: str
    manager_staff_id: str
    manager_username: str
    # The TenantCreated event's id, fixed when onboarding starts so a retry republishes the same event.
    creation_event_id: str
    # Which request started onboarding (a digest): a retry must be the same request.
    request_digest: str = ""
    manager_user_id: str | None = None
    suspended_at: str | None = None
    suspended_by: str | None = None
    suspension_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Onboarded:
    """Onboarding's result: the tenant, its first manager and (first delivery only) the password."""

    tenant: Tenant
    manager_name: str
    manager_email: str
    temporary_password: str | None
    replayed: bool


class LimitsOut(Model):
    households: int
    devices: int


class TenantOut(Model):
    tenant_id: str
    name: str
    status: TenantStatus
    currency: str
    locale: str
    timezone: str
    limits: LimitsOut
    created_at: str
    created_by: str
    updated_at: str
    suspended_at: str | None = None
    suspension_reason: str | None = None

    @classmethod
    def from_domain(cls, tenant: Tenant) -> TenantOut:
        return cls(**_tenant_fields(tenant))


class ManagerOut(Model):
    staff_id: str
    user_id: str | None
    username: str
    name: str
    email: str
    temporary_password: str | None = Field(
        description="The first sign-in password, returned once; null when a retry replays the creation"
    )


class TenantCreatedOut(TenantOut):
    manager: ManagerOut

    @classmethod
    def from_onboarded(cls, result: Onboarded) -> TenantCreatedOut:
        tenant = result.tenant
        return cls(
            **_tenant_fields(tenant),
            manager=ManagerOut(
                staff_id=tenant.manager_staff_id,
                user_id=tenant.manager_user_id,
                username=tenant.manager_username,
                name=result.manager_name,
                email=result.manager_email,
                temporary_password=result.temporary_password,
            ),
        )


def _tenant_fields(tenant: Tenant) -> dict[str, object]:
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "status": tenant.status,
        "currency": tenant.currency,
        "locale": tenant.locale,
        "timezone": tenant.timezone,
        "limits": LimitsOut(households=tenant.households, devices=tenant.devices),
        "created_at": tenant.created_at,
        "created_by": tenant.created_by,
        "updated_at": tenant.updated_at,
        "suspended_at": tenant.suspended_at,
        "suspension_reason": tenant.suspension_reason,
    }


class TenantCreated(DomainEvent):
    name: str


class TenantSuspended(DomainEvent):
    pass


class TenantReactivated(DomainEvent):
    pass
