"""The seeded two-tenant world of the cross-tenant matrix, built on in-process moto from template.yaml.

Tenant A (greenfield) gets at least one object of every kind the API has an id for, each created through the
real API handlers as A's own users, so the records have exactly the shapes production writes. Tenant B
(harbour) keeps only its seeded users: its tokens are the attackers. A second resident of A lives on another
unit: the neighbour who must not see the first resident's things.

Every id is recorded under the path-parameter name schemas/openapi.json uses (ticket_id, bill_id, ...).
"""

from __future__ import annotations

import base64
import importlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from courtyard import aws
from courtyard.api import directory_from_settings
from courtyard.clock import FixedClock, to_iso
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack, provision
from infra.local.template import ApiEvent, Template, load_template
from infra.secure_parameters import read_json
from infra.seed import DEMO_FIRMS, DemoData, seed_stack
from tests.clocks import drive_features
from tests.factories import api_event, lambda_context
from tests.integration.api import Caller, Reply

ROOT = Path(__file__).resolve().parents[2]
# 2026-03-10 10:00 in Shanghai, a Tuesday: inside business hours, the March bills not yet due.
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
_PARAM = re.compile(r"{([^}]+)}")

# Field values only tenant A's objects carry: finding one in any answer to B is a leak.
MARK = "GF-7Q"
SECRETS = {
    "ticket_description": f"{MARK} 厨房水管漏水 kitchen pipe leaks",
    "comment": f"{MARK} technician comes at three",
    "fee_name": f"{MARK} 物业费 property fee",
    "notice_title": f"{MARK} 停水通知",
    "notice_body": f"{MARK} water off on Friday",
    "visitor_name": f"{MARK} 孙先生 Mr Sun",
    "visitor_plate": "浙A7Q3GF",
    "blocked_plate": "浙B9X2GF",
    "device_name": f"{MARK} elevator north",
    "rule_name": f"{MARK} pump pressure",
    "resident_name": f"{MARK} 周女士 Ms Zhou",
    "push_token": f"{MARK}-fcm-token-0123456789",
    "import_filename": "gf7q-rooms.csv",
}


# Tenant A's firm and community names as the seed writes them (B's differ; the people's names do not).
FIRM_A_NAMES = next(tuple(names) for slug, *names in DEMO_FIRMS if slug == "greenfield")


# Path parameters that name no object of a firm's (a calendar month): every firm's answers carry them.
PUBLIC_PARAMS = frozenset({"month"})


@dataclass(frozen=True)
class Route:
    """One wired API operation: its OpenAPI path and method and the handler module that serves it."""

    path: str
    method: str
    module: str
    public: bool

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)


