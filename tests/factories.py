"""Shared builders for tests: REST proxy events, claims and Lambda contexts."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.tenancy import Role

TENANT_A = "t-greenfield"
TENANT_B = "t-harbour"


def claims(
    tenant_id: str = TENANT_A, user_id: str | None = None, roles: tuple[Role, ...] = (Role.RESIDENT,)
) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer hands them over: strings, groups comma-joined."""
    return {
        "sub": user_id or str(uuid.uuid4()),
        "custom:tenant_id": tenant_id,
        "cognito:groups": ",".join(r.value for r in roles),
        "cognito:username": "someone",
        "token_use": "id",
        # What the pre-token trigger adds for an account with TOTP on (courtyard.mfa).
        "mfa": "totp",
    }


def api_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    claims: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    stage: str = "dev",
) -> dict[str, Any]:
    all_headers = {"content-type": "application/json", **(headers or {})}
    request_context: dict[str, Any] = {
        "resourcePath": resource or path,
        "httpMethod": method,
        "path": f"/{stage}{path}",
        "stage": stage,
        "requestId": str(uuid.uuid4()),
        "accountId": "123456789012",
        "identity": {"sourceIp": "127.0.0.1"},
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": request_context,
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }


@dataclass
class FakeLambdaContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def lambda_context() -> LambdaContext:
    return cast(LambdaContext, FakeLambdaContext())


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None
