"""The SAM template loader: short-form tags, Globals, event specs and intrinsic resolution (no AWS)."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import pytest

from infra.local.provision import dependency_levels
from infra.local.template import (
    ApiEvent,
    EventBridgeRuleEvent,
    GenericEvent,
    IoTRuleEvent,
    PhysicalResource,
    Resolver,
    ScheduleEvent,
    SqsEvent,
    Template,
    TemplateError,
    UnresolvableError,
    load_template,
    load_yaml,
    merge_globals,
    references,
)

ROOT = Path(__file__).resolve().parents[3]


def write_template(tmp_path: Path, text: str) -> Template:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_template(path)


# ------------------------------------------------------------------------------------------ YAML tags


def test_short_form_tags_become_long_form() -> None:
    body = load_yaml(
        textwrap.dedent(
            """
            AWSTemplateFormatVersion: 2010-09-09
            Values:
              ref: !Ref Thing
              getatt_dotted: !GetAtt Queue.Arn
              getatt_nested: !GetAtt Db.Endpoint.Address
              getatt_list: !GetAtt [Queue, QueueName]
              sub: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"
              sub_vars: !Sub ["${A}-${B}", {A: !Ref X, B: b}]
              if: !If [IsProd, 1, !Ref AWS::NoValue]
              join: !Join [",", [a, !Ref B]]
              select: !Select [0, !GetAZs ""]
              split: !Split ["|", "a|b"]
              equals: !Equals [!Ref Stage, prod]
              not: !Not [!Condition IsProd]
              map: !FindInMap [Regions, !Ref "AWS::Region", Ami]
              import: !ImportValue shared-vpc
              b64: !Base64 hello
              and: !And [!Condition A, !Condition B]
            """
        )
    )
    values = body["Values"]
    assert body["AWSTemplateFormatVersion"] == "2010-09-09"
    assert values["ref"] == {"Ref": "Thing"}
    assert values["getatt_dotted"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert values["getatt_nested"] == {"Fn::GetAtt": ["Db", "Endpoint.Address"]}
    assert values["getatt_list"] == {"Fn::GetAtt": ["Queue", "QueueName"]}
    assert values["sub"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"}
    assert values["sub_vars"] == {"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "X"}, "B": "b"}]}
    assert values["if"] == {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}
    assert values["join"] == {"Fn::Join": [",", ["a", {"Ref": "B"}]]}
    assert values["select"] == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
    assert values["split"] == {"Fn::Split": ["|", "a|b"]}
    assert values["equals"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert values["not"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert values["map"] == {"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Ami"]}
    assert values["import"] == {"Fn::ImportValue": "shared-vpc"}
    assert values["b64"] == {"Fn::Base64": "hello"}
    assert values["and"] == {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}


def test_a_file_without_resources_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no Resources"):
        write_template(tmp_path, "Parameters: {}\n")


# ------------------------------------------------------------------------------------------ Globals


def test_merge_globals_follows_sam_rules() -> None:
    merged = merge_globals(
        {"Runtime": "python3.12", "Layers": ["g1"], "Environment": {"Variables": {"A": "g", "B": "g"}}},
        {"Runtime": "python3.13", "Layers": ["f1"], "Environment": {"Variables": {"B": "f", "C": "f"}}},
    )
    assert merged == {
        "Runtime": "python3.13",
        "Layers": ["g1", "f1"],
        "Environment": {"Variables": {"A": "g", "B": "f", "C": "f"}},
    }


def test_merge_globals_treats_intrinsics_as_primitives() -> None:
    assert merge_globals({"Ref": "A"}, {"Fn::Sub": "x"}) == {"Fn::Sub": "x"}
    assert merge_globals({"Timeout": {"Ref": "T"}}, {"Timeout": 5}) == {"Timeout": 5}
    assert merge_globals({"X": 1}, {}) == {"X": 1}


FUNCTIONS_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
    Layers: [!Ref KernelLayer]
    Environment:
      Variables:
        STAGE: dev
        SHARED: global
Resources:
  KernelLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/kernel}
  ExtraLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: ./layers/extra}
  Queue:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/
      Handler: worker.handler.lambda_handler
      MemorySize: 1024
      Layers:
        - !Ref ExtraLayer
        - arn:aws:lambda:us-east-1:123456789012:layer:published:3
      Environment:
        Variables:
          SHARED: own
          QUEUE_URL: !Ref Queue
      Events:
        Api:
          Type: Api
          Properties: {Path: "/items/{id}", Method: patch}
        Public:
          Type: Api
          Properties: {Path: /health, Method: get, Auth: {Authorizer: NONE}}
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            BatchSize: 5
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
        PlainJobs:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn}
        Nightly:
          Type: Schedule
          Properties: {Schedule: "cron(0 2 * * ? *)", Input: '{"job": "nightly"}'}
        Paused:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes), Enabled: false, Input: {job: paused}}
        Scheduler:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(1 hour), State: DISABLED}
        Telemetry:
          Type: IoTRule
          Properties: {Sql: "SELECT * FROM 'courtyard/+/+/+/telemetry'", AwsIotSqlVersion: "2016-03-23"}
        Tickets:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern: {source: [courtyard.tickets]}
        Uploads:
          Type: S3
          Properties: {Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}
  Minimal:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: minimal
      Handler: app.handler
      Timeout: 30
      Environment: {Variables: {SHARED: !Ref AWS::Region}}
"""


