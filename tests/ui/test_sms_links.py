"""An SMS's short link on a phone (issue 19): a resident without the app hears of a resolved repair by SMS
with `/m/s/{code}`; opening it shows that repair in the app. The local cloud sends the SMS (moto's outbox)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from courtyard.tenancy import Role
from infra.local.cloud import LocalCloud, wait_for
from infra.local.outbox import read_outbox
from infra.seed import DemoData
from tests.ui.console import call
from tests.ui.mobile import Mobile

RESIDENT = "greenfield-resident"
LINK = re.compile(r"/m/s/(\w{10})")


def test_a_repair_sms_link_opens_that_repair_on_the_phone(
    mobile: Mobile, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    web = mobile.web_url
    # The local cloud runs on the wall clock: the resident's own quiet hours (far from now) stand for the
    # firm's SMS quiet hours, which would otherwise hold the SMS till the morning when this runs at night.
    later = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=12)
    quiet = {"start": later.strftime("%H:%M"), "end": (later + timedelta(minutes=1)).strftime("%H:%M")}
    prefs = call(web, "PUT", "/me/notification-preferences", tokens[RESIDENT], {"quiet_hours": quiet})
    assert prefs.status == 200, prefs.text
    filed = call(
        web,
        "POST",
        "/tickets",
        tokens[RESIDENT],
        {"kind": "repair", "category": "plumbing", "description": "卫生间水龙头滴水"},
    )
    assert filed.status == 201, filed.text
    ticket_id = filed.json()["ticket_id"]
    desk = tokens[demo.user("greenfield", Role.SERVICE_DESK).username]
    resolved = call(web, "POST", f"/tickets/{ticket_id}/actions", desk, {"action": "resolve"})
    assert resolved.status == 200, resolved.text

    assert cloud.info is not None
    endpoint = cloud.info.aws_endpoint

    # The resident's text, not the technician's: a technician with no phone registered for push (on a cloud
    # where no earlier story registered one) is texted the same ticket's new job.
    [resident] = [u for u in demo.users if u.username == RESIDENT]
    phone = "+86" + resident.phone.removeprefix("+86")

    def repair_sms() -> str | None:
        found = [
            s.message
            for s in read_outbox(endpoint).sms
            if s.phone_number == phone and f"#{ticket_id[-6:]}" in s.message
        ]
        return found[0] if found else None

    assert wait_for(lambda: repair_sms() is not None, timeout_s=60, interval_s=0.5)
    text = repair_sms() or ""
    assert "回复1确认维修完成" in text
    [code] = LINK.findall(text)

    mobile.sign_in(RESIDENT)
    mobile.open(f"/s/{code}")
    expect(mobile.page).to_have_url(re.compile(f"/m/repairs/{ticket_id}$"), timeout=30_000)
    mobile.shot(screenshots, "sms-link-repair")

    mobile.open("/s/ZZZZZZZZZZ")
    expect(mobile.page.get_by_test_id("short-link-problem")).to_contain_text("这个链接已失效")
    mobile.shot(screenshots, "sms-link-gone")
