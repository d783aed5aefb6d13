"""The domain events features exchange on the bus: one model per detail type, the contract of producers and
consumers alike (DESIGN.md: models live in ``schemas/``; ``make schemas`` writes ``schemas/events/*.json``).

A producer builds the model and publishes it; a consumer parses the EventBridge envelope's ``detail`` with the
same model. Consumers tolerate fields they do not know (``extra="ignore"``), so a producer may add an optional
field without breaking anyone; removing or renaming one is a breaking change.

Personal data stays off the bus except where a consumer cannot work without it, and then only as a
``FieldCipher`` token bound to the tenant (``*_enc``): the notifications feature decrypts the visitor's phone
to text them the pass link, nobody else can read it from the event, and it never reaches a log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from courtyard.events import DomainEvent
from courtyard.models import Model

Id = Annotated[str, Field(min_length=1, max_length=64)]
Currency = Annotated[str, Field(pattern="^[A-Z]{3}$")]
Minor = Annotated[int, Field(description="integer minor units (fen, cents)")]
IsoTime = Annotated[str, Field(description="UTC ISO-8601 with Z")]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class Event(DomainEvent):
    """Base of the shared contracts: frozen like every domain event, tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


# ------------------------------------------------------------------ tickets (source courtyard.tickets)


class TicketCreated(Event):
    ticket_id: Id
    site_id: Id
    unit_id: Id | None
    kind: str  # repair | complaint | sos
    category: str
    priority: str
    respond_by: IsoTime
    resolve_by: IsoTime
    assisted: bool
    reporter_user_id: str | None = None  # None for tickets the system opened (alarms)
    device_id: str | None = None  # the device of an alarm's work order (the sensors' device ledger)
    alarm_id: str | None = None


class TicketAssigned(Event):
    ticket_id: Id
    site_id: Id
    priority: str
    assignee_staff_id: Id
    assignee_user_id: str | None
    by: str  # a user id, or "system" for automatic dispatch


class TicketStatusChanged(Event):
    ticket_id: Id
    site_id: Id
    action: str
    from_status: str
    to_status: str
    by: str
    reporter_user_id: str | None = None
    device_id: str | None = None
    unit_id: str | None = None  # the reporter's unit: messages name it ("3栋2单元501室")


class TicketSlaBreached(Event):
    ticket_id: Id
    site_id: Id
    priority: str
    target: str  # response | resolution
    due_at: IsoTime
    assignee_staff_id: str | None


class TicketEscalated(Event):
    """Nobody took the work order up in time: it goes to a role (the community's managers) once."""

    ticket_id: Id
    site_id: Id
    priority: str
    to_role: str
    reason: str = Field(max_length=200)
    assignee_staff_id: str | None


# ------------------------------------------------------------------ payments (source courtyard.payments)


class BillIssued(Event):
    bill_id: Id
    site_id: Id
    unit_id: Id
    period: str = Field(pattern=r"^\d{4}-(\d{2}|Q[1-4])$|^\d{4}$", description="2026-03, 2026-Q1 or 2026")
    amount_due: Minor
    currency: Currency
    due_date: IsoDate


class PaymentSucceeded(Event):
    payment_id: Id
    provider: str  # stripe | sandbox | (wechat | alipay later)
    payer_user_id: str | None
    site_id: Id
    unit_ids: list[Id]
    bill_ids: list[Id]
    amount: Minor
    currency: Currency
    paid_at: IsoTime


class PaymentFailed(Event):
    payment_id: Id
    provider: str
    payer_user_id: str | None
    bill_ids: list[Id]
    amount: Minor
    currency: Currency
    reason: str = Field(max_length=200)


class PaymentRefunded(Event):
    payment_id: Id
    refund_id: Id
    provider: str
    payer_user_id: str | None
    amount: Minor
    currency: Currency


class PaymentOverdue(Event):
    """One step of the arrears ladder for one bill (at most once per bill and step)."""

    bill_id: Id
    site_id: Id
    unit_id: Id
    period: str
    step: str = Field(max_length=40, description="the ladder step, e.g. due_soon, overdue_3, formal_notice")
    days_overdue: int  # negative before the due date
    formal: bool  # the formal notice (催缴函) step
    amount_due: Minor
    currency: Currency
    due_date: IsoDate


# ------------------------------------------------------------------ visitors (source courtyard.visitors)


class PassIssued(Event):
    pass_id: Id
    site_id: Id
    unit_id: Id | None
    host_user_id: str
    visitor_name: str = Field(max_length=100)
    visitor_phone_enc: str | None = None  # FieldCipher token (tenant-bound); None if no phone was given
    share_url: str
    valid_from: IsoTime
    valid_until: IsoTime
    entries_allowed: int


