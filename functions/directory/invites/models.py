"""Invitations: the one-time code's format and parsing (pure rules), request, domain and response shapes.

A code is ``{tenant_id}.{secret}``: the tenant part tells a not-yet-member which property firm to ask, and
the secret (10 Crockford base32 characters, shown grouped as ``K7QX-93PD-WQ``, 50 random bits) proves it.
Only a digest of tenant and secret is stored, so the table never holds a usable code.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from courtyard.clock import to_iso
from courtyard.crypto import mask_phone
from courtyard.errors import Conflict
from courtyard.events import DomainEvent
from courtyard.models import Model
from directory.people.models import EntityId, MobilePhone, PersonName, Relation

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SECRET_LENGTH = 10
DEFAULT_EXPIRY_HOURS = 72
# Crockford decoding is forgiving about look-alikes people mistype when reading a code aloud.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TENANT_PART = re.compile(r"[0-9A-Za-z_-]{1,64}")


class InviteStatus(StrEnum):
    OPEN = "open"
    USED = "used"


class InviteState(StrEnum):
    """What a listed invitation is now: the stored status, or expired once an open one is past its time."""

    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"


def new_secret() -> str:
    """10 random Crockford base32 characters, grouped for reading aloud: ``K7QX-93PD-WQ``."""
    raw = "".join(secrets.choice(CROCKFORD) for _ in range(SECRET_LENGTH))
    return group_secret(raw)


def group_secret(canonical: str) -> str:
    return f"{canonical[:4]}-{canonical[4:8]}-{canonical[8:]}"


def canonical_secret(text: str) -> str:
    """The 10 characters of a secret as typed (any case, dashes, spaces, look-alikes); else ValueError."""
    value = (
        unicodedata.normalize("NFKC", text).upper().replace("-", "").replace(" ", "").translate(_LOOKALIKES)
    )
    if len(value) != SECRET_LENGTH or any(c not in CROCKFORD for c in value):
        raise ValueError("not an invitation secret")
    return value


def format_code(tenant_id: str, secret: str) -> str:
    return f"{tenant_id}.{group_secret(canonical_secret(secret))}"


def parse_code(code: str) -> tuple[str, str]:
    """``(tenant_id, canonical secret)`` of an invitation code; ValueError if it is not one."""
    tenant_id, dot, secret = code.strip().rpartition(".")
    if not dot or not _TENANT_PART.fullmatch(tenant_id):
        raise ValueError("not an invitation code")
    return tenant_id, canonical_secret(secret)


def share_link(app_base_url: str, code: str) -> str:
    """The invitation's https link into the mobile app: ``{app}/join#{code}``. The code rides in the fragment,
    which browsers never send, so it stays out of the web edge's and CloudFront's logs."""
    return f"{app_base_url.rstrip('/')}/join#{code}"


def secret_digest(tenant_id: str, secret: str) -> str:
    """SHA-256 of tenant and canonical secret: the invite's key part; the secret itself is never kept."""
    return hashlib.sha256(f"{tenant_id}.{canonical_secret(secret)}".encode()).hexdigest()


# ---------------------------------------------------------------- errors


class InviteUsed(Conflict):
    code = "invite_used"


class InviteExpired(Conflict):
    code = "invite_expired"


class OtherTenant(Conflict):
    code = "other_tenant"


class IdentityMismatch(Conflict):
    """The invitation names someone other than the resident on record it would attach the account to."""

    code = "identity_mismatch"


class PhoneCodeRequired(Conflict):
    """The invitation binds the account to a person on record: a code was texted to their number; accept
    again with it (``phone_code``). The details say where it went (masked) and until when it works."""

    code = "phone_code_required"

    def __init__(self, phone_masked: str, expires_at: str) -> None:
        super().__init__(
            "a code was texted to the phone number on record: enter it to join",
            [{"type": "phone_code_required", "phone": phone_masked, "expires_at": expires_at}],
        )


# ---------------------------------------------------------------- requests


class InviteCreate(Model):
    model_config = ConfigDict(extra="forbid")

    unit_id: EntityId
    relation: Relation
    primary: bool = Field(default=False, description="The invitee becomes the unit's primary contact")
    expires_in_hours: int = Field(default=DEFAULT_EXPIRY_HOURS, ge=1, description="1 to the firm's maximum")
    invitee_name: PersonName | None = None
    invitee_phone: MobilePhone | None = Field(
        default=None, description="If given, an existing resident with this number is reused on acceptance"
    )


