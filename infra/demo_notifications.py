"""Demo chapter: notifications. A notice to one building of Greenfield's community (push to a registered
phone, SMS to the others), its statistics once the sender has run, a resident's inbox and read receipt,
and the messages the earlier chapters' events produced (the repair's assignment and status changes).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from courtyard.tenancy import Role
from infra.local.cloud import wait_for
from infra.local.outbox import read_outbox

if TYPE_CHECKING:
    from infra.demo import Story
    from infra.seed import DemoData


def chapter(story: Story, demo: DemoData) -> None:
    print("\n== Notifications: a notice to one building, its statistics, the inbox, earlier steps' messages")
    manager = story.token(demo.user("greenfield", Role.MANAGER).username)
    resident_user = demo.user("greenfield", Role.RESIDENT)
    resident = story.token(resident_user.username)
    site_id = demo.sites["greenfield"]

    device = story.call(
        "POST", "/me/push-endpoints", resident, body={"platform": "fcm", "token": f"demo-{uuid.uuid4().hex}"}
    )
    story.check(device.status == 201, f"the resident's phone registers for push: {device.text}")
    print(f"   201 the resident's phone registered for push (endpoint {device.json()['endpoint_id']})")

    buildings = story.call("GET", f"/sites/{site_id}/buildings", manager)
    story.check(buildings.status == 200 and buildings.json()["items"], f"buildings listed: {buildings.text}")
    building = buildings.json()["items"][0]
    refused = story.call("POST", "/notices", resident, body=_notice(site_id, building["building_id"]))
    story.check(refused.status == 403, "a resident cannot send a notice")
    created = story.call(
        "POST",
        "/notices",
        manager,
        body=_notice(site_id, building["building_id"]),
        headers={"Idempotency-Key": f"notice-{uuid.uuid4()}"},
    )
    story.check(created.status == 201, f"notice created: {created.text}")
    notice_id = created.json()["notice_id"]
    name = building.get("name", building["building_id"])
    print(f"   201 notice {notice_id} to building {name} (the resident trying the same: 403)")

    def statistics() -> dict[str, Any]:
        body: dict[str, Any] = story.call("GET", f"/notices/{notice_id}", manager).json()
        return body

    story.check(
        wait_for(
            lambda: statistics()["status"] == "sent" and statistics()["statistics"]["sent"]["push"] >= 1, 20
        ),
        "the fan-out and the sender ran",
    )
    stats = statistics()["statistics"]
    print(
        f"   statistics: {stats['recipients']} recipient(s); sent {_counts(stats['sent'])}; "
        f"failed {_counts(stats['failed'])}; reached {stats['reached']}"
    )

    inbox = story.call("GET", "/inbox", resident).json()["items"]
    unread = story.call("GET", "/inbox/unread-count", resident).json()["unread"]
    print(f"   the resident's inbox ({unread} unread):")
    for message in inbox[:6]:
        print(f"     - [{message['category']}] {message['title']}: {message['body'][:60]}")
    story.check(any(m.get("notice_id") == notice_id for m in inbox), "the notice is in the resident's inbox")
    story.check(
        any(m["category"] == "ticket" for m in inbox),
        "the repair's status changes reached the reporter's inbox",
    )
    notice_message = next(m for m in inbox if m.get("notice_id") == notice_id)
    read = story.call("POST", f"/inbox/{notice_message['message_id']}/read", resident)
    story.check(read.status == 200, f"read receipt: {read.text}")
    after = statistics()["statistics"]
    story.check(after["read"] == 1, "the read receipt counts in the notice's statistics")
    ninety = after["time_to_90_percent_seconds"]
    print(f"   read receipt: read {after['read']}; 90% of recipients reached in {ninety} s")

    technician = story.token(demo.user("greenfield", Role.TECHNICIAN).username)
    tech_inbox = story.call("GET", "/inbox", technician).json()["items"]
    story.check(
        any(m["category"] == "ticket" for m in tech_inbox), "the technician was told of the assignment"
    )
    print(f"   the technician's inbox: {', '.join(m['title'] for m in tech_inbox[:3])}")

    outbox = read_outbox(story.info.aws_endpoint)
    print(
        f"   `python -m infra.local outbox`: {len(outbox.pushes)} push(es), {len(outbox.sms)} SMS, "
        f"{len(outbox.emails)} email(s) captured by moto, e.g.:"
    )
    for line in [p for p in outbox.lines() if p.startswith("  ")][:4]:
        print(f"   {line}")
    story.check(any("停水" in p.title for p in outbox.pushes), "the notice went out as a push")


def _notice(site_id: str, building_id: str) -> dict[str, Any]:
    return {
        "content": {
            "zh-CN": {"title": "停水通知", "body": "明天 9:00-12:00 本楼停水检修，请提前储水。"},
            "en": {"title": "Water outage", "body": "Water is off tomorrow 9:00-12:00 for repairs."},
        },
        "audience": {"site_id": site_id, "building_ids": [building_id]},
        "channels": ["inbox", "push"],
        "priority": "urgent",
    }


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "-"
