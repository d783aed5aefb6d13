"""Views of people that the directory reader answers (``courtyard.directory`` re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass


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
