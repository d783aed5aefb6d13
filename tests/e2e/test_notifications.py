"""Notifications on the local cloud over HTTP: a notice to one building goes through the fan-out and
delivery queues to the residents' inboxes and phones (the platform applications and the sender identity are
the local cloud's operator setup), an alarm on the bus reaches the on-duty guard, and
`python -m infra.local outbox` lists what moto captured."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from typing import Any

from courtyard.tenancy import Role
from infra.http import request
from infra.local.__main__ import main as local_main
from infra.local.cloud import LocalCloud, wait_for
from infra.local.outbox import read_outbox
from infra.seed import DemoData, add_household, sign_in
from tests.e2e.quiet import awake_for_texts


def _get(api: str, path: str, token: str) -> Any:
    response = request("GET", f"{api}{path}", token=token)
    assert response.status == 200, response.text
    return response.json()


def test_a_notice_to_a_building_reaches_its_residents_and_the_outbox_lists_the_push(
    cloud: LocalCloud, api: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    assert cloud.stack is not None
    assert cloud.info is not None
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    other_manager = tokens[demo.user("harbour", Role.MANAGER).username]
    # A building of the test's own with its one household: the demo's building has whoever the stories (and
    # other tests on the session's cloud) added to it, so its count of recipients is not this test's to know.
    household = add_household(
        cloud.stack, cloud.client, demo, "greenfield", f"9{uuid.uuid4().int % 1000:03d}"
    )
    cognito = cloud.client("cognito-idp")
    resident = sign_in(
        cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, household.owner.username
    )
    token = f"e2e-{uuid.uuid4().hex}"
    device = request(
        "POST", f"{api}/me/push-endpoints", token=resident, body={"platform": "fcm", "token": token}
    )
    assert device.status == 201, device.text
    site_id = demo.sites["greenfield"]
    building_id = household.building_id
    assert building_id in [
        b["building_id"] for b in _get(api, f"/sites/{site_id}/buildings", manager)["items"]
    ]
    title = f"E2E 停水 {uuid.uuid4().hex[:6]}"
    body = {
        "content": {"zh-CN": {"title": title, "body": "明天停水"}},
        "audience": {"site_id": site_id, "building_ids": [building_id]},
        "channels": ["inbox", "push"],
    }
    created = request("POST", f"{api}/notices", token=manager, body=body)
    assert created.status == 201, created.text
    notice_id = created.json()["notice_id"]

    assert wait_for(lambda: _get(api, f"/notices/{notice_id}", manager)["status"] == "sent", 20)
    assert wait_for(lambda: any(m["title"] == title for m in _get(api, "/inbox", resident)["items"]), 20)
    assert wait_for(lambda: any(p.title == title for p in read_outbox(cloud.info.aws_endpoint).pushes), 20)
    stats = _get(api, f"/notices/{notice_id}", manager)["statistics"]
    assert (stats["recipients"], stats["sent"]["inbox"], stats["sent"]["push"]) == (1, 1, 1)
    assert request("GET", f"{api}/notices/{notice_id}", token=other_manager).status == 404
    assert request("POST", f"{api}/notices", token=resident, body=body).status == 403

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert local_main(["--state-dir", str(cloud.state_dir), "outbox"]) == 0
    assert title in printed.getvalue()


def test_an_alarm_on_the_bus_reaches_the_on_duty_guard(
    cloud: LocalCloud, api: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    assert cloud.stack is not None
    guard = tokens[demo.user("greenfield", Role.GUARD).username]
    alarm = {
        "tenant_id": demo.tenants["greenfield"],
        "event_id": uuid.uuid4().hex,
        "occurred_at": "2026-03-10T02:00:00.000Z",
        "alarm_id": f"ALM-{uuid.uuid4().hex[:8]}",
        "rule_id": "R-SMOKE",
        "rule_name": "E2E smoke",
        "device_id": "SMOKE-E2E",
        "device_kind": "smoke",
        "site_id": demo.sites["greenfield"],
        "severity": "critical",
        "kind": "smoke",
        "notify_roles": ["guard"],
    }
    cloud.client("events").put_events(
        Entries=[
            {
                "EventBusName": cloud.stack.ref("EventBus"),
                "Source": "courtyard.sensors",
                "DetailType": "AlarmRaised",
                "Detail": json.dumps(alarm),
            }
        ]
    )
    assert wait_for(
        lambda: any(m["title"] == "告警：E2E smoke" for m in _get(api, "/inbox", guard)["items"]), 20
    )


def linked(cloud: LocalCloud, tenant_id: str, user_id: str) -> bool:
    from notifications import keys

    assert cloud.stack is not None
    key = {k: {"S": v} for k, v in keys.wechat_link(tenant_id, user_id).items()}
    found = cloud.client("dynamodb").get_item(TableName=cloud.stack.ref("NotificationsTable"), Key=key)
    return "Item" in found


def test_a_repair_update_reaches_a_wechat_resident_by_wechat_and_no_sms(
    cloud: LocalCloud, api: str, demo: DemoData
) -> None:
    """Issue 18 on the local cloud: identity's ResidentWeChatLinked on the bus, then the repair's "please
    confirm" goes to WeChat's persona through the sandbox (the sender's real adapter, the provisioned service
    account) and no text goes to the resident's phone."""
    assert cloud.stack is not None
    assert cloud.info is not None
    household = add_household(
        cloud.stack, cloud.client, demo, "greenfield", f"8{uuid.uuid4().int % 1000:03d}"
    )
    owner = household.owner
    resident = sign_in(
        cloud.client("cognito-idp"), cloud.info.user_pool_id, cloud.info.user_pool_client_id, owner.username
    )
    me = _get(api, "/me", resident)
    openid = cloud.pay_sandbox.wechat_login.openid(f"e2e-{me['user_id']}")
    ticket_id = f"TICKET{uuid.uuid4().hex[:6].upper()}"
    events = [
        (
            "courtyard.identity",
            "ResidentWeChatLinked",
            {
                "tenant_id": me["tenant_id"],
                "resident_id": me["person"]["person_id"],
                "user_id": me["user_id"],
                "openid": openid,
            },
        ),
        (
            "courtyard.tickets",
            "TicketStatusChanged",
            {
                "tenant_id": me["tenant_id"],
                "ticket_id": ticket_id,
                "site_id": demo.sites["greenfield"],
                "action": "resolve",
                "from_status": "in_progress",
                "to_status": "resolved",
                "by": "u-tech",
                "reporter_user_id": me["user_id"],
                "unit_id": household.unit_id,
            },
        ),
    ]
    for source, detail_type, detail in events:
        put = cloud.client("events").put_events(
            Entries=[
                {
                    "EventBusName": cloud.stack.ref("EventBus"),
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                }
            ]
        )
        assert put["FailedEntryCount"] == 0
        if detail_type == "ResidentWeChatLinked":  # kept before the update is sent
            assert wait_for(lambda: linked(cloud, me["tenant_id"], me["user_id"]), 30)

    def sent() -> list[Any]:
        return [m for m in cloud.pay_sandbox.wechat_messages.sent() if m.openid == openid]

    assert wait_for(lambda: bool(sent()), 30)
    [message] = sent()
    assert message.url.endswith(f"/repairs/{ticket_id}")
    assert "报修" in message.values["thing1"]
    assert any(m["title"] == "报修进度更新" for m in _get(api, "/inbox", resident)["items"])
    assert owner.phone
    phone = "+86" + owner.phone.removeprefix("+86")
    assert not [s for s in read_outbox(cloud.info.aws_endpoint).sms if s.phone_number == phone]
    # The control: a neighbour without WeChat (and no app push) gets the same step by SMS.
    neighbour = add_household(
        cloud.stack, cloud.client, demo, "greenfield", f"7{uuid.uuid4().int % 1000:03d}"
    )
    other = sign_in(
        cloud.client("cognito-idp"),
        cloud.info.user_pool_id,
        cloud.info.user_pool_client_id,
        neighbour.owner.username,
    )
    awake_for_texts(api, other)
    update = {
        **events[1][2],
        "ticket_id": ticket_id + "N",
        "reporter_user_id": _get(api, "/me", other)["user_id"],
    }
    update["unit_id"] = neighbour.unit_id
    cloud.client("events").put_events(
        Entries=[
            {
                "EventBusName": cloud.stack.ref("EventBus"),
                "Source": "courtyard.tickets",
                "DetailType": "TicketStatusChanged",
                "Detail": json.dumps(update),
            }
        ]
    )
    texted = "+86" + neighbour.owner.phone.removeprefix("+86")
    assert wait_for(
        lambda: any(s.phone_number == texted for s in read_outbox(cloud.info.aws_endpoint).sms), 30
    )
