"""The payments chapter of `make demo`: a manager sets the community's fees and bills the month (twice: the
re-run creates nothing); a resident pays a bill through the sandbox provider's hosted pay step; the signed
webhook settles it; the bill is paid, the ledger shows it, PaymentSucceeded reached the bus (the notifications
feature turns it into a receipt); the day's reconciliation matches."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from courtyard.tenancy import Role
from infra.local.cloud import wait_for

if TYPE_CHECKING:
    from infra.demo import Story
    from infra.seed import DemoData


def chapter(story: Story, demo: DemoData) -> None:
    print(
        "\n== Payments: fee items, a billing run, a resident pays through the sandbox, ledger, reconciliation"
    )
    manager = story.token(demo.user("greenfield", Role.MANAGER).username)
    resident = story.token(demo.user("greenfield", Role.RESIDENT).username)
    site_id, unit_id = demo.sites["greenfield"], demo.units["greenfield"][0]
    period = datetime.now(UTC).strftime("%Y-%m")

    for body in (
        {
            "name": "物业费 Property fee",
            "kind": "area",
            "price_minor": 280,
            "due_day": 28,
            "late_fee": {"kind": "daily", "value": 5, "grace_days": 5, "cap_minor": 10000},
        },
        {"name": "垃圾清运 Waste removal", "kind": "fixed", "price_minor": 1500, "due_day": 28},
    ):
        created = story.call("POST", "/fee-items", manager, body={"site_id": site_id, **body})
        story.check(created.status == 201, f"fee item created: {created.text}")
        print(f"   201 fee item {body['name']}: {body['kind']} {body['price_minor']} fen")

    first = story.call("POST", "/billing-runs", manager, body={"site_id": site_id, "period": period})
    story.check(first.status == 202, f"billing run accepted: {first.text}")
    run = _finished(story, manager, first.json()["run_id"])
    again = story.call("POST", "/billing-runs", manager, body={"site_id": site_id, "period": period})
    story.check(again.status == 202, f"billing re-run accepted: {again.text}")
    rerun = _finished(story, manager, again.json()["run_id"])
    print(
        f"   202 billing run {period}: {run['bills_created']} bills for {run['units']} units; "
        f"the re-run: {rerun['bills_created']} new, {rerun['bills_existing']} existing"
    )
    story.check(
        run["bills_created"] == run["units"] and rerun["bills_created"] == 0, "a re-run creates nothing"
    )

    bills = story.call("GET", "/bills", resident).json()["items"]
    story.check([b["unit_id"] for b in bills] == [unit_id], "the resident sees only their own unit's bill")
    bill = bills[0]
    print(
        f"   resident's bill {bill['bill_id']}: {bill['amount_due'] / 100:.2f} {bill['currency']}, "
        f"due {bill['due_date']}"
    )

    queue_url = _watch_bus(story)
    checkout = story.call(
        "POST",
        "/payments",
        resident,
        body={"bill_ids": [bill["bill_id"]], "provider": "sandbox"},
        headers={"Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    story.check(checkout.status == 201, f"checkout: {checkout.text}")
    payment = checkout.json()
    pay_url = payment["next_action"]["url"]
    print(f"   201 payment {payment['payment_id']}: {payment['status']}, pay at {pay_url}")
    with urllib.request.urlopen(
        pay_url, timeout=10
    ) as page:  # the hosted pay page, as the app's webview shows it
        story.check("Courtyard sandbox pay" in page.read().decode(), "the hosted pay page shows")
    paid = _post_json(pay_url, {"outcome": "succeed"})
    print(f"   the resident pays; the sandbox's signed webhook answered {paid['deliveries']}")
    story.check(paid["deliveries"] == [200], "the webhook was accepted")

    settled = story.call("GET", f"/payments/{payment['payment_id']}", resident).json()
    story.check(settled["status"] == "succeeded", f"payment settled: {settled}")
    status = story.call("GET", f"/bills/{bill['bill_id']}", resident).json()["status"]
    story.check(status == "paid", "the bill is paid")
    ledger = story.call("GET", f"/units/{unit_id}/ledger", resident).json()
    print(
        f"   bill {status}; ledger: {[(e['kind'], e['amount']) for e in ledger['entries']]}, "
        f"balance {ledger['balance']}"
    )
    story.check(
        ledger["balance"] == 0 and ledger["entries"][0]["kind"] == "payment", "the ledger shows the payment"
    )

    event = _received(story, queue_url)
    story.check(
        event is not None and event["detail"]["payment_id"] == payment["payment_id"],
        "PaymentSucceeded on the bus",
    )
    print("   PaymentSucceeded reached the bus (the receipt notification's trigger)")

    day = datetime.now(UTC).date().isoformat()
    story.cloud.invoke("PaymentsJobsFunction", {"job": "reconciliation", "date": day})
    report = story.call("GET", f"/reconciliations/{day}", manager).json()
    print(f"   reconciliation {day}: {report['counts']}, balanced={report['balanced']}")
    story.check(report["balanced"] and report["counts"]["matched"] >= 1, "reconciliation matches")


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read().decode())
        return answer


def _watch_bus(story: Story) -> str:
    """A queue subscribed to PaymentSucceeded on the bus, standing in for the notifications feature."""
    assert story.cloud.stack is not None
    sqs, events = story.cloud.client("sqs"), story.cloud.client("events")
    queue_url = str(sqs.create_queue(QueueName=f"demo-payments-{uuid.uuid4().hex[:8]}")["QueueUrl"])
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus = story.cloud.stack.ref("EventBus")
    rule = f"demo-payment-succeeded-{uuid.uuid4().hex[:8]}"
    events.put_rule(
        Name=rule,
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["courtyard.payments"], "detail-type": ["PaymentSucceeded"]}),
    )
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "demo", "Arn": queue_arn}])
    return queue_url


def _finished(story: Story, token: str, run_id: str) -> dict[str, Any]:
    """A billing run answers at once; the billing queue bills it: poll its progress until it ends."""
    latest: dict[str, Any] = {}

    def ended() -> bool:
        latest.update(story.call("GET", f"/billing-runs/{run_id}", token).json())
        return latest.get("status") in ("completed", "failed")

    wait_for(ended, timeout_s=60, interval_s=0.2)
    story.check(latest.get("status") == "completed", f"billing run {run_id} completed: {latest}")
    return latest


def _received(story: Story, queue_url: str) -> dict[str, Any] | None:
    sqs = story.cloud.client("sqs")
    found: list[dict[str, Any]] = []

    def poll() -> bool:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            found.append(json.loads(message["Body"]))
        return bool(found)

    wait_for(poll, timeout_s=10)
    return found[0] if found else None
