"""Directory handlers on in-process moto: callers of any tenant and role, and one-line route calls."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.api import Caller, Reply, no_personal_numbers_in_logs, requester

__all__ = ["Caller", "Reply", "Texts", "no_personal_numbers_in_logs"]


@pytest.fixture
def handler(function_env: Callable[[str], dict[str, str]]) -> Iterator[Any]:
    """The directory function's entry point with exactly its template environment."""
    function_env("DirectoryFunction")
    from courtyard.wiring import reset_all
    from directory import handler as module

    reset_all()
    yield module
    reset_all()


@pytest.fixture
def make_tenant(stack: Stack) -> Callable[..., str]:
    """Write an (active by default) tenant record directly, as onboarding would have."""

    def create(name: str = "Test Property", status: str = "active", tenant_id: str | None = None) -> str:
        tenant = tenant_id or uuid.uuid4().hex[:26].upper()
        key = Keys.tenant(tenant)
        boto3.client("dynamodb").put_item(
            TableName=stack.ref("DirectoryTable"),
            Item={
                "pk": {"S": key["pk"]},
                "sk": {"S": key["sk"]},
                "tenant_id": {"S": tenant},
                "name": {"S": name},
                "status": {"S": status},
                "currency": {"S": "CNY"},
                "locale": {"S": "zh-CN"},
                "timezone": {"S": "Asia/Shanghai"},
            },
        )
        return tenant

    return create


@pytest.fixture
def caller() -> Callable[..., Caller]:
    def make(tenant_id: str, *roles: Role, user_id: str | None = None, username: str | None = None) -> Caller:
        uid = user_id or str(uuid.uuid4())
        return Caller(tenant_id, uid, roles or (Role.RESIDENT,), username or f"user-{uid[:8]}")

    return make


@pytest.fixture
def call(handler: Any) -> Callable[..., Reply]:
    """``call("POST", "/sites", as_=caller, body={...})``: one request through the real handler."""
    return requester(handler)


def table_items(stack: Stack) -> list[dict[str, Any]]:
    """Every item of the directory table (tests only: proving that a refused request wrote nothing)."""
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("DirectoryTable"))["Items"])


@dataclass
class Texts:
    """The codes the directory texted (phone, code, purpose), in order."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def text_code(self, phone: str, code: str, purpose: str) -> None:
        self.sent.append((phone, code, purpose))

    def last_code(self) -> str:
        return self.sent[-1][1]


@pytest.fixture
def texts(handler: Any) -> Iterator[Texts]:
    """Record the texted codes instead of sending SMS."""
    from directory import wiring
    from directory.phones.prover import Texter

    recorder = Texts()
    texter: Texter = recorder
    wiring.wiring.override(wiring.texter, texter)
    yield recorder
    wiring.wiring.override(wiring.texter, None)
