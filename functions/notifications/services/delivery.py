"""The sender's rules: one delivery job -> the inbox entry, then each channel on its own.

The first processing claims the message (inbox entry, unread count and a delivery record per channel in
one transaction); a redelivered or duplicate job finds the claim and only works on the channels still
``queued`` (or ``held``, once released). A channel that fails does not stop the others: its failure is
recorded and the job is retried with backoff; on the last attempt the failure becomes final (``failed``
with its reason) and the job goes on to the dead-letter queue. Permanent failures (opted out, no address,
rejected address, the tenant's SMS cap) are final at once. Outside the app a message climbs
``channel_ladder``: push, then WeChat, then SMS; a rung on standby follows when the one ahead fails for good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.crypto import CryptoError
from courtyard.directory import ContactView, TenantView
from notifications.channel_ladder import LADDER, STANDBY_REASONS, next_rung, sms_worthy
from notifications.domain import (
    Channel,
    Content,
    DeliveryJob,
    DeliveryStatus,
    Locale,
    SendFailed,
    Text,
    VoiceCall,
)
from notifications.emergency_ladder import key_of_source
from notifications.models import DeliveryRecord, PushEndpoint
from notifications.preferences import Preferences, QuietHours, Reach, plan
from notifications.release_spread import release_time
from notifications.repositories.links import LinksRepository, PlacedCall, ShortLink
from notifications.repository import NotificationsRepository, ttl_after
from notifications.services.household_reach import household_may_text
from notifications.short_links import link_code, sms_suffix, target_of
from notifications.templates import text_for

DEFAULT_TIMEZONE = "Asia/Shanghai"
# How long a short link (and the reply keywords of its SMS) stays valid.
LINK_DAYS = 30
_DIGITS = re.compile(r"[^\d+]")


class Contacts(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def contact(self, tenant_id: str, kind: str, person_id: str) -> ContactView | None: ...


class Decrypter(Protocol):
    def decrypt(self, tenant_id: str, token: str) -> str: ...


class Email(Protocol):
    def send(self, to: str, text: Text) -> str: ...


class Sms(Protocol):
    def send(self, phone_e164: str, text: Text) -> str: ...


class Push(Protocol):
    def send(self, endpoint_arn: str, text: Text, data: dict[str, str]) -> str: ...


class WeChat(Protocol):
    """A service-account template message (``adapters/wechat_messages.py``): WeChat's message id."""

    def send(self, openid: str, kind: str, text: Text, url: str = "") -> str: ...


class Voice(Protocol):
    """A telephony API's text-to-speech call (``adapters/aliyun_voice.py``): the provider's call id."""

    def call(self, phone_e164: str, call: VoiceCall) -> str: ...


# What a voice call says (``ladder_templates``): the provider's template is filled with these variables.
VOICE_TEMPLATE = "emergency_voice"
VOICE_PARAMS = ("who", "place", "what")
# How long a call's report may still acknowledge (providers report within minutes).
CALL_DAYS = 2


class RetryLater(Exception):
    """Some channels failed in a way a retry may fix; the others are done."""

    def __init__(self, reasons: dict[Channel, str]) -> None:
        super().__init__(", ".join(f"{c.value}: {r}" for c, r in reasons.items()))
        self.reasons = reasons


class GiveUp(RetryLater):
    """The last attempt failed too: the failure is recorded and the job belongs in the dead-letter queue."""


@dataclass(frozen=True)
class Outcome:
    """What one processing did, per channel (for logs and metrics; never personal data)."""

    statuses: dict[str, str]
    held_until: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class _Person:
    user_id: str | None
    email: str | None
    phone_enc: str | None
    locale: str | None
    person_id: str | None
    openid: str | None = None  # the linked WeChat, read only when the message may go outside the app


def e164(phone: str) -> str:
    """Mainland numbers gain +86; numbers with a country code keep it."""
    digits = _DIGITS.sub("", phone)
    if digits.startswith("+"):
        return digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    return "+" + digits