class InviteAccept(Model):
    """The signed-in account accepts for itself (assisted mode never opens an account for someone else).
    When the invitation binds the account to a person already on record, the first call answers 409
    ``phone_code_required`` and texts a code to that person's number; call again with it as ``phone_code``."""

    model_config = ConfigDict(extra="forbid")

    phone_code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="The code texted to the number on record"
    )


# ---------------------------------------------------------------- domain


@dataclass(frozen=True, slots=True)
class Invite:
    tenant_id: str
    digest: str
    unit_id: str
    site_id: str
    relation: Relation
    primary: bool
    expires_at: datetime
    created_by: str
    created_at: str
    status: InviteStatus
    invitee_name: str | None = None
    invitee_phone: str | None = None
    invitee_phone_digest: str | None = None
    used_by: str | None = None
    used_at: str | None = None
    resident_id: str | None = None

    def state_at(self, now: datetime) -> InviteState:
        """Open, used, or expired: an open invitation past its time can no longer be accepted."""
        if self.status is InviteStatus.OPEN and self.expires_at <= now:
            return InviteState.EXPIRED
        return InviteState(self.status.value)


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    code: str
    invite: Invite


@dataclass(frozen=True, slots=True)
class Acceptance:
    tenant_id: str
    resident_id: str
    invite: Invite
    username: str
    temporary_password: str | None = None


class ResidentRegistered(DomainEvent):
    """A person accepted an invitation and became a resident of a unit; ``user_id`` is the account that
    accepted (identity binds a Courtyard account to the firm and the person on it)."""

    resident_id: str
    unit_id: str
    user_id: str | None = None


# ---------------------------------------------------------------- responses


class InviteOut(Model):
    code: str = Field(description="Shown once: only a digest is stored")
    share_link: str = Field(description="https link into the mobile app (`{app}/join#{code}`) for SMS and QR")
    tenant_id: str
    unit_id: str
    relation: Relation
    primary: bool
    expires_at: str

    @classmethod
    def from_domain(cls, issued: IssuedInvite, expires_at: str, app_base_url: str) -> InviteOut:
        invite = issued.invite
        return cls(
            code=issued.code,
            share_link=share_link(app_base_url, issued.code),
            tenant_id=invite.tenant_id,
            unit_id=invite.unit_id,
            relation=invite.relation,
            primary=invite.primary,
            expires_at=expires_at,
        )


class InviteListItemOut(Model):
    """An invitation as the desk sees it later: who it was for and whether they joined; never its code."""

    unit_id: str
    relation: Relation
    primary: bool
    status: InviteState
    invitee_name: str | None
    invitee_phone: str | None = Field(description="Masked (138****5678)")
    created_at: str
    expires_at: str
    used_at: str | None
    resident_id: str | None = Field(description="The resident who joined with it, once used")

    @classmethod
    def from_domain(cls, invite: Invite, state: InviteState) -> InviteListItemOut:
        return cls(
            unit_id=invite.unit_id,
            relation=invite.relation,
            primary=invite.primary,
            status=state,
            invitee_name=invite.invitee_name,
            invitee_phone=mask_phone(invite.invitee_phone) if invite.invitee_phone else None,
            created_at=invite.created_at,
            expires_at=to_iso(invite.expires_at),
            used_at=invite.used_at,
            resident_id=invite.resident_id,
        )


class AccountOut(Model):
    username: str
    temporary_password: str = Field(description="Shown once; must be changed at first sign-in")


class InviteAcceptedOut(Model):
    tenant_id: str
    resident_id: str
    unit_id: str
    relation: Relation
    primary: bool
    refresh_token: bool = Field(
        default=True, description="Refresh the session: the new tenant and role appear in the next token"
    )
    account: AccountOut | None = Field(default=None, description="Assisted mode: the account opened")

    @classmethod
    def from_domain(cls, acceptance: Acceptance) -> InviteAcceptedOut:
        return cls(
            tenant_id=acceptance.tenant_id,
            resident_id=acceptance.resident_id,
            unit_id=acceptance.invite.unit_id,
            relation=acceptance.invite.relation,
            primary=acceptance.invite.primary,
            account=AccountOut(username=acceptance.username, temporary_password=acceptance.temporary_password)
            if acceptance.temporary_password
            else None,
        )
