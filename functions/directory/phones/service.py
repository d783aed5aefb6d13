"""A resident changes their own phone number without learning whether a number is registered (issue 17).

``request`` answers the same for every well-formed number: it records a code for the caller and texts it to
the new number, and never looks the number up. Only ``confirm``, by someone who just proved they hold the
number, meets a clash, and then hears a neutral refusal (never who holds it). Codes follow
``directory.phones.codes``: salted digest, ten minutes, five wrong tries lock. A new number of a resident who
signs in tells identity (``ResidentPhoneChanged``, the number's sign-in digest): their sign-in follows, or
identity refuses it (another account signs in with it) and the previous number comes back
(``directory.phones.refusals``); ``state`` tells the app.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.errors import Conflict, NotFound
from courtyard.events import EventPublisher
from courtyard.tenancy import Role, TenantContext
from directory.people.models import PersonKind, Resident, ResidentChanges
from directory.people.repository import PeopleRepository
from directory.phones.follows import PhoneFollows, PhoneRefusal
from directory.phones.prover import PhoneProver, Texter
from schemas.events import ResidentPhoneChanged

__all__ = ["PHONE_CHANGE", "PhoneChangeService", "Texter"]

PHONE_CHANGE = "phone_change"
UNAVAILABLE = (
    "this number cannot be used for your account; if it is yours, ask the property office to change it"
)


class PhoneChangeService:
    def __init__(
        self,
        people: PeopleRepository,
        prover: PhoneProver,
        audit: AuditWriter,
        clock: Clock,
        events: EventPublisher | None = None,
        follows: PhoneFollows | None = None,
    ) -> None:
        self._people = people
        self._prover = prover
        self._audit = audit
        self._clock = clock
        self._events = events
        self._follows = follows

    def request(self, ctx: TenantContext, phone: str) -> datetime:
        """Text a code to ``phone`` for the caller; when it expires. The same for a free or a taken number."""
        me = self._me(ctx)
        expires_at = self._prover.send(ctx.tenant_id, PHONE_CHANGE, me.resident_id, phone)
        self._audit.record(ctx, "request_phone_change", "resident", me.resident_id, {})
        return expires_at

    def confirm(self, ctx: TenantContext, code: str) -> Resident:
        """The texted code makes the number the caller's; a number held by another person is refused in
        words that do not say so."""
        me = self._me(ctx)
        proof = self._prover.check(ctx.tenant_id, PHONE_CHANGE, me.resident_id, code)
        at = to_iso(self._clock.now())
        if proof.phone != me.phone:
            changes = ResidentChanges(fields=frozenset({"phone"}), phone=proof.phone)
            try:
                self._people.update(ctx.tenant_id, me, changes, at)
            except Conflict:
                raise Conflict(UNAVAILABLE) from None
            if me.user_id and self._events is not None:
                self._events.publish(
                    "ResidentPhoneChanged",
                    ResidentPhoneChanged(
                        tenant_id=ctx.tenant_id,
                        resident_id=me.resident_id,
                        user_id=me.user_id,
                        sign_in_phone_digest=self._people.sign_in_phone_digest(proof.phone),
                        occurred_at=self._clock.now(),
                    ),
                )
        self._audit.record(ctx, "change_phone", "resident", me.resident_id, {"fields": ["phone"]})
        return replace(me, phone=proof.phone, updated_at=at)

    def state(self, ctx: TenantContext) -> tuple[Resident, PhoneRefusal | None]:
        """The caller's number now and, if identity refused their last new number as a sign-in (the
        previous one was put back), that refusal: the app shows it next to the phone field."""
        me = self._me(ctx)
        refusal = self._follows.refusal(ctx.tenant_id, me.resident_id) if self._follows else None
        return me, refusal

    def _me(self, ctx: TenantContext) -> Resident:
        ctx.require(Role.RESIDENT)
        link = self._people.user_link(ctx.tenant_id, ctx.user_id)
        if link is None or link.kind is not PersonKind.RESIDENT:
            raise NotFound("resident")
        me = self._people.resident(ctx.tenant_id, link.person_id, consistent=True)
        if me is None or me.erased:
            raise NotFound("resident")
        return me
