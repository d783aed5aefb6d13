"""The notifications' part of a person's export (``PersonalDataExportRequested``, issue 17): their inbox
messages, their notification preferences, the devices registered for push and their linked WeChat. The rule
(pure): a message as they received it (title, body, category, priority, when, whether read); a device by its
platform and when it was added, its push address masked to its last characters (the address is a delivery
credential, and the token's digest is not the person's data); the WeChat's openid masked the same way;
preferences as they set them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from courtyard.personal_export import PartWriter
from schemas.events import PersonalDataExportRequested

MESSAGE_FIELDS = ("message_id", "notice_id", "title", "body", "category", "priority", "created_at", "read_at")
SHOWN_TAIL = 6


class PersonItems(Protocol):
    def inbox_items(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]: ...
    def settings_items(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]: ...


def masked_address(address: str) -> str:
    """``arn:...:endpoint/GCM/app/1234abcd`` -> ``••••••34abcd``: enough to tell two devices apart."""
    return "•" * 6 + address[-SHOWN_TAIL:] if address else ""


def message_record(item: Mapping[str, Any]) -> dict[str, Any]:
    return {f: item.get(f) for f in MESSAGE_FIELDS if f in item}


def settings_record(items: list[dict[str, Any]]) -> dict[str, Any]:
    prefs = next((i for i in items if i.get("sk") == "PREFS"), None)
    devices = [
        {
            "endpoint_id": i.get("endpoint_id"),
            "platform": i.get("platform"),
            "created_at": i.get("created_at"),
            "address": masked_address(str(i.get("endpoint_arn") or "")),
        }
        for i in items
        if str(i.get("sk", "")).startswith("PUSH#")
    ]
    preferences = json.loads(str(prefs["preferences"])) if prefs and prefs.get("preferences") else None
    link = next((i for i in items if i.get("sk") == "WECHAT"), None)
    # The linked WeChat (issue 18), its openid masked like a device's address: a delivery credential too.
    wechat = (
        {"openid": masked_address(str(link.get("openid") or "")), "linked_at": link.get("linked_at")}
        if link
        else None
    )
    return {"preferences": preferences, "push_endpoints": devices, "wechat": wechat}


class NotificationsExport:
    def __init__(self, items: PersonItems, part: PartWriter) -> None:
        self._items = items
        self._part = part

    def write(self, asked: PersonalDataExportRequested, now: datetime) -> int:
        """Write the notifications' part; how many messages it holds (none without a login)."""
        t, user_id = asked.tenant_id, asked.user_id
        messages = (
            [
                message_record(i)
                for i in self._items.inbox_items(t, user_id)
                if str(i.get("sk", "")).startswith("MSG#")
            ]
            if user_id
            else []
        )
        settings = settings_record(self._items.settings_items(t, user_id)) if user_id else settings_record([])
        messages.sort(key=lambda m: str(m.get("created_at") or ""))
        self._part.write(t, asked.export_id, now, {"messages": messages, **settings})
        return len(messages)
