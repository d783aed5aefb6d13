"""Short links, the provider's references to the SMS sent, and inbound-SMS claims (the notifications table).

These are the notifications table's only keys without a tenant prefix (DESIGN.md's departures): a short link
is opened from a public URL and a reply arrives from a phone number, neither of which names a firm. Each
item carries its ``tenant_id``, holds ids and a FieldCipher phone token only, and expires (``ttl``).

- short link    pk LINK#{code}, sk LINK: tenant, message, target (kind, id, app path, url), reply keywords,
                the recipient and the phone token the SMS went to
- SMS reference pk SMSREF#{provider message id}, sk SMSREF: the short code of the SMS the provider sent
- inbound claim pk INBOUND#{provider inbound id}, sk INBOUND: a reply acted on once
- voice call    pk VOICECALL#{provider call id}, sk VOICECALL: the ladder a call belongs to and who was
                called, so the provider's call report (a keypress) finds them
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from courtyard.errors import Conflict
from courtyard.table import Table
from notifications.short_links import LinkTarget, ReplyAction

_NEW = "attribute_not_exists(pk)"


@dataclass(frozen=True)
class ShortLink:
    code: str
    tenant_id: str
    message_id: str
    target: LinkTarget
    recipient_kind: str
    person_id: str | None = None
    user_id: str | None = None
    phone_enc: str | None = None
    created_at: str = ""


@dataclass(frozen=True)
class PlacedCall:
    """A voice call the sender placed: what its report acknowledges, and who pressed the key."""

    call_id: str
    out_id: str
    tenant_id: str
    message_id: str
    ladder_key: str  # "ticket:{id}" | "alarm:{id}"
    person_id: str | None = None
    user_id: str | None = None


def _call_key(call_id: str) -> dict[str, str]:
    return {"pk": f"VOICECALL#{call_id}", "sk": "VOICECALL"}


def _link_key(code: str) -> dict[str, str]:
    return {"pk": f"LINK#{code}", "sk": "LINK"}


def _ref_key(provider_id: str) -> dict[str, str]:
    return {"pk": f"SMSREF#{provider_id}", "sk": "SMSREF"}


def _inbound_key(inbound_id: str) -> dict[str, str]:
    return {"pk": f"INBOUND#{inbound_id}", "sk": "INBOUND"}


class LinksRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def save(self, link: ShortLink, ttl: int) -> None:
        """Write the link (a retried delivery writes the same one again: same code, same content)."""
        target = link.target
        item: dict[str, Any] = {
            **_link_key(link.code),
            "entity": "short_link",
            "tenant_id": link.tenant_id,
            "message_id": link.message_id,
            "kind": target.kind,
            "target_id": target.target_id,
            "path": target.path,
            "replies": {key: action.value for key, action in target.replies.items()},
            "recipient_kind": link.recipient_kind,
            "created_at": link.created_at,
            "ttl": ttl,
        }
        for name, value in (
            ("url", target.url),
            ("person_id", link.person_id),
            ("user_id", link.user_id),
            ("phone_enc", link.phone_enc),
        ):
            if value:
                item[name] = value
        self._table.put(item)

    def remember_sms(self, provider_id: str, code: str, ttl: int) -> None:
        self._table.put({**_ref_key(provider_id), "entity": "sms_ref", "code": code, "ttl": ttl})

    def link(self, code: str) -> ShortLink | None:
        item = self._table.get(_link_key(code))
        if not item:
            return None
        replies = {str(k): ReplyAction(str(v)) for k, v in dict(item.get("replies") or {}).items()}
        return ShortLink(
            code=code,
            tenant_id=str(item["tenant_id"]),
            message_id=str(item["message_id"]),
            target=LinkTarget(
                kind=str(item["kind"]),
                target_id=str(item["target_id"]),
                path=str(item["path"]),
                url=str(item["url"]) if item.get("url") else None,
                replies=replies,
            ),
            recipient_kind=str(item["recipient_kind"]),
            person_id=str(item["person_id"]) if item.get("person_id") else None,
            user_id=str(item["user_id"]) if item.get("user_id") else None,
            phone_enc=str(item["phone_enc"]) if item.get("phone_enc") else None,
            created_at=str(item.get("created_at", "")),
        )

    def remember_call(self, call: PlacedCall, ttl: int) -> None:
        item: dict[str, Any] = {
            **_call_key(call.call_id),
            "entity": "voice_call",
            "out_id": call.out_id,
            "tenant_id": call.tenant_id,
            "message_id": call.message_id,
            "ladder_key": call.ladder_key,
            "ttl": ttl,
        }
        for name, value in (("person_id", call.person_id), ("user_id", call.user_id)):
            if value:
                item[name] = value
        self._table.put(item)

    def placed_call(self, call_id: str) -> PlacedCall | None:
        item = self._table.get(_call_key(call_id))
        if not item:
            return None
        return PlacedCall(
            call_id=call_id,
            out_id=str(item.get("out_id", "")),
            tenant_id=str(item["tenant_id"]),
            message_id=str(item["message_id"]),
            ladder_key=str(item["ladder_key"]),
            person_id=str(item["person_id"]) if item.get("person_id") else None,
            user_id=str(item["user_id"]) if item.get("user_id") else None,
        )

    def code_of_sms(self, provider_id: str) -> str | None:
        item = self._table.get(_ref_key(provider_id))
        return str(item["code"]) if item else None

    def claim_inbound(self, inbound_id: str, ttl: int) -> bool:
        """Claim an inbound message; False when it was claimed before (a duplicate delivery)."""
        try:
            self._table.put({**_inbound_key(inbound_id), "entity": "inbound_sms", "ttl": ttl}, condition=_NEW)
        except Conflict:
            return False
        return True

    def release_inbound(self, inbound_id: str) -> None:
        """Undo a claim whose handling failed, so the provider's retry is handled."""
        self._table.client.delete_item(
            TableName=self._table.name, Key={k: {"S": v} for k, v in _inbound_key(inbound_id).items()}
        )
