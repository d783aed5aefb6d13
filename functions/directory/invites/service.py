"""Invitation rules: issue a one-time, expiring code for a unit; accept it to become that unit's resident.

Acceptance is one transaction: the invitation turns from open to used only if it is still open and unexpired,
together with the resident record (created, or reused by the invitee's phone number), the unit link and the
account's user link. Then the account joins the tenant in Cognito; the next token carries tenant and role.
Accepting again with the same account is answered as the first time (a lost response can be retried).

An invitation attaches an account only to the person it names: an existing resident found by the invited
phone number must bear the invited name (when the invitation gives one), and a resident who already has an
account must be the invited person. Otherwise the invitation is refused with ``identity_mismatch`` (409),
when it is issued if the record already disagrees, else when it is accepted; the service desk can then
link the right person in assisted mode, where it chooses the resident itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.crypto import mask_phone
from courtyard.directory import DirectoryReader
from courtyard.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from courtyard.events import EventPublisher
from courtyard.ids import new_id
from courtyard.tenancy import TENANT_CLAIM, Role, TenantContext
from directory.adapters.cognito_identity import IdentityRepository
from directory.invites.models import (
    Acceptance,
    IdentityMismatch,
    Invite,
    InviteCreate,
    InviteExpired,
    InviteState,
    InviteStatus,
    InviteUsed,
    IssuedInvite,
    OtherTenant,
    PhoneCodeRequired,
    ResidentRegistered,
    format_code,
    new_secret,
    parse_code,
    secret_digest,
)
from directory.invites.repository import InviteRepository
from directory.people.identity import same_person_name
from directory.people.models import LinkSource, PersonKind, Resident, ResidentLink, UnitSlot, UserLinkRecord
from directory.people.repository import PeopleRepository, TransactionRefused
from directory.phones.codes import Verdict
from directory.phones.prover import PhoneProver, refused_code

ISSUER_ROLES = (Role.MANAGER, Role.SERVICE_DESK)
INVITE_PROOF = "invite"
RESIDENT_GROUP = Role.RESIDENT.value


@dataclass(frozen=True, slots=True)
class Claimant:
    """A signed-in account accepting an invitation; it may not belong to any tenant yet."""

    user_id: str
    username: str
    tenant_id: str | None
    name: str | None
    email: str | None
    # Signed in through Courtyard's own identity (residents): the account is not in the user pool, and the
    # identity feature binds it to the firm on ResidentRegistered instead.
    courtyard_identity: bool = False

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> Claimant:
        claims = claims or {}
        user_id = str(claims.get("sub") or "").strip()
        username = str(claims.get("cognito:username") or "").strip()
        if not user_id or not username:
            raise Unauthorized("authentication required")
        return cls(
            user_id=user_id,
            username=username,
            tenant_id=str(claims.get(TENANT_CLAIM) or "").strip() or None,
            name=str(claims.get("name") or "").strip() or None,
            email=str(claims.get("email") or "").strip() or None,
            courtyard_identity=claims.get("identity") == "courtyard",
        )


class InviteService:
    def __init__(
        self,
        invites: InviteRepository,
        people: PeopleRepository,
        reader: DirectoryReader,
        audit: AuditWriter,
        events: EventPublisher,
        clock: Clock,
        identity: IdentityRepository,
        max_hours: int,
        prover: PhoneProver,
    ) -> None:
        self._invites = invites
        self._people = people
        self._reader = reader
        self._audit = audit
        self._events = events
        self._clock = clock
        self._identity = identity
        self._max_hours = max_hours
        self._prover = prover

    def issue(self, ctx: TenantContext, request: InviteCreate) -> IssuedInvite:
        ctx.require(*ISSUER_ROLES)
        if request.expires_in_hours > self._max_hours:
            raise Unprocessable(
                f"expires_in_hours must be at most {self._max_hours}",
                [{"loc": ["body", "expires_in_hours"], "type": "less_than_equal", "msg": "too long"}],
            )
        slot = self._unit(ctx.tenant_id, request.unit_id)
        if request.invitee_phone and request.invitee_name:
            holder = self._people.resident_id_by_phone(ctx.tenant_id, request.invitee_phone)
            resident = self._people.resident(ctx.tenant_id, holder) if holder else None
            if resident is not None and not same_person_name(resident.name, request.invitee_name):
                raise IdentityMismatch(
                    "this phone number belongs to another resident on record: check the name and the "
                    "number, or correct the resident's record first"
                )
        # Whole seconds: the stored expiry (epoch seconds) and the one shown are the same instant.
        now = self._clock.now().replace(microsecond=0)
        secret = new_secret()
        invite = Invite(
            tenant_id=ctx.tenant_id,
            digest=secret_digest(ctx.tenant_id, secret),
            unit_id=slot.unit_id,
            site_id=slot.site_id,
            relation=request.relation,
            primary=request.primary,
            expires_at=now + timedelta(hours=request.expires_in_hours),
            created_by=ctx.user_id,
            created_at=to_iso(now),
            status=InviteStatus.OPEN,
            invitee_name=request.invitee_name,
            invitee_phone=request.invitee_phone,
            invitee_phone_digest=self._people.phone_digest(ctx.tenant_id, request.invitee_phone)
            if request.invitee_phone
            else None,
        )
        self._invites.create(invite)
        self._audit.record(
            ctx,
            "create",
            "invite",
            invite.digest[:16],
            {
                "unit_id": slot.unit_id,
                "relation": request.relation.value,
                "primary": request.primary,
                "expires_in_hours": request.expires_in_hours,
                "fields": [f for f in ("invitee_name", "invitee_phone") if getattr(request, f)],
            },
        )
        return IssuedInvite(code=format_code(ctx.tenant_id, secret), invite=invite)

    def unit_invites(
        self, ctx: TenantContext, unit_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Invite, InviteState]], str | None]:
        """A unit's invitations, newest first, each with its state now (open, used: who joined, expired);
        another firm's unit is 404."""
        ctx.require(*ISSUER_ROLES)
        slot = self._unit(ctx.tenant_id, unit_id)
        invites, cursor = self._invites.unit_page(ctx.tenant_id, slot.unit_id, limit=limit, cursor=cursor)
        now = self._clock.now()
        return [(invite, invite.state_at(now)) for invite in invites], cursor

    def accept(self, code: str, claimant: Claimant, phone_code: str | None = None) -> Acceptance:
        """A signed-in account (with or without a tenant yet) accepts; the code names and proves it. Binding
        the account to a person already on record also needs ``phone_code``, texted to their number."""
        tenant_id, invite = self._open_invite(code)
        if claimant.tenant_id is not None and claimant.tenant_id != tenant_id:
            raise OtherTenant("this account belongs to another property firm")
        tenant = self._reader.tenant(tenant_id)
        if tenant is None:
            raise NotFound("invitation")
        if not tenant.active:
            raise Forbidden("this property firm's subscription is suspended")
        if invite.status is InviteStatus.USED:
            if invite.used_by == claimant.user_id and invite.resident_id:
                # The same account again: the first answer was lost; finish the Cognito part and repeat it.
                self._join(claimant, tenant_id)
                return Acceptance(tenant_id, invite.resident_id, invite, claimant.username)
            raise InviteUsed("this invitation has already been used")
        self._refuse_expired(invite)

        now = self._clock.now()
        at = to_iso(now)
        slot = self._unit(tenant_id, invite.unit_id)
        tx = self._people.tx()
        account = self._people.user_link(tenant_id, claimant.user_id)
        resident: Resident | None = None
        if account is not None:
            if account.kind is not PersonKind.RESIDENT:
                raise Conflict(
                    "this is a staff account of the firm; accept the invitation with a personal account"
                )
            resident = self._people.resident(tenant_id, account.person_id)
            if resident is None or resident.erased:
                raise Conflict("this account's resident record was erased")
            if invite.invitee_phone_digest is not None and resident.phone != invite.invitee_phone:
                # The invited number is someone else's (theirs on record, or another one of ours).
                holder = self._people.resident_id_by_digest(tenant_id, invite.invitee_phone_digest)
                if resident.phone is not None or holder not in (None, resident.resident_id):
                    raise _not_the_invited_person()
            _refuse_other_name(invite, resident)
        elif invite.invitee_phone_digest:
            holder = self._people.resident_id_by_digest(tenant_id, invite.invitee_phone_digest)
            resident = self._people.resident(tenant_id, holder) if holder else None
            if resident is not None:
                _refuse_other_name(invite, resident)
                if resident.user_id is not None and resident.user_id != claimant.user_id:
                    raise Conflict("this person already has an account with the property firm")
                self._prove_phone(tenant_id, invite, claimant, resident, phone_code)
                self._people.add_account(
                    tx, tenant_id, resident.resident_id, claimant.user_id, claimant.username, at
                )
        if resident is None:
            resident = Resident(
                resident_id=new_id(),
                name=invite.invitee_name or claimant.name or claimant.username,
                phone=invite.invitee_phone,
                id_number=None,
                email=claimant.email,
                user_id=claimant.user_id,
                username=claimant.username,
                created_at=at,
                updated_at=at,
            )
            self._people.add_new_resident(tx, tenant_id, resident)
        if account is None:
            self._people.add_user_link(
                tx,
                tenant_id,
                UserLinkRecord(
                    claimant.user_id, PersonKind.RESIDENT, resident.resident_id, claimant.username
                ),
                at,
            )
        self._people.add_link(tx, tenant_id, self._link(invite, slot, resident, at), slot)
        self._invites.add_use(tx, invite, claimant.user_id, resident.resident_id, now)
        self._run(tx, invite, resident.phone, used_by=(claimant.user_id, resident.resident_id))

        self._join(claimant, tenant_id)
        self._registered(tenant_id, resident.resident_id, invite, now, claimant.user_id)
        self._audit.record(
            None,
            "accept_invite",
            "invite",
            invite.digest[:16],
            {"unit_id": invite.unit_id, "resident_id": resident.resident_id},
            actor=claimant.user_id,
            tenant_id=tenant_id,
        )
        return Acceptance(tenant_id, resident.resident_id, invite, claimant.username)

    # ------------------------------------------------------------ helpers

    def _prove_phone(
        self, tenant_id: str, invite: Invite, claimant: Claimant, resident: Resident, code: str | None
    ) -> None:
        """An invitation binds an account to a person on record only once the account proves the person's
        number on record (issue 17): without ``code`` one is texted to it and the answer asks for it."""
        subject = f"{invite.digest[:32]}.{claimant.user_id}"
        phone = resident.phone or ""
        if code is None:
            expires_at = self._prover.send(tenant_id, INVITE_PROOF, subject, phone, resident.resident_id)
            raise PhoneCodeRequired(mask_phone(phone), to_iso(expires_at))
        proof = self._prover.check(tenant_id, INVITE_PROOF, subject, code)
        if (proof.phone, proof.detail) != (phone, resident.resident_id):
            # The record changed since the code was sent: the code proves another number.
            raise refused_code(Verdict.EXPIRED)

    def _open_invite(self, code: str) -> tuple[str, Invite]:
        """The invitation a code names; a malformed code, an unknown tenant or a wrong secret are all 404."""
        try:
            tenant_id, secret = parse_code(code)
        except ValueError:
            raise NotFound("invitation") from None
        invite = self._invites.get(tenant_id, secret_digest(tenant_id, secret))
        if invite is None:
            raise NotFound("invitation")
        return tenant_id, invite

    def _refuse_expired(self, invite: Invite) -> None:
        if self._clock.now() >= invite.expires_at:
            raise InviteExpired("this invitation has expired; ask the property office for a new one")

    def _unit(self, tenant_id: str, unit_id: str) -> UnitSlot:
        slot = self._people.unit_slot(tenant_id, unit_id)
        if slot is None:
            raise NotFound("unit")
        return slot

    def _link(self, invite: Invite, slot: UnitSlot, resident: Resident, at: str) -> ResidentLink:
        existing = next((u for u in resident.current_units if u.unit_id == slot.unit_id), None)
        return ResidentLink(
            resident_id=resident.resident_id,
            unit_id=slot.unit_id,
            site_id=slot.site_id,
            room_key=slot.room_key,
            relation=invite.relation,
            primary=invite.primary,
            since=existing.since if existing else at,
            source=existing.source if existing else LinkSource.INVITE,
        )

    def _run(
        self, tx: Any, invite: Invite, phone: str | None, used_by: tuple[str, str] | None = None
    ) -> None:
        try:
            tx.run()
        except TransactionRefused as refused:
            if "invite" in refused.labels:
                current = self._invites.get(invite.tenant_id, invite.digest)
                if used_by and current is not None and (current.used_by, current.resident_id) == used_by:
                    # This very transaction went through and a retry of it (the SDK's, after a slow
                    # answer) was refused: the acceptance is done. The resident id is this attempt's own
                    # new id (or the record it chose), so another request cannot match it.
                    return
                if current is not None and current.status is InviteStatus.USED:
                    raise InviteUsed("this invitation has already been used") from refused
                raise InviteExpired(
                    "this invitation has expired; ask the property office for a new one"
                ) from refused
            raise self._people.explain(invite.tenant_id, refused, phone) from refused

    def _join(self, claimant: Claimant, tenant_id: str) -> None:
        if not claimant.courtyard_identity:
            self._identity.join_tenant(claimant.username, tenant_id, RESIDENT_GROUP)

    def _registered(
        self, tenant_id: str, resident_id: str, invite: Invite, now: Any, user_id: str | None = None
    ) -> None:
        self._events.publish(
            "ResidentRegistered",
            ResidentRegistered(
                tenant_id=tenant_id,
                resident_id=resident_id,
                unit_id=invite.unit_id,
                occurred_at=now,
                user_id=user_id,
            ),
        )


def _not_the_invited_person() -> IdentityMismatch:
    return IdentityMismatch(
        "this invitation names another person than the resident on record: ask the property's service "
        "desk to link your account"
    )


def _refuse_other_name(invite: Invite, resident: Resident) -> None:
    """An invitation that names someone attaches an account only to a resident of that name."""
    if invite.invitee_name is not None and not same_person_name(invite.invitee_name, resident.name):
        raise _not_the_invited_person()
