"""Visitors models by role: requests (``*Create``, ``*Request``), domain records, responses (``*Out``).

Personal values (phone, plate) appear in requests only; domain records carry them encrypted (``*_enc``) with
their blind-index digests, and responses mask them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from courtyard.clock import to_iso
from courtyard.models import Model

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
GateId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Phone = Annotated[str, Field(min_length=5, max_length=20, pattern=r"^\+?[0-9 ()-]{5,20}$")]
Plate = Annotated[str, Field(min_length=2, max_length=16)]
Token = Annotated[str, Field(min_length=1, max_length=2048)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times need a timezone (UTC with Z)")
    return value


AwareTime = Annotated[datetime, AfterValidator(_aware)]


class PassKind(StrEnum):
    GUEST = "guest"
    CONTRACTOR = "contractor"
    DELIVERY = "delivery"


class PassStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class Reason(StrEnum):
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    WRONG_SITE = "wrong_site"
    EXHAUSTED = "exhausted"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class BlockKind(StrEnum):
    PHONE = "phone"
    PLATE = "plate"


# ------------------------------------------------------------------ requests


class Recurrence(Model):
    """A recurring pass admits only on these ISO weekdays (1 = Monday) between these local times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1, max_length=7)
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> Recurrence:
        if self.end <= self.start:
            raise ValueError("end must be after start (overnight hours are two passes)")
        return self


class PassCreate(Model):
    model_config = ConfigDict(extra="forbid")

    visitor_name: str = Field(min_length=1, max_length=100)
    visitor_phone: Phone | None = None
    visitor_plate: Plate | None = None
    kind: PassKind = PassKind.GUEST
    site_id: Id | None = Field(default=None, description="required for staff; a resident's unit decides it")
    unit_id: Id | None = Field(default=None, description="residents: one of theirs (default: primary)")
    gates: list[GateId] = Field(default_factory=list, max_length=20, description="empty: every gate")
    valid_from: AwareTime | None = Field(default=None, description="default: now")
    valid_until: AwareTime | None = Field(default=None, description="default: the tenant's default window")
    entries_allowed: int = Field(default=1, ge=1, le=100, description="1 = single use")
    recurrence: Recurrence | None = None
    note: str | None = Field(default=None, max_length=500)


class ScanRequest(Model):
    """One scan at a gate: a QR token, or a plate read by a licence-plate camera."""

    model_config = ConfigDict(extra="forbid")

    site_id: Id
    gate_id: GateId
    direction: Direction = Direction.IN
    token: Token | None = None
    plate: Plate | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> ScanRequest:
        if (self.token is None) == (self.plate is None):
            raise ValueError("give exactly one of token or plate")
        return self


class OfflineScan(Model):
    """A scan a gate verified offline (with the JWKS) and uploads later."""

    model_config = ConfigDict(extra="forbid")

    scan_id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
    token: Token
    direction: Direction = Direction.IN
    scanned_at: AwareTime
    verdict: Verdict = Field(description="what the gate decided offline")


class ScanBatch(Model):
    model_config = ConfigDict(extra="forbid")

    site_id: Id
    gate_id: GateId
    # Each scan costs a few DynamoDB calls: 100 stay well inside the function timeout.
    scans: list[OfflineScan] = Field(min_length=1, max_length=100)


class PassViewRequest(Model):
    """The visitor's page: the token from its link's fragment (in a body, so it stays out of access logs)."""

    model_config = ConfigDict(extra="forbid")

    token: Token


class BlockCreate(Model):
    model_config = ConfigDict(extra="forbid")

    kind: BlockKind
    value: Annotated[str, Field(min_length=2, max_length=20)]
    reason: str | None = Field(default=None, max_length=200)


class VisitorSettingsIn(Model):
    model_config = ConfigDict(extra="forbid")

    default_window_hours: int = Field(default=24, ge=1, le=24 * 31)
    max_window_days: int = Field(default=31, ge=1, le=366)
    retention_days: int = Field(default=90, ge=7, le=3 * 366, description="passes and logs after their end")


# ------------------------------------------------------------------ domain


