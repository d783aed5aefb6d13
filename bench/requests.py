"""Handler CPU time and AWS calls per request for the main routes, on in-process moto."""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from courtyard import aws
from courtyard.aws_calls import count_aws_calls
from courtyard.tenancy import Role
from infra.local.provision import provision
from infra.local.template import load_template
from infra.seed import seed_stack
from tests.factories import FakeLambdaContext, api_event

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RouteResult:
    route: str
    cpu_ms_median: float
    aws_calls_cold: int
    aws_calls_warm: int
    calls: dict[str, int]


def run(requests: int = 50) -> list[RouteResult]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "bench")
    template = load_template(ROOT / "template.yaml")
    with mock_aws():
        aws.reset_clients()
        stack = provision(template)
        os.environ.update(stack.function_environment(template.function("DirectoryFunction")))
        demo = seed_stack(stack, boto3.client)
        from directory import handler

        user = demo.user("greenfield", Role.RESIDENT)
        claims = {
            "sub": user.user_id,
            "custom:tenant_id": user.tenant_id,
            "cognito:groups": user.role,
            "mfa": "totp",
            # What the pre-token trigger and Courtyard identity put in the token (issue 18).
            "person_id": user.person_id,
        }
        results = [
            _route(handler.lambda_handler, "GET /me", api_event("GET", "/me", claims=claims), requests),
            _route(handler.lambda_handler, "GET /health", api_event("GET", "/health"), requests),
        ]
        os.environ.update(stack.function_environment(template.function("TicketsFunction")))
        from tickets import handler as tickets

        # Every filing is a new ticket (no Idempotency-Key), dispatched like a real one.
        filing = api_event(
            "POST",
            "/tickets",
            claims=claims,
            body={"kind": "repair", "category": "plumbing", "description": "leak"},
        )
        results.append(_route(tickets.lambda_handler, "POST /tickets", filing, requests))
        created = tickets.lambda_handler(filing, FakeLambdaContext())
        ticket_id = json.loads(created["body"])["ticket_id"]
        reading = api_event("GET", f"/tickets/{ticket_id}", claims=claims)
        results.append(_route(tickets.lambda_handler, "GET /tickets/{id}", reading, requests))
    aws.reset_clients()
    return results


def _route(lambda_handler: Any, name: str, event: dict[str, Any], requests: int) -> RouteResult:
    with count_aws_calls() as cold:
        lambda_handler(event, FakeLambdaContext())
    cpu: list[float] = []
    with count_aws_calls() as warm:
        for _ in range(requests):
            started = time.process_time()
            lambda_handler(event, FakeLambdaContext())
            cpu.append((time.process_time() - started) * 1000)
    return RouteResult(
        route=name,
        cpu_ms_median=statistics.median(cpu),
        aws_calls_cold=cold.total,
        aws_calls_warm=round(warm.total / requests),
        calls={f"{s}.{o}": n // requests for (s, o), n in warm.by_operation().items()},
    )