class DeliveryService:
    def __init__(
        self,
        repo: NotificationsRepository,
        directory: Contacts,
        cipher: Decrypter,
        email: Email,
        sms: Sms,
        push: Push,
        audit: AuditWriter,
        clock: Clock,
        *,
        sms_daily_cap: int,
        retention_days: int,
        links: LinksRepository | None = None,
        app_base_url: str = "",
        firm_quiet_hours: QuietHours | None = None,
        voice: Voice | None = None,
        wechat: WeChat | None = None,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._cipher = cipher
        self._email = email
        self._sms = sms
        self._push = push
        self._audit = audit
        self._clock = clock
        self._sms_cap = sms_daily_cap
        self._retention_days = retention_days
        self._links = links
        self._app_base_url = app_base_url.rstrip("/")
        self._firm_quiet = firm_quiet_hours
        self._voice = voice
        self._wechat = wechat

    def deliver(self, job: DeliveryJob, *, last_attempt: bool) -> Outcome:
        now = self._clock.now()
        t = job.tenant_id
        tenant = self._directory.tenant(t)
        timezone = tenant.timezone if tenant else DEFAULT_TIMEZONE
        tenant_locale = _locale(tenant.locale if tenant else None) or Locale.ZH_CN
        person = self._person(job)
        if person is None:
            return Outcome({"recipient": "unknown"})
        prefs, endpoints, openid = (
            self._repo.person_settings(t, person.user_id) if person.user_id else (None, [], None)
        )
        prefs = prefs or Preferences()
        person = replace(person, openid=self._openid(job, openid))
        locale = prefs.language or _locale(person.locale) or tenant_locale
        text = text_for(job.content, locale, tenant_locale)
        reach = Reach(
            push_endpoints=len(endpoints),
            phone=bool(person.phone_enc),
            email=bool(person.email),
            inbox=person.user_id is not None,
            wechat=person.openid is not None,
        )
        decision = plan(
            job.channels,
            prefs,
            job.category,
            job.priority,
            reach,
            now=now,
            timezone=timezone,
            released=job.released,
            marketing=job.marketing,
            firm_quiet=self._firm_quiet,
            sms_worthy=sms_worthy(job.content.template, job.content.params)
            and household_may_text(
                job, prefs, reach, self._directory, self._repo, wechat_on=self._wechat is not None
            ),
        )
        state = self._repo.message_state(t, job.message_id)
        duplicate = state.exists
        if not state.exists:
            self._repo.create_message(
                tenant_id=t,
                message_id=job.message_id,
                source=job.source,
                recipient_key=job.recipient.key,
                notice_id=job.notice_id,
                user_id=person.user_id,
                text=text,
                category=job.category,
                priority=job.priority,
                data=job.data,
                queued=[c for c in decision.send if c is not Channel.INBOX],
                skipped=decision.skipped,
                now=now,
                ttl=ttl_after(now, self._retention_days),
            )
            state = self._repo.message_state(t, job.message_id)
        pending: list[Channel] = [
            channel
            for channel, record in state.deliveries.items()
            if channel is not Channel.INBOX
            and (
                record.status is DeliveryStatus.QUEUED
                or (job.released and record.status is DeliveryStatus.HELD)
                or (_on_standby(record) and _ahead_failed(channel, state.deliveries))
            )
        ]
        statuses = {c.value: r.status.value for c, r in state.deliveries.items()}
        if not pending:
            return Outcome(statuses, duplicate=duplicate)
        if decision.hold_until is not None:
            # Spread after the window's end (release_spread): a city's 07:00 is not one burst.
            release_at = to_iso(release_time(decision.hold_until, job.message_id))
            held_job = job.model_copy(update={"released": True}).model_dump_json()
            self._repo.hold(t, job.message_id, job.notice_id, pending, release_at, held_job, now)
            return Outcome({**statuses, **{c.value: "held" for c in pending}}, held_until=release_at)

        retry: dict[Channel, str] = {}
        exhausted: dict[Channel, str] = {}
        reached = state.reached
        for channel in pending:  # grows by the next rung on standby when one fails for good
            try:
                provider_id = self._send(channel, job, person, text, endpoints, timezone, now, locale)
            except SendFailed as failure:
                if failure.permanent or last_attempt:
                    self._repo.mark_delivery(
                        t,
                        job.message_id,
                        job.notice_id,
                        channel,
                        DeliveryStatus.FAILED,
                        now,
                        reason=failure.reason,
                    )
                    statuses[channel.value] = "failed"
                    if not failure.permanent:
                        exhausted[channel] = failure.reason
                    standing_by = {
                        c for c, r in state.deliveries.items() if _on_standby(r) and c not in pending
                    }
                    follow = next_rung(channel, standing_by)
                    if follow is not None:
                        pending.append(follow)  # no working app / WeChat refused: the next rung follows
                else:
                    self._repo.record_attempt(t, job.message_id, channel, failure.reason, now)
                    retry[channel] = failure.reason
                continue
            self._repo.mark_delivery(
                t,
                job.message_id,
                job.notice_id,
                channel,
                DeliveryStatus.SENT,
                now,
                provider_id=provider_id,
                fallback=channel is Channel.SMS and (decision.fallback or decision.sms_standby),
                reach=not reached,  # the first send reaches the recipient, counted with it
            )
            statuses[channel.value] = "sent"
            reached = True
        if retry:
            raise RetryLater(retry)
        if exhausted:
            raise GiveUp(exhausted)
        return Outcome(statuses, duplicate=duplicate)

    # ------------------------------------------------------------------ channels

    def _send(
        self,
        channel: Channel,
        job: DeliveryJob,
        person: _Person,
        text: Text,
        endpoints: list[PushEndpoint],
        timezone: str,
        now: datetime,
        locale: Locale,
    ) -> str:
        if channel is Channel.EMAIL:
            if not person.email:
                raise SendFailed("no_email", permanent=True)
            return self._email.send(person.email, text)
        if channel is Channel.SMS:
            phone = self._phone(job, person)
            local_date = now.astimezone(ZoneInfo(timezone)).date().isoformat()
            if not self._repo.count_sms(job.tenant_id, local_date, self._sms_cap, ttl_after(now, 3)):
                raise SendFailed("sms_daily_cap", permanent=True)
            short, code = self._short(job, person, text, locale, now)
            provider_id = self._sms.send(phone, short)
            if code is not None and self._links is not None:
                # The provider names this SMS in a reply to it: the reply finds its message by it.
                self._links.remember_sms(provider_id, code, ttl_after(now, LINK_DAYS))
            return provider_id
        if channel is Channel.PUSH:
            return self._push_all(endpoints, text, job.data)
        if channel is Channel.WECHAT:
            if self._wechat is None or not person.openid:
                raise SendFailed("no_wechat", permanent=True)
            target = target_of(job)
            # The message opens its page in the app, where it is shown whole (WeChat's fields are short).
            url = f"{self._app_base_url}{target.path}" if target and self._app_base_url else ""
            return self._wechat.send(person.openid, job.content.template or "notice", text, url)
        if channel is Channel.VOICE:
            return self._call(job, person, locale, now)
        raise SendFailed(f"unsupported_channel_{channel.value}", permanent=True)

    def _call(self, job: DeliveryJob, person: _Person, locale: Locale, now: datetime) -> str:
        """Place the voice call and remember it, so the callee's keypress finds the ladder it answers."""
        ladder = key_of_source(job.source)
        if self._voice is None or ladder is None:
            raise SendFailed(
                "voice_not_configured" if ladder else "voice_only_for_emergencies", permanent=True
            )
        phone = self._phone(job, person)
        params = {name: job.content.params.get(name, "") for name in VOICE_PARAMS}
        spoken = text_for(Content(template=VOICE_TEMPLATE, params=params), locale, Locale.ZH_CN)
        # The message id's last 15 characters (its random part): unique enough, within Aliyun's OutId limit.
        call = VoiceCall(params=params, text=spoken.body, out_id=job.message_id[-15:])
        call_id = self._voice.call(phone, call)
        if self._links is not None:
            placed = PlacedCall(
                call_id=call_id,
                out_id=call.out_id,
                tenant_id=job.tenant_id,
                message_id=job.message_id,
                ladder_key=ladder,
                person_id=person.person_id,
                user_id=person.user_id,
            )
            self._links.remember_call(placed, ttl_after(now, CALL_DAYS))
        return call_id

    def _short(
        self, job: DeliveryJob, person: _Person, text: Text, locale: Locale, now: datetime
    ) -> tuple[Text, str | None]:
        """The SMS's text: the message with a short link to its page (and its reply keywords) instead of
        a long link; the link's code, or None when the message has no page."""
        target = target_of(job)
        if target is None or self._links is None or not self._app_base_url:
            return text, None
        code = link_code(job.tenant_id, job.message_id)
        self._links.save(
            ShortLink(
                code=code,
                tenant_id=job.tenant_id,
                message_id=job.message_id,
                target=target,
                recipient_kind=job.recipient.kind,
                person_id=person.person_id,
                user_id=person.user_id,
                phone_enc=person.phone_enc,
                created_at=to_iso(now),
            ),
            ttl_after(now, LINK_DAYS),
        )
        link = f"{self._app_base_url}/s/{code}"
        if target.url and target.url in text.body:
            # The visitor's pass: the short link stands for the long signed one.
            return Text(title=text.title, body=text.body.replace(target.url, link)), code
        return Text(title=text.title, body=f"{text.body} {sms_suffix(link, target.replies, locale)}"), code

    def _push_all(self, endpoints: list[PushEndpoint], text: Text, data: dict[str, str]) -> str:
        if not endpoints:
            raise SendFailed("no_push_endpoint", permanent=True)
        sent: list[str] = []
        failures: list[SendFailed] = []
        for endpoint in endpoints:
            try:
                sent.append(self._push.send(endpoint.endpoint_arn, text, data))
            except SendFailed as failure:
                failures.append(failure)
        if sent:
            return sent[0]
        # Every device failed: permanent only if each one refused for good (uninstalled apps).
        raise SendFailed(failures[0].reason, permanent=all(f.permanent for f in failures))

    def _phone(self, job: DeliveryJob, person: _Person) -> str:
        if not person.phone_enc:
            raise SendFailed("no_phone", permanent=True)
        try:
            phone = self._cipher.decrypt(job.tenant_id, person.phone_enc)
        except CryptoError:
            raise SendFailed("sms_phone_unreadable", permanent=True) from None
        # Reading a phone number is a read of personal data: audited (field name only, never the value).
        self._audit.record(
            None,
            "notifications.sms",
            job.recipient.kind,
            person.person_id,
            details={"fields": ["phone"], "message_id": job.message_id},
            tenant_id=job.tenant_id,
        )
        return e164(phone)

    def _openid(self, job: DeliveryJob, openid: str | None) -> str | None:
        """The person's linked WeChat (read with their settings), when this sender has WeChat and the
        message asked for push or WeChat."""
        if self._wechat is None:
            return None
        if Channel.PUSH not in job.channels and Channel.WECHAT not in job.channels:
            return None
        return openid

    def _person(self, job: DeliveryJob) -> _Person | None:
        recipient = job.recipient
        if recipient.kind in ("resident", "staff") and recipient.person_id:
            contact = self._directory.contact(job.tenant_id, recipient.kind, recipient.person_id)
            if contact is None:
                return None
            return _Person(
                contact.user_id, contact.email, contact.phone_enc, contact.locale, contact.person_id
            )
        if recipient.kind == "visitor":
            return _Person(None, None, recipient.phone_enc, None, recipient.person_id)
        return _Person(recipient.user_id, None, None, None, None)


def _on_standby(record: DeliveryRecord) -> bool:
    return record.status is DeliveryStatus.SKIPPED and record.reason in STANDBY_REASONS


def _ahead_failed(channel: Channel, deliveries: dict[Channel, DeliveryRecord]) -> bool:
    """A rung on standby is due when the nearest rung ahead of it that was in play failed for good."""
    if channel not in LADDER:
        return False
    for rung in reversed(LADDER[: LADDER.index(channel)]):
        record = deliveries.get(rung)
        if record is None or (record.status is DeliveryStatus.SKIPPED and not _on_standby(record)):
            continue  # never in play (no device, no WeChat): look further ahead
        return record.status is DeliveryStatus.FAILED
    return False


def _locale(value: str | None) -> Locale | None:
    if value is None:
        return None
    try:
        return Locale(value)
    except ValueError:
        return (
            Locale.EN
            if value.lower().startswith("en")
            else Locale.ZH_CN
            if value.lower().startswith("zh")
            else None
        )