@dataclass
class World:
    stack: Stack
    demo: DemoData
    clock: FixedClock
    routes: dict[tuple[str, str], Route]
    a: dict[str, Caller]  # A's callers by role value
    b: dict[str, Caller]  # B's callers by role value
    neighbour: Caller  # A's second resident, on another unit
    ids: dict[str, list[str]] = field(default_factory=dict)  # A's ids by path-parameter name
    own: dict[str, list[str]] = field(default_factory=dict)  # the first resident's own ids, same naming
    pass_token: str = ""
    b_site_id: str = ""
    baseline: str = ""  # tenant A's items once the world is built: no attempt may change them

    def add(self, name: str, value: str, *, resident: bool = False) -> str:
        self.ids.setdefault(name, []).append(value)
        if resident:
            self.own.setdefault(name, []).append(value)
        return value

    def call(
        self,
        method: str,
        path: str,
        as_: Caller | None,
        params: dict[str, str] | None = None,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One request through the handler template.yaml wires to ``method path`` (a route template)."""
        route = self.routes[(path, method.lower())]
        params = params or {}
        concrete = _PARAM.sub(lambda m: params[m.group(1)], path)
        event = api_event(
            method.upper(),
            concrete,
            resource=path,
            path_parameters=params or None,
            claims=as_.claims() if as_ else None,
            body=body,
            query=query,
            headers=headers,
        )
        raw = _handler(route.module).lambda_handler(event, lambda_context())
        text = raw.get("body")
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        return Reply(raw["statusCode"], parsed, raw)

    def tenant_items(self, tenant_id: str) -> str:
        """Every item of the tenant in the feature tables, as one comparable text (tests only: Scan).

        The audit table is left out on purpose: refused requests are audited, which is a change by design.
        """
        dynamodb: Any = boto3.client("dynamodb")
        prefix = f"T#{tenant_id}#"
        items = []
        for logical_id, table in sorted(self.stack.resources_of_type("AWS::DynamoDB::Table").items()):
            if logical_id in ("AuditTable", "IdempotencyTable"):
                continue
            for page in dynamodb.get_paginator("scan").paginate(TableName=table.ref):
                items += [
                    json.dumps(item, sort_keys=True)
                    for item in page["Items"]
                    if str(item.get("pk", {}).get("S", "")).startswith(prefix)
                ]
        return "\n".join(sorted(items))

    def secrets(self) -> set[str]:
        """Every id and distinctive value of tenant A (never the seeded names: B's seed has the same)."""
        values = {v for name, values in self.ids.items() if name not in PUBLIC_PARAMS for v in values}
        values |= set(SECRETS.values())
        values |= {self.pass_token, "33010619900101123X", *FIRM_A_NAMES}
        for user in self.demo.firm_users("greenfield"):
            values |= {user.phone, user.email, user.username, user.user_id}
        return {v for v in values if v}

    def resident_secrets(self) -> set[str]:
        """What only the first resident's objects carry (neighbours share the site and the tenant)."""
        values = {v for values in self.own.values() for v in values}
        values |= {SECRETS[k] for k in ("ticket_description", "comment", "visitor_name", "visitor_plate")}
        values |= {SECRETS["push_token"], self.pass_token}
        first = self.demo.user("greenfield", Role.RESIDENT)
        values |= {first.phone, first.email, first.username, first.user_id, first.name}
        return {v for v in values if v}


@cache
def _handler(module: str) -> Any:
    return importlib.import_module(module)


def routes_of(template: Template) -> dict[tuple[str, str], Route]:
    """path+method -> handler module, from the ApiEvents of template.yaml (as schemas/generate.py does)."""
    routes: dict[tuple[str, str], Route] = {}
    for function in template.functions():
        module = function.handler.rpartition(".")[0]
        for event in function.events_of(ApiEvent):
            key = (event.path, event.method.lower())
            routes[key] = Route(event.path, event.method.lower(), module, event.auth_none)
    return routes


def _caller(user: Any) -> Caller:
    return Caller(user.tenant_id, user.user_id, (Role(user.role),), user.username)


@contextmanager
def running_world() -> Iterator[World]:
    """Provision, seed and populate the world; everything lives only inside this context."""
    template = load_template(ROOT / "template.yaml")
    sandbox = PaySandbox()
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        aws.reset_clients()
        stack = provision(template)
        # One process plays every function: their environments differ only in names they do not share.
        merged: dict[str, str] = {}
        for function in template.functions():
            merged.update(stack.function_environment(function))
        for name, value in merged.items():
            env.setenv(name, value)
        env.setenv("POWERTOOLS_SERVICE_NAME", "reliability")
        sandbox.start()
        try:
            env.setenv("PAYMENT_SANDBOX_URL", sandbox.url)
            providers = read_json(boto3.client("ssm"), stack.secure_parameter("payments-providers"))
            sandbox.connect(providers["sandbox_secret"], "")
            _create_push_platforms(merged)
            aws.reset_clients()
            directory_from_settings.cache_clear()
            clock = FixedClock(START)
            drive_features(clock)
            demo = seed_stack(stack, boto3.client)
            world = World(
                stack=stack,
                demo=demo,
                clock=clock,
                routes=routes_of(template),
                a={u.role: _caller(u) for u in demo.firm_users("greenfield")},
                b={u.role: _caller(u) for u in demo.firm_users("harbour")},
                neighbour=Caller("", "", ()),
                b_site_id=demo.sites["harbour"],
            )
            populate(world)
            world.baseline = world.tenant_items(demo.tenants["greenfield"])
            yield world
        finally:
            drive_features(None)
            sandbox.stop()
            aws.reset_clients()
            directory_from_settings.cache_clear()


def _create_push_platforms(environment: dict[str, str]) -> None:
    """What an operator does once per account: the push platform applications the endpoints attach to."""
    sns = boto3.client("sns")
    for platform, variable in (("GCM", "PUSH_FCM_APPLICATION_ARN"), ("APNS", "PUSH_APNS_APPLICATION_ARN")):
        name = environment[variable].rsplit("/", 1)[-1]
        sns.create_platform_application(Name=name, Platform=platform, Attributes={})


def _ok(reply: Reply, what: str) -> Any:
    assert reply.status in (200, 201, 202), f"{what}: {reply.status} {reply.body}"
    return reply.body


def populate(w: World) -> None:
    """Tenant A's objects of every kind, created through the API as A's users."""
    demo = w.demo
    manager, resident = w.a["manager"], w.a["resident"]
    site, units = demo.sites["greenfield"], demo.units["greenfield"]
    w.add("tenant_id", demo.tenants["greenfield"])
    w.add("site_id", site)
    w.add("unit_id", units[0], resident=True)
    for unit in units[1:]:
        w.add("unit_id", unit)
    for user in demo.firm_users("greenfield"):
        if user.role == Role.RESIDENT:
            w.add("resident_id", user.person_id, resident=True)
        else:
            w.add("staff_id", user.person_id)

    _directory(w, manager, site, units)
    _tickets(w, resident)
    _payments(w, manager, resident, site, units[0])
    _notifications(w, manager, resident, site)
    _visitors(w, manager, resident, site, units[0])
    _sensors(w, manager, site)
    _export(w, resident)


def _export(w: World, resident: Caller) -> None:
    """The first resident's personal-data export (its parts are the features' consumers': not pumped)."""
    started = _ok(
        w.call("POST", "/me/exports", resident, headers={"Idempotency-Key": "world-export-1"}), "export"
    )
    w.add("export_id", started["export_id"], resident=True)


def _directory(w: World, manager: Caller, site: str, units: list[str]) -> None:
    created = _ok(
        w.call(
            "POST",
            "/residents",
            manager,
            body={
                "name": SECRETS["resident_name"],
                "phone": "13712345678",
                "id_number": "33010619900101123X",
            },
        ),
        "resident",
    )
    w.add("resident_id", created["resident_id"])
    w.add("phone", "13712345678")
    started = _ok(
        w.call(
            "POST",
            "/imports",
            manager,
            body={"site_id": site, "filename": SECRETS["import_filename"], "content_type": "text/csv"},
        ),
        "import",
    )
    w.add("import_id", started["import_id"])
    pending = _ok(
        w.call("POST", "/invites", manager, body={"unit_id": units[2], "relation": "owner"}), "invite"
    )
    w.add("code", pending["code"])
    # The neighbour signs up and accepts an invitation to the second unit, as the app does.
    accepted = _ok(
        w.call("POST", "/invites", manager, body={"unit_id": units[1], "relation": "renter"}), "invite"
    )
    claims = _signed_up(w.stack, "gf-neighbour")
    event = api_event(
        "POST",
        f"/invites/{accepted['code']}/accept",
        resource="/invites/{code}/accept",
        path_parameters={"code": accepted["code"]},
        claims=claims,
        body={},
    )
    raw = _handler("directory.handler").lambda_handler(event, lambda_context())
    assert raw["statusCode"] == 200, raw
    body = json.loads(raw["body"])
    w.add("resident_id", body["resident_id"])
    # A family proxy the desk records for the resident's unit (the parent consented by phone).
    proxy = _ok(
        w.call(
            "POST",
            "/units/{unit_id}/proxies",
            manager,
            {"unit_id": units[0]},
            body={"proxy_name": "张小明", "consent_note": "2026-03-10 电话确认"},
        ),
        "proxy",
    )
    w.add("proxy_id", proxy["proxy_id"])
    # The month of the care list's return-visit calls (a path parameter, not an object of the firm's).
    w.add("month", "2026-03")
    w.neighbour = Caller(w.demo.tenants["greenfield"], claims["sub"], (Role.RESIDENT,), "gf-neighbour")


def _signed_up(stack: Stack, username: str) -> dict[str, str]:
    cognito = boto3.client("cognito-idp")
    response = cognito.admin_create_user(
        UserPoolId=stack.ref("UserPool"),
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "name", "Value": "小周"},
        ],
    )
    attributes = {a["Name"]: a["Value"] for a in response["User"]["Attributes"]}
    return {"sub": attributes["sub"], "cognito:username": username, "token_use": "id"}


