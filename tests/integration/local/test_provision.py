"""Provisioning template.yaml (and a richer test template) into moto, then using what was created."""

from __future__ import annotations

import base64
import json
import string
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from infra.local.provision import Stack, create_tables_from_template, provision
from infra.local.template import SqsEvent, Template, load_template

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"

RICH_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: test}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: python3.12
    Environment:
      Variables:
        EVENT_BUS_NAME: !Ref Bus
Resources:
  DeadLetters:
    Type: AWS::SQS::Queue
    Properties: {MessageRetentionPeriod: 1209600}
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetters.Arn
        maxReceiveCount: 2
  TransformedQueue: {Type: AWS::SQS::Queue}
  OrderedQueue:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, ContentBasedDeduplication: true}
  NoticeQueue: {Type: AWS::SQS::Queue}
  InlineQueue: {Type: AWS::SQS::Queue}
  Notices:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub notices-${Stage}
      Subscription:
        - Protocol: sqs
          Endpoint: !GetAtt InlineQueue.Arn
  NoticeSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Notices
      Protocol: sqs
      Endpoint: !GetAtt NoticeQueue.Arn
      RawMessageDelivery: "true"
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "rich-${Stage}"}
  TicketRule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern:
        source: [courtyard.tickets]
        detail-type: [TicketCreated]
      Targets:
        - Id: work
          Arn: !GetAtt WorkQueue.Arn
        - Id: transformed
          Arn: !GetAtt TransformedQueue.Arn
          InputTransformer:
            InputPathsMap: {ticket: $.detail.ticket_id}
            # Quoted: moto inserts string values verbatim where AWS would add the quotes itself.
            InputTemplate: '{"ticket": "<ticket>"}'
  StreamTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "rich-${Stage}-stream"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: lsk, AttributeType: N}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      LocalSecondaryIndexes:
        - IndexName: by-number
          KeySchema:
            - {AttributeName: pk, KeyType: HASH}
            - {AttributeName: lsk, KeyType: RANGE}
          Projection: {ProjectionType: KEYS_ONLY}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      ContributorInsightsSpecification: {Enabled: true}
  Sessions:
    Type: AWS::Serverless::SimpleTable
    Properties: {PrimaryKey: {Name: session_id, Type: String}}
  SigningKey:
    Type: AWS::KMS::Key
    Properties: {Description: visitor pass signing}
  SigningKeyAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/rich-signing, TargetKeyId: !Ref SigningKey}
  ApiCredentials:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"username": "courtyard"}'
        GenerateStringKey: password
        PasswordLength: 20
        ExcludeCharacters: '"@/\\'
  StaticSecret:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: rich/static, SecretString: !Sub "stage=${Stage}"}
  ProdOnlyQueue:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  TelemetryRule:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload: {Sql: "SELECT * FROM 'courtyard/+/+/+/telemetry'", Actions: []}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Environment:
        Variables:
          WORK_QUEUE_URL: !Ref WorkQueue
          WORK_QUEUE_NAME: !GetAtt WorkQueue.QueueName
          TOPIC_ARN: !Ref Notices
          STREAM_TABLE: !Ref StreamTable
          SESSIONS_TABLE: !Ref Sessions
          SIGNING_KEY_ARN: !GetAtt SigningKey.Arn
          TELEMETRY_RULE: !Ref TelemetryRule
          LABEL: !Sub "${AWS::Region}-${Stage}-${Notices.TopicName}"
          ONLY_IN_PROD: !If [IsProd, "yes", !Ref AWS::NoValue]
      Events:
        Work:
          Type: SQS
          Properties: {Queue: !GetAtt WorkQueue.Arn, BatchSize: 5}
Outputs:
  BusArn: {Value: !GetAtt Bus.Arn}
  ProdQueue: {Condition: IsProd, Value: !Ref ProdOnlyQueue}
