"""The identity function's environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from courtyard.settings import FunctionSettings


class IdentitySettings(FunctionSettings):
    identity_table: str
    # JSON {"current": <random>, "previous": <random or "">}: each value seeds one P-256 signing key.
    identity_signing_parameter: str
    # The issuer the access tokens name and the gateway's authorizer expects.
    identity_issuer: str = "https://identity.courtyard.example"
    sms_sender_id: str = "Courtyard"
    # WeChat login: the app's id and secret (a SecureString parameter), which door, and WeChat's API (the
    # local cloud's persona in tests and `make up`).
    wechat_login_parameter: str = ""
    wechat_login_kind: Literal["miniprogram", "oauth"] = "oauth"
    wechat_api_base: str = "https://api.weixin.qq.com"
    # The staff user pool, for the gateway's authorizer: issuer, JWKS and the app clients it accepts.
    cognito_issuer: str = ""
    cognito_jwks_url: str = ""
    cognito_client_ids: str = ""

    @property
    def cognito_client_id_list(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.cognito_client_ids.split(",") if c.strip())


@lru_cache(maxsize=1)
def settings() -> IdentitySettings:
    return IdentitySettings.from_environment()
