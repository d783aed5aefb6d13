"""The notifications' part of a person's export (issue 17): ``PersonalDataExportRequested`` on the bus ->
the notifications' event rule and queue -> ``notifications.events_handler`` ->
``exports/{tenant}/{id}/notifications.json`` on moto. Their inbox messages, preferences and devices (the
push address masked, no token); a neighbour's inbox is not theirs; a redelivery rewrites the same object;
another firm's request finds nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.conftest import Arranged
from tests.integration.exports import export_request, stored_part
from tests.integration.notifications.conftest import Caller, Community, People, Pump, Reply
from tests.integration.notifications.test_events import inbox, publish

Call = Callable[..., Reply]
TOKEN = "fcm-token-of-li-0123456789abcdef"


@pytest.fixture
def world(arranged: Arranged, seed: Callable[..., Community], people: People) -> Community:
    def build() -> Community:
        community = seed()
        people.resident(community, "li", "a101", phone="13900000011")
        people.resident(community, "ma", "b201", phone="13900000013")
        people.staff(community, "manager", Role.MANAGER)
        return community

    return arranged(build)


def noticed(call: Call, pump: Pump, world: Community) -> None:
    body = {
        "content": {"zh-CN": {"title": "停水通知", "body": "周五停水"}},
        "audience": {"site_id": world.site_id, "everyone": True},
        "channels": ["inbox"],
    }
    sent = call("POST", "/notices", as_=world.people["manager"], body=body)
    assert sent.status in (201, 202), sent.body
    pump()
    assert inbox(call, world.people["li"])


def registered(call: Call, who: Caller) -> None:
    added = call("POST", "/me/push-endpoints", as_=who, body={"platform": "fcm", "token": TOKEN})
    assert added.status in (200, 201), added.body
    prefs = call(
        "PUT",
        "/me/notification-preferences",
        as_=who,
        body={"language": "zh-CN", "quiet_hours": {"start": "22:00", "end": "07:00"}, "categories": {}},
    )
    assert prefs.status == 200, prefs.body


def test_the_part_holds_the_inbox_preferences_and_masked_devices(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    noticed(call, pump, world)
    registered(call, world.people["li"])
    asked = export_request(world, "li")

    publish(stack, asked)
    pump()

    part = stored_part(stack, asked, "notifications")
    assert part is not None
    [message] = part["data"]["messages"]
    assert message["title"] == "停水通知"
    assert part["data"]["preferences"]["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    [device] = part["data"]["push_endpoints"]
    assert device["platform"] == "fcm"
    assert device["address"].startswith("••••••")
    text = json.dumps(part, ensure_ascii=False)
    assert TOKEN not in text
    assert "arn:" not in text
    assert world.people["ma"].user_id not in text


def test_a_redelivery_rewrites_the_same_part_and_another_firms_request_finds_nothing(
    call: Call, pump: Pump, world: Community, stack: Stack, seed: Callable[..., Community]
) -> None:
    noticed(call, pump, world)
    asked = export_request(world, "li")
    publish(stack, asked)
    pump()
    first = stored_part(stack, asked, "notifications")
    publish(stack, asked)
    pump()
    assert stored_part(stack, asked, "notifications") == first

    forged = export_request(world, "li", tenant_id=seed("Harbour").tenant_id)
    publish(stack, forged)
    pump()
    part = stored_part(stack, forged, "notifications")
    assert part is not None
    assert part["data"] == {"messages": [], "preferences": None, "push_endpoints": [], "wechat": None}


def test_the_events_function_may_write_only_its_own_part(template: Any) -> None:
    statements = [
        s
        for policy in template.resources["NotificationsEventsFunction"]["Properties"]["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for s in policy["Statement"]
    ]
    [export] = [s for s in statements if s["Sid"] == "WriteNotificationsExportPart"]
    assert export["Action"] == ["s3:PutObject"]
    assert json.dumps(export["Resource"]).endswith('/exports/*/*/notifications.json"}')