def test_functions_merge_globals_and_parse_events(tmp_path: Path) -> None:
    template = write_template(tmp_path, FUNCTIONS_TEMPLATE)
    worker, minimal = template.functions()

    assert worker.logical_id == "Worker"
    assert worker.handler == "worker.handler.lambda_handler"
    assert worker.code_uri == tmp_path / "functions"
    assert worker.code_uri.is_absolute()
    assert worker.runtime == "python3.12"
    assert (worker.timeout, worker.memory) == (10, 1024)
    # Globals' layers come first; published layer ARNs have no local directory.
    assert worker.layer_dirs == [tmp_path / "layers" / "kernel", tmp_path / "layers" / "extra"]
    assert worker.environment == {"STAGE": "dev", "SHARED": "own", "QUEUE_URL": {"Ref": "Queue"}}

    assert worker.events == [
        ApiEvent(name="Api", path="/items/{id}", method="PATCH", auth_none=False),
        ApiEvent(name="Public", path="/health", method="GET", auth_none=True),
        SqsEvent(
            name="Jobs",
            queue={"Fn::GetAtt": ["Queue", "Arn"]},
            batch_size=5,
            report_batch_item_failures=True,
            maximum_batching_window=2,
        ),
        SqsEvent(name="PlainJobs", queue={"Fn::GetAtt": ["Queue", "Arn"]}),
        ScheduleEvent(name="Nightly", schedule="cron(0 2 * * ? *)", input='{"job": "nightly"}'),
        ScheduleEvent(name="Paused", schedule="rate(5 minutes)", enabled=False, input='{"job": "paused"}'),
        ScheduleEvent(name="Scheduler", schedule="rate(1 hour)", enabled=False),
        IoTRuleEvent(
            name="Telemetry", sql="SELECT * FROM 'courtyard/+/+/+/telemetry'", sql_version="2016-03-23"
        ),
        EventBridgeRuleEvent(name="Tickets", pattern={"source": ["courtyard.tickets"]}, bus={"Ref": "Bus"}),
        GenericEvent(
            name="Uploads",
            type="S3",
            properties={"Bucket": {"Ref": "Bucket"}, "Events": "s3:ObjectCreated:*"},
        ),
    ]
    assert [event.name for event in worker.events_of(SqsEvent)] == ["Jobs", "PlainJobs"]

    assert minimal.timeout == 30
    assert minimal.memory == 128  # SAM's default
    assert minimal.layer_dirs == [tmp_path / "layers" / "kernel"]
    assert minimal.environment == {"STAGE": "dev", "SHARED": {"Ref": "AWS::Region"}}


def test_function_environment_resolves_to_strings(tmp_path: Path) -> None:
    template = write_template(tmp_path, FUNCTIONS_TEMPLATE)
    queue = PhysicalResource("Queue", "AWS::SQS::Queue", "http://localhost/123456789012/q", {"Arn": "arn:q"})
    resolver = Resolver(template, {"Queue": queue}, region="eu-west-1")
    assert template.function("Worker").resolved_environment(resolver) == {
        "STAGE": "dev",
        "SHARED": "own",
        "QUEUE_URL": "http://localhost/123456789012/q",
    }
    assert template.function("Minimal").resolved_environment(resolver) == {
        "STAGE": "dev",
        "SHARED": "eu-west-1",
    }


def test_only_functions_are_function_specs(tmp_path: Path) -> None:
    template = write_template(tmp_path, FUNCTIONS_TEMPLATE)
    with pytest.raises(TemplateError, match="not an AWS::Serverless::Function"):
        template.function("Queue")


# ------------------------------------------------------------------------------------------ resolver

RESOLVER_TEMPLATE = """
Parameters:
  Stage: {Type: String, Default: dev}
  Retention: {Type: Number, Default: 400}
  Zones: {Type: CommaDelimitedList, Default: "a, b"}
  Secret: {Type: String}
Mappings:
  Sizes:
    dev: {Memory: 256}
    prod: {Memory: 1024}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsNotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsNotProd, !Equals [!Ref Retention, 400]]
  Either: !Or [!Condition IsProd, !Equals [x, y]]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Pool: {Type: AWS::Cognito::UserPool}
Outputs: {}
"""


