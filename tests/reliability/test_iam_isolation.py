"""Isolation at IAM: the template's tenant-scoped role cannot touch another tenant's partition, and the audit
policy cannot change a record. Evaluated with tests/reliability/iam_policy.py over template.yaml's own policy
documents (moto does not evaluate IAM conditions; see that module)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from infra.local.template import load_template
from tests.reliability.iam_policy import Request, evaluate

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"


def _arn(table: str) -> str:
    return f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/{table}"


def _either_branch(statements: list[Any]) -> list[Any]:
    """A statement under ``Fn::If`` counts in both branches (``AWS::NoValue`` dropped): a check that something
    is *not* allowed must hold whichever way the template's conditions go."""
    flat: list[Any] = []
    for statement in statements:
        if isinstance(statement, dict) and "Fn::If" in statement:
            flat += _either_branch([b for b in statement["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}])
        else:
            flat.append(statement)
    return flat


def _resolved(value: Any) -> Any:
    """Template intrinsics -> the ARNs they stand for (tables named after their logical id)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return _arn(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Fn::Sub" in value:
        return re.sub(r"\$\{(\w+)\.Arn\}", lambda m: _arn(m.group(1)), value["Fn::Sub"])
    if isinstance(value, list):
        return [_resolved(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml").resources


@pytest.fixture(scope="module")
def tenant_role(resources: dict[str, Any]) -> list[dict[str, Any]]:
    policies = resources["TenantScopedDataRole"]["Properties"]["Policies"]
    return [s for p in policies for s in _resolved(p["PolicyDocument"]["Statement"])]


@pytest.fixture(scope="module")
def audit_policy(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return list(_resolved(resources["AuditAppendOnlyPolicy"]["Properties"]["PolicyDocument"]["Statement"]))


def _as(tenant: str | None, action: str, table: str, *keys: str) -> Request:
    return Request(
        action=action,
        resource=_arn(table),
        context={"dynamodb:LeadingKeys": list(keys)} if keys else {},
        principal_tags={"tenant": tenant} if tenant is not None else {},
    )


@pytest.mark.parametrize(
    "action", ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"]
)
def test_a_tenant_session_reaches_its_own_partitions_only(tenant_role, action):
    assert (
        evaluate(tenant_role, _as("greenfield", action, "TicketsTable", "T#greenfield#TICKET#01A")) == "allow"
    )
    assert evaluate(tenant_role, _as("greenfield", action, "TicketsTable", "T#harbour#TICKET#01A")) != "allow"


def test_a_tenant_whose_id_prefixes_another_cannot_reach_it(tenant_role):
    # "t1" must not read "t10": the separator after the tenant id is part of the pattern.
    assert evaluate(tenant_role, _as("t1", "dynamodb:GetItem", "VisitorsTable", "T#t10#PASS#01A")) != "allow"
    assert evaluate(tenant_role, _as("t1", "dynamodb:GetItem", "VisitorsTable", "T#t1#PASS#01A")) == "allow"


def test_a_batch_touching_one_foreign_partition_is_refused_whole(tenant_role):
    request = _as(
        "greenfield", "dynamodb:BatchGetItem", "PaymentsTable", "T#greenfield#BILL#1", "T#harbour#BILL#2"
    )

    assert evaluate(tenant_role, request) != "allow"


def test_a_session_without_the_tenant_tag_reaches_nothing(tenant_role):
    assert (
        evaluate(tenant_role, _as(None, "dynamodb:GetItem", "TicketsTable", "T#greenfield#TICKET#01A"))
        != "allow"
    )


def test_scan_is_not_granted_because_for_all_values_is_vacuous_without_a_leading_key(tenant_role):
    # The trap the role avoids: a Scan has no leading key, so ForAllValues alone would let it read everything.
    vacuous = [{**tenant_role[0], "Action": ["dynamodb:Scan"]}]

    assert evaluate(vacuous, _as("greenfield", "dynamodb:Scan", "TicketsTable")) == "allow"
    assert evaluate(tenant_role, _as("greenfield", "dynamodb:Scan", "TicketsTable")) == "implicit-deny"


def test_the_role_reaches_no_directory_or_audit_table(tenant_role):
    for table in ("DirectoryTable", "AuditTable", "IdempotencyTable"):
        assert evaluate(tenant_role, _as("t1", "dynamodb:GetItem", table, "T#t1#X")) == "implicit-deny"


def test_the_audit_policy_appends_and_never_changes_or_removes(audit_policy):
    record = "T#greenfield#AUDIT#2026-03-09"

    assert evaluate(audit_policy, _as(None, "dynamodb:PutItem", "AuditTable", record)) == "allow"
    for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
        assert evaluate(audit_policy, _as(None, action, "AuditTable", record)) == "deny"
    # Only audit partitions: the policy cannot be used to put other items into the table.
    assert (
        evaluate(audit_policy, _as(None, "dynamodb:PutItem", "AuditTable", "T#greenfield#PASS#1")) != "allow"
    )
    assert evaluate(audit_policy, _as(None, "dynamodb:PutItem", "TicketsTable", record)) != "allow"


@pytest.mark.parametrize("function_id", ["TicketsFunction", "VisitorsFunction"])
def test_filing_and_issuing_may_check_a_residents_link_and_nothing_else_of_the_directory(
    resources, function_id
):
    # courtyard/live_link.py: the write's ConditionCheck on the resident's side of the link (RES# partition).
    policies = resources[function_id]["Properties"]["Policies"]
    statements = [
        s
        for p in policies
        if isinstance(p, dict)
        for s in _either_branch(_resolved(p.get("Statement") or []))
    ]
    check = "dynamodb:ConditionCheckItem"

    assert evaluate(statements, _as(None, check, "DirectoryTable", "T#t1#RES#r1")) == "allow"
    for foreign in ("T#t1#USER#u1", "T#t1#UNIT#u1", "T#t1#TENANT"):
        assert evaluate(statements, _as(None, check, "DirectoryTable", foreign)) != "allow"
    for write in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert evaluate(statements, _as(None, write, "DirectoryTable", "T#t1#RES#r1")) != "allow"
