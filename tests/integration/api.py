"""What every feature's API tests share: callers with verified claims, one-line requests through a real
handler, and the scan that keeps phone and ID numbers out of the logs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from courtyard.tenancy import Role
from tests.factories import api_event, lambda_context

# A mainland mobile number or an 18-character PRC ID number standing alone (not inside a longer number).
PERSONAL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:1[3-9][0-9]{9}|[1-9][0-9]{16}[0-9Xx])(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str
    roles: tuple[Role, ...]
    username: str = ""
    # The directory record the token names (Courtyard identity's tokens, the Cognito pre-token trigger);
    # empty: a token without it, the resolver reads the user link instead.
    person_id: str = ""

    def claims(self) -> dict[str, str]:
        person = {"person_id": self.person_id} if self.person_id else {}
        return {
            **person,
            "sub": self.user_id,
            "custom:tenant_id": self.tenant_id,
            "cognito:groups": ",".join(r.value for r in self.roles),
            "cognito:username": self.username or f"user-{self.user_id[:8]}",
            "token_use": "id",
            # What the pre-token trigger adds for an account with TOTP on (courtyard.mfa).
            "mfa": "totp",
        }


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    raw: dict[str, Any]


def requester(
    handler: Any, resource_of: Callable[[str], tuple[str, dict[str, str] | None]] | None = None
) -> Callable[..., Reply]:
    """``call("POST", "/sites", as_=caller, body={...})`` through ``handler.lambda_handler``.

    ``resource_of(path)`` may name the route template and path parameters API Gateway would send.
    """

    def call(
        method: str,
        path: str,
        as_: Caller | None = None,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        resource: str | None = None,
        path_parameters: dict[str, str] | None = None,
    ) -> Reply:
        if resource is None and resource_of is not None:
            resource, path_parameters = resource_of(path)
        event = api_event(
            method,
            path,
            claims=as_.claims() if as_ else None,
            body=body,
            query=query,
            headers=headers,
            resource=resource,
            path_parameters=path_parameters,
        )
        raw = handler.lambda_handler(event, lambda_context())
        text = raw.get("body")
        return Reply(raw["statusCode"], json.loads(text) if text else None, raw)

    return call


@pytest.fixture(autouse=True)
def no_personal_numbers_in_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Every API test also proves that no phone or ID number reached a log line."""
    yield
    out, err = capfd.readouterr()
    leaked = [line for line in (out + err).splitlines() if PERSONAL_NUMBER.search(line)]
    assert not leaked, f"personal numbers in logs: {leaked[:3]}"