"""


@pytest.fixture(scope="module")
def moto(fake_aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def stack(moto: None, template: Template) -> Stack:
    return provision(template)


@pytest.fixture(scope="module")
def rich_stack(moto: None, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    path = tmp_path_factory.mktemp("rich") / "template.yaml"
    path.write_text(textwrap.dedent(RICH_TEMPLATE), encoding="utf-8")
    return provision(load_template(path), stack_name="rich")


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


def receive_all(sqs: SQSClient, queue_url: str, attempts: int = 3) -> list[str]:
    bodies: list[str] = []
    for _ in range(attempts):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        bodies.extend(message["Body"] for message in messages)
        if messages:
            break
    return bodies


# ------------------------------------------------------------------------------------------ template.yaml


def test_real_template_provisions_without_warnings(stack: Stack, template: Template) -> None:
    assert stack.warnings == []
    # Only policies and permissions (and X-Ray's sampling: nothing is traced locally) are left to AWS; the
    # topic rules run in the local broker's rule bridge (named, for Basic Ingest), CloudFront is the local
    # web edge; every other resource is there.
    assert {template.resource_type(lid) for lid in stack.skipped} <= {
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::Lambda::Permission",
        "AWS::XRay::SamplingRule",
        "AWS::IoT::TopicRule",
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::Function",
        # The edge's security (WAF, the usage plan) and IAM are not enforced locally; the template tests
        # check them (tests/integration/test_template_security.py).
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation",
        "AWS::ApiGateway::UsagePlan",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Role",
    }
    assert stack.ref("SensorsTelemetryRule") == "courtyard_telemetry_dev"
    assert set(stack.physical) == set(template.resources)


def test_tables_have_their_keys_gsis_and_ttl(stack: Stack) -> None:
    dynamodb = client("dynamodb")
    directory = dynamodb.describe_table(TableName=stack.ref("DirectoryTable"))["Table"]
    assert stack.ref("DirectoryTable") == "courtyard-local-DirectoryTable"
    assert [key["AttributeName"] for key in directory["KeySchema"]] == ["pk", "sk"]
    assert directory["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (gsi,) = directory["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "gsi1"
    assert [key["AttributeName"] for key in gsi["KeySchema"]] == ["gsi1pk", "gsi1sk"]
    assert stack.attr("DirectoryTable", "Arn") == directory["TableArn"]

    for logical_id, attribute in (("AuditTable", "expires_at"), ("IdempotencyTable", "expiration")):
        ttl = dynamodb.describe_time_to_live(TableName=stack.ref(logical_id))["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}


def test_bucket_is_private_encrypted_versioned_with_cors(stack: Stack) -> None:
    s3 = client("s3")
    bucket = stack.ref("PhotoBucket")
    assert bucket.startswith("courtyard-local-photobucket-")
    assert bucket == bucket.lower()
    assert len(bucket) <= 63
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(
        block[key]
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    )
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (cors,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert sorted(cors["AllowedMethods"]) == ["GET", "POST"]
    assert cors["AllowedOrigins"] == ["*"]
    assert cors["MaxAgeSeconds"] == 3000
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    # The deny-insecure-transport policy is recorded, not applied: moto would refuse its plain-HTTP endpoint.
    assert "PhotoBucketPolicy" in stack.skipped


def test_user_pool_schema_groups_and_client(stack: Stack) -> None:
    cognito = client("cognito-idp")
    pool_id = stack.ref("UserPool")
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == "courtyard-dev"
    attributes = {attribute["Name"]: attribute for attribute in pool["SchemaAttributes"]}
    assert attributes["custom:tenant_id"]["Mutable"] is True  # set when an invitation is accepted
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert pool["AutoVerifiedAttributes"] == ["email"]
    groups = {group["GroupName"] for group in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    assert groups == {
        "platform_admin",
        "manager",
        "service_desk",
        "technician",
        "finance",
        "guard",
        "resident",
    }

    app = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=stack.ref("UserPoolClient"))[
        "UserPoolClient"
    ]
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in app["ExplicitAuthFlows"]
    assert "ClientSecret" not in app
    assert stack.attr("UserPool", "ProviderURL") == f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


def test_a_user_signs_in_and_the_token_carries_tenant_and_groups(stack: Stack) -> None:
    cognito = client("cognito-idp")
    pool_id, client_id = stack.ref("UserPool"), stack.ref("UserPoolClient")
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="ana@example.com",
        UserAttributes=[
            {"Name": "email", "Value": "ana@example.com"},
            {"Name": "custom:tenant_id", "Value": "tenant-1"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="ana@example.com", Password="correct-horse-42", Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="ana@example.com", GroupName="manager")
    result = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana@example.com", "PASSWORD": "correct-horse-42"},
    )["AuthenticationResult"]
    payload = result["IdToken"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["custom:tenant_id"] == "tenant-1"
    assert claims["cognito:groups"] == ["manager"]


def test_kms_key_makes_data_keys(stack: Stack) -> None:
    kms = client("kms")
    data_key = kms.generate_data_key(KeyId=stack.ref("PiiKey"), KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    assert stack.attr("PiiKey", "Arn").endswith(f":key/{stack.ref('PiiKey')}")


def test_cursor_key_is_a_secure_parameter_of_64_alphanumerics_under_the_pii_key(stack: Stack) -> None:
    ssm = client("ssm")
    name = stack.secure_parameter("cursor-key")
    (described,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert (name, described["Type"], described["Tier"]) == (
        "/courtyard/dev/cursor-key",
        "SecureString",
        "Standard",
    )
    assert described["KeyId"] == stack.attr("PiiKey", "Arn")
    value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    assert len(value) == 64
    assert set(value) <= set(string.ascii_letters + string.digits)


def test_log_group_named_after_the_function(stack: Stack) -> None:
    logs = client("logs")
    name = stack.ref("DirectoryFunctionLogGroup")
    assert name == "/aws/lambda/courtyard-local-DirectoryFunction"
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert group["retentionInDays"] == 180


def test_function_environment_names_the_created_resources(stack: Stack, template: Template) -> None:
    environment = stack.function_environment(template.function("DirectoryFunction"))
    assert environment["EVENT_BUS_NAME"] == "courtyard-dev"
    assert environment["AUDIT_TABLE"] == stack.ref("AuditTable")
    assert environment["IDEMPOTENCY_TABLE"] == stack.ref("IdempotencyTable")
    assert environment["DIRECTORY_TABLE"] == stack.ref("DirectoryTable")
    assert environment["AUDIT_RETENTION_DAYS"] == "400"
    assert environment["STAGE"] == "dev"
    # Each value names something that exists.
    client("events").describe_event_bus(Name=environment["EVENT_BUS_NAME"])
    client("dynamodb").describe_table(TableName=environment["AUDIT_TABLE"])
    client("kms").describe_key(KeyId=environment["PII_KEY_ID"])
    client("ssm").get_parameter(Name=environment["CURSOR_KEY_PARAMETER"], WithDecryption=True)


def test_outputs_and_json_round_trip(stack: Stack, template: Template) -> None:
    outputs = stack.outputs()
    assert outputs["UserPoolId"] == stack.ref("UserPool")
    assert outputs["EventBusName"] == "courtyard-dev"
    assert outputs["PhotoBucketName"] == stack.ref("PhotoBucket")
    assert outputs["ApiUrl"] == f"https://{stack.ref('CourtyardApi')}.execute-api.{REGION}.amazonaws.com/dev"

    again = Stack.from_json(stack.to_json())
    assert again.template.path == template.path
    assert again.outputs() == outputs
    assert again.physical == stack.physical
    assert again.function_environment(template.function("DirectoryFunction")) == stack.function_environment(
        template.function("DirectoryFunction")
    )


def test_create_tables_only(moto: None) -> None:
    names = create_tables_from_template(
        ROOT / "template.yaml", {"AuditTable": "audit-under-test"}, stack_name="tables-only"
    )
    tables = [
        logical_id
        for logical_id, resource in load_template(ROOT / "template.yaml").resources.items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    ]
    assert {"AuditTable", "IdempotencyTable", "DirectoryTable", "TicketsTable"} <= set(tables)
    assert names == {
        logical_id: "audit-under-test" if logical_id == "AuditTable" else f"tables-only-{logical_id}"
        for logical_id in tables
    }
    dynamodb = client("dynamodb")
    for name in names.values():
        dynamodb.describe_table(TableName=name)
    ttl = dynamodb.describe_time_to_live(TableName="audit-under-test")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    # Nothing but tables: no bucket (or anything else) for this stack.
    buckets = [bucket["Name"] for bucket in client("s3").list_buckets()["Buckets"]]
    assert not [name for name in buckets if name.startswith("tables-only")]


def test_provisioning_against_a_moto_server_creates_the_stage(fake_aws_env: None, template: Template) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # Another stage, so no name clashes with resources other tests made in this process's moto.
        served = provision(
            template, endpoint_url=endpoint, stack_name="served", parameters={"Stage": "served"}
        )
        assert served.warnings == []
        assert served.endpoint_url == endpoint
        dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
        assert "served-DirectoryTable" in dynamodb.list_tables()["TableNames"]
        assert served.outputs()["EventBusName"] == "courtyard-served"
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------ rich template


def test_unknown_types_are_skipped_with_a_warning(rich_stack: Stack) -> None:
    assert rich_stack.warnings == ["Network: AWS::EC2::VPC is not supported by the local cloud; skipped"]
    assert set(rich_stack.skipped) == {"Network", "TelemetryRule", "ProdOnlyQueue"}
    assert "condition IsProd is false" in rich_stack.skipped["ProdOnlyQueue"]
    assert "ProdOnlyQueue" not in rich_stack.physical
    assert rich_stack.ref("TelemetryRule") == "rich_TelemetryRule"


def test_queue_redrives_to_its_dead_letter_queue(rich_stack: Stack) -> None:
    sqs: SQSClient = client("sqs")
    work_url = rich_stack.ref("WorkQueue")
    attributes = sqs.get_queue_attributes(QueueUrl=work_url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == rich_stack.attr("DeadLetters", "Arn")
    assert int(redrive["maxReceiveCount"]) == 2

    sqs.send_message(QueueUrl=work_url, MessageBody="poison")
    for _ in range(3):
        sqs.receive_message(QueueUrl=work_url, VisibilityTimeout=0)
    assert receive_all(sqs, rich_stack.ref("DeadLetters")) == ["poison"]


def test_fifo_queue_name_and_attributes(rich_stack: Stack) -> None:
    assert rich_stack.attr("OrderedQueue", "QueueName") == "rich-OrderedQueue.fifo"
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=rich_stack.ref("OrderedQueue"), AttributeNames=["All"]
    )["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"


def test_event_on_the_bus_reaches_the_rule_targets(rich_stack: Stack) -> None:
    events, sqs = client("events"), client("sqs")
    assert rich_stack.ref("Bus") == "rich-test"
    assert rich_stack.ref("TicketRule") == "rich-test|rich-TicketRule"
    result = events.put_events(
        Entries=[
            {
                "EventBusName": rich_stack.ref("Bus"),
                "Source": "courtyard.tickets",
                "DetailType": "TicketCreated",
                "Detail": json.dumps({"tenant_id": "t1", "ticket_id": "T-1"}),
            },
            {
                "EventBusName": rich_stack.ref("Bus"),
                "Source": "courtyard.payments",
                "DetailType": "BillIssued",
                "Detail": "{}",
            },
        ]
    )
    assert result["FailedEntryCount"] == 0
    (body,) = receive_all(sqs, rich_stack.ref("WorkQueue"))
    event = json.loads(body)
    assert event["detail-type"] == "TicketCreated"
    assert event["detail"]["ticket_id"] == "T-1"
    (transformed,) = receive_all(sqs, rich_stack.ref("TransformedQueue"))
    assert json.loads(transformed) == {"ticket": "T-1"}


def test_topic_message_reaches_subscribed_queues(rich_stack: Stack) -> None:
    sns, sqs = client("sns"), client("sqs")
    topic_arn = rich_stack.ref("Notices")
    assert topic_arn == f"arn:aws:sns:{REGION}:123456789012:notices-test"
    sns.publish(TopicArn=topic_arn, Message="water off 10:00-12:00")
    assert receive_all(sqs, rich_stack.ref("NoticeQueue")) == ["water off 10:00-12:00"]
    (envelope,) = receive_all(sqs, rich_stack.ref("InlineQueue"))
    assert json.loads(envelope)["Message"] == "water off 10:00-12:00"


def test_tables_streams_and_simple_table(rich_stack: Stack) -> None:
    dynamodb = client("dynamodb")
    table = dynamodb.describe_table(TableName="rich-test-stream")["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert rich_stack.attr("StreamTable", "StreamArn") == table["LatestStreamArn"]
    assert [index["IndexName"] for index in table["LocalSecondaryIndexes"]] == ["by-number"]
    sessions = dynamodb.describe_table(TableName=rich_stack.ref("Sessions"))["Table"]
    assert sessions["KeySchema"] == [{"AttributeName": "session_id", "KeyType": "HASH"}]


def test_key_alias_and_secrets(rich_stack: Stack) -> None:
    kms, secrets = client("kms"), client("secretsmanager")
    assert rich_stack.ref("SigningKeyAlias") == "alias/rich-signing"
    described = kms.describe_key(KeyId="alias/rich-signing")["KeyMetadata"]
    assert described["KeyId"] == rich_stack.ref("SigningKey")
    credentials = json.loads(
        secrets.get_secret_value(SecretId=rich_stack.ref("ApiCredentials"))["SecretString"]
    )
    assert credentials["username"] == "courtyard"
    assert len(credentials["password"]) == 20
    assert not set(credentials["password"]) & set('"@/\\')
    assert secrets.get_secret_value(SecretId="rich/static")["SecretString"] == "stage=test"


def test_rich_function_environment_and_events(rich_stack: Stack) -> None:
    worker = rich_stack.template.function("Worker")
    environment = rich_stack.function_environment(worker)
    assert environment == {
        "EVENT_BUS_NAME": "rich-test",
        "WORK_QUEUE_URL": rich_stack.ref("WorkQueue"),
        "WORK_QUEUE_NAME": "rich-WorkQueue",
        "TOPIC_ARN": rich_stack.ref("Notices"),
        "STREAM_TABLE": "rich-test-stream",
        "SESSIONS_TABLE": "rich-Sessions",
        "SIGNING_KEY_ARN": rich_stack.attr("SigningKey", "Arn"),
        "TELEMETRY_RULE": "rich_TelemetryRule",
        "LABEL": f"{REGION}-test-notices-test",
    }
    assert rich_stack.resolver.resolve_str(worker.events_of(SqsEvent)[0].queue) == rich_stack.attr(
        "WorkQueue", "Arn"
    )
    assert rich_stack.outputs() == {"BusArn": f"arn:aws:events:{REGION}:123456789012:event-bus/rich-test"}