class PassRevoked(Event):
    pass_id: Id
    site_id: Id
    host_user_id: str
    by: str


class VisitorArrived(Event):
    pass_id: Id
    site_id: Id
    unit_id: Id | None
    host_user_id: str
    visitor_name: str = Field(max_length=100)
    gate_id: str | None
    entry_number: int  # 1 for the first entry
    arrived_at: IsoTime
    offline: bool = False  # reported later by a gate that verified the pass offline


# ------------------------------------------------------------------ sensors (source courtyard.sensors)


class AlarmAction(Model):
    """The work order an alarm opens (tickets consumes it); absent when the rule only notifies."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    category: str
    priority: str


class AlarmRaised(Event):
    """An alarm became active, or re-triggered while active (``repeat``: count and last time moved)."""

    alarm_id: Id
    rule_id: Id
    rule_name: str = Field(max_length=120)
    device_id: Id
    device_kind: str
    # How people call the device and where it is ("2号楼电梯", "2号楼1单元"): messages name it so.
    device_name: str | None = Field(default=None, max_length=120)
    device_location: str | None = Field(default=None, max_length=200)
    site_id: Id
    building_id: str | None = None
    unit_id: str | None = None
    severity: Literal["critical", "major", "minor", "warning"]
    kind: str = Field(max_length=64, description="what happened: threshold, event name or offline")
    metric: str | None = None
    value: float | str | None = None
    threshold: float | None = None
    count: int = 1
    repeat: bool = False
    action: AlarmAction | None = None
    notify_roles: list[str] = Field(default_factory=list)
    notify_residents: bool = False  # the building's residents (fire, smoke)


class AlarmAcknowledged(Event):
    """Someone on the staff acknowledged an active alarm (``POST /alarms/{id}/ack``): the emergency ladder
    stops and the response time is measured to this moment."""

    alarm_id: Id
    device_id: Id
    site_id: Id
    severity: str
    kind: str
    acknowledged_by: str
    raised_at: IsoTime | None = None


class AlarmCleared(Event):
    alarm_id: Id
    rule_id: Id
    device_id: Id
    site_id: Id
    building_id: str | None = None
    severity: str
    kind: str
    cleared_by: str  # "system" or the user who cleared it by hand


# ------------------------------------------------------------------ directory (source courtyard.directory)


class ResidentMovedOut(Event):
    """A resident's link to a unit ended (move-out, sale, end of a lease, or they left it themselves).

    Consumers withdraw what the link gave: visitors revokes the live passes the resident hosts for the unit.
    ``user_id`` is the resident's sign-in (passes are indexed by their host's user), None without an account.
    """

    resident_id: Id
    unit_id: Id
    site_id: Id
    user_id: str | None = None
    reason: Literal["move_out", "sale", "lease_end", "other"]
    by: str  # the user who ended the link (the desk, or the resident themself)


class ResidentErased(Event):
    """A resident's personal data was erased (PIPL). Every feature removes what it holds about them in its
    own consumer; ``user_id`` is the login they had (None if they never signed in)."""

    resident_id: Id
    user_id: str | None = None


class ResidentPhoneChanged(Event):
    """The desk changed a resident's phone number. Identity makes the new number the account's sign-in (the
    old one signs nobody in). The bus carries the number's sign-in digest (``BlindIndex.sign_in_phone``, keyed
    with the deployment's blind-index secret), never the number; ``user_id`` is the resident's login."""

    resident_id: Id
    user_id: str
    sign_in_phone_digest: str = Field(pattern=r"^[0-9a-f]{40}$")


# ------------------------------------------------------------------ identity (source courtyard.identity)


class ResidentWeChatLinked(Event):
    """A resident's Courtyard account proved a WeChat user (a link, a first WeChat sign-in's phone proof, or a
    WeChat sign-in) while bound to a firm's resident (issue 18). ``openid`` is the person's id at the firm's
    WeChat service account: notifications keeps it to send WeChat messages ahead of SMS and deletes it with
    the person (``ResidentErased``). It travels in the clear, unlike a phone number: an app-scoped pseudonym
    that only the service account's own secret can message, and identity holds no key to seal it."""

    resident_id: Id
    user_id: str = Field(min_length=1, max_length=128)
    openid: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class ResidentPhoneChangeRefused(Event):
    """Identity could not make a resident's new number their sign-in: another account already signs in with
    it (one number, one account). The directory puts the previous number back and tells the resident next to
    the phone field, so the directory and identity give one answer. Carries the refused number's sign-in
    digest (as ``ResidentPhoneChanged`` did), never the number."""

    resident_id: Id
    user_id: str
    sign_in_phone_digest: str = Field(pattern=r"^[0-9a-f]{40}$")


