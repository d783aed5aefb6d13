"""`make demo`, export chapter: a resident downloads everything Courtyard holds about them (「导出我的数据」).

The resident asks once (``POST /me/exports`` with an Idempotency-Key); the directory writes its part and every
feature writes its own from ``PersonalDataExportRequested`` through its queue; the parts tick off, then the
merged JSON and ZIP come behind five-minute links. The phone page's state (``GET /me/phone``): the number on
record, masked, and no refused change.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from courtyard.tenancy import Role

if TYPE_CHECKING:
    from infra.demo import Story
    from infra.seed import DemoData

WAIT_S = 60.0


def chapter(story: Story, demo: DemoData) -> None:
    print("\n== 导出我的数据: a resident downloads everything the platform holds about them")
    resident = story.token(demo.user("greenfield", Role.RESIDENT).username)
    key = {"Idempotency-Key": f"demo-export-{uuid.uuid4().hex[:12]}"}
    started = story.call("POST", "/me/exports", resident, headers=key)
    story.check(started.status in (200, 201, 202), f"the export starts: {started.text}")
    export = started.json() or {}
    export_id = export["export_id"]
    deadline = time.monotonic() + WAIT_S
    while export.get("status") == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        export = story.call("GET", f"/me/exports/{export_id}", resident).json() or {}
    parts = ", ".join(f"{p['feature']} {'✓' if p['done'] else '…'}" for p in export.get("parts", []))
    print(f"   POST /me/exports -> export {export_id}; parts: {parts}")
    story.check(export.get("status") == "ready", f"every feature wrote its part: {export}")
    links = export.get("downloads") or {}
    print(f"   ready: export.json and export.zip behind links valid until {links.get('expires_at')}")
    phone = story.call("GET", "/me/phone", resident)
    story.check(phone.status == 200, f"the phone page's state: {phone.text}")
    print(f"   GET /me/phone -> {phone.json()} (a new number another account signs in with is put back)")