@pytest.fixture
def resolver(tmp_path: Path) -> Resolver:
    template = write_template(tmp_path, RESOLVER_TEMPLATE)
    physical = {
        "Queue": PhysicalResource(
            "Queue",
            "AWS::SQS::Queue",
            "http://sqs/123456789012/stack-Queue",
            {"Arn": "arn:aws:sqs:us-east-1:123456789012:stack-Queue", "QueueName": "stack-Queue"},
        ),
        "Table": PhysicalResource(
            "Table",
            "AWS::DynamoDB::Table",
            "stack-Table",
            {"Arn": "arn:aws:dynamodb:us-east-1:1:table/stack-Table"},
        ),
        "Pool": PhysicalResource(
            "Pool",
            "AWS::Cognito::UserPool",
            "us-east-1_abc",
            {"ProviderURL": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"},
        ),
    }
    return Resolver(template, physical, {"Secret": "s3cr3t"}, stack_name="stack")


def test_ref_answers_parameters_pseudo_parameters_and_resources(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "Stage"}) == "dev"
    assert resolver.resolve({"Ref": "Retention"}) == 400
    assert resolver.resolve({"Ref": "Zones"}) == ["a", "b"]
    assert resolver.resolve({"Ref": "Secret"}) == "s3cr3t"
    assert resolver.resolve({"Ref": "AWS::Region"}) == "us-east-1"
    assert resolver.resolve({"Ref": "AWS::AccountId"}) == "123456789012"
    assert resolver.resolve({"Ref": "AWS::Partition"}) == "aws"
    assert resolver.resolve({"Ref": "AWS::StackName"}) == "stack"
    assert resolver.resolve({"Ref": "Queue"}) == "http://sqs/123456789012/stack-Queue"
    assert resolver.resolve({"Ref": "Table"}) == "stack-Table"
    assert resolver.resolve({"Ref": "Pool"}) == "us-east-1_abc"


def test_parameter_overrides_win_over_defaults(tmp_path: Path) -> None:
    template = write_template(tmp_path, RESOLVER_TEMPLATE)
    resolver = Resolver(template, {}, {"Stage": "prod", "Zones": "x,y,z"})
    assert resolver.resolve({"Ref": "Stage"}) == "prod"
    assert resolver.resolve({"Ref": "Zones"}) == ["x", "y", "z"]
    assert resolver.resolve({"Fn::If": ["IsProd", "big", "small"]}) == "big"


def test_get_att_in_both_forms(resolver: Resolver) -> None:
    arn = "arn:aws:sqs:us-east-1:123456789012:stack-Queue"
    assert resolver.resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == arn
    assert resolver.resolve({"Fn::GetAtt": "Queue.QueueName"}) == "stack-Queue"


def test_sub_with_resources_attributes_pseudos_variables_and_escapes(resolver: Resolver) -> None:
    assert (
        resolver.resolve({"Fn::Sub": "${Table}/${Queue.QueueName}@${AWS::Region}:${Stage}"})
        == "stack-Table/stack-Queue@us-east-1:dev"
    )
    assert resolver.resolve({"Fn::Sub": "${Pool.ProviderURL}/.well-known/jwks.json"}) == (
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/jwks.json"
    )
    assert (
        resolver.resolve({"Fn::Sub": ["${Name}-${Stage}", {"Name": {"Ref": "Table"}}]}) == "stack-Table-dev"
    )
    assert resolver.resolve({"Fn::Sub": "${!Literal} ${Retention}"}) == "${Literal} 400"