@dataclass(frozen=True, slots=True)
class VisitorPass:
    tenant_id: str
    pass_id: str
    site_id: str
    unit_id: str | None
    unit_label: str | None
    host_user_id: str
    issued_by: str
    kind: PassKind
    visitor_name: str
    valid_from: datetime
    valid_until: datetime
    entries_allowed: int
    entries_used: int
    status: PassStatus
    created_at: datetime
    token: str
    kid: str
    gates: tuple[str, ...] = ()
    recurrence: Recurrence | None = None
    note: str | None = None
    visitor_phone_enc: str | None = None
    visitor_plate_enc: str | None = None
    phone_digest: str | None = None
    plate_digest: str | None = None
    # Masks are computed once at issue, so showing a pass needs no decryption (and no personal-data read).
    phone_masked: str | None = None
    plate_masked: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    overuse: int = 0


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """One line of the visit log: every scan, allowed or denied, online or uploaded by an offline gate."""

    tenant_id: str
    site_id: str
    scan_id: str
    scanned_at: datetime
    gate_id: str
    direction: Direction
    verdict: Verdict
    reason: Reason | None
    by: str
    pass_id: str | None = None
    visitor_name: str | None = None
    unit_id: str | None = None
    unit_label: str | None = None
    entry_number: int | None = None
    plate_masked: str | None = None
    offline: bool = False
    overuse: bool = False
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScanResult:
    verdict: Verdict
    reason: Reason | None
    direction: Direction
    scanned_at: datetime
    visitor_pass: VisitorPass | None = None
    entry_number: int | None = None
    # Its visit-log line was written with the entry it took (one transaction); otherwise it is still to do.
    logged: bool = False


@dataclass(frozen=True, slots=True)
class BlockEntry:
    tenant_id: str
    site_id: str
    entry_id: str
    kind: BlockKind
    digest: str
    value_enc: str
    value_masked: str
    reason: str | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    pass_id: str
    request_digest: str


@dataclass(frozen=True, slots=True)
class ReconciledScan:
    scan_id: str
    gate_verdict: Verdict
    verdict: Verdict
    reason: Reason | None
    counted: bool
    entry_number: int | None
    flags: tuple[str, ...] = field(default=())
    duplicate: bool = False


# ------------------------------------------------------------------ responses


class RecurrenceOut(Model):
    days: list[int]
    start: str
    end: str


class PassOut(Model):
    pass_id: str
    site_id: str
    unit_id: str | None
    unit_label: str | None
    host_user_id: str
    kind: PassKind
    visitor_name: str
    visitor_phone: str | None = Field(description="masked")
    visitor_plate: str | None = Field(description="masked")
    gates: list[str]
    valid_from: str
    valid_until: str
    entries_allowed: int
    entries_used: int
    status: PassStatus
    recurrence: RecurrenceOut | None
    note: str | None
    created_at: str
    revoked_at: str | None
    token: str | None = Field(
        description=(
            "the signed pass (compact JWS); the QR code encodes exactly this. Null for roles that only "
            "verify passes (guards, gate accounts): a gate never needs a pass's token to let its holder in"
        )
    )
    share_url: str | None = None
    qr_url: str | None

    @classmethod
    def from_domain(cls, p: VisitorPass, *, share_url: str | None = None, with_token: bool = True) -> PassOut:
        return cls(
            pass_id=p.pass_id,
            site_id=p.site_id,
            unit_id=p.unit_id,
            unit_label=p.unit_label,
            host_user_id=p.host_user_id,
            kind=p.kind,
            visitor_name=p.visitor_name,
            visitor_phone=p.phone_masked,
            visitor_plate=p.plate_masked,
            gates=list(p.gates),
            valid_from=to_iso(p.valid_from),
            valid_until=to_iso(p.valid_until),
            entries_allowed=p.entries_allowed,
            entries_used=p.entries_used,
            status=p.status,
            recurrence=RecurrenceOut(
                days=list(p.recurrence.days),
                start=p.recurrence.start.strftime("%H:%M"),
                end=p.recurrence.end.strftime("%H:%M"),
            )
            if p.recurrence
            else None,
            note=p.note,
            created_at=to_iso(p.created_at),
            revoked_at=to_iso(p.revoked_at) if p.revoked_at else None,
            token=p.token if with_token else None,
            share_url=share_url if with_token else None,
            qr_url=f"/passes/{p.pass_id}/qr" if with_token else None,
        )