class ExportedLink(Model):
    """One of the person's unit links, current (``until`` None) or ended, as the directory held it when the
    export was asked for: each feature exports what the person saw through the unit while linked."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    unit_id: Id
    site_id: str = ""
    since: str = ""
    until: str | None = None


class PersonalDataExportRequested(Event):
    """A resident asked for a copy of everything Courtyard holds about them (PIPL art. 45). Every feature
    writes its part to the export bucket under ``exports/{tenant_id}/{export_id}/{feature}.json``
    (``courtyard.personal_export``); the directory merges the parts once all are there. ``user_id`` is the
    person's login (None if they never signed in), ``links`` their units with start and end."""

    export_id: Id
    resident_id: Id
    user_id: str | None = None
    links: tuple[ExportedLink, ...] = ()


# ------------------------------------------------------------------ notifications


class NoticePublished(Event):
    notice_id: Id
    priority: str
    recipients: int


class SmsReplyReceived(Event):
    """A person answered an SMS by keyword ("回复1确认维修完成"), matched to the message by its short code and
    to the person by the number on record; the feature of the subject acts on it (tickets close or reopen)."""

    reply_id: str = Field(max_length=128, description="the SMS provider's id of the inbound message")
    message_id: Id
    subject: str = Field(max_length=32, description="ticket | alarm | bill | pass | ...")
    subject_id: Id
    action: Literal["confirm", "reopen", "acknowledge", "call_me"]
    person_kind: str  # resident | staff
    person_id: str | None = None
    user_id: str | None = None  # the person's login, when they have one


class EmergencyAcknowledged(Event):
    """A staff member acknowledged an emergency outside the app: on the ladder's voice call they pressed 1
    (``channel = voice``), and the ladder stopped with this first acknowledgment. The subject's feature acts
    on it as if that person had acknowledged in the app: tickets accept the ticket (接单) through its own
    rules, sensors acknowledge the alarm (active only). Published once per ladder, from its first
    acknowledgment's transaction (notifications' outbox): a redelivery carries the same ``event_id``.

    A new event rather than ``SmsReplyReceived``: that one is a message's reply (an SMS provider's id, any
    person, any subject, an action the person chose); this one is the ladder's acknowledgment by a staff
    member the ladder called, whatever the channel, and its consumers act as that staff member."""

    subject: Literal["ticket", "alarm"]
    subject_id: Id
    ladder_key: str = Field(max_length=160, description="the ladder: '{subject}:{subject_id}'")
    channel: str = Field(max_length=16, description="how they acknowledged: voice (a keypress of 1)")
    person_id: Id = Field(description="the staff member (directory staff id) the ladder called")
    user_id: str | None = Field(default=None, max_length=128, description="their login, when they have one")
    message_id: str | None = Field(default=None, max_length=128, description="the call's message")


# ------------------------------------------------------------------ the catalogue

EVENTS: dict[str, tuple[str, type[Event]]] = {
    model.__name__: (source, model)
    for source, models in dict[str, tuple[type[Event], ...]](
        {
            "courtyard.tickets": (
                TicketCreated,
                TicketAssigned,
                TicketStatusChanged,
                TicketSlaBreached,
                TicketEscalated,
            ),
            "courtyard.payments": (
                BillIssued,
                PaymentSucceeded,
                PaymentFailed,
                PaymentRefunded,
                PaymentOverdue,
            ),
            "courtyard.visitors": (PassIssued, PassRevoked, VisitorArrived),
            "courtyard.sensors": (AlarmRaised, AlarmAcknowledged, AlarmCleared),
            "courtyard.notifications": (NoticePublished, SmsReplyReceived, EmergencyAcknowledged),
            "courtyard.identity": (ResidentWeChatLinked, ResidentPhoneChangeRefused),
            "courtyard.directory": (
                ResidentMovedOut,
                ResidentErased,
                ResidentPhoneChanged,
                PersonalDataExportRequested,
            ),
        }
    ).items()
    for model in models
}
"""detail type -> (source, model): what ``make schemas`` publishes and consumers look up."""


class Envelope(Model):
    """An EventBridge event as an SQS target receives it in the message body."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    id: str = ""
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, object]


def parse_event(body: str) -> tuple[str, Event]:
    """(detail type, detail model) of one SQS body; ValueError for an unknown type, source or a bad detail."""
    envelope = Envelope.model_validate_json(body)
    known = EVENTS.get(envelope.detail_type)
    if known is None or known[0] != envelope.source:
        raise ValueError(f"unknown event {envelope.source}/{envelope.detail_type}")
    return envelope.detail_type, known[1].model_validate(envelope.detail)
