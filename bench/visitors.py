"""Visitor passes: pure token verifications per second (cached public key, no KMS call) and the handler CPU
and AWS calls of issuing a pass and of an allowed gate scan, on in-process moto (its CPU is included, as in
bench/requests.py)."""

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
class VisitorsResult:
    verifications: int
    verifications_per_s: float
    issue_cpu_ms_median: float
    issue_aws_calls_warm: int
    issue_calls: dict[str, int]
    scan_cpu_ms_median: float
    scan_aws_calls_warm: int
    scan_calls: dict[str, int]


def run(requests: int = 50, verifications: int = 3000) -> VisitorsResult:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "bench")
    template = load_template(ROOT / "template.yaml")
    with mock_aws():
        aws.reset_clients()
        stack = provision(template)
        os.environ.update(stack.function_environment(template.function("VisitorsFunction")))
        demo = seed_stack(stack, boto3.client)
        from visitors import handler, tokens, wiring

        from courtyard.wiring import reset_all

        reset_all()
        resident = demo.user("greenfield", Role.RESIDENT)
        guard = demo.user("greenfield", Role.GUARD)
        issuing = api_event(
            "POST",
            "/passes",
            claims=_claims(resident.user_id, resident.tenant_id, resident.role),
            body={"visitor_name": "Sun", "visitor_phone": "13912345678", "entries_allowed": 100},
        )
        issue_cpu, _, issue_warm = _measure(handler.lambda_handler, issuing, requests)
        created = json.loads(handler.lambda_handler(issuing, FakeLambdaContext())["body"])
        scanning = api_event(
            "POST",
            "/gate/scans",
            claims=_claims(guard.user_id, guard.tenant_id, guard.role),
            body={"site_id": demo.sites["greenfield"], "gate_id": "north-1", "token": created["token"]},
        )
        scan_cpu, _, scan_warm = _measure(handler.lambda_handler, scanning, requests)

        keys = wiring.pass_keys().public_keys(guard.tenant_id)
        started = time.perf_counter()
        for _ in range(verifications):
            tokens.verify(created["token"], keys)
        elapsed = time.perf_counter() - started
    aws.reset_clients()
    return VisitorsResult(
        verifications=verifications,
        verifications_per_s=verifications / elapsed,
        issue_cpu_ms_median=statistics.median(issue_cpu),
        issue_aws_calls_warm=round(issue_warm.total / requests),
        issue_calls={f"{s}.{o}": n // requests for (s, o), n in issue_warm.by_operation().items()},
        scan_cpu_ms_median=statistics.median(scan_cpu),
        scan_aws_calls_warm=round(scan_warm.total / requests),
        scan_calls={f"{s}.{o}": n // requests for (s, o), n in scan_warm.by_operation().items()},
    )


def table(result: VisitorsResult) -> list[str]:
    def calls(by_operation: dict[str, int]) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(by_operation.items())) or "-"

    return [
        "Visitor passes (in-process moto; handler CPU includes moto's)",
        f"  token verifications (ES256, cached public key): {result.verifications_per_s:,.0f}/s "
        f"over {result.verifications}",
        f"  {'route':<20} {'CPU ms':>8} {'AWS calls':>10}  calls (warm)",
        f"  {'POST /passes':<20} {result.issue_cpu_ms_median:>8.2f} {result.issue_aws_calls_warm:>10}  "
        f"{calls(result.issue_calls)}",
        f"  {'POST /gate/scans':<20} {result.scan_cpu_ms_median:>8.2f} {result.scan_aws_calls_warm:>10}  "
        f"{calls(result.scan_calls)}",
    ]


def _claims(user_id: str, tenant_id: str, role: str) -> dict[str, str]:
    return {"sub": user_id, "custom:tenant_id": tenant_id, "cognito:groups": role, "mfa": "totp"}


def _measure(lambda_handler: Any, event: dict[str, Any], requests: int) -> tuple[list[float], Any, Any]:
    with count_aws_calls() as cold:
        lambda_handler(event, FakeLambdaContext())
    cpu: list[float] = []
    with count_aws_calls() as warm:
        for _ in range(requests):
            started = time.process_time()
            lambda_handler(event, FakeLambdaContext())
            cpu.append((time.process_time() - started) * 1000)
    return cpu, cold, warm


if __name__ == "__main__":
    import contextlib
    import io
    import logging

    logging.disable(logging.CRITICAL)
    with contextlib.redirect_stdout(io.StringIO()):
        outcome = run()
    print("\n".join(table(outcome)))
