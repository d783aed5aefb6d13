"""Replies by keyword (issue 19): a resident without the app answers an SMS ("回复1确认维修完成").

The reply is matched to the SMS by the provider's reference to the last message sent to that number (or a
short code written in the reply) and to the person by the number on record (the phone the SMS went to,
read from its FieldCipher token). A keyword that SMS offered becomes ``SmsReplyReceived`` for the feature
of its subject (tickets close or reopen the ticket; an acknowledgment stops nothing here); "call me" and
anything else reach the service desk's inbox. Each inbound message acts once: it is claimed by the
provider's id before anything happens, and the claim is released if handling fails, for the retry.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

from courtyard.audit import AuditWriter
from courtyard.blind_index import normalise_phone
from courtyard.clock import Clock, to_iso
from courtyard.crypto import CryptoError
from courtyard.directory import ContactView, ResidentUnitView, UnitView
from courtyard.events import EventPublisher
from notifications import audience
from notifications.adapters.inbound_sms import InboundSms
from notifications.domain import Category, Channel, Content, DeliveryJob, Priority, Recipient, message_id
from notifications.repositories.links import LinksRepository, ShortLink
from notifications.repository import ttl_after
from notifications.short_links import ReplyAction, codes_in, keyword_of
from schemas.events import SmsReplyReceived

CLAIM_DAYS = 7
DESK_ROLES = ("service_desk",)


class Outcome(StrEnum):
    ACTED = "acted"  # a keyword: the event went out
    TO_DESK = "to_desk"  # free text, "call me", or a number not on record: the desk's inbox
    UNMATCHED = "unmatched"  # no SMS of ours it answers: nothing to do (no firm is known)
    DUPLICATE = "duplicate"


class Directory(audience.Directory, Protocol):
    def contact(self, tenant_id: str, kind: str, person_id: str) -> ContactView | None: ...
    def resident_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...


class Decrypter(Protocol):
    def decrypt(self, tenant_id: str, token: str) -> str: ...


class JobSink(Protocol):
    def send(self, jobs: Iterable[DeliveryJob]) -> object: ...


class ReplyService:
    def __init__(
        self,
        links: LinksRepository,
        directory: Directory,
        cipher: Decrypter,
        events: EventPublisher,
        jobs: JobSink,
        audit: AuditWriter,
        clock: Clock,
    ) -> None:
        self._links = links
        self._directory = directory
        self._cipher = cipher
        self._events = events
        self._jobs = jobs
        self._audit = audit
        self._clock = clock

    def handle(self, sms: InboundSms) -> Outcome:
        now = self._clock.now()
        if not self._links.claim_inbound(sms.inbound_id, ttl_after(now, CLAIM_DAYS)):
            return Outcome.DUPLICATE
        try:
            return self._handle(sms)
        except Exception:
            self._links.release_inbound(sms.inbound_id)
            raise

    def _handle(self, sms: InboundSms) -> Outcome:
        link = self._link_of(sms)
        if link is None:
            return Outcome.UNMATCHED
        if not self._from_number_on_record(link, sms.origination):
            self._tell_desk(link, sms, known_number=False, action=None)
            return Outcome.TO_DESK
        keyword = keyword_of(sms.body)
        action = link.target.replies.get(keyword) if keyword else None
        if action is None:
            self._tell_desk(link, sms, known_number=True, action=None)
            return Outcome.TO_DESK
        self._events.publish(
            "SmsReplyReceived",
            SmsReplyReceived(
                tenant_id=link.tenant_id,
                occurred_at=self._clock.now(),
                reply_id=sms.inbound_id,
                message_id=link.message_id,
                subject=link.target.kind,
                subject_id=link.target.target_id,
                action=action.value,
                person_kind=link.recipient_kind,
                person_id=link.person_id,
                user_id=link.user_id,
            ),
        )
        if action is ReplyAction.CALL_ME:
            self._tell_desk(link, sms, known_number=True, action=action)
            return Outcome.TO_DESK
        return Outcome.ACTED

    def _link_of(self, sms: InboundSms) -> ShortLink | None:
        codes: list[str] = []
        if sms.previous_id:
            referenced = self._links.code_of_sms(sms.previous_id)
            if referenced:
                codes.append(referenced)
        codes += codes_in(sms.body)
        for code in codes:
            link = self._links.link(code)
            if link is not None:
                return link
        return None

    def _from_number_on_record(self, link: ShortLink, origination: str) -> bool:
        if not link.phone_enc:
            return False
        try:
            phone = self._cipher.decrypt(link.tenant_id, link.phone_enc)
        except CryptoError:
            return False
        # Comparing the number is a read of personal data: audited (the field, never the value).
        self._audit.record(
            None,
            "notifications.sms_reply",
            link.recipient_kind,
            link.person_id,
            details={"fields": ["phone"], "message_id": link.message_id},
            tenant_id=link.tenant_id,
        )
        return normalise_phone(phone) == normalise_phone(origination)

    def _tell_desk(
        self, link: ShortLink, sms: InboundSms, *, known_number: bool, action: ReplyAction | None
    ) -> None:
        t = link.tenant_id
        name, unit, sites = "", "", []
        if known_number and link.person_id and link.recipient_kind in ("resident", "staff"):
            contact = self._directory.contact(t, link.recipient_kind, link.person_id)
            name = contact.name if contact else ""
            if link.recipient_kind == "resident":
                links = self._directory.resident_links(t, link.person_id)
                sites = sorted({home.site_id for home in links if home.site_id})
                first = self._directory.unit(t, links[0].unit_id) if links else None
                unit = first.label if first else ""
        desk = [r for site in sites for r in audience.staff_of_site(self._directory, t, site, DESK_ROLES)]
        if not desk:
            desk = [
                Recipient(kind="staff", person_id=member.staff_id, user_id=member.user_id)
                for member in self._directory.staff_members(t)
                if member.active and ("service_desk" in member.roles or "manager" in member.roles)
            ]
        source = f"sms-reply:{sms.inbound_id}"
        now = self._clock.now()
        params = {
            "who": name or ("未登记号码" if not known_number else "居民"),
            "unit": f"（{unit}）" if unit else "",
            "text": sms.body,
            "ask": "请尽快回电。" if action is ReplyAction.CALL_ME else "请跟进处理。",
            "subject": f"{link.target.kind} {link.target.target_id[-6:]}",
        }
        self._jobs.send(
            DeliveryJob(
                tenant_id=t,
                message_id=message_id(source, recipient.key, now),
                source=source,
                recipient=recipient,
                category=Category.TICKET,
                priority=Priority.NORMAL,
                channels=(Channel.INBOX, Channel.PUSH),
                content=Content(template="sms_reply_to_desk", params=params),
                created_at=to_iso(now),
                data={"reply_to": link.target.kind, f"{link.target.kind}_id": link.target.target_id},
            )
            for recipient in audience.unique(desk)
        )
