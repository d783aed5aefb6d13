"""Cognito's pre-token-generation trigger and TOTP check, in the local cloud.

moto runs no Cognito trigger, so without this no local ID token carries what the template's trigger adds
(``functions/signin``: ``mfa=totp`` for an account with TOTP on, which the console and the kernel read). The
local cloud hands moto a hook: before moto signs an ID token (at sign-in, after a challenge, at refresh), the
function named by the user pool's ``LambdaConfig.PreTokenGeneration`` is invoked with Cognito's event and the
claims it returns (``claimsOverrideDetails.claimsToAddOrOverride``) go into the token, as Cognito does.

moto also accepts any authenticator code unless ``MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP`` is set: the
local cloud sets it while it runs, so a wrong code is refused (``CodeMismatchException``) as in AWS. Its
secret is one fixed value for every account (moto's ``COGNITO_TOTP_MFA_SECRET``); the codes are real RFC 6238
ones, checked against the local Cognito's TOTP clock: the wall clock plus an offset that only a test moves
(``advance_totp_clock``: a story that needs a second code, a code being good once, moves the authenticator's
and Cognito's clocks on to the next 30 s step together instead of waiting for it), back to 0 when the cloud
stops.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool

TOTP_SWITCH = "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"

Trigger = Callable[[dict[str, Any]], Any]

_trigger: Trigger | None = None
_installed = False
_totp_offset_s = 0.0


class _TotpClock:
    """Stands for the ``time`` module in moto's TOTP check (``moto.cognitoidp.utils``, which uses it for that
    check alone)."""

    @staticmethod
    def time() -> float:
        return totp_time()


def totp_time() -> float:
    """Now on the local Cognito's TOTP clock (what an authenticator in step with it shows codes for)."""
    return time.time() + _totp_offset_s


def advance_totp_clock(seconds: float) -> None:
    """Move the local Cognito's TOTP clock on by ``seconds`` (tests only: the authenticator moves with it)."""
    global _totp_offset_s
    _totp_offset_s += seconds


def reset_totp_clock() -> None:
    """The local Cognito's TOTP clock back on the wall clock."""
    global _totp_offset_s
    _totp_offset_s = 0.0


def pre_token_function(properties: Mapping[str, Any]) -> str | None:
    """The function a UserPool's properties name as its pre-token trigger (``!GetAtt X.Arn``)."""
    target = (properties.get("LambdaConfig") or {}).get("PreTokenGeneration")
    if isinstance(target, Mapping) and "Fn::GetAtt" in target:
        reference = target["Fn::GetAtt"]
        name = reference[0] if isinstance(reference, list) else str(reference).partition(".")[0]
        return str(name)
    return None


def claims_to_add(answer: Any) -> dict[str, Any]:
    """What a pre-token trigger's answer adds to the ID token (Cognito's V1 event shape)."""
    if not isinstance(answer, Mapping):
        return {}
    override = (answer.get("response") or {}).get("claimsOverrideDetails") or {}
    added = override.get("claimsToAddOrOverride") or {}
    return {str(k): v for k, v in added.items()} if isinstance(added, Mapping) else {}


def _event(pool: Any, client_id: str, username: str) -> dict[str, Any]:
    user = pool._get_user(username)
    return {
        "version": "1",
        "triggerSource": "TokenGeneration_Authentication",
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "local-cloud", "clientId": client_id},
        "request": {
            "userAttributes": {a["Name"]: a["Value"] for a in user.attributes},
            "groupConfiguration": {"groupsToOverride": [g.group_name for g in user.groups]},
        },
        "response": {"claimsOverrideDetails": None},
    }


def _install_hook() -> None:
    global _installed
    if _installed:
        return
    from moto.cognitoidp import utils

    setattr(utils, "time", _TotpClock)  # noqa: B010 - the module attribute moto reads, not a typed field
    original = CognitoIdpUserPool.create_jwt

    @wraps(original)
    def create_jwt(
        self: Any,
        client_id: str,
        username: str,
        token_use: str,
        expires_in: int = 60 * 60,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        trigger = _trigger
        if token_use == "id" and trigger is not None:  # noqa: S105 - a token kind, not a secret
            extra_data = {**(extra_data or {}), **claims_to_add(trigger(_event(self, client_id, username)))}
        return original(self, client_id, username, token_use, expires_in, extra_data)

    CognitoIdpUserPool.create_jwt = create_jwt  # type: ignore[method-assign]
    _installed = True


@contextmanager
def cognito_triggers(pre_token: Trigger | None) -> Iterator[None]:
    """While the local cloud runs: ``pre_token`` (None: the pool has no trigger) runs before each ID token,
    and moto checks authenticator codes. Both are undone on exit, for whatever else shares the process."""
    global _trigger
    _install_hook()
    previous_switch = os.environ.get(TOTP_SWITCH)
    os.environ[TOTP_SWITCH] = "true"
    _trigger = pre_token
    try:
        yield
    finally:
        _trigger = None
        reset_totp_clock()
        if previous_switch is None:
            os.environ.pop(TOTP_SWITCH, None)
        else:
            os.environ[TOTP_SWITCH] = previous_switch