class PassPageOut(Model):
    items: list[PassOut]
    next_cursor: str | None


class PassViewState(StrEnum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used_up"


class PassViewOut(Model):
    """What the holder of a pass's token may read without an account: no host, no contact data."""

    state: PassViewState
    visitor_name: str
    firm: str = Field(description="the property firm's name")
    unit_label: str | None = Field(description="the unit visited, as the gate will say it")
    valid_from: str
    valid_until: str
    entries_allowed: int
    entries_left: int


class ScanOut(Model):
    verdict: Verdict
    reason: Reason | None
    direction: Direction
    scanned_at: str
    pass_id: str | None = None
    visitor_name: str | None = Field(default=None, description="on allow")
    host_unit: str | None = Field(default=None, description="on allow: the host unit's label")
    entry_number: int | None = None
    entries_left: int | None = None

    @classmethod
    def from_domain(cls, result: ScanResult) -> ScanOut:
        p = result.visitor_pass
        # Only a pass of the caller's own community is named; wrong_site/unknown/bad_signature reveal nothing.
        named = p is not None and result.reason not in {
            Reason.WRONG_SITE,
            Reason.UNKNOWN,
            Reason.BAD_SIGNATURE,
        }
        allowed = result.verdict is Verdict.ALLOW and p is not None
        return cls(
            verdict=result.verdict,
            reason=result.reason,
            direction=result.direction,
            scanned_at=to_iso(result.scanned_at),
            pass_id=p.pass_id if named and p else None,
            visitor_name=p.visitor_name if allowed and p else None,
            host_unit=(p.unit_label or p.unit_id) if allowed and p else None,
            entry_number=result.entry_number if allowed else None,
            entries_left=max(p.entries_allowed - p.entries_used, 0) if named and p else None,
        )


class ReconciledScanOut(Model):
    scan_id: str
    gate_verdict: Verdict
    verdict: Verdict = Field(description="what the server decides for that scan time")
    reason: Reason | None
    counted: bool = Field(description="an entry was counted against the pass's limit")
    entry_number: int | None
    flagged: bool = Field(description="the gate admitted someone the server would not have")
    flags: list[str]
    duplicate: bool = Field(description="this scan was uploaded before; nothing changed")


class BatchOut(Model):
    accepted: int
    flagged: int
    results: list[ReconciledScanOut]


class EntryOut(Model):
    scan_id: str
    scanned_at: str
    site_id: str
    gate_id: str
    direction: Direction
    verdict: Verdict
    reason: Reason | None
    pass_id: str | None
    visitor_name: str | None
    unit_label: str | None
    entry_number: int | None
    plate: str | None = Field(description="masked")
    offline: bool
    overuse: bool
    flags: list[str]

    @classmethod
    def from_domain(cls, e: EntryRecord) -> EntryOut:
        return cls(
            scan_id=e.scan_id,
            scanned_at=to_iso(e.scanned_at),
            site_id=e.site_id,
            gate_id=e.gate_id,
            direction=e.direction,
            verdict=e.verdict,
            reason=e.reason,
            pass_id=e.pass_id,
            visitor_name=e.visitor_name,
            unit_label=e.unit_label,
            entry_number=e.entry_number,
            plate=e.plate_masked,
            offline=e.offline,
            overuse=e.overuse,
            flags=list(e.flags),
        )


class EntryPageOut(Model):
    items: list[EntryOut]
    next_cursor: str | None


class VisitLogOut(EntryPageOut):
    """A page of a community's visit log, with the local day it is of (the firm's day when none was asked)."""

    date: str


class BlockOut(Model):
    entry_id: str
    site_id: str
    kind: BlockKind
    value: str = Field(description="masked")
    reason: str | None
    created_at: str


class BlockListOut(Model):
    items: list[BlockOut]


class Jwk(Model):
    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str
    y: str
    kid: str
    use: str
    alg: str


class JwksOut(Model):
    keys: list[Jwk]
