"""Whether a Cognito account has TOTP on: one AdminGetUser."""

from __future__ import annotations

from typing import Any

from courtyard import aws


class CognitoMfa:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("cognito-idp")

    def totp_enabled(self, user_pool_id: str, username: str) -> bool:
        response = self.client.admin_get_user(UserPoolId=user_pool_id, Username=username)
        return "SOFTWARE_TOKEN_MFA" in (response.get("UserMFASettingList") or [])