def test_join_select_split_find_in_map_azs_base64(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, 1]]}) == "a-dev-1"
    assert resolver.resolve({"Fn::Select": ["1", {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert resolver.resolve({"Fn::Select": [0, {"Fn::GetAZs": ""}]}) == "us-east-1a"
    assert resolver.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 256
    assert resolver.resolve({"Fn::Base64": {"Ref": "Stage"}}) == base64.b64encode(b"dev").decode()


def test_conditions_if_and_no_value(resolver: Resolver) -> None:
    assert resolver.condition("IsProd") is False
    assert resolver.condition("IsNotProd") is True
    assert resolver.condition("Both") is True
    assert resolver.condition("Either") is False
    value = {
        "Keep": {"Fn::If": ["IsNotProd", "yes", "no"]},
        "Drop": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Ref": "AWS::NoValue"}, {"Fn::If": ["Both", "b", "c"]}],
    }
    assert resolver.resolve(value) == {"Keep": "yes", "List": ["a", "b"]}
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is None


def test_unknown_names_fail_clearly(resolver: Resolver, tmp_path: Path) -> None:
    with pytest.raises(UnresolvableError, match="unknown name"):
        resolver.resolve({"Ref": "Nope"})
    with pytest.raises(UnresolvableError, match="has no attribute 'StreamArn'"):
        resolver.resolve({"Fn::GetAtt": ["Table", "StreamArn"]})
    with pytest.raises(UnresolvableError, match="no such export"):
        resolver.resolve({"Fn::ImportValue": "elsewhere"})
    with pytest.raises(UnresolvableError, match="unknown condition"):
        resolver.condition("Missing")
    unprovisioned = Resolver(write_template(tmp_path, RESOLVER_TEMPLATE), {})
    with pytest.raises(UnresolvableError, match="no value and no default"):
        unprovisioned.resolve({"Ref": "Secret"})
    with pytest.raises(UnresolvableError, match="not provisioned"):
        unprovisioned.resolve({"Ref": "Queue"})


def test_references_and_dependency_levels(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """
        Resources:
          Rule:
            Type: AWS::Events::Rule
            Properties:
              EventBusName: !Ref Bus
              Targets: [{Id: q, Arn: !GetAtt Queue.Arn}]
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              RedrivePolicy: {deadLetterTargetArn: !Sub "${Dlq.Arn}", maxReceiveCount: 3}
          Dlq: {Type: AWS::SQS::Queue}
          Bus: {Type: AWS::Events::EventBus, Properties: {Name: !Sub "bus-${AWS::Region}"}}
          Later: {Type: AWS::SNS::Topic, DependsOn: Rule}
        """,
    )
    assert set(references(template.resource("Rule"))) == {"Bus", "Queue"}
    assert set(references(template.resource("Bus"))) == {"AWS::Region"}
    levels, cycle = dependency_levels(template)
    assert levels == [["Dlq", "Bus"], ["Queue"], ["Rule"], ["Later"]]
    assert cycle == []


# ------------------------------------------------------------------------------------------ the real template


@pytest.fixture(scope="module")
def real_template() -> Template:
    return load_template(ROOT / "template.yaml")


def test_real_template_directory_function(real_template: Template) -> None:
    directory = real_template.function("DirectoryFunction")
    assert directory.handler == "directory.handler.lambda_handler"
    assert directory.code_uri == ROOT / "functions"
    assert directory.layer_dirs == [ROOT / "layers" / "courtyard"]
    assert directory.runtime == "python3.12"
    assert directory.architectures == ["arm64"]
    api_events = {(event.method, event.path): event for event in directory.events_of(ApiEvent)}
    assert api_events[("GET", "/me")].auth_none is False
    assert api_events[("GET", "/health")].auth_none is True
    assert real_template.parameters["Stage"] == "dev"


def test_real_template_environment_resolves(real_template: Template) -> None:
    stack = "courtyard-local"
    physical = {
        lid: PhysicalResource(lid, real_template.resource_type(lid), f"{stack}-{lid}")
        for lid in (
            "AuditTable",
            "IdempotencyTable",
            "DirectoryTable",
            "ImportBucket",
            "ExportBucket",
            "UserPool",
        )
    }
    physical["ImportQueue"] = PhysicalResource(
        "ImportQueue", "AWS::SQS::Queue", "http://sqs.us-east-1.localhost/123456789012/q"
    )
    physical["EventBus"] = PhysicalResource("EventBus", "AWS::Events::EventBus", "courtyard-dev")
    physical["PiiKey"] = PhysicalResource("PiiKey", "AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")
    environment = real_template.function("DirectoryFunction").resolved_environment(
        Resolver(real_template, physical, stack_name=stack)
    )
    assert environment == {
        "STAGE": "dev",
        "POWERTOOLS_METRICS_NAMESPACE": "Courtyard",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_SERVICE_NAME": "directory",
        "EVENT_BUS_NAME": "courtyard-dev",
        "AUDIT_TABLE": "courtyard-local-AuditTable",
        "AUDIT_RETENTION_DAYS": "400",
        "IDEMPOTENCY_TABLE": "courtyard-local-IdempotencyTable",
        "DIRECTORY_TABLE": "courtyard-local-DirectoryTable",
        "PII_KEY_ID": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "CURSOR_KEY_PARAMETER": "/courtyard/dev/cursor-key",
        "BLIND_INDEX_PARAMETER": "/courtyard/dev/blind-index-key",
        "REQUIRE_MFA": "true",
        "USER_POOL_ID": "courtyard-local-UserPool",
        "IMPORT_BUCKET": "courtyard-local-ImportBucket",
        "IMPORT_QUEUE_URL": "http://sqs.us-east-1.localhost/123456789012/q",
        "APP_BASE_URL": "https://courtyard.example/m",
        "EXPORT_BUCKET": "courtyard-local-ExportBucket",
    }
