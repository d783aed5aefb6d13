"""The template's security promises (issue 17), read from template.yaml itself: append-only audit, the
archive under Object Lock, TLS-only buckets, throttles and WAF at the edge, MFA in the user pool, the import
worker's reserved concurrency, and every function's DynamoDB access limited to its own tables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.template import ApiEvent, Template, load_template, load_yaml

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "AWS::Serverless::Function"
# SAM policy templates that reach a DynamoDB table, and whether they write.
_TABLE_POLICIES = {
    "DynamoDBCrudPolicy": "write",
    "DynamoDBWritePolicy": "write",
    "DynamoDBReadPolicy": "read",
    "DynamoDBStreamReadPolicy": "read",
}
_READ_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTable",
    "dynamodb:ConditionCheckItem",
}


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(ROOT / "template.yaml")


def _refs(value: Any) -> Iterator[str]:
    """Every logical id a value names through Ref, GetAtt or Sub."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner.split(".")[0]  # SAM's "CourtyardApi.Stage" names the API's stage
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                yield from (name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
            else:
                yield from _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner)


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement.get("Action", [])
    return {actions} if isinstance(actions, str) else set(actions)


def _table_grants(template: Template, function_id: str) -> dict[str, set[str]]:
    """table logical id -> the access a function's policies grant on it ("read", "write" or actions)."""
    tables = set(template.resources_of_type("AWS::DynamoDB::Table"))
    grants: dict[str, set[str]] = {}
    for policy in template.function_properties(function_id).get("Policies") or []:
        if isinstance(policy, dict) and "Ref" in policy:
            grants.setdefault(f"managed:{policy['Ref']}", set()).add("managed")
            continue
        for name, access in _TABLE_POLICIES.items():
            if isinstance(policy, dict) and name in policy:
                for table in set(_refs(policy[name])) & tables:
                    grants.setdefault(table, set()).add(access)
        for statement in (policy.get("Statement") or []) if isinstance(policy, dict) else []:
            dynamo = {a for a in _actions(statement) if a.startswith("dynamodb:")}
            if statement.get("Effect") == "Allow" and dynamo:
                for table in set(_refs(statement.get("Resource"))) & tables:
                    grants.setdefault(table, set()).update(dynamo)
    return grants


def _managed_reaches_dynamodb(template: Template, policy_id: str) -> bool:
    resource = template.resources.get(policy_id) or {}
    statements = (resource.get("Properties") or {}).get("PolicyDocument", {}).get("Statement") or [
        {"Action": "?"}
    ]
    return resource.get("Type") != "AWS::IAM::ManagedPolicy" or any(
        a.startswith("dynamodb:") or a == "?" for statement in statements for a in _actions(statement)
    )


def _feature_of(function_id: str) -> str:
    return re.match(r"[A-Z][a-z]+", function_id).group(0)  # type: ignore[union-attr]


# ------------------------------------------------------------------ isolation at IAM


def test_every_function_reaches_only_its_own_table_the_directory_read_only_and_audit_append_only(template):
    breaches = []
    for function_id in template.resources_of_type(FUNCTION):
        feature = _feature_of(function_id)
        for table, access in _table_grants(template, function_id).items():
            if table.startswith("managed:"):
                # Besides the audit policy, only managed policies without DynamoDB access (secure parameters).
                if table != "managed:AuditAppendOnlyPolicy" and _managed_reaches_dynamodb(
                    template, table[8:]
                ):
                    breaches.append(f"{function_id}: unexpected managed policy {table}")
            elif table == f"{feature}Table" and table != "AuditTable":
                continue  # the feature's own table
            elif table == "DirectoryTable" and access <= {"read"} | _READ_ACTIONS:
                continue  # the kernel's read-only directory access
            elif table == "IdempotencyTable" and feature == "Directory":
                continue
            elif table == "AuditTable" and function_id == "AuditExportFunction":
                if access != {"dynamodb:ExportTableToPointInTime"}:
                    breaches.append(f"{function_id}: {sorted(access)} on the audit table")
            else:
                breaches.append(f"{function_id}: {sorted(access)} on {table}")

    assert breaches == []


