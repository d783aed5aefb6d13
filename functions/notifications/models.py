"""Notifications API models: requests, the stored notice and its statistics, responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from courtyard.clock import to_iso
from courtyard.models import Model
from courtyard.tenancy import Role
from notifications.domain import Category, Channel, DeliveryStatus, Locale, NoticeStatus, Priority, Text
from notifications.preferences import CategoryPreferences, Preferences, QuietHours

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
TITLE_MAX = 120
BODY_MAX = 4000
MAX_TARGETS = 500
STAFF_AUDIENCE_ROLES = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD)


class _Request(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TextIn(_Request):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)


class Audience(_Request):
    """Who a notice reaches, within one community: the union of the selectors given.

    ``everyone``: every resident of the community; ``building_ids``/``unit_ids``: the residents of those;
    ``roles``: staff holding one of the roles and serving the community; ``resident_ids``: named residents.
    """

    site_id: Id
    everyone: bool = False
    building_ids: list[Id] = Field(default_factory=list, max_length=MAX_TARGETS)
    unit_ids: list[Id] = Field(default_factory=list, max_length=MAX_TARGETS)
    roles: list[Literal["manager", "service_desk", "technician", "finance", "guard"]] = Field(
        default_factory=list
    )
    resident_ids: list[Id] = Field(default_factory=list, max_length=MAX_TARGETS)

    @model_validator(mode="after")
    def _something(self) -> Audience:
        if not (self.everyone or self.building_ids or self.unit_ids or self.roles or self.resident_ids):
            raise ValueError("name an audience: everyone, building_ids, unit_ids, roles or resident_ids")
        return self


class NoticeCreate(_Request):
    content: dict[Locale, TextIn] = Field(min_length=1, description="title and body per locale")
    audience: Audience
    channels: list[Channel] = Field(default_factory=lambda: [Channel.INBOX, Channel.PUSH], min_length=1)
    priority: Priority = Priority.NORMAL
    send_at: datetime | None = Field(default=None, description="UTC ISO-8601; absent: send now")
    marketing: bool = Field(
        default=False,
        description="a marketing notice (offers, events for sale): never sent by SMS, never urgent",
    )

    @field_validator("send_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("send_at needs a timezone (use Z)")
        return value

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[Channel]) -> list[Channel]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _marketing_not_by_sms(self) -> NoticeCreate:
        if Channel.VOICE in self.channels:
            raise ValueError("a notice is not sent by voice call: phone calls are for emergencies")
        if self.marketing and Channel.SMS in self.channels:
            raise ValueError("a marketing notice is not sent by SMS: remove sms from channels")
        if self.marketing and self.priority is Priority.URGENT:
            raise ValueError("a marketing notice cannot be urgent")
        return self


class PreferencesIn(_Request):
    language: Locale | None = None
    quiet_hours: QuietHours | None = None
    categories: dict[Category, CategoryPreferences] = Field(default_factory=dict)

    def to_domain(self) -> Preferences:
        return Preferences(language=self.language, quiet_hours=self.quiet_hours, categories=self.categories)


class PushEndpointIn(_Request):
    platform: Literal["fcm", "apns"]
    token: str = Field(min_length=8, max_length=4096, description="the device token the OS gave the app")


# ------------------------------------------------------------------ domain


@dataclass(frozen=True)
class Notice:
    tenant_id: str
    notice_id: str
    status: NoticeStatus
    content: dict[str, Text]
    audience: dict[str, Any]
    channels: tuple[Channel, ...]
    priority: Priority
    send_at: str
    created_at: str
    created_by: str
    sending_at: str | None = None
    sent_at: str | None = None
    cancelled_at: str | None = None
    recipients: int | None = None
    marketing: bool = False


@dataclass(frozen=True)
class NoticeStats:
    recipients: int = 0
    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    held: int = 0
    read: int = 0
    reached: int = 0
    reached_90_at: str | None = None


@dataclass(frozen=True)
class InboxEntry:
    message_id: str
    title: str
    body: str
    category: Category
    priority: Priority
    created_at: str
    read_at: str | None
    notice_id: str | None
    data: dict[str, str]


@dataclass(frozen=True)
class PushEndpoint:
    endpoint_id: str
    platform: str
    endpoint_arn: str
    created_at: str


# ------------------------------------------------------------------ responses


class AudienceCountOut(Model):
    """Who a notice with this audience would reach if it were sent now (nothing is sent)."""

    recipients: int = Field(description="distinct people: residents and staff, each once")
    residents: int
    staff: int


class StatisticsOut(Model):
    recipients: int
    sent: dict[str, int]
    failed: dict[str, int]
    held: int
    read: int
    reached: int = Field(description="recipients reached on any channel (sent to a device, or read)")
    reached_90_percent_at: str | None
    time_to_90_percent_seconds: float | None


class NoticeOut(Model):
    notice_id: str
    status: NoticeStatus
    content: dict[str, Text]
    audience: dict[str, Any]
    channels: list[Channel]
    priority: Priority
    send_at: str
    created_at: str
    created_by: str
    sending_at: str | None
    sent_at: str | None
    cancelled_at: str | None
    statistics: StatisticsOut | None = None
    marketing: bool = False

    @classmethod
    def from_domain(cls, notice: Notice, stats: StatisticsOut | None = None) -> NoticeOut:
        return cls(
            notice_id=notice.notice_id,
            status=notice.status,
            content=notice.content,
            audience=notice.audience,
            channels=list(notice.channels),
            priority=notice.priority,
            send_at=notice.send_at,
            created_at=notice.created_at,
            created_by=notice.created_by,
            sending_at=notice.sending_at,
            sent_at=notice.sent_at,
            cancelled_at=notice.cancelled_at,
            statistics=stats,
            marketing=notice.marketing,
        )


class NoticePageOut(Model):
    items: list[NoticeOut]
    next_cursor: str | None


class InboxMessageOut(Model):
    message_id: str
    title: str
    body: str
    category: Category
    priority: Priority
    created_at: str
    read_at: str | None
    notice_id: str | None
    data: dict[str, str]

    @classmethod
    def from_domain(cls, entry: InboxEntry) -> InboxMessageOut:
        return cls(**entry.__dict__)


class InboxPageOut(Model):
    items: list[InboxMessageOut]
    next_cursor: str | None


class UnreadOut(Model):
    unread: int


class PreferencesOut(Model):
    language: Locale
    quiet_hours: QuietHours | None
    categories: dict[Category, CategoryPreferences] = Field(
        description="every category with the switches in force: the saved ones, else the category's default"
    )
    wechat_linked: bool = Field(
        default=False, description="the person's WeChat is linked, so the wechat switches can carry a message"
    )


class PushEndpointOut(Model):
    endpoint_id: str
    platform: str
    created_at: str

    @classmethod
    def from_domain(cls, endpoint: PushEndpoint) -> PushEndpointOut:
        return cls(
            endpoint_id=endpoint.endpoint_id, platform=endpoint.platform, created_at=endpoint.created_at
        )


class LinkOut(Model):
    """Where an SMS's short link leads: a page of the mobile app (``path``, under ``/m``) or, for a
    visitor's pass, the pass link itself (``url``)."""

    kind: str = Field(examples=["ticket"], description="bill | ticket | pass | visitor_pass | alarm | notice")
    target_id: str
    path: str = Field(examples=["/repairs/01J..."])
    url: str | None = None


class VoiceAckOut(Model):
    """What one call report did: reports read, ladders acknowledged (a keypress of 1), reports ignored."""

    reports: int
    acknowledged: int
    ignored: int


class DeliveryRecord(Model):
    """One delivery record (recipient x channel), as the repository stores it."""

    channel: Channel
    status: DeliveryStatus
    reason: str | None = None
    attempts: int = 0
    updated_at: str | None = None


def iso(value: datetime) -> str:
    return to_iso(value)
