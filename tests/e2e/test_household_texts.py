"""A household hears of its bill once (issue 18), on the local cloud: a unit's BillIssued on the bus goes
through the notifications' event rule, intake and sender to every member's inbox, and texts the owner alone
when nobody of the household has the app; when one member has the app (a registered device), nobody is
texted."""

from __future__ import annotations

import json
import uuid
from typing import Any

from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.local.outbox import read_outbox
from infra.seed import DemoData, DemoUser, Household, add_household, add_member, sign_in
from tests.e2e.quiet import awake_for_texts


def _token(cloud: LocalCloud, user: DemoUser) -> str:
    assert cloud.info is not None
    client = cloud.client("cognito-idp")
    return sign_in(client, cloud.info.user_pool_id, cloud.info.user_pool_client_id, user.username)


def _bills_in_inbox(api: str, token: str) -> int:
    response = request("GET", f"{api}/inbox", token=token)
    assert response.status == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return sum(1 for m in items if "物业账单" in m["body"])


def _texts(cloud: LocalCloud, user: DemoUser) -> int:
    assert cloud.info is not None
    phone = "+86" + user.phone.removeprefix("+86")
    return sum(1 for s in read_outbox(cloud.info.aws_endpoint).sms if s.phone_number == phone)


def _bill(cloud: LocalCloud, demo: DemoData, household: Household) -> None:
    assert cloud.stack is not None
    detail = {
        "tenant_id": demo.tenants["greenfield"],
        "bill_id": f"BILL{uuid.uuid4().hex[:8].upper()}",
        "site_id": demo.sites["greenfield"],
        "unit_id": household.unit_id,
        "period": "2026-03",
        "amount_due": 12_345,
        "currency": "CNY",
        "due_date": "2026-03-31",
    }
    entry = {
        "EventBusName": cloud.stack.ref("EventBus"),
        "Source": "courtyard.payments",
        "DetailType": "BillIssued",
        "Detail": json.dumps(detail),
    }
    assert cloud.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_a_households_bill_texts_the_owner_alone_and_nobody_when_a_member_has_the_app(
    cloud: LocalCloud, api: str, demo: DemoData
) -> None:
    assert cloud.stack is not None
    homes = []
    for _ in range(2):
        code = f"6{uuid.uuid4().int % 1000:03d}"
        household = add_household(cloud.stack, cloud.client, demo, "greenfield", code)
        homes.append((household, add_member(cloud.stack, cloud.client, demo, "greenfield", household, code)))
    (quiet, quiet_member), (app, app_member) = homes
    device = request(
        "POST",
        f"{api}/me/push-endpoints",
        token=_token(cloud, app_member),
        body={"platform": "fcm", "token": f"e2e-{uuid.uuid4().hex}"},
    )
    assert device.status == 201, device.text
    people = [quiet.owner, quiet_member, app.owner, app_member]
    tokens = [_token(cloud, person) for person in people]
    for token in tokens:
        awake_for_texts(api, token)
    for household, _member in homes:
        _bill(cloud, demo, household)

    assert wait_for(lambda: all(_bills_in_inbox(api, token) == 1 for token in tokens), 60)
    assert wait_for(lambda: _texts(cloud, quiet.owner) == 1, 30)
    assert [_texts(cloud, person) for person in people] == [1, 0, 0, 0]
