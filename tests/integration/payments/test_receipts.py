"""Receipts on moto: a counter cash payment's PDF (firm, unit, items, capitals, channel, number, clerk, local
date) stored once in S3 and handed out by a presigned link to finance and the unit's residents, 404 to
others and to other firms; an online payment draws its own receipt number; no receipt before money."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from payments.capital_numerals import in_capitals
from pypdf import PdfReader

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, run

Call = Callable[..., Reply]
# 2026-04-20 23:30 UTC is already 04-21 07:30 in Shanghai: the receipt shows the firm's date.
LATE_EVENING_UTC = datetime(2026, 4, 20, 23, 30, tzinfo=UTC)


def _pdf_text(stack: Stack, tenant_id: str, payment_id: str) -> str:
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=stack.ref("ReceiptBucket"), Key=f"receipts/{tenant_id}/{payment_id}.pdf")
    reader = PdfReader(io.BytesIO(body["Body"].read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _versions(stack: Stack, tenant_id: str, payment_id: str) -> int:
    listed = boto3.client("s3").list_object_versions(
        Bucket=stack.ref("ReceiptBucket"), Prefix=f"receipts/{tenant_id}/{payment_id}.pdf"
    )
    return len(listed.get("Versions", []))


@pytest.fixture
def cash_payment(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    clock: FixedClock,
) -> tuple[Community, Caller, dict[str, Any]]:
    community, wang = manager
    fee(call, wang, community.site_id)  # 2.50 per m² per month: a101's March bill is 223.75
    run(call, wang, community.site_id)
    [bill] = bills_of(call, wang, unit_id=community.units["a101"])
    clock.set(LATE_EVENING_UTC)
    desk = staff(community, "李前台", Role.SERVICE_DESK)
    paid = call(
        "POST",
        "/payments/counter",
        as_=desk,
        body={
            "unit_id": community.units["a101"],
            "bill_ids": [bill["bill_id"]],
            "amount": 30000,
            "channel": "cash",
        },
        headers={"Idempotency-Key": "counter-receipt-1"},
    )
    assert paid.status == 201, paid.body
    return community, desk, paid.body


def test_a_counter_cash_receipt_says_who_what_and_how_much_in_capitals(
    call: Call, cash_payment: tuple[Community, Caller, dict[str, Any]], stack: Stack
):
    community, desk, payment = cash_payment

    reply = call("GET", f"/payments/{payment['payment_id']}/receipt", as_=desk)

    assert reply.status == 200, reply.body
    assert reply.body["receipt_no"] == payment["receipt_no"] == "R2026-000001"
    assert reply.body["filename"] == "receipt-R2026-000001.pdf"
    assert "X-Amz-Signature=" in reply.body["url"]
    assert "Expires=300" in reply.body["url"] or "X-Amz-Expires=300" in reply.body["url"]
    text = _pdf_text(stack, community.tenant_id, payment["payment_id"])
    assert "Greenfield" in text  # the firm
    assert "A101" in text  # the unit
    assert "R2026-000001" in text
    assert in_capitals(30000) in text  # 叁佰元整
    assert "300.00" in text
    assert "223.75" in text
    assert "76.25" in text
    assert "物业费 Property fee" in text
    assert "预存款 Credit" in text
    assert "现金 Cash" in text
    assert "李前台" in text  # who took the money
    assert "2026-04-21 07:30" in text  # the firm's local time, not UTC's 04-20


def test_the_receipt_is_stored_once_and_answers_the_same_number_every_time(
    call: Call,
    cash_payment: tuple[Community, Caller, dict[str, Any]],
    stack: Stack,
    staff: Callable[..., Caller],
):
    community, desk, payment = cash_payment
    finance = staff(community, "Zhao", Role.FINANCE)

    first = call("GET", f"/payments/{payment['payment_id']}/receipt", as_=desk)
    second = call("GET", f"/payments/{payment['payment_id']}/receipt", as_=finance)
    third = call("GET", f"/payments/{payment['payment_id']}/receipt", as_=desk)

    assert {r.status for r in (first, second, third)} == {200}
    assert first.body["receipt_no"] == second.body["receipt_no"] == third.body["receipt_no"]
    assert _versions(stack, community.tenant_id, payment["payment_id"]) == 1


def test_the_units_residents_may_download_it_and_nobody_else(
    call: Call,
    cash_payment: tuple[Community, Caller, dict[str, Any]],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    seed: Callable[..., Community],
):
    community, _, payment = cash_payment
    owner = residents(community, "Chen", "a101")
    neighbour = residents(community, "Liu", "a102")
    technician = staff(community, "Sun", Role.TECHNICIAN)
    elsewhere = seed("Harbour")
    foreign_finance = staff(elsewhere, "Qian", Role.FINANCE)
    path = f"/payments/{payment['payment_id']}/receipt"

    assert call("GET", path, as_=owner).status == 200
    assert call("GET", path, as_=neighbour).status == 404
    assert call("GET", path, as_=technician).status == 404
    assert call("GET", path, as_=foreign_finance).status == 404
    assert call("GET", "/payments/01JNOSUCHPAYMENT0000000000/receipt", as_=owner).status == 404


def test_an_online_payment_gets_the_next_receipt_number_once_paid_and_none_before(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    stack: Stack,
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)
    opened = call(
        "POST",
        "/payments",
        as_=chen,
        body={"bill_ids": [bill["bill_id"]], "provider": "sandbox"},
        headers={"Idempotency-Key": "receipt-online-1"},
    )
    assert opened.status == 201, opened.body
    path = f"/payments/{opened.body['payment_id']}/receipt"

    before = call("GET", path, as_=chen)
    deliver(sandbox.pay(opened.body["next_action"]["url"].rsplit("/", 1)[1], hold=True)["event_id"])
    after = call("GET", path, as_=chen)

    assert before.status == 409, before.body
    assert after.status == 200, after.body
    assert after.body["receipt_no"] == "R2026-000001"
    text = _pdf_text(stack, community.tenant_id, opened.body["payment_id"])
    assert "测试支付 Sandbox" in text
    assert in_capitals(22375) in text  # 贰佰贰拾叁元柒角伍分
    assert "收款人" not in text  # nobody at a counter took it
