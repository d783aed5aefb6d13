"""Create a template's resources in moto (server or in-process mock) and remember what they are called.

The resulting `Stack` answers Ref/GetAtt like CloudFormation would and serialises to JSON for other processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config
from botocore.model import ListShape, MapShape, Shape, StructureShape

from infra.local.template import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PARTITION,
    DEFAULT_STACK_NAME,
    FunctionSpec,
    PhysicalResource,
    Resolver,
    Template,
    TemplateError,
    load_template,
    references,
    to_env_string,
)
from infra.secure_parameters import SecureParameterError, declared, declared_name, ensure, generate_value

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

__all__ = [
    "ProvisionError",
    "Stack",
    "create_tables_from_template",
    "dependency_levels",
    "fit_to_shape",
    "provision",
]

TABLE_TYPES: Final = frozenset({"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"})

# Types moto cannot or need not run locally. They still get a plausible physical id so Ref keeps working,
# but they are not worth a warning: IoT rules are bridged by the local broker, policies are not enforced.
_QUIET_SKIPS: Final = {
    "AWS::IoT::TopicRule": "moto does not deliver IoT publishes; the local rule bridge evaluates the SQL",
    "AWS::SQS::QueuePolicy": "resource policies are not enforced locally",
    "AWS::SNS::TopicPolicy": "resource policies are not enforced locally",
    "AWS::Events::EventBusPolicy": "resource policies are not enforced locally",
    "AWS::Lambda::Permission": "resource policies are not enforced locally",
    "AWS::IAM::Role": "IAM is not enforced locally",
    "AWS::IAM::Policy": "IAM is not enforced locally",
    "AWS::IAM::ManagedPolicy": "IAM is not enforced locally",
    "AWS::XRay::SamplingRule": "nothing is traced locally; bench/cost.py reads the rule to price X-Ray",
    "AWS::CloudFront::Distribution": "the local web edge (infra/local/edge.py) plays CloudFront",
    "AWS::CloudFront::OriginAccessControl": "the local web edge (infra/local/edge.py) plays CloudFront",
    "AWS::CloudFront::Function": "the local web edge (infra/local/edge.py) plays CloudFront",
    "AWS::WAFv2::WebACL": "no WAF locally; tests/integration/test_template_security.py checks the rules",
    "AWS::WAFv2::WebACLAssociation": "no WAF locally; tests/integration/test_template_security.py checks it",
    "AWS::ApiGateway::UsagePlan": "the local gateway does not throttle; the template test checks the plan",
}

# Types that are only recorded (moto runs no Lambda and no API Gateway here), with their name property.
_RECORD_ONLY: Final = {
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Serverless::Api": "Name",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
}

# Which client attribute of _Provisioner each resource type needs (pre-created before going parallel).
_SERVICE_OF: Final = {
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::Serverless::SimpleTable": "dynamodb",
    "AWS::S3::Bucket": "s3",
    "AWS::S3::BucketPolicy": "s3",
    "AWS::SQS::Queue": "sqs",
    "AWS::SNS::Topic": "sns",
    "AWS::SNS::Subscription": "sns",
    "AWS::Events::EventBus": "events",
    "AWS::Events::Rule": "events",
    "AWS::KMS::Key": "kms",
    "AWS::KMS::Alias": "kms",
    "AWS::SecretsManager::Secret": "secretsmanager",
    "AWS::Cognito::UserPool": "cognito",
    "AWS::Cognito::UserPoolClient": "cognito",
    "AWS::Cognito::UserPoolGroup": "cognito",
    "AWS::Logs::LogGroup": "logs",
}

_CLIENT_CONFIG: Final = Config(
    retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30
)


class ProvisionError(TemplateError):
    """A supported resource could not be created."""


# --------------------------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """The created resources of one template, with CloudFormation's Ref/GetAtt answers for each."""

    template: Template
    stack_name: str
    physical: dict[str, PhysicalResource]
    parameters: dict[str, Any] = field(default_factory=dict)
    region: str = "us-east-1"
    account_id: str = DEFAULT_ACCOUNT_ID
    partition: str = DEFAULT_PARTITION
    endpoint_url: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def resolver(self) -> Resolver:
        return Resolver(
            self.template,
            self.physical,
            self.parameters,
            account_id=self.account_id,
            region=self.region,
            partition=self.partition,
            stack_name=self.stack_name,
        )

    def ref(self, logical_id: str) -> str:
        """What `!Ref logical_id` returns (table name, queue URL, topic ARN, pool id, ...)."""
        try:
            return self.physical[logical_id].ref
        except KeyError:
            raise KeyError(f"{logical_id!r} was not provisioned in stack {self.stack_name}") from None

    def secure_parameter(self, key: str) -> str:
        """The name of the template's SecureString parameter ``key`` (infra/secure_parameters.py)."""
        name = declared_name(self.template.body, str(self.resolver.ref("Stage")), key)
        if not name:
            raise KeyError(f"{key!r} is not a secure parameter of stack {self.stack_name}")
        return name

    def attr(self, logical_id: str, name: str) -> str:
        """What `!GetAtt logical_id.name` returns."""
        return self.resolver.get_att(logical_id, name)

    def resources_of_type(self, *types: str) -> dict[str, PhysicalResource]:
        return {lid: res for lid, res in self.physical.items() if res.type in types}

    def function_environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The function's template environment (Globals plus its own), resolved to this stack's names."""
        return spec.resolved_environment(self.resolver)

    def outputs(self) -> dict[str, str]:
        """The template's Outputs, resolved; outputs whose Condition is false are left out."""
        resolved: dict[str, str] = {}
        for name, output in self.template.outputs.items():
            condition = output.get("Condition")
            if condition is not None and not self.resolver.condition(str(condition)):
                continue
            resolved[name] = self.resolver.resolve_str(output["Value"])
        return resolved

    def to_dict(self) -> dict[str, Any]:
        return {
            "template_path": str(self.template.path),
            "stack_name": self.stack_name,
            "region": self.region,
            "account_id": self.account_id,
            "partition": self.partition,
            "endpoint_url": self.endpoint_url,
            "parameters": self.parameters,
            "physical": {lid: res.to_dict() for lid, res in self.physical.items()},
            "skipped": self.skipped,
            "warnings": self.warnings,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, template: Template | None = None) -> Stack:
        """Rebuild a stack written by `to_json`; the template is re-read from its path unless given."""
        data = json.loads(text)
        return cls(
            template=template or load_template(data["template_path"]),
            stack_name=data["stack_name"],
            physical={lid: PhysicalResource.from_dict(res) for lid, res in data["physical"].items()},
            parameters=dict(data.get("parameters") or {}),
            region=data["region"],
            account_id=data["account_id"],
            partition=data.get("partition", DEFAULT_PARTITION),
            endpoint_url=data.get("endpoint_url"),
            skipped=dict(data.get("skipped") or {}),
            warnings=list(data.get("warnings") or []),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, template: Template | None = None) -> Stack:
        return cls.from_json(Path(path).read_text(encoding="utf-8"), template)