def _tickets(w: World, resident: Caller) -> None:
    body = {"kind": "repair", "category": "plumbing", "description": SECRETS["ticket_description"]}
    ticket = _ok(w.call("POST", "/tickets", resident, body=body), "ticket")["ticket_id"]
    w.add("ticket_id", ticket, resident=True)
    started = _ok(
        w.call(
            "POST",
            "/tickets/{ticket_id}/photos",
            resident,
            {"ticket_id": ticket},
            body={"content_type": "image/jpeg"},
        ),
        "photo",
    )
    fields = started["upload"]["fields"]
    boto3.client("s3").put_object(
        Bucket=w.stack.ref("PhotoBucket"),
        Key=fields["key"],
        Body=b"\xff\xd8\xff\xe0" + b"\0" * 64,
        ContentType=fields["Content-Type"],
    )
    photo = started["photo_id"]
    _ok(
        w.call(
            "POST",
            "/tickets/{ticket_id}/photos/{photo_id}/confirm",
            resident,
            {"ticket_id": ticket, "photo_id": photo},
        ),
        "confirm",
    )
    w.add("photo_id", photo, resident=True)
    _ok(
        w.call(
            "POST",
            "/tickets/{ticket_id}/comments",
            resident,
            {"ticket_id": ticket},
            body={"body": SECRETS["comment"]},
        ),
        "comment",
    )


