"""Cognito user administration for the directory: accounts for firms' staff and residents.

The tenant is a user attribute (``custom:tenant_id``) only administrators can write, and roles are
groups; this module is the only place that touches the user pool.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from courtyard import aws
from courtyard.errors import Conflict, NotFound

_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    user_id: str
    tenant_id: str | None
    enabled: bool


@dataclass(frozen=True, slots=True)
class CreatedUser:
    username: str
    user_id: str
    temporary_password: str


def temporary_password() -> str:
    """Meets the pool's policy (10+ characters, lower case and digits) with room to spare."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(14))
        if any(c.islower() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate + "-Cy1"


class IdentityRepository:
    def __init__(self, user_pool_id: str, client: Any | None = None) -> None:
        self._pool = user_pool_id
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("cognito-idp")
        return self._client

    def create_user(
        self, *, username: str, email: str | None, name: str, tenant_id: str, groups: list[str]
    ) -> CreatedUser:
        """An admin-created account with a temporary password that must be changed at first sign-in."""
        password = temporary_password()
        attributes = [{"Name": "name", "Value": name}, {"Name": "custom:tenant_id", "Value": tenant_id}]
        if email:
            attributes += [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        try:
            response = self.client.admin_create_user(
                UserPoolId=self._pool,
                Username=username,
                TemporaryPassword=password,
                MessageAction="SUPPRESS",  # the password is handed over once, in the API response
                UserAttributes=attributes,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "UsernameExistsException":
                raise Conflict("an account with this username already exists") from error
            raise
        for group in groups:
            self.client.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=group)
        user_attributes = {a["Name"]: a["Value"] for a in response["User"]["Attributes"]}
        return CreatedUser(
            username=username, user_id=str(user_attributes["sub"]), temporary_password=password
        )

    def join_tenant(self, username: str, tenant_id: str, group: str) -> None:
        """Give a self-registered account its tenant and role (after it accepted an invitation)."""
        try:
            self.client.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=username,
                UserAttributes=[{"Name": "custom:tenant_id", "Value": tenant_id}],
            )
            self.client.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=group)
        except ClientError as error:
            if error.response["Error"]["Code"] == "UserNotFoundException":
                raise NotFound("account") from error
            raise

    def set_groups(self, username: str, groups: list[str], previous: list[str]) -> None:
        for group in sorted(set(previous) - set(groups)):
            self.client.admin_remove_user_from_group(
                UserPoolId=self._pool, Username=username, GroupName=group
            )
        for group in sorted(set(groups) - set(previous)):
            self.client.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=group)

    def disable(self, username: str) -> None:
        """Refuse sign-in from now on (erasure, departed staff); issued tokens expire within the hour."""
        try:
            self.client.admin_disable_user(UserPoolId=self._pool, Username=username)
            self.client.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if error.response["Error"]["Code"] != "UserNotFoundException":
                raise

    def sign_out(self, username: str) -> None:
        """Revoke every refresh token of the account (AdminUserGlobalSignOut): after a change of roles its
        next sign-in carries the new groups."""
        try:
            self.client.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if error.response["Error"]["Code"] != "UserNotFoundException":
                raise

    def enable(self, username: str) -> None:
        self.client.admin_enable_user(UserPoolId=self._pool, Username=username)

    def find(self, username: str) -> Account | None:
        try:
            response = self.client.admin_get_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if error.response["Error"]["Code"] == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in response.get("UserAttributes", [])}
        return Account(
            username=username,
            user_id=str(attributes.get("sub", "")),
            tenant_id=attributes.get("custom:tenant_id") or None,
            enabled=bool(response.get("Enabled", True)),
        )

    def issue_temporary_password(self, username: str) -> str:
        """A fresh temporary password, for an account whose first one never reached anyone."""
        password = temporary_password()
        self.client.admin_set_user_password(
            UserPoolId=self._pool, Username=username, Password=password, Permanent=False
        )
        return password

    def delete(self, username: str) -> None:
        try:
            self.client.admin_delete_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if error.response["Error"]["Code"] != "UserNotFoundException":
                raise
