"""The rule of the pre-token trigger: an account with TOTP on gets ``mfa=totp`` in its ID token.

With the pool's MFA optional, Cognito asks every account that turned TOTP on for a code at each sign-in, so
the mark means "this sign-in passed a second factor". The kernel (``courtyard.mfa``) refuses tokens of
managers, finance and platform operators without it. A caller cannot forge it: only this trigger adds claims.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import ConfigDict, Field

from courtyard.mfa import MFA_CLAIM, MFA_TOTP
from courtyard.models import Model


class PreTokenEvent(Model):
    """What the trigger reads of Cognito's event (the rest is handed back untouched)."""

    # Built on first use, not at import: the trigger runs on every sign-in and its cold start counts.
    model_config = ConfigDict(extra="ignore", defer_build=True)

    user_pool_id: str = Field(alias="userPoolId", min_length=1, max_length=64)
    user_name: str = Field(alias="userName", min_length=1, max_length=128)


class MfaSettings(Protocol):
    def totp_enabled(self, user_pool_id: str, username: str) -> bool: ...


def mark_second_factor(event: dict[str, Any], accounts: MfaSettings) -> dict[str, Any]:
    """The trigger's event with ``mfa=totp`` added to the claims when the account has TOTP on."""
    who = PreTokenEvent.model_validate(event)
    if accounts.totp_enabled(who.user_pool_id, who.user_name):
        response = event.setdefault("response", {})
        override = response.get("claimsOverrideDetails") or {}
        override.setdefault("claimsToAddOrOverride", {})[MFA_CLAIM] = MFA_TOTP
        response["claimsOverrideDetails"] = override
    return event
