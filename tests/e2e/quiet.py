"""The local cloud runs on the wall clock, and the firm's SMS quiet hours (template.yaml
``SMS_QUIET_HOURS``, 21:00-08:00 in Shanghai) hold a non-urgent text till the morning for a person who set no
quiet hours of their own. A test that expects a text gives its person quiet hours of their own, one minute
twelve hours from now, so it passes at any hour (what tests/ui/test_sms_links.py does for its resident)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from infra.http import request


def awake_for_texts(api: str, token: str) -> None:
    later = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=12)
    quiet = {"start": later.strftime("%H:%M"), "end": (later + timedelta(minutes=1)).strftime("%H:%M")}
    answer = request("PUT", f"{api}/me/notification-preferences", token=token, body={"quiet_hours": quiet})
    assert answer.status == 200, answer.text
