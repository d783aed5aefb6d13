"""The counter chapter of `make demo`: finance takes half of a resident's bill in cash at the counter (the
rest stays due), the payment answers its receipt number, and the receipt PDF (firm, unit, items, amount in
yuan and in Chinese capitals, channel, receipt number, who took the money, the firm's local date) is
downloaded through its short-lived link and kept in the local cloud's state folder (.local/receipts/) to
open."""

from __future__ import annotations

import io
import urllib.request
import uuid
from typing import TYPE_CHECKING

from payments.capital_numerals import in_capitals

from courtyard.tenancy import Role

if TYPE_CHECKING:
    from infra.demo import Story
    from infra.seed import DemoData


def chapter(story: Story, demo: DemoData) -> None:
    print("\n== The counter: half a bill in cash, and its PDF receipt")
    finance = story.token(demo.user("greenfield", Role.FINANCE).username)
    resident = story.token(demo.user("greenfield", Role.RESIDENT).username)
    unit_id = demo.units["greenfield"][1]
    open_bills = story.call("GET", f"/bills?unit_id={unit_id}&status=issued", finance).json()["items"]
    story.check(bool(open_bills), "the unit has a bill to pay at the counter")
    bill = open_bills[0]
    half = bill["amount_payable"] // 2
    paid = story.call(
        "POST",
        "/payments/counter",
        finance,
        body={"unit_id": unit_id, "bill_ids": [bill["bill_id"]], "amount": half, "channel": "cash"},
        headers={"Idempotency-Key": f"counter-{uuid.uuid4()}"},
    )
    story.check(paid.status == 201, f"counter cash payment: {paid.text}")
    payment = paid.json()
    left = story.call("GET", f"/bills/{bill['bill_id']}", finance).json()
    print(
        f"   201 cash {half / 100:.2f} of {bill['amount_payable'] / 100:.2f} CNY, "
        f"receipt {payment['receipt_no']}; the bill stays {left['status']} "
        f"with {left['amount_due'] / 100:.2f} due"
    )
    story.check(left["status"] == "issued" and left["amount_due"] > 0, "half a bill leaves the rest due")

    receipt = story.call("GET", f"/payments/{payment['payment_id']}/receipt", finance)
    story.check(receipt.status == 200, f"finance gets the receipt: {receipt.text}")
    link = receipt.json()
    # The demo resident lives in another unit: a neighbour's receipt is as missing as an unknown one.
    neighbour = story.call("GET", f"/payments/{payment['payment_id']}/receipt", resident)
    story.check(neighbour.status == 404, f"a neighbour gets 404: {neighbour.status}")
    with urllib.request.urlopen(link["url"], timeout=30) as answer:
        pdf = answer.read()
    story.check(pdf.startswith(b"%PDF"), "the receipt link answers a PDF")
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    story.check(in_capitals(half) in text, "the receipt says the amount in capitals")
    story.check(payment["receipt_no"] in text, "the receipt carries its number")
    kept = story.cloud.state_dir / "receipts" / link["filename"]
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(pdf)
    print(f"   receipt {link['receipt_no']} ({len(pdf):,} bytes): {in_capitals(half)}")
    print(f"   open it: {kept}")
    print(f"   (or within 5 minutes: {link['url'][:80]}...)")