def _payments(w: World, manager: Caller, resident: Caller, site: str, unit: str) -> None:
    fee = _ok(
        w.call(
            "POST",
            "/fee-items",
            manager,
            body={"site_id": site, "name": SECRETS["fee_name"], "kind": "area", "price_minor": 250},
        ),
        "fee",
    )
    w.add("fee_id", fee["fee_id"])
    run = _ok(w.call("POST", "/billing-runs", manager, body={"site_id": site, "period": "2026-03"}), "run")
    w.add("run_id", run["run_id"])
    _pump_billing(w.stack)
    bills = _ok(w.call("GET", "/bills", manager, query={"unit_id": unit}), "bills")["items"]
    assert bills, "the billing run issued no bill for the resident's unit"
    bill = w.add("bill_id", bills[0]["bill_id"], resident=True)
    payment = _ok(
        w.call("POST", "/payments", resident, body={"bill_ids": [bill], "provider": "sandbox"}), "payment"
    )
    w.add("payment_id", payment["payment_id"], resident=True)
    # A bank statement inflow nobody can be matched to: an exception line finance confirms or dismisses.
    statement = "交易日期,贷方金额,对方户名,对方账号,摘要\n2026-03-05,123.45,无名氏,6222000011112222,转账\n"
    upload = {
        "site_id": site,
        "filename": "statement.csv",
        "content_base64": base64.b64encode(statement.encode("utf-8")).decode("ascii"),
    }
    _ok(w.call("POST", "/bank-statements", manager, body=upload), "statement")
    lines = _ok(w.call("GET", "/bank-statements/exceptions", manager, query={"site_id": site}), "lines")[
        "items"
    ]
    assert lines, "the statement's unknown payer is no exception"
    w.add("line_id", lines[0]["line_id"])
    # Money taken at the counter for the resident's unit, and the resident's invoice request for it.
    counter = _ok(
        w.call(
            "POST",
            "/payments/counter",
            manager,
            body={"unit_id": unit, "amount": 100, "channel": "cash"},
            headers={"Idempotency-Key": "world-counter-1"},
        ),
        "counter payment",
    )
    invoice = _ok(
        w.call(
            "POST",
            "/payments/{payment_id}/invoice-requests",
            resident,
            {"payment_id": counter["payment_id"]},
            body={"title_type": "personal", "title": SECRETS["fee_name"]},
        ),
        "invoice request",
    )
    w.add("request_id", invoice["request_id"], resident=True)