# --------------------------------------------------------------------------------------------- helpers


def fit_to_shape(shape: Shape, value: Any) -> Any:
    """Shape a resolved CloudFormation value into what a botocore operation accepts.

    CloudFormation is lenient where the API is not: numbers written as strings, booleans as "true", extra
    CloudFormation-only keys. Unknown structure members are dropped and scalars coerced to the shape's type.
    """
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            return value
        members = shape.members
        return {key: fit_to_shape(members[key], item) for key, item in value.items() if key in members}
    if isinstance(shape, ListShape):
        items = value if isinstance(value, list) else [value]
        return [fit_to_shape(shape.member, item) for item in items]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            return value
        return {str(key): fit_to_shape(shape.value, item) for key, item in value.items()}
    kind = shape.type_name
    if kind == "string":
        return value if isinstance(value, str) else to_env_string(value)
    if kind in {"integer", "long"}:
        return int(value)
    if kind in {"float", "double"}:
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).strip().lower() == "true"
    return value


def _fit_params(client: Any, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    shape = client.meta.service_model.operation_model(operation).input_shape
    fitted: dict[str, Any] = fit_to_shape(shape, params)
    return fitted


def _json_text(value: Any) -> str:
    # Policy documents and patterns are JSON objects in templates but strings in the APIs.
    return value if isinstance(value, str) else json.dumps(value)


def _tags_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, Mapping):
        return {str(k): to_env_string(v) for k, v in tags.items()}
    return {str(tag["Key"]): to_env_string(tag["Value"]) for tag in tags or []}


def _generate_secret(spec: Mapping[str, Any]) -> str:
    """GenerateSecretString as Secrets Manager does it (the deploy step's generator, shared)."""
    try:
        return generate_value(spec)
    except SecureParameterError as error:
        raise ProvisionError(str(error)) from error


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return value is not None and str(value).strip().lower() == "true"


