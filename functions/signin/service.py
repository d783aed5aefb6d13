"""The rules of the pre-token trigger: an account with TOTP on gets ``mfa=totp`` in its ID token, and an
account the directory knows gets ``person_id`` (its resident or staff record), so a request names its
caller's record without reading the user link (issue 18: calls per request; Courtyard identity's tokens
carry the same claim).

With the pool's MFA optional, Cognito asks every account that turned TOTP on for a code at each sign-in, so
the mark means "this sign-in passed a second factor". The kernel (``courtyard.mfa``) refuses tokens of
managers, finance and platform operators without it. A caller cannot forge it: only this trigger adds claims.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import ConfigDict, Field

from courtyard.mfa import MFA_CLAIM, MFA_TOTP
from courtyard.models import Model
from courtyard.tenancy import PERSON_CLAIM, TENANT_CLAIM


class PreTokenEvent(Model):
    """What the trigger reads of Cognito's event (the rest is handed back untouched)."""

    # Built on first use (the kernel's Model defers the build): the trigger runs on every sign-in.
    model_config = ConfigDict(extra="ignore")

    user_pool_id: str = Field(alias="userPoolId", min_length=1, max_length=64)
    user_name: str = Field(alias="userName", min_length=1, max_length=128)


class MfaSettings(Protocol):
    def totp_enabled(self, user_pool_id: str, username: str) -> bool: ...


class People(Protocol):
    def person_id(self, tenant_id: str, user_id: str) -> str | None: ...


def mark_second_factor(event: dict[str, Any], accounts: MfaSettings) -> dict[str, Any]:
    """The trigger's event with ``mfa=totp`` added to the claims when the account has TOTP on."""
    who = PreTokenEvent.model_validate(event)
    if accounts.totp_enabled(who.user_pool_id, who.user_name):
        response = event.setdefault("response", {})
        override = response.get("claimsOverrideDetails") or {}
        override.setdefault("claimsToAddOrOverride", {})[MFA_CLAIM] = MFA_TOTP
        response["claimsOverrideDetails"] = override
    return event


def name_the_person(event: dict[str, Any], people: People) -> dict[str, Any]:
    """The trigger's event with ``person_id`` added when the user's firm links the account to a record."""
    attributes = (event.get("request") or {}).get("userAttributes") or {}
    tenant_id, user_id = str(attributes.get(TENANT_CLAIM) or ""), str(attributes.get("sub") or "")
    person_id = people.person_id(tenant_id, user_id) if tenant_id and user_id else None
    if person_id:
        response = event.setdefault("response", {})
        override = response.get("claimsOverrideDetails") or {}
        override.setdefault("claimsToAddOrOverride", {})[PERSON_CLAIM] = person_id
        response["claimsOverrideDetails"] = override
    return event
