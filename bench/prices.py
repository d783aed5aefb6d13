"""A dated AWS price table (us-east-1, arm64, on-demand list prices, free tiers ignored) and the arithmetic
that turns metered counts into dollars.

Every line names the pricing page it comes from. The rates are the published list prices as of PRICES_DATE;
they were transcribed, not fetched by this code: re-check the pages before quoting a number to a customer.
Free tiers are ignored in the totals (a deployment serving many communities outgrows them); ``FREE_TIERS``
lists the ones that matter so the table can show them separately.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PRICES_DATE = "2026-11-22"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    """``usd`` dollars per ``per`` units of ``unit``."""

    key: str
    service: str  # the line of the printed table this price adds to
    unit: str
    usd: float
    per: int
    source: str

    def cost(self, quantity: float) -> float:
        if quantity < 0:
            raise ValueError(f"{self.key}: negative quantity {quantity}")
        return quantity * self.usd / self.per


_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_APIGW = "https://aws.amazon.com/api-gateway/pricing/"
_DDB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
_EB = "https://aws.amazon.com/eventbridge/pricing/"
_SQS = "https://aws.amazon.com/sqs/pricing/"
_SNS = "https://aws.amazon.com/sns/pricing/"
_SES = "https://aws.amazon.com/ses/pricing/"
_KMS = "https://aws.amazon.com/kms/pricing/"
_SM = "https://aws.amazon.com/secrets-manager/pricing/"
_CW = "https://aws.amazon.com/cloudwatch/pricing/"
_XRAY = "https://aws.amazon.com/xray/pricing/"
_IOT = "https://aws.amazon.com/iot-core/pricing/"
_S3 = "https://aws.amazon.com/s3/pricing/"
_COGNITO = "https://aws.amazon.com/cognito/pricing/"
_SMS_CN = "https://www.alibabacloud.com/product/sms/pricing"
_WAF = "https://aws.amazon.com/waf/pricing/"
_WECHAT = (
    "https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html"
)
_CLOUDFRONT = "https://aws.amazon.com/cloudfront/pricing/"

PRICES: dict[str, Price] = {
    p.key: p
    for p in (
        Price("lambda.requests", "Lambda", "invocation", 0.20, 1_000_000, _LAMBDA),
        Price("lambda.gb_s_arm64", "Lambda", "GB-second (arm64, first 7.5 bn)", 0.0000133334, 1, _LAMBDA),
        Price(
            "apigw.rest_requests", "API Gateway", "REST API request (first 333 M)", 3.50, 1_000_000, _APIGW
        ),
        Price(
            "apigw.http_requests", "API Gateway", "HTTP API request (first 300 M)", 1.00, 1_000_000, _APIGW
        ),
        Price("dynamodb.wru", "DynamoDB", "write request unit (on-demand)", 0.625, 1_000_000, _DDB),
        Price("dynamodb.rru", "DynamoDB", "read request unit (on-demand)", 0.125, 1_000_000, _DDB),
        Price("eventbridge.events", "EventBridge", "custom event published (64 KB)", 1.00, 1_000_000, _EB),
        Price("sqs.requests", "SQS", "standard queue request (64 KB)", 0.40, 1_000_000, _SQS),
        Price("sns.requests", "SNS", "publish request", 0.50, 1_000_000, _SNS),
        Price("sns.push", "SNS", "mobile push delivery", 0.50, 1_000_000, _SNS),
        Price("ses.emails", "SES", "outbound email", 0.10, 1_000, _SES),
        # A sign-in code to a mainland number: a domestic provider's list price, 0.045 CNY (e.g. Alibaba Cloud
        # SMS; AWS End User Messaging's China rate is several times it). bench/identity_cost.py uses the same.
        Price("sms.cn", "SMS", "SMS to a mainland China number", 0.0063, 1, _SMS_CN),
        # Free: a verified service account's template messages cost nothing to send (issue 18); counted so the
        # messages that no longer buy a text are visible in the table.
        Price("wechat.messages", "WeChat", "service-account template message (free)", 0.0, 1, _WECHAT),
        Price("kms.requests", "KMS", "API request", 0.03, 10_000, _KMS),
        Price("secretsmanager.requests", "Secrets Manager", "API call", 0.05, 10_000, _SM),
        Price("logs.ingest_gb", "CloudWatch Logs", "GB ingested (standard class)", 0.50, 1, _CW),
        Price("xray.traces", "X-Ray", "trace recorded", 5.00, 1_000_000, _XRAY),
        Price("iot.messages", "IoT Core", "message (5 KB unit, first 1 bn)", 1.00, 1_000_000, _IOT),
        Price("iot.rules", "IoT Core", "rule triggered", 0.15, 1_000_000, _IOT),
        Price("iot.actions", "IoT Core", "rule action executed", 0.15, 1_000_000, _IOT),
        Price("iot.connect_minutes", "IoT Core", "connection-minute", 0.08, 1_000_000, _IOT),
        # A publish to $aws/rules/<rule>/... reaches the rule without the broker: no messaging charge (its
        # rule and action are still charged, as iot.rules and iot.actions). Listed so the table shows them.
        Price("iot.basic_ingest", "IoT Core", "message through Basic Ingest (free)", 0.0, 1_000_000, _IOT),
        Price("s3.put", "S3", "PUT/COPY/POST/LIST request", 0.005, 1_000, _S3),
        Price("s3.get", "S3", "GET/HEAD and other request", 0.0004, 1_000, _S3),
        # The edge (bench/edge_cost.py). WAF's prices are the same in every region. CloudFront bills where the
        # viewer is: residents in mainland China reach the distribution's Hong Kong and Asia Pacific edges
        # (PriceClass_All), so the "Hong Kong, Indonesia, Philippines, Singapore, South Korea, Taiwan,
        # Thailand, Malaysia, and Vietnam" column is the one used (the US one is lower).
        Price("waf.requests", "WAF", "request inspected by a web ACL", 0.60, 1_000_000, _WAF),
        Price(
            "cloudfront.https_requests",
            "CloudFront",
            "HTTPS request (Asia Pacific)",
            0.012,
            10_000,
            _CLOUDFRONT,
        ),
        Price(
            "cloudfront.data_out_gb",
            "CloudFront",
            "GB out to viewers (Asia Pacific, first 10 TB)",
            0.120,
            1,
            _CLOUDFRONT,
        ),
        Price(
            "cloudfront.data_to_origin_gb",
            "CloudFront",
            "GB to the origin (Asia Pacific)",
            0.060,
            1,
            _CLOUDFRONT,
        ),
        Price(
            "cloudfront.function_invocations",
            "CloudFront",
            "CloudFront Functions invocation",
            0.10,
            1_000_000,
            _CLOUDFRONT,
        ),
        # Fixed monthly charges of one deployment (shared by every community it serves).
        Price("waf.web_acl_month", "WAF", "web ACL-month", 5.00, 1, _WAF),
        Price("waf.rule_month", "WAF", "rule-month (a managed rule group counts as one)", 1.00, 1, _WAF),
        Price("kms.key_month", "KMS", "customer managed key-month", 1.00, 1, _KMS),
        Price("secretsmanager.secret_month", "Secrets Manager", "secret-month", 0.40, 1, _SM),
        # Cognito is billed per monthly active user, not per request: shown beside the total, not in it.
        Price("cognito.mau_essentials", "Cognito", "MAU above 10,000 (Essentials)", 0.015, 1, _COGNITO),
        Price("cognito.mau_lite", "Cognito", "MAU above 10,000 (Lite)", 0.0055, 1, _COGNITO),
    )
}

FREE_TIERS: dict[str, str] = {
    "Lambda": "1 M requests and 400,000 GB-s per month (always free)",
    "SQS": "1 M requests per month (always free)",
    "SNS": "1 M publishes and 1 M mobile push deliveries per month",
    "DynamoDB": "none for on-demand request units (25 GB storage free)",
    "X-Ray": "100,000 traces recorded per month",
    "Cognito": "10,000 MAU per month (Lite and Essentials)",
    "KMS": "20,000 requests per month",
    "CloudWatch Logs": "5 GB ingestion per month",
    "CloudFront": "1 TB out, 10 M HTTPS requests, 2 M function invocations a month (always free)",
    "WAF": "none",
}

# Which price a metered "service.Operation" AWS call adds to. Operations not listed are free control-plane or
# have no per-request charge (e.g. sts, iot registry reads are billed elsewhere or not at all).
_WRITE_OPS_S3 = frozenset(
    {"PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "CreateMultipartUpload"}
)


def price_key_of_call(service: str, operation: str) -> str | None:
    """The price line one AWS API call is billed on, or None when the call is not billed per request."""
    match service:
        case "sqs":
            return "sqs.requests"
        case "kms":
            return "kms.requests"
        case "secretsmanager":
            return "secretsmanager.requests"
        case "sns":
            return "sns.requests"
        case "ses" | "sesv2":
            return "ses.emails" if operation in {"SendEmail", "SendRawEmail", "SendTemplatedEmail"} else None
        case "events":
            return "eventbridge.events" if operation == "PutEvents" else None
        case "s3":
            return "s3.put" if operation in _WRITE_OPS_S3 else "s3.get"
        case _:
            return None


# DynamoDB request units per call, approximate (the metering sees calls, not item sizes): items are assumed
# to be under 1 KB (writes) and 4 KB (reads), reads eventually consistent unless transactional.
DYNAMODB_UNITS: dict[str, tuple[str, float]] = {
    "PutItem": ("dynamodb.wru", 1.0),
    "UpdateItem": ("dynamodb.wru", 1.0),
    "DeleteItem": ("dynamodb.wru", 1.0),
    "TransactWriteItems": ("dynamodb.wru", 2.0 * 3),  # 2 WRU per item, assumed 3 items
    "BatchWriteItem": ("dynamodb.wru", 1.0 * 10),  # assumed 10 items per batch
    "GetItem": ("dynamodb.rru", 0.5),
    "Query": ("dynamodb.rru", 1.0),  # assumed a page of up to 8 KB
    "Scan": ("dynamodb.rru", 1.0),
    "BatchGetItem": ("dynamodb.rru", 0.5 * 5),  # assumed 5 items per batch
    "TransactGetItems": ("dynamodb.rru", 2.0 * 2),  # 2 RRU per item, assumed 2 items
}


def dynamodb_units(operation: str) -> tuple[str, float] | None:
    return DYNAMODB_UNITS.get(operation)


def gb_seconds(duration_ms: float, memory_mb: int) -> float:
    """Lambda's billed compute: duration times configured memory (1 GB = 1,024 MB)."""
    return duration_ms / 1000.0 * memory_mb / 1024.0


def dollars(quantities: Mapping[str, float]) -> dict[str, float]:
    """Dollars per price line for quantities keyed by price key; an unknown key is an error, not a zero."""
    unknown = set(quantities) - set(PRICES)
    if unknown:
        raise KeyError(f"no price for {sorted(unknown)}")
    return {key: PRICES[key].cost(quantity) for key, quantity in quantities.items()}


def by_service(costs: Mapping[str, float]) -> dict[str, float]:
    """Sum per-price-line dollars into the table's service lines."""
    totals: dict[str, float] = {}
    for key, usd in costs.items():
        service = PRICES[key].service
        totals[service] = totals.get(service, 0.0) + usd
    return totals
