"""Short links and reply keywords of an SMS (pure): what a text message carries instead of a long token.

An SMS names the page it is about by a short link, ``{app}/s/{code}`` (the mobile app's resolver page asks
``GET /links/{code}`` where to go: the bill, the repair, the pass). The code is derived from the tenant and
the message id, so a retried delivery names the same link; 10 characters of a 32-letter alphabet (50 bits)
are not worth guessing, and the link leads to a page that still asks the owner to sign in (a visitor's pass
link excepted: it is the pass, as the long link was).

A message that can be answered lists its keywords ("回复1确认维修完成，回复2仍未修好"); the reply is matched
to it by the provider's reference to the last message sent to that number, or by the code written in the
reply, and to the person by the number on record (``notifications.services.replies``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from notifications.domain import DeliveryJob, Locale

CODE_LENGTH = 10
# Crockford-like: no 0/O, 1/I/L, so a code read aloud or retyped survives.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZa"
_TRANSLATE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())
CODE_PATTERN = re.compile(r"^[2-9A-HJKMNP-Za]{10}$")
# A code written in a reply, among other words: the same letters, whole.
_CODE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[2-9A-HJKMNP-Za]{10}(?![0-9A-Za-z])")


class ReplyAction(StrEnum):
    CONFIRM = "confirm"  # the repair is done: close the ticket
    REOPEN = "reopen"  # still broken: reopen it
    ACKNOWLEDGE = "acknowledge"  # an SOS call-back or an alarm: "I am fine / I saw it"
    CALL_ME = "call_me"  # ask the service desk to call


@dataclass(frozen=True)
class LinkTarget:
    """Where a short link leads: a page of the mobile app (``path``) or, for a visitor, the pass itself."""

    kind: str  # bill | ticket | pass | visitor_pass | alarm | notice | payment
    target_id: str
    path: str
    url: str | None = None
    replies: dict[str, ReplyAction] = field(default_factory=dict)


def link_code(tenant_id: str, message_id: str) -> str:
    """The message's code: the same for every delivery attempt of that message, unique in practice."""
    digest = hashlib.sha256(f"short-link|{tenant_id}|{message_id}".encode()).digest()
    return base64.b32encode(digest).decode().translate(_TRANSLATE)[:CODE_LENGTH]


def codes_in(text: str) -> list[str]:
    return _CODE_IN_TEXT.findall(text)


def target_of(job: DeliveryJob) -> LinkTarget | None:
    """The page an SMS of this job links to, with the keywords a reply may use; None: no link."""
    data = job.data
    template = job.content.template
    if "ticket_id" in data:
        ticket_id = data["ticket_id"]
        replies: dict[str, ReplyAction] = {}
        if template == "ticket_status_changed" and job.content.params.get("to_status") == "resolved":
            replies = {"1": ReplyAction.CONFIRM, "2": ReplyAction.REOPEN, "3": ReplyAction.CALL_ME}
        elif template == "sos_family":
            replies = {"3": ReplyAction.CALL_ME}
        return LinkTarget("ticket", ticket_id, f"/repairs/{ticket_id}", replies=replies)
    if "bill_id" in data:
        return LinkTarget(
            "bill", data["bill_id"], f"/bills?bill={data['bill_id']}", replies={"3": ReplyAction.CALL_ME}
        )
    if "payment_id" in data:
        return LinkTarget("payment", data["payment_id"], f"/bills/receipt/{data['payment_id']}")
    if "pass_id" in data:
        if job.recipient.kind == "visitor":
            url = job.content.params.get("share_url") or None
            return LinkTarget("visitor_pass", data["pass_id"], "/v", url=url)
        return LinkTarget("pass", data["pass_id"], f"/visitors/{data['pass_id']}")
    if "alarm_id" in data:
        return LinkTarget("alarm", data["alarm_id"], "/messages", replies={"1": ReplyAction.ACKNOWLEDGE})
    if "notice_id" in data:
        return LinkTarget("notice", data["notice_id"], "/messages")
    return None


_REPLY_WORDS: dict[Locale, dict[ReplyAction, str]] = {
    Locale.ZH_CN: {
        ReplyAction.CONFIRM: "确认维修完成",
        ReplyAction.REOPEN: "仍未修好",
        ReplyAction.ACKNOWLEDGE: "确认收到",
        ReplyAction.CALL_ME: "请物业来电",
    },
    Locale.EN: {
        ReplyAction.CONFIRM: "to confirm the repair is done",
        ReplyAction.REOPEN: "if it is still not fixed",
        ReplyAction.ACKNOWLEDGE: "to acknowledge",
        ReplyAction.CALL_ME: "to have the desk call you",
    },
}


def sms_suffix(link: str, replies: dict[str, ReplyAction], locale: Locale) -> str:
    """What an SMS adds after the message: the short link, then the reply keywords."""
    words = _REPLY_WORDS.get(locale, _REPLY_WORDS[Locale.EN])
    if locale is Locale.ZH_CN:
        parts = [f"详情：{link}"]
        if replies:
            parts.append("，".join(f"回复{key}{words[action]}" for key, action in replies.items()))
        return " ".join(parts)
    parts = [f"Details: {link}"]
    if replies:
        parts.append("; ".join(f"reply {key} {words[action]}" for key, action in replies.items()))
    return " ".join(parts)


def keyword_of(body: str) -> str | None:
    """The keyword of a reply: its first digit when the reply is that digit alone, among spaces, a code
    or punctuation ("1", " 1。", "1 ABCDEFGH23"); None for anything else (it goes to the desk)."""
    stripped = _CODE_IN_TEXT.sub(" ", body)
    stripped = re.sub(r"[\s\u3000.,，。!！?？:：;；、]+", "", stripped)
    normalised = stripped.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return normalised if re.fullmatch(r"\d", normalised) else None
