"""Directory handlers on in-process moto: callers of any tenant and role, and one-line route calls."""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.factories import api_event, lambda_context


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str
    roles: tuple[Role, ...]
    username: str

    def claims(self) -> dict[str, str]:
        return {
            "sub": self.user_id,
            "custom:tenant_id": self.tenant_id,
            "cognito:groups": ",".join(r.value for r in self.roles),
            "cognito:username": self.username,
            "token_use": "id",
        }


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    raw: dict[str, Any]


def _reset_directory_caches() -> None:
    import directory
    from directory import deps

    deps.reset()
    for module_info in pkgutil.walk_packages(directory.__path__, "directory."):
        if module_info.name.endswith("routes") or module_info.name.endswith("handler"):
            module = importlib.import_module(module_info.name)
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and getattr(value, "__module__", None) == module.__name__:
                    clear()


# A mainland mobile number or an 18-character PRC ID number standing alone (not inside a longer number).
PERSONAL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:1[3-9][0-9]{9}|[1-9][0-9]{16}[0-9Xx])(?![0-9A-Za-z])")


@pytest.fixture(autouse=True)
def no_personal_numbers_in_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Every directory test also proves that no phone or ID number reached a log line."""
    yield
    out, err = capfd.readouterr()
    leaked = [line for line in (out + err).splitlines() if PERSONAL_NUMBER.search(line)]
    assert not leaked, f"personal numbers in logs: {leaked[:3]}"


@pytest.fixture
def handler(function_env: Callable[[str], dict[str, str]]) -> Iterator[Any]:
    """The directory function's entry point with exactly its template environment."""
    function_env("DirectoryFunction")
    from directory import handler as module

    _reset_directory_caches()
    yield module
    _reset_directory_caches()


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

    def request(
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
        import json

        return Reply(raw["statusCode"], json.loads(text) if text else None, raw)

    return request


def table_items(stack: Stack) -> list[dict[str, Any]]:
    """Every item of the directory table (tests only: proving that a refused request wrote nothing)."""
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("DirectoryTable"))["Items"])
