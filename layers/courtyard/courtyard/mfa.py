"""A second factor for the roles that move money or reach a whole firm: managers, finance, platform operators.

The user pool offers TOTP to everyone (MFA optional). For a user who turned it on, Cognito asks for the code
at every sign-in, and the pre-token trigger (``functions/signin``) marks the ID token ``mfa=totp``.
A token of a role listed here without that mark is refused on every route, so a manager's password alone
opens nothing. Pure: the resolver calls ``require_mfa`` with the verified claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from courtyard.errors import Forbidden
from courtyard.tenancy import Role

MFA_CLAIM: Final = "mfa"
MFA_TOTP: Final = "totp"
MFA_REQUIRED_ROLES: Final = frozenset({Role.MANAGER, Role.FINANCE, Role.PLATFORM_ADMIN})


class MfaRequired(Forbidden):
    code = "mfa_required"


def require_mfa(roles: Iterable[Role], claims: Mapping[str, Any]) -> None:
    """Raise ``MfaRequired`` when a role that needs a second factor signed in without one."""
    if MFA_REQUIRED_ROLES.isdisjoint(roles):
        return
    if str(claims.get(MFA_CLAIM) or "") != MFA_TOTP:
        raise MfaRequired(
            "managers, finance and platform operators sign in with an authenticator app code (TOTP): "
            "turn it on in your account and sign in again"
        )