def _short_hash(*parts: str, length: int = 10) -> str:
    # Stable ids (Api ids) keep local URLs the same across restarts of the local cloud.
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    alphabet = string.ascii_lowercase + string.digits
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def dependency_levels(template: Template) -> tuple[list[list[str]], list[str]]:
    """Logical ids grouped in levels: each resource comes after everything it refers to (and its DependsOn).

    Resources in one level do not depend on each other. Returns the levels and the ids caught in a
    dependency cycle, which form a last level in template order.
    """
    resources = template.resources
    depends: dict[str, set[str]] = {}
    for lid, resource in resources.items():
        deps = {name for name in references(resource) if name in resources and name != lid}
        depends_on = resource.get("DependsOn") or []
        deps.update([depends_on] if isinstance(depends_on, str) else depends_on)
        depends[lid] = deps
    levels: list[list[str]] = []
    done: set[str] = set()
    pending = list(resources)
    while pending:
        ready = [lid for lid in pending if depends[lid] <= done]
        if not ready:
            levels.append(pending)
            return levels, pending
        levels.append(ready)
        done.update(ready)
        pending = [lid for lid in pending if lid not in done]
    return levels, []


# --------------------------------------------------------------------------------------------- provisioner


class _Provisioner:
    def __init__(
        self,
        template: Template,
        session: boto3.Session,
        endpoint_url: str | None,
        stack_name: str,
        parameters: Mapping[str, Any],
        region: str,
        account_id: str,
    ) -> None:
        self.template = template
        self.session = session
        self.endpoint_url = endpoint_url
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.partition = DEFAULT_PARTITION
        self.physical: dict[str, PhysicalResource] = {}
        self.skipped: dict[str, str] = {}
        self.warnings: list[str] = []
        self.names: dict[str, str] = {}
        self.resolver = Resolver(
            template,
            self.physical,
            parameters,
            account_id=account_id,
            region=region,
            partition=self.partition,
            stack_name=stack_name,
        )
        self.handlers: dict[str, Callable[[str, dict[str, Any]], PhysicalResource]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::Serverless::SimpleTable": self._simple_table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::SQS::Queue": self._queue,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Events::EventBus": self._event_bus,
            "AWS::Events::Rule": self._rule,
            "AWS::KMS::Key": self._key,
            "AWS::KMS::Alias": self._alias,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::Serverless::Function": self._function,
            "AWS::Serverless::Api": self._api,
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::Lambda::LayerVersion": self._layer,
        }

    # -- clients: one per service, created on first use (client creation dominates start-up time)

    def _client(self, service: str) -> Any:
        return self.session.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            config=_CLIENT_CONFIG,
        )

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb")
        return client

    @cached_property
    def s3(self) -> S3Client:
        client: S3Client = self._client("s3")
        return client

    @cached_property
    def sqs(self) -> SQSClient:
        client: SQSClient = self._client("sqs")
        return client

    @cached_property
    def sns(self) -> SNSClient:
        client: SNSClient = self._client("sns")
        return client

    @cached_property
    def events(self) -> EventBridgeClient:
        client: EventBridgeClient = self._client("events")
        return client

    @cached_property
    def kms(self) -> KMSClient:
        client: KMSClient = self._client("kms")
        return client

    @cached_property
    def secretsmanager(self) -> SecretsManagerClient:
        client: SecretsManagerClient = self._client("secretsmanager")
        return client

    @cached_property
    def cognito(self) -> CognitoIdentityProviderClient:
        client: CognitoIdentityProviderClient = self._client("cognito-idp")
        return client

    @cached_property
    def logs(self) -> Any:
        return self._client("logs")

    # -- driver

    def run(
        self,
        only_types: Iterable[str] | None = None,
        names: Mapping[str, str] | None = None,
        parallel: bool = False,
    ) -> None:
        wanted = None if only_types is None else frozenset(only_types)
        self.names = dict(names or {})
        levels, cycle = dependency_levels(self.template)
        if cycle:
            self.warnings.append(f"dependency cycle among {', '.join(cycle)}; created in template order")
        plan: list[list[tuple[str, str, dict[str, Any]]]] = []
        for level in levels:
            batch = []
            for lid in level:
                resource = self.template.resources[lid]
                kind = str(resource.get("Type", ""))
                if wanted is not None and kind not in wanted:
                    continue
                condition = resource.get("Condition")
                if condition is not None and not self.resolver.condition(str(condition)):
                    self.skipped[lid] = f"condition {condition} is false"
                    continue
                batch.append((lid, kind, resource))
            plan.append(batch)
        if not parallel:
            for batch in plan:
                for lid, kind, resource in batch:
                    self.physical[lid] = self._create(lid, kind, resource)
            return
        # Against a moto server in another process, independent resources are created concurrently so the
        # server works while this side serialises the next request. Clients are built first: building them
        # is not thread-safe.
        for service in sorted({_SERVICE_OF.get(kind, "") for batch in plan for _, kind, _ in batch} - {""}):
            getattr(self, service)
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="provision") as pool:
            for batch in plan:
                created = list(pool.map(lambda item: self._create(*item), batch))
                # Published only between levels, so no thread reads the map while another writes it.
                for (lid, _, _), physical in zip(batch, created, strict=True):
                    self.physical[lid] = physical

    def _create(self, lid: str, kind: str, resource: Mapping[str, Any]) -> PhysicalResource:
        handler = self.handlers.get(kind)
        if handler is None:
            reason = _QUIET_SKIPS.get(kind)
            if reason is None:
                reason = f"{kind} is not supported by the local cloud"
                self.warnings.append(f"{lid}: {reason}; skipped")
            self.skipped[lid] = reason
            return self._placeholder(lid, kind, resource)
        raw = resource.get("Properties") or {}
        if kind in _RECORD_ONLY:
            # Nothing is created for these, so only their name matters; the rest (policies, events) may
            # refer to resources the local cloud does not model.
            name_property = _RECORD_ONLY[kind]
            raw = {name_property: raw[name_property]} if name_property in raw else {}
        props = self.resolver.resolve(raw) or {}
        try:
            return handler(lid, props)
        except TemplateError:
            raise
        except Exception as error:
            raise ProvisionError(f"{lid} ({kind}): {error}") from error

    def _default_name(self, lid: str, max_length: int = 255, suffix: str = "") -> str:
        if lid in self.names:
            return self.names[lid]
        return f"{self.stack_name}-{lid}"[: max_length - len(suffix)] + suffix

    def _arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def _placeholder(self, lid: str, kind: str, resource: Mapping[str, Any]) -> PhysicalResource:
        props = resource.get("Properties") or {}
        if kind == "AWS::IoT::TopicRule":
            raw_name = props.get("RuleName")
            name = (
                self.resolver.resolve_str(raw_name)
                if raw_name is not None
                else f"{self.stack_name}_{lid}".replace("-", "_")
            )
            return PhysicalResource(lid, kind, name, {"Arn": self._arn("iot", f"rule/{name}")})
        if kind == "AWS::IAM::Role":
            name = f"{self.stack_name}-{lid}"[:64]
            arn = self._arn("iam", f"role/{name}", region=False)
            return PhysicalResource(
                lid, kind, name, {"Arn": arn, "RoleId": _short_hash(lid, length=21).upper()}
            )
        if kind.startswith("AWS::CloudFront::"):
            # Outputs and policies refer to these; the local web edge is what serves.
            ident = _short_hash(lid, length=14).upper()
            arn = self._arn("cloudfront", f"function/{lid}", region=False)
            attributes = {"Id": ident, "DomainName": f"{ident.lower()}.cloudfront.net"}
            attributes |= {"FunctionARN": arn, "FunctionMetadata.FunctionARN": arn}
            return PhysicalResource(lid, kind, ident, attributes)
        return PhysicalResource(lid, kind, f"{self.stack_name}-{lid}")

    # -- DynamoDB

    def _table(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("TableName") or self._default_name(lid))
        params = dict(props, TableName=name)
        stream = props.get("StreamSpecification")
        if stream:
            # CloudFormation only names the view type; the API also wants the stream switched on.
            params["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        description = self.dynamodb.create_table(**_fit_params(self.dynamodb, "CreateTable", params))
        table = description["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and _flag(ttl.get("Enabled")):
            self.dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": str(ttl["AttributeName"]), "Enabled": True},
            )
        # Point-in-time recovery matters locally too: the audit archive's export needs it.
        # ContributorInsights changes nothing locally: not worth a call.
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr and _flag(pitr.get("PointInTimeRecoveryEnabled")):
            self.dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        attributes = {"Arn": table.get("TableArn") or self._arn("dynamodb", f"table/{name}")}
        if "LatestStreamArn" in table:
            attributes["StreamArn"] = table["LatestStreamArn"]
        return PhysicalResource(lid, "AWS::DynamoDB::Table", name, attributes)

    def _simple_table(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        key = props.get("PrimaryKey") or {}
        key_name = str(key.get("Name", "id"))
        key_type = {"String": "S", "Number": "N", "Binary": "B"}.get(str(key.get("Type", "String")), "S")
        table: dict[str, Any] = {
            "TableName": props.get("TableName"),
            "AttributeDefinitions": [{"AttributeName": key_name, "AttributeType": key_type}],
            "KeySchema": [{"AttributeName": key_name, "KeyType": "HASH"}],
            "SSESpecification": props.get("SSESpecification"),
            "Tags": [{"Key": k, "Value": v} for k, v in _tags_map(props.get("Tags")).items()] or None,
        }
        if props.get("ProvisionedThroughput"):
            table["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        else:
            table["BillingMode"] = "PAY_PER_REQUEST"
        created = self._table(lid, {k: v for k, v in table.items() if v is not None})
        return PhysicalResource(lid, "AWS::Serverless::SimpleTable", created.ref, created.attributes)

    # -- S3

    def _bucket(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("BucketName") or self._bucket_name(lid))
        s3 = self.s3
        # Object Lock can only be turned on when the bucket is created (the audit archive).
        locked = bool(props.get("ObjectLockEnabled"))
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
        else:
            s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
                ObjectLockEnabledForBucket=locked,
            )
        lock = props.get("ObjectLockConfiguration")
        if locked and lock and lock.get("Rule"):
            default = lock["Rule"]["DefaultRetention"]
            retention: dict[str, Any] = {"Mode": str(default["Mode"])}
            for unit in ("Days", "Years"):
                if unit in default:
                    retention[unit] = int(default[unit])  # a parameter resolves to text
            s3.put_object_lock_configuration(
                **_fit_params(
                    s3,
                    "PutObjectLockConfiguration",
                    {
                        "Bucket": name,
                        "ObjectLockConfiguration": {
                            "ObjectLockEnabled": "Enabled",
                            "Rule": {"DefaultRetention": retention},
                        },
                    },
                )
            )
        if "BucketEncryption" in props:
            # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault.
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule.get("ServerSideEncryptionByDefault"),
                    "BucketKeyEnabled": rule.get("BucketKeyEnabled"),
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            rules = [{key: value for key, value in rule.items() if value is not None} for rule in rules]
            s3.put_bucket_encryption(
                **_fit_params(
                    s3,
                    "PutBucketEncryption",
                    {"Bucket": name, "ServerSideEncryptionConfiguration": {"Rules": rules}},
                )
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                **_fit_params(
                    s3,
                    "PutPublicAccessBlock",
                    {
                        "Bucket": name,
                        "PublicAccessBlockConfiguration": props["PublicAccessBlockConfiguration"],
                    },
                )
            )
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(
                **_fit_params(
                    s3,
                    "PutBucketOwnershipControls",
                    {"Bucket": name, "OwnershipControls": props["OwnershipControls"]},
                )
            )
        if "VersioningConfiguration" in props:
            status = str(props["VersioningConfiguration"].get("Status", "Enabled"))
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})  # type: ignore[typeddict-item]
        if "CorsConfiguration" in props:
            rules = [_cors_rule(rule) for rule in props["CorsConfiguration"].get("CorsRules") or []]
            s3.put_bucket_cors(
                **_fit_params(
                    s3, "PutBucketCors", {"Bucket": name, "CORSConfiguration": {"CORSRules": rules}}
                )
            )
        if "LifecycleConfiguration" in props:
            rules = [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"].get("Rules") or []]
            s3.put_bucket_lifecycle_configuration(
                **_fit_params(
                    s3,
                    "PutBucketLifecycleConfiguration",
                    {"Bucket": name, "LifecycleConfiguration": {"Rules": rules}},
                )
            )
        # Tags and NotificationConfiguration have no local consumer (moto runs no Lambda): not applied.
        attributes = {
            "Arn": f"arn:{self.partition}:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{self.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{self.region}.amazonaws.com",
        }
        return PhysicalResource(lid, "AWS::S3::Bucket", name, attributes)

    def _bucket_name(self, lid: str) -> str:
        if lid in self.names:
            return self.names[lid]
        # Bucket names are global and lowercase; a random tail avoids clashes like CloudFormation's does.
        suffix = "-" + secrets.token_hex(4)
        base = f"{self.stack_name}-{lid}".lower()
        return base[: 63 - len(suffix)] + suffix

    def _bucket_policy(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        # Recorded, not applied: moto 5.2 evaluates bucket policies and refuses every request under an
        # aws:SecureTransport deny, while the local endpoint is plain HTTP. IAM and policies are AWS's job.
        bucket = str(props["Bucket"])
        self.skipped[lid] = "bucket policies are not enforced locally (moto's endpoint is plain HTTP)"
        return PhysicalResource(lid, "AWS::S3::BucketPolicy", bucket)

    # -- SQS / SNS

    def _queue(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        fifo = _flag(props.get("FifoQueue"))
        name = str(props.get("QueueName") or self._default_name(lid, 80, ".fifo" if fifo else ""))
        attributes: dict[str, str] = {}
        for key, value in props.items():
            if key in {"QueueName", "Tags"}:
                continue
            if key in {"RedrivePolicy", "RedriveAllowPolicy"}:
                attributes[key] = _json_text(value)
            else:
                attributes[key] = to_env_string(value)
        params: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        if props.get("Tags"):
            params["tags"] = _tags_map(props["Tags"])
        url = self.sqs.create_queue(**params)["QueueUrl"]
        arn = self._arn("sqs", name)
        return PhysicalResource(lid, "AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _topic(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        fifo = _flag(props.get("FifoTopic"))
        name = str(props.get("TopicName") or self._default_name(lid, 256, ".fifo" if fifo else ""))
        attribute_keys = {
            "DisplayName",
            "KmsMasterKeyId",
            "FifoTopic",
            "ContentBasedDeduplication",
            "SignatureVersion",
            "TracingConfig",
            "ArchivePolicy",
            "DeliveryStatusLogging",
        }
        attributes = {
            key: _json_text(value) if isinstance(value, dict | list) else to_env_string(value)
            for key, value in props.items()
            if key in attribute_keys
        }
        params: dict[str, Any] = {"Name": name, "Attributes": attributes}
        if props.get("Tags"):
            params["Tags"] = [{"Key": k, "Value": v} for k, v in _tags_map(props["Tags"]).items()]
        arn = self.sns.create_topic(**params)["TopicArn"]
        for subscription in props.get("Subscription") or []:
            self.sns.subscribe(
                TopicArn=arn, Protocol=str(subscription["Protocol"]), Endpoint=str(subscription["Endpoint"])
            )
        return PhysicalResource(lid, "AWS::SNS::Topic", arn, {"TopicArn": arn, "TopicName": name})

    def _subscription(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        attribute_keys = {
            "RawMessageDelivery",
            "FilterPolicy",
            "FilterPolicyScope",
            "RedrivePolicy",
            "DeliveryPolicy",
            "SubscriptionRoleArn",
            "ReplayPolicy",
        }
        attributes = {
            key: _json_text(value) if isinstance(value, dict | list) else to_env_string(value)
            for key, value in props.items()
            if key in attribute_keys
        }
        arn = self.sns.subscribe(
            TopicArn=str(props["TopicArn"]),
            Protocol=str(props["Protocol"]),
            Endpoint=str(props["Endpoint"]),
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return PhysicalResource(lid, "AWS::SNS::Subscription", arn, {"Arn": arn})

    # -- EventBridge

    def _event_bus(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("Name") or self._default_name(lid, 256))
        params = dict(props, Name=name)
        params.pop("Policy", None)
        arn = self.events.create_event_bus(**_fit_params(self.events, "CreateEventBus", params))[
            "EventBusArn"
        ]
        return PhysicalResource(lid, "AWS::Events::EventBus", name, {"Arn": arn, "Name": name})

    def _rule(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("Name") or self._default_name(lid, 64))
        params = dict(props, Name=name)
        params.pop("Targets", None)
        if "EventPattern" in params:
            params["EventPattern"] = _json_text(params["EventPattern"])
        params.setdefault("State", "ENABLED")
        arn = self.events.put_rule(**_fit_params(self.events, "PutRule", params))["RuleArn"]
        bus = props.get("EventBusName")
        targets = props.get("Targets") or []
        if targets:
            target_params: dict[str, Any] = {"Rule": name, "Targets": targets}
            if bus:
                target_params["EventBusName"] = bus
            response = self.events.put_targets(**_fit_params(self.events, "PutTargets", target_params))
            if response.get("FailedEntryCount"):
                raise ProvisionError(f"{lid}: targets rejected: {response.get('FailedEntries')}")
        # CloudFormation's Ref of a rule on a custom bus is "bus|rule"; on the default bus just the name.
        bus_name = str(bus).rsplit("/", 1)[-1] if bus else "default"
        ref = name if bus_name == "default" else f"{bus_name}|{name}"
        return PhysicalResource(lid, "AWS::Events::Rule", ref, {"Arn": arn})

    # -- KMS / Secrets Manager / Parameter Store

    def secure_parameters(self) -> None:
        """The deploy step after the stack (infra/secure_parameters.py): the template's SecureString
        parameters, created with generated values under the key its metadata names."""
        key_lid, declared_parameters = declared(self.template.body.get("Metadata") or {})
        key = self.physical.get(key_lid)
        if not declared_parameters or key is None:
            return
        stage = str(self.resolver.ref("Stage")) if "Stage" in self.template.parameter_definitions else "dev"
        ensure(self._client("ssm"), stage, key.attributes.get("Arn", key.ref), declared_parameters)

    def _key(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        params = dict(props)
        if "KeyPolicy" in params:
            params["Policy"] = _json_text(params.pop("KeyPolicy"))
        if "Tags" in params:
            params["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in _tags_map(params["Tags"]).items()]
        metadata = self.kms.create_key(**_fit_params(self.kms, "CreateKey", params))["KeyMetadata"]
        key_id = metadata["KeyId"]
        if "Enabled" in props and not _flag(props["Enabled"]):
            self.kms.disable_key(KeyId=key_id)
        # EnableKeyRotation has no observable effect locally, so it is not sent.
        return PhysicalResource(lid, "AWS::KMS::Key", key_id, {"Arn": metadata["Arn"], "KeyId": key_id})

    def _alias(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        alias = str(props["AliasName"])
        self.kms.create_alias(AliasName=alias, TargetKeyId=str(props["TargetKeyId"]))
        return PhysicalResource(lid, "AWS::KMS::Alias", alias)

    def _secret(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("Name") or self._default_name(lid, 512))
        params: dict[str, Any] = {"Name": name}
        if "SecretString" in props:
            params["SecretString"] = to_env_string(props["SecretString"])
        elif "GenerateSecretString" in props:
            params["SecretString"] = _generate_secret(props["GenerateSecretString"])
        for key in ("Description", "KmsKeyId"):
            if key in props:
                params[key] = str(props[key])
        if props.get("Tags"):
            params["Tags"] = [{"Key": k, "Value": v} for k, v in _tags_map(props["Tags"]).items()]
        arn = self.secretsmanager.create_secret(**params)["ARN"]
        return PhysicalResource(lid, "AWS::SecretsManager::Secret", arn, {"Id": arn, "Arn": arn})

    # -- Cognito

    def _user_pool(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        params = dict(props)
        params["PoolName"] = str(params.pop("UserPoolName", None) or self._default_name(lid, 128))
        pool = self.cognito.create_user_pool(**_fit_params(self.cognito, "CreateUserPool", params))[
            "UserPool"
        ]
        pool_id = pool["Id"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool_id}"
        attributes = {
            "Arn": pool.get("Arn") or self._arn("cognito-idp", f"userpool/{pool_id}"),
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": pool_id,
        }
        return PhysicalResource(lid, "AWS::Cognito::UserPool", pool_id, attributes)

    def _user_pool_client(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        params = dict(props)
        params.setdefault("ClientName", self._default_name(lid, 128))
        client = self.cognito.create_user_pool_client(
            **_fit_params(self.cognito, "CreateUserPoolClient", params)
        )["UserPoolClient"]
        client_id = client["ClientId"]
        attributes = {"ClientId": client_id, "Name": client.get("ClientName", "")}
        if client.get("ClientSecret"):
            attributes["ClientSecret"] = client["ClientSecret"]
        return PhysicalResource(lid, "AWS::Cognito::UserPoolClient", client_id, attributes)

    def _user_pool_group(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        params = dict(props)
        params.setdefault("GroupName", self._default_name(lid, 128))
        group = self.cognito.create_group(**_fit_params(self.cognito, "CreateGroup", params))["Group"]
        return PhysicalResource(
            lid, "AWS::Cognito::UserPoolGroup", group.get("GroupName", params["GroupName"])
        )

    # -- Logs

    def _log_group(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("LogGroupName") or self._default_name(lid, 512))
        params: dict[str, Any] = {"logGroupName": name}
        if props.get("KmsKeyId"):
            params["kmsKeyId"] = str(props["KmsKeyId"])
        if props.get("Tags"):
            params["tags"] = _tags_map(props["Tags"])
        self.logs.create_log_group(**params)
        if props.get("RetentionInDays"):
            self.logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        return PhysicalResource(
            lid, "AWS::Logs::LogGroup", name, {"Arn": self._arn("logs", f"log-group:{name}:*")}
        )

    # -- SAM resources moto cannot run: recorded only

    def _function(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("FunctionName") or self._default_name(lid, 64))
        return PhysicalResource(
            lid, "AWS::Serverless::Function", name, {"Arn": self._arn("lambda", f"function:{name}")}
        )

    def _api(self, lid: str, _props: dict[str, Any]) -> PhysicalResource:
        api_id = _short_hash(self.stack_name, lid)
        return PhysicalResource(
            lid, "AWS::Serverless::Api", api_id, {"RootResourceId": _short_hash(self.stack_name, lid, "root")}
        )

    def _layer(self, lid: str, props: dict[str, Any]) -> PhysicalResource:
        name = str(props.get("LayerName") or self._default_name(lid, 140))
        arn = self._arn("lambda", f"layer:{name}:1")
        return PhysicalResource(lid, str(self.template.resource_type(lid)), arn, {"Arn": arn})


def _cors_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    # CloudFormation's ExposedHeaders/MaxAge are the API's ExposeHeaders/MaxAgeSeconds.
    fitted = {
        "ID": rule.get("Id"),
        "AllowedHeaders": rule.get("AllowedHeaders"),
        "AllowedMethods": rule.get("AllowedMethods"),
        "AllowedOrigins": rule.get("AllowedOrigins"),
        "ExposeHeaders": rule.get("ExposedHeaders"),
        "MaxAgeSeconds": rule.get("MaxAge"),
    }
    return {key: value for key, value in fitted.items() if value is not None}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    # CloudFormation flattens several lifecycle settings that the S3 API nests.
    fitted: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule.get("Status", "Enabled")}
    fitted["Filter"] = {"Prefix": rule["Prefix"]} if "Prefix" in rule else {}
    if "ExpirationInDays" in rule:
        fitted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        fitted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    if "NoncurrentVersionExpirationInDays" in rule:
        fitted["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
    if "NoncurrentVersionExpiration" in rule:
        fitted["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    return {key: value for key, value in fitted.items() if value is not None}


# --------------------------------------------------------------------------------------------- entry points


def _session(session: boto3.Session | None, endpoint_url: str | None, region: str | None) -> boto3.Session:
    if session is not None:
        return session
    if endpoint_url is not None and "AWS_ACCESS_KEY_ID" not in os.environ:
        # moto accepts any credentials; passing them avoids a slow walk of the credential chain (IMDS).
        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)  # noqa: S106
    return boto3.Session(region_name=region)


def provision(
    template: Template | str | Path,
    *,
    endpoint_url: str | None = None,
    session: boto3.Session | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: Mapping[str, Any] | None = None,
    region: str | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> Stack:
    """Create every supported resource of `template` in moto and return the resulting `Stack`.

    With `endpoint_url` the clients talk to a moto server; without it they go wherever boto3 would (the
    in-process `mock_aws` in tests). Unsupported types are recorded in `Stack.skipped` and `Stack.warnings`.
    """
    loaded = template if isinstance(template, Template) else load_template(template)
    boto_session = _session(session, endpoint_url, region)
    resolved_region = (
        region or boto_session.region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    )
    provisioner = _Provisioner(
        loaded, boto_session, endpoint_url, stack_name, parameters or {}, resolved_region, account_id
    )
    # In-process moto is CPU-bound under the GIL: threads would only add overhead there.
    provisioner.run(parallel=endpoint_url is not None)
    provisioner.secure_parameters()
    return Stack(
        template=loaded,
        stack_name=stack_name,
        physical=provisioner.physical,
        parameters=dict(parameters or {}),
        region=resolved_region,
        account_id=account_id,
        partition=provisioner.partition,
        endpoint_url=endpoint_url,
        skipped=provisioner.skipped,
        warnings=provisioner.warnings,
    )


def create_tables_from_template(
    template_path: str | Path,
    names: Mapping[str, str] | None = None,
    *,
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: Mapping[str, Any] | None = None,
    session: boto3.Session | None = None,
) -> dict[str, str]:
    """Create only the template's DynamoDB tables (for tests under `mock_aws`); returns logical id -> name.

    `names` overrides the physical name of chosen tables, by logical id.
    """
    template = load_template(template_path)
    boto_session = session or boto3.Session()
    region = boto_session.region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    provisioner = _Provisioner(
        template, boto_session, None, stack_name, parameters or {}, region, DEFAULT_ACCOUNT_ID
    )
    provisioner.run(only_types=TABLE_TYPES, names=names)
    return {lid: res.ref for lid, res in provisioner.physical.items()}
