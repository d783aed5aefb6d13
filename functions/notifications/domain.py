"""The notifications vocabulary and the delivery job: one recipient's message as it travels through SQS.

A job is self-contained (content or template, recipient, channels asked for), so the sender needs no
lookup of the notice or event that produced it. Its ``message_id`` is derived from the source and the
recipient, so a duplicate event, a retried fan-out or a redelivered job always names the same message:
the first writer claims it, everyone else resumes or skips it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field
from ulid import ULID

from courtyard.models import Model

# How long a notice to send now may wait before the scheduled job re-sends the fan-out command.
SAFETY_NET = timedelta(minutes=2)


class Channel(StrEnum):
    INBOX = "inbox"
    PUSH = "push"
    SMS = "sms"
    EMAIL = "email"
    # A text-to-speech phone call (issue 19): the emergency ladder's last step and care-list emergencies
    # only; notices never call (``NoticeCreate`` refuses it).
    VOICE = "voice"
    # A WeChat service-account template message to the resident's openid (issue 18): free, where an SMS
    # costs money; it stands in for push when no device is registered (``preferences.plan``).
    WECHAT = "wechat"


EXTERNAL_CHANNELS = (Channel.PUSH, Channel.SMS, Channel.EMAIL, Channel.VOICE, Channel.WECHAT)


class Category(StrEnum):
    NOTICE = "notice"
    TICKET = "ticket"
    BILLING = "billing"
    VISITOR = "visitor"
    ALARM = "alarm"


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    HELD = "held"  # quiet hours: sent when they end
    SENT = "sent"
    FAILED = "failed"
    READ = "read"  # inbox only
    SKIPPED = "skipped"  # not attempted: opted out, no device, no phone, no email


class NoticeStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class Text(Model):
    model_config = ConfigDict(frozen=True)

    title: str
    body: str


class Recipient(Model):
    """Who gets the message: a directory person, a bare login (no directory record) or a visitor."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["resident", "staff", "user", "visitor"]
    person_id: str | None = None
    user_id: str | None = None
    # Visitors are no directory person: their FieldCipher phone token and name travel with the job.
    phone_enc: str | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        """Stable identity of the recipient within the tenant (dedupe of audiences and message ids)."""
        if self.kind in ("resident", "staff"):
            return f"{self.kind}:{self.person_id}"
        if self.kind == "user":
            return f"user:{self.user_id}"
        return f"visitor:{self.person_id}"


class Content(Model):
    """Either literal locale variants (a notice) or a template and its parameters (an event)."""

    model_config = ConfigDict(frozen=True)

    variants: dict[str, Text] = Field(default_factory=dict)
    template: str | None = None
    params: dict[str, str] = Field(default_factory=dict)


class Household(Model):
    """A unit's money message to one of its people (``notifications.household_once``): whether this person
    is the household's texter and, on the texter's job alone, who else of the household hears of it."""

    model_config = ConfigDict(frozen=True)

    unit_id: str
    texter: bool = False
    others: tuple[Recipient, ...] = ()


class DeliveryJob(Model):
    """One SQS message of the delivery queue."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    message_id: str
    source: str  # "notice:{id}" or "event:{DetailType}:{event_id}"
    notice_id: str | None = None
    recipient: Recipient
    category: Category
    priority: Priority
    channels: tuple[Channel, ...]
    content: Content
    created_at: str
    # Deep-link data for the app (ticket_id, bill_id ...): ids only, never personal data.
    data: dict[str, str] = Field(default_factory=dict)
    # Set when the scheduler releases a message held by quiet hours: the hold is over, send now.
    released: bool = False
    # A marketing notice: never by SMS (issue 19), whatever the channels asked.
    marketing: bool = False
    # A unit's bill or arrears message: at most one text for the household (issue 18).
    household: Household | None = None


class VoiceCall(Model):
    """One text-to-speech call as the telephony adapter places it: the provider's approved template is
    filled with ``params``; ``text`` is what the callee hears (kept for the record); ``out_id`` comes back
    in the provider's call report."""

    model_config = ConfigDict(frozen=True)

    params: dict[str, str]
    text: str
    out_id: str = Field(min_length=1, max_length=15)  # Aliyun's OutId: at most 15 bytes
    play_times: int = Field(default=2, ge=1, le=3)


def message_id(source: str, recipient_key: str, at: datetime) -> str:
    """A ULID whose time part is ``at`` and whose random part is a digest of (source, recipient).

    Deterministic, so retries and duplicate events name the same message; still sortable by time like
    every other id.
    """
    millis = int(at.timestamp() * 1000)
    digest = hashlib.sha256(f"{source}|{recipient_key}".encode()).digest()
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + digest[:10]))


class SendFailed(Exception):
    """A channel could not deliver. ``permanent``: retrying cannot help (bad address, rejected, disabled)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