def test_the_scope_check_catches_a_function_reaching_another_features_table(template):
    # The check above would fail on a crud grant to a neighbour's table, or on a direct audit write.
    template.resources["TicketsFunction"]["Properties"]["Policies"].append(
        {"DynamoDBCrudPolicy": {"TableName": {"Ref": "PaymentsTable"}}}
    )
    template.resources["VisitorsFunction"]["Properties"]["Policies"].append(
        {"DynamoDBWritePolicy": {"TableName": {"Ref": "AuditTable"}}}
    )
    try:
        with pytest.raises(AssertionError):
            test_every_function_reaches_only_its_own_table_the_directory_read_only_and_audit_append_only(
                template
            )
    finally:
        template.resources["TicketsFunction"]["Properties"]["Policies"].pop()
        template.resources["VisitorsFunction"]["Properties"]["Policies"].pop()


def test_only_filing_and_issuing_may_check_a_residents_live_link_in_the_directory(template):
    # The write of POST /tickets and POST /passes carries a ConditionCheck on the resident's link
    # (courtyard/live_link.py): those two functions only, on residents' partitions only.
    checking = {
        function_id
        for function_id in template.resources_of_type(FUNCTION)
        if "dynamodb:ConditionCheckItem" in _table_grants(template, function_id).get("DirectoryTable", set())
    }
    assert checking == {"TicketsFunction", "VisitorsFunction"}
    for function_id in checking:
        statements = [
            statement
            for policy in template.function_properties(function_id)["Policies"]
            if isinstance(policy, dict)
            for statement in policy.get("Statement") or []
            if "dynamodb:ConditionCheckItem" in _actions(statement)
        ]
        assert [_actions(s) for s in statements] == [{"dynamodb:ConditionCheckItem"}]
        leading = statements[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert leading == ["T#*#RES#*"]


# ------------------------------------------------------------------ audit


def test_the_audit_policy_allows_only_putitem_of_audit_partitions_and_denies_every_change(template):
    statements = template.resources["AuditAppendOnlyPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    denies = [s for s in statements if s["Effect"] == "Deny"]

    assert [_actions(s) for s in allows] == [{"dynamodb:PutItem"}]
    assert allows[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["T#*#AUDIT#*"]
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} <= _actions(denies[0])
    assert all(set(_refs(s["Resource"])) == {"AuditTable"} for s in statements)


def test_every_function_that_audits_does_so_through_the_append_only_policy(template):
    writers = [
        f
        for f in template.resources_of_type(FUNCTION)
        if "managed:AuditAppendOnlyPolicy" in _table_grants(template, f)
    ]

    assert {"DirectoryFunction", "DirectoryImportFunction", "VisitorsFunction", "TicketsFunction"} <= set(
        writers
    )


def test_audit_records_live_at_least_180_days(template):
    from courtyard.audit import AuditWriter
    from courtyard.clock import SystemClock

    parameter = template.parameter_definitions["AuditRetentionDays"]
    table = template.resources["AuditTable"]["Properties"]

    assert parameter["MinValue"] >= 180
    assert parameter["Default"] >= 180
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    with pytest.raises(ValueError, match="180"):
        AuditWriter("audit", 179, SystemClock())


def test_the_audit_archive_is_under_object_lock_in_compliance_mode_and_exported_daily(template):
    bucket = template.resources["AuditArchiveBucket"]
    lock = bucket["Properties"]["ObjectLockConfiguration"]
    export = template.function_properties("AuditExportFunction")

    assert bucket["Properties"]["ObjectLockEnabled"] is True
    assert bucket["DeletionPolicy"] == "Retain"
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert template.parameter_definitions["AuditArchiveRetentionDays"]["MinValue"] >= 180
    assert export["Events"]["Daily"]["Properties"]["Schedule"].startswith("cron(")
    assert set(_refs(export["Environment"]["Variables"]["AUDIT_ARCHIVE_BUCKET"])) == {"AuditArchiveBucket"}


# ------------------------------------------------------------------ buckets


def test_every_bucket_refuses_requests_without_tls(template):
    policies = {
        next(iter(_refs(p["Properties"]["Bucket"]))): p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.resources_of_type("AWS::S3::BucketPolicy").values()
    }
    missing = []
    for bucket in template.resources_of_type("AWS::S3::Bucket"):
        denies = [
            s
            for s in policies.get(bucket, [])
            if s["Effect"] == "Deny"
            and s.get("Principal") == "*"
            and _actions(s) == {"s3:*"}
            and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            and len(s["Resource"]) == 2  # the bucket and its objects
        ]
        if not denies:
            missing.append(bucket)

    assert missing == []


# ------------------------------------------------------------------ the edge


def _api_paths(template: Template) -> set[tuple[str, str]]:
    paths = set()
    for function_id in template.resources_of_type(FUNCTION):
        for event in template.function(function_id).events:
            if isinstance(event, ApiEvent):
                paths.add((event.path, event.method))
    return paths


def _decoded(resource_path: str) -> str:
    """API Gateway's MethodSettings spelling (``/~1passes~1view``) -> the route (``/passes/view``)."""
    return resource_path if resource_path == "/*" else resource_path[1:].replace("~1", "/")


def test_the_api_is_throttled_per_stage_and_per_route_family(template):
    settings = template.resources["CourtyardApi"]["Properties"]["MethodSettings"]
    by_path = {(_decoded(s["ResourcePath"]), s["HttpMethod"]): s for s in settings}
    routes = _api_paths(template)

    stage = by_path[("/*", "*")]
    assert set(_refs(stage["ThrottlingRateLimit"])) == {"ApiRateLimit"}
    assert set(_refs(stage["ThrottlingBurstLimit"])) == {"ApiBurstLimit"}
    # The public routes (no token) and bulk imports have their own, lower, limits.
    for family in [("/passes/view", "POST"), ("/passes/keys", "GET"), ("/imports", "POST")]:
        assert (
            by_path[family]["ThrottlingRateLimit"] < template.parameter_definitions["ApiRateLimit"]["Default"]
        )
    # Every family names a route that exists: a typo would throttle nothing.
    assert {key for key in by_path if key != ("/*", "*")} <= routes


def test_a_usage_plan_bounds_the_api_stage(template):
    plan = template.resources["ApiUsagePlan"]["Properties"]

    assert set(_refs(plan["ApiStages"])) == {"CourtyardApi"}
    assert set(_refs(plan["Throttle"])) == {"ApiRateLimit", "ApiBurstLimit"}
    assert plan["Quota"]["Period"] == "DAY"


def _waf_rules(acl: dict[str, Any]) -> tuple[set[str], list[dict[str, Any]]]:
    rules = acl["Properties"]["Rules"]
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in rules
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    rate = [r for r in rules if "RateBasedStatement" in r["Statement"]]
    return managed, rate


def test_waf_guards_the_api_stage_with_the_common_rules_and_a_rate_rule(template):
    acl = template.resources["ApiWebAcl"]
    managed, rate = _waf_rules(acl)
    association = template.resources["ApiWebAclAssociation"]["Properties"]

    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert "AWSManagedRulesCommonRuleSet" in managed
    assert rate
    assert rate[0]["Action"] == {"Block": {}}
    assert set(_refs(association["WebACLArn"])) == {"ApiWebAcl"}
    assert "CourtyardApi" in set(_refs(association["ResourceArn"]))
    assert "/stages/" in association["ResourceArn"]["Fn::Sub"]


def test_the_distribution_takes_the_us_east_1_web_acl_of_the_companion_stack(template):
    distribution = template.resources["WebDistribution"]["Properties"]["DistributionConfig"]
    companion = load_yaml((ROOT / "infra" / "waf-cloudfront.yaml").read_text(encoding="utf-8"))
    acl = companion["Resources"]["WebAcl"]
    managed, rate = _waf_rules(acl)

    assert distribution["WebACLId"]["Fn::If"][0] == "HasCloudFrontWebAcl"
    assert set(_refs(distribution["WebACLId"])) >= {"CloudFrontWebAclArn"}
    assert "us-east-1" in template.parameter_definitions["CloudFrontWebAclArn"]["AllowedPattern"]
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert "AWSManagedRulesCommonRuleSet" in managed
    assert rate


def test_totp_is_offered_by_the_user_pool(template):
    pool = template.resources["UserPool"]["Properties"]

    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


# ------------------------------------------------------------------ imports


def test_the_import_worker_has_reserved_concurrency_and_bounded_memory_and_time(template):
    worker = template.function_properties("DirectoryImportFunction")

    assert 1 <= worker["ReservedConcurrentExecutions"] <= 5
    assert worker["MemorySize"] <= 2048
    assert worker["Timeout"] <= 900