def _notifications(w: World, manager: Caller, resident: Caller, site: str) -> None:
    body = {
        "content": {"zh-CN": {"title": SECRETS["notice_title"], "body": SECRETS["notice_body"]}},
        "audience": {"site_id": site, "everyone": True},
        "channels": ["inbox"],
    }
    notice = _ok(w.call("POST", "/notices", manager, body=body), "notice")
    w.add("notice_id", notice["notice_id"])
    _pump_fanout(w.stack)
    inbox = _ok(w.call("GET", "/inbox", resident), "inbox")["items"]
    assert inbox, "the notice reached no inbox"
    w.add("message_id", inbox[0]["message_id"], resident=True)
    endpoint = _ok(
        w.call(
            "POST", "/me/push-endpoints", resident, body={"platform": "fcm", "token": SECRETS["push_token"]}
        ),
        "push endpoint",
    )
    w.add("endpoint_id", endpoint["endpoint_id"], resident=True)


def _pump_fanout(stack: Stack) -> None:
    """Fan-out, then delivery, as Lambda's SQS event sources would run them."""
    from notifications import fanout_handler, sender_handler

    _pump(stack, "NotificationsFanoutQueue", fanout_handler)
    _pump(stack, "NotificationsDeliveryQueue", sender_handler)


def _pump_billing(stack: Stack) -> None:
    """A billing run answers at once; its chunks are billed by the billing queue's worker."""
    from payments import billing_handler

    _pump(stack, "PaymentsBillingQueue", billing_handler)


def _pump(stack: Stack, name: str, handler: Any) -> None:
    sqs = boto3.client("sqs")
    queue = stack.ref(name)
    arn = stack.attr(name, "Arn")
    for _ in range(20):
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            return
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
        result = handler.lambda_handler({"Records": records}, lambda_context())
        assert not result.get("batchItemFailures"), f"{name}: {result}"
        for m in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])


def _visitors(w: World, manager: Caller, resident: Caller, site: str, unit: str) -> None:
    body = {
        "visitor_name": SECRETS["visitor_name"],
        "visitor_phone": "13698765432",
        "visitor_plate": SECRETS["visitor_plate"],
        "entries_allowed": 5,
    }
    issued = _ok(w.call("POST", "/passes", resident, body=body), "pass")
    w.add("pass_id", issued["pass_id"], resident=True)
    w.pass_token = issued["token"]
    scan = {"site_id": site, "gate_id": "north-1", "token": w.pass_token}
    verdict = _ok(w.call("POST", "/gate/scans", w.a["guard"], body=scan), "scan")
    assert verdict["verdict"] == "allow", verdict
    block = _ok(
        w.call(
            "POST",
            "/sites/{site_id}/blocklist",
            manager,
            {"site_id": site},
            body={"kind": "plate", "value": SECRETS["blocked_plate"], "reason": "tailgating"},
        ),
        "block",
    )
    w.add("entry_id", block["entry_id"])


def _sensors(w: World, manager: Caller, site: str) -> None:
    from sensors import ingest_handler

    body = {"site_id": site, "kind": "elevator", "name": SECRETS["device_name"], "building_id": "BLDG-A"}
    device = _ok(w.call("POST", "/devices", manager, body=body), "device")["device"]["device_id"]
    w.add("device_id", device)
    rule = {
        "name": SECRETS["rule_name"],
        "scope": {"site_id": site, "device_kind": "elevator"},
        "condition": {"type": "threshold", "metric": "vibration_mm_s", "op": ">", "value": 9.5},
        "severity": "minor",
    }
    w.add("rule_id", _ok(w.call("POST", "/alarm-rules", manager, body=rule), "rule")["rule_id"])
    # Readings through the ingest handler, as the IoT rule invokes it: the default vibration rule fires.
    for seq in range(1, 25):
        w.clock.advance(1.0)
        message = {
            "ts": to_iso(w.clock.now()),
            "seq": seq,
            "metrics": {"vibration_mm_s": 6.0},
            "tenant_id": w.demo.tenants["greenfield"],
            "site_id": site,
            "device_id": device,
            "received_at": int(w.clock.now().timestamp() * 1000),
        }
        ingest_handler.lambda_handler(message, lambda_context())
    alarms = _ok(w.call("GET", "/alarms", manager), "alarms")["items"]
    assert alarms, "the telemetry raised no alarm"
    w.add("alarm_id", alarms[0]["alarm_id"])
