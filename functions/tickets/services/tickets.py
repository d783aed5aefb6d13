"""Ticket rules: who files, sees and moves tickets; SLA due times, automatic dispatch and the due index.

Visibility: staff of the tenant see every ticket; a resident sees the tickets they reported (filed by them
or for them in assisted mode), not the other tickets of their units: a family member's complaint about a
neighbour stays theirs. Anyone else's ticket, and another tenant's, is ``NotFound`` like a missing one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from courtyard.audit import TransactionalAuditLog
from courtyard.clock import Clock, to_iso
from courtyard.directory import ResidentUnitView, ResidentView, StaffView, TenantView, UnitView, UserLink
from courtyard.directory_cache import Recent
from courtyard.duty import DutyCalendar, RosterLine
from courtyard.dynamo import Page
from courtyard.errors import Conflict, Forbidden, NotFound, Unprocessable, idempotency_key_reused
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from courtyard.live_link import LiveLink, LiveLinks
from courtyard.on_duty import rostered_ids
from courtyard.outbox import Effects
from courtyard.tenancy import Role, TenantContext
from tickets import dispatch, keys, lifecycle, sla
from tickets.domain import (
    OPEN_STATUSES,
    Action,
    Category,
    Priority,
    TicketKind,
    TicketStatus,
    assisted_reporter,
    default_category,
    effective_priority,
)
from tickets.events import TicketRated, assigned_event, created_event, status_changed_event
from tickets.lifecycle import Actor, Assignee, TicketState
from tickets.models import (
    Comment,
    CommentCreate,
    Place,
    RatingCreate,
    Ticket,
    TicketActionRequest,
    TicketCreate,
    TicketHistory,
    TicketSettingsIn,
    TimelineRecord,
)
from tickets.repositories.tickets import Claim, TicketQuery

STAFF_READERS = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD)
FILERS = (Role.RESIDENT, Role.MANAGER, Role.SERVICE_DESK)
SETTINGS_ROLES = (Role.MANAGER,)
DISPATCHABLE_ROLE = Role.TECHNICIAN.value
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


# ------------------------------------------------------------------ collaborators


class Repository(Protocol):
    def get(self, tenant_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None: ...
    def history(self, tenant_id: str, ticket_id: str) -> TicketHistory | None: ...
    def page(self, tenant_id: str, query: TicketQuery, limit: int, cursor: str | None) -> Page[Ticket]: ...
    def open_counts(self, tenant_id: str) -> dict[str, int]: ...
    def claim(self, tenant_id: str, user_id: str, key_digest: str) -> Claim | None: ...
    def settings(self, tenant_id: str) -> dict[str, Any] | None: ...
    def create(
        self,
        ticket: Ticket,
        timeline: Sequence[TimelineRecord],
        *,
        next_check_at: datetime | None,
        claim: tuple[str, str, str] | None = None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None: ...
    def save(
        self,
        before: Ticket,
        after: Ticket,
        entry: TimelineRecord | None,
        *,
        next_check_at: datetime | None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None: ...
    def add_comment(self, tenant_id: str, ticket_id: str, comment: Comment) -> None: ...
    def rate(self, ticket: Ticket, score: int, comment: str | None, at: datetime) -> Ticket: ...
    def put_settings(self, tenant_id: str, document: dict[str, Any], updated_by: str, at: str) -> None: ...


class Directory(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...
    def user(self, tenant_id: str, user_id: str) -> UserLink | None: ...
    def resident(self, tenant_id: str, resident_id: str) -> ResidentView | None: ...
    def resident_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]: ...
    def staff_members(self, tenant_id: str) -> list[StaffView]: ...
    def staff_member(self, tenant_id: str, staff_id: str) -> StaffView | None: ...
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...
    def duty_calendar(self, tenant_id: str) -> DutyCalendar: ...
    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]: ...


class Events(Protocol):
    def publish_many(self, events: Sequence[tuple[str, DomainEvent]]) -> None: ...


# ------------------------------------------------------------------ settings


class EffectiveSettings:
    """A tenant's settings turned into the pure policies' types."""

    def __init__(self, document: TicketSettingsIn, timezone: str) -> None:
        self.document = document
        self.rules = dispatch.DispatchRules(
            category_skills={
                **_default_skills(),
                **{str(c): str(s) for c, s in document.category_skills.items()},
            },
            acceptance_window_minutes={
                **dispatch.DEFAULT_ACCEPTANCE_WINDOWS,
                **document.acceptance_window_minutes,
            },
            max_redispatch=document.max_redispatch,
            grab_mode=document.grab_mode,
        )
        self.targets: sla.SlaTargets = {
            priority: sla.SlaTarget(
                sla.Span(target.respond.amount, target.respond.unit),
                sla.Span(target.resolve.amount, target.resolve.unit),
            )
            for priority, target in document.sla_targets.items()
        }
        self.calendar = sla.BusinessCalendar(
            timezone=ZoneInfo(timezone),
            hours={day: tuple(intervals) for day, intervals in document.business_hours.items()},
            holidays=frozenset(document.holidays),
            makeup_workdays=frozenset(document.makeup_workdays),
        )
        self.auto_close = timedelta(days=document.auto_close_days)


def _default_skills() -> dict[str, str]:
    return dict(dispatch.DispatchRules().category_skills)


def settings_problems(document: TicketSettingsIn, timezone: str) -> list[dict[str, Any]]:
    """Why the settings cannot be saved, as error details (empty when they can)."""
    problems: list[dict[str, Any]] = []
    try:
        effective = EffectiveSettings(document, timezone)
    except ValueError as error:
        return [{"loc": ["body"], "type": "invalid_settings", "msg": str(error)}]
    for message in sla.target_problems(effective.targets):
        problems.append({"loc": ["body", "sla_targets"], "type": "sla_target", "msg": message})
    if not any(effective.calendar.hours_on(_monday(offset)) for offset in range(7)):
        message = "business hours must open on at least one weekday"
        problems.append({"loc": ["body", "business_hours"], "type": "closed_calendar", "msg": message})
    return problems


def _monday(offset: int) -> date:
    return date(2024, 1, 1) + timedelta(days=offset)  # 2024-01-01 is a Monday


# ------------------------------------------------------------------ service


class TicketService:
    def __init__(
        self,
        repo: Repository,
        directory: Directory,
        audit: TransactionalAuditLog,
        events: Events,
        clock: Clock,
        outbox: Effects,
        links: LiveLinks | None = None,
    ) -> None:
        self._repo = repo
        self._links = links
        self._directory = directory
        self._audit = audit
        self._events = events
        self._clock = clock
        self._outbox = outbox
        self._settings: Recent[str, TicketSettingsIn] = Recent()

    # -------------------------------------------------------------- settings

    def settings(self, ctx: TenantContext) -> TicketSettingsIn:
        ctx.require(*SETTINGS_ROLES)
        return self._settings_document(ctx.tenant_id)

    def put_settings(self, ctx: TenantContext, document: TicketSettingsIn) -> TicketSettingsIn:
        ctx.require(*SETTINGS_ROLES)
        problems = settings_problems(document, self._timezone(ctx.tenant_id))
        if problems:
            raise Unprocessable("the ticket settings are inconsistent", problems)
        self._repo.put_settings(
            ctx.tenant_id, document.model_dump(mode="json"), ctx.user_id, to_iso(self._clock.now())
        )
        self._settings.forget(ctx.tenant_id)
        self._audit.record(
            ctx,
            "ticket_settings.update",
            "ticket_settings",
            None,
            {"fields": sorted(document.model_fields_set)},
        )
        return document

    # -------------------------------------------------------------- create

    def create(
        self, ctx: TenantContext, request: TicketCreate, idempotency_key: str | None = None
    ) -> tuple[Ticket, bool]:
        """File a ticket and dispatch it; ``(ticket, False)`` when the Idempotency-Key was seen before."""
        ctx.require(*FILERS)
        claim: tuple[str, str, str] | None = None
        if idempotency_key is not None:
            key_digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
            request_digest = _request_digest(ctx, request)
            replay = self._replay(ctx, key_digest, request_digest)
            if replay is not None:
                return replay, False
            claim = (ctx.user_id, key_digest, request_digest)

        reporter_user_id, resident_id = self._reporter(ctx)
        place, bound = self._place(ctx, request, resident_id)
        filing = Filing(
            tenant_id=ctx.tenant_id,
            kind=request.kind,
            category=request.category or default_category(request.kind),
            priority=effective_priority(request.kind, request.priority),
            description=request.description,
            place=place,
            reporter_user_id=reporter_user_id,
            reporter_resident_id=resident_id,
            filed_by_user_id=ctx.user_id,
        )
        now = self._clock.now()
        settings = self._effective(ctx.tenant_id)
        candidates = self._technicians(ctx.tenant_id, filing.place.site_id, now)
        new = file_ticket(filing, settings, candidates, now, new_id())
        ticket, technician, ticket_id = new.ticket, new.technician, new.ticket.ticket_id
        audit = self._audit.put_action(
            ctx,
            "ticket.create",
            "ticket",
            ticket_id,
            {
                "kind": request.kind.value,
                "on_behalf_of": ctx.on_behalf_of,
                "dispatched": technician is not None,
            },
        )
        events = filed_events(new, now, assisted=ctx.on_behalf_of is not None)
        # The audit record and the events commit with the ticket; the events go out right after, or on
        # the client's retry (the replay flushes them), or from the scheduled sweep.
        pending = self._outbox.pending(keys.ticket_partition(ctx.tenant_id, ticket_id), events=events)
        also, links = [audit, self._outbox.put_action(pending)], self._links
        if links is not None and bound is not None:  # last: a link ended meanwhile refuses the write
            also.append(links.check(bound))
        try:
            self._repo.create(
                ticket, new.timeline, next_check_at=next_check(ticket, settings), claim=claim, also=also
            )
        except Conflict as conflict:
            ended = links.refusal(bound, conflict) if links and bound else None
            if ended is not None:
                raise ended from None
            if claim is None:
                raise
            # A concurrent retry with the same key won the claim: answer as the retry it is.
            replay = self._replay(ctx, claim[1], claim[2])
            if replay is None:
                raise
            return replay, False
        self._outbox.flush(pending)
        return ticket, True

    # -------------------------------------------------------------- reads

    def get(self, ctx: TenantContext, ticket_id: str) -> Ticket:
        _require_member(ctx)
        ticket = self._repo.get(ctx.tenant_id, _known(ticket_id))
        if ticket is None or not _visible(ctx, ticket):
            raise NotFound("ticket")
        return ticket

    def history(self, ctx: TenantContext, ticket_id: str) -> TicketHistory:
        _require_member(ctx)
        history = self._repo.history(ctx.tenant_id, _known(ticket_id))
        if history is None or not _visible(ctx, history.ticket):
            raise NotFound("ticket")
        comments = history.comments if ctx.is_staff else [c for c in history.comments if not c.internal]
        return TicketHistory(history.ticket, history.timeline, comments)

    def tickets(
        self,
        ctx: TenantContext,
        *,
        status: TicketStatus | None,
        site_id: str | None,
        category: Category | None,
        assignee_me: bool,
        mine: bool,
        limit: int,
        cursor: str | None,
        priority: Priority | None = None,
        overdue: bool = False,
        unit_id: str | None = None,
    ) -> Page[Ticket]:
        """One query of the narrowest index: reporter (residents, mine), assignee (me), site, or tenant.

        ``overdue``: still open (not resolved, closed or cancelled) past its resolve-by time, now.
        ``unit_id``: one unit's tickets; staff read its community's index (the unit says which), filtered.
        """
        _require_member(ctx)
        t = ctx.tenant_id
        if site_id is not None and not _ID.fullmatch(site_id):
            return Page([])
        if unit_id is not None:
            unit = self._directory.unit(t, unit_id) if _ID.fullmatch(unit_id) else None
            if unit is None or (site_id is not None and site_id != unit.site_id):
                return Page([])  # unknown, another firm's, or outside the asked community: nothing
            site_id = unit.site_id
        status_value = status.value if status else None
        category_value = category.value if category else None
        if not ctx.is_staff or mine:
            index, partition = "gsi2", keys.reporter_index(t, ctx.user_id)
        elif assignee_me:
            staff_id = self._staff_id(ctx)
            if staff_id is None:
                return Page([])
            index, partition = "gsi3", keys.assignee_index(t, staff_id)
        elif site_id is not None:
            # The site's own index: the site needs no filter.
            index, partition, site_id = "gsi1", keys.site_index(t, site_id), None
        else:
            index, partition = "gsi4", keys.tenant_index(t)
        query = TicketQuery(
            index,
            partition,
            status_value,
            category_value,
            site_id,
            priority=priority.value if priority else None,
            open_statuses=tuple(sorted(s.value for s in OPEN_STATUSES)) if overdue else (),
            resolve_before=to_iso(self._clock.now()) if overdue else None,
            unit_id=unit_id,
        )
        return self._repo.page(t, query, limit, cursor)

    # -------------------------------------------------------------- actions

    def act(self, ctx: TenantContext, ticket_id: str, request: TicketActionRequest) -> Ticket:
        _require_member(ctx)
        before = self._repo.get(ctx.tenant_id, _known(ticket_id), consistent=True)
        if before is None or not _visible(ctx, before):
            raise NotFound("ticket")
        settings = self._effective(ctx.tenant_id)
        actor = Actor(
            user_id=ctx.user_id,
            roles=ctx.roles,
            staff_id=self._staff_id(ctx) if ctx.is_staff else None,
        )
        assignee = None
        if request.assignee_staff_id is not None:
            if request.action is not Action.ASSIGN:
                raise _unprocessable("assignee_staff_id", "only the assign action takes an assignee")
            assignee = self._assignee(ctx.tenant_id, request.assignee_staff_id)
        now = self._clock.now()
        transition = lifecycle.apply(
            before.state,
            request.action,
            actor,
            now,
            assignee=assignee,
            note=request.note,
            grab_mode=settings.rules.grab_mode,
        )
        after = with_state(before, transition.new_state, now, settings, version=before.version + 1)
        audit = self._audit.put_action(
            ctx,
            f"ticket.{request.action.value}",
            "ticket",
            ticket_id,
            {"from": before.status.value, "to": after.status.value},
        )
        events: list[tuple[str, DomainEvent]] = [
            ("TicketStatusChanged", status_changed_event(before, after, request.action, now, ctx.user_id))
        ]
        if request.action is Action.ASSIGN or (
            request.action is Action.REOPEN and after.status is TicketStatus.ASSIGNED
        ):
            events.append(("TicketAssigned", assigned_event(after, now, ctx.user_id)))
        # The events and the audit record commit with the change (as POST /tickets does): a crash after the
        # commit leaves them pending, and the every-minute sweep sends them. Named by the new version, which
        # the save's condition makes unique, so two actions on one ticket never share a pending item.
        pending = self._outbox.pending(
            keys.ticket_partition(ctx.tenant_id, ticket_id), events=events, name=f"v{after.version}"
        )
        self._repo.save(
            before,
            after,
            timeline_record(transition.timeline_entry),
            next_check_at=next_check(after, settings),
            also=[audit, self._outbox.put_action(pending)],
        )
        self._outbox.flush(pending)
        return after

    # -------------------------------------------------------------- comments and rating

    def comment(self, ctx: TenantContext, ticket_id: str, request: CommentCreate) -> Comment:
        _require_member(ctx)
        ticket = self._repo.get(ctx.tenant_id, _known(ticket_id))
        if ticket is None or not _visible(ctx, ticket):
            raise NotFound("ticket")
        if request.internal and not ctx.is_staff:
            raise Forbidden("only staff may write internal comments")
        comment = Comment(
            new_id(), self._clock.now(), ctx.user_id, ctx.is_staff, request.body, request.internal
        )
        self._repo.add_comment(ctx.tenant_id, ticket_id, comment)
        self._audit.record(ctx, "ticket.comment", "ticket", ticket_id, {"internal": request.internal})
        return comment

    def rate(self, ctx: TenantContext, ticket_id: str, request: RatingCreate) -> Ticket:
        _require_member(ctx)
        ticket = self._repo.get(ctx.tenant_id, _known(ticket_id), consistent=True)
        if ticket is None or not _visible(ctx, ticket):
            raise NotFound("ticket")
        if ticket.state.reporter_user_id != ctx.user_id:
            raise Forbidden("only the reporter may rate a ticket")
        if ticket.rating is not None:
            raise Conflict("the ticket is already rated")
        if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise Conflict(f"cannot rate a ticket that is {ticket.status}")
        now = self._clock.now()
        rated = self._repo.rate(ticket, request.score, request.comment, now)
        self._audit.record(ctx, "ticket.rate", "ticket", ticket_id, {"score": request.score})
        self._events.publish_many(
            [
                (
                    "TicketRated",
                    TicketRated(
                        tenant_id=ctx.tenant_id,
                        occurred_at=now,
                        ticket_id=ticket_id,
                        site_id=ticket.place.site_id,
                        score=request.score,
                        assignee_staff_id=ticket.state.assignee_staff_id,
                    ),
                )
            ]
        )
        return rated

    # -------------------------------------------------------------- helpers

    def _replay(self, ctx: TenantContext, key_digest: str, request_digest: str) -> Ticket | None:
        claim = self._repo.claim(ctx.tenant_id, ctx.user_id, key_digest)
        if claim is None:
            return None
        if claim.request_digest != request_digest:
            raise idempotency_key_reused()
        ticket = self._repo.get(ctx.tenant_id, claim.ticket_id, consistent=True)
        if ticket is None:
            raise Conflict("the ticket of this Idempotency-Key is missing")
        # What the first attempt could not send after its commit goes out before the replay answers.
        self._outbox.flush_entity(keys.ticket_partition(ctx.tenant_id, ticket.ticket_id))
        return ticket

    def _reporter(self, ctx: TenantContext) -> tuple[str, str | None]:
        """(reporter user id, resident id): the resident filing, or the one the desk files for."""
        if ctx.on_behalf_of is not None:
            resident = self._directory.resident(ctx.tenant_id, _known(ctx.on_behalf_of, "resident"))
            if resident is None:
                raise NotFound("resident")
            # A resident without a login yet is reported as themselves by id, so the desk can follow up.
            return resident.user_id or assisted_reporter(resident.resident_id), resident.resident_id
        if ctx.is_resident and not ctx.is_staff:
            if ctx.person_id is not None:  # the token names the resident: no user link to read
                return ctx.user_id, ctx.person_id
            link = self._directory.user(ctx.tenant_id, ctx.user_id)
            if link is None or link.kind != "resident":
                raise Forbidden("this account is not linked to a resident of this property firm")
            return ctx.user_id, link.person_id
        return ctx.user_id, None

    def _place(
        self, ctx: TenantContext, request: TicketCreate, resident_id: str | None
    ) -> tuple[Place, LiveLink | None]:
        """Where the ticket is, and the resident's link it is filed through (the write binds to it)."""
        links = self._directory.resident_links(ctx.tenant_id, resident_id) if resident_id else []
        own_units = {link.unit_id for link in links}
        own_sites = {link.site_id: link.unit_id for link in reversed(links)}  # primary first wins
        restricted = resident_id is not None  # residents, and the desk acting for one, stay in their places
        if request.site_id is not None:
            if restricted and request.site_id not in own_sites:
                raise _unprocessable("site_id", "a common area of the resident's own community is required")
            if not restricted and not self._site_known(ctx.tenant_id, request.site_id):
                raise _unprocessable("site_id", "site_id is not a community of this property firm")
            place = Place(site_id=request.site_id, location=request.location)
            return place, _live(ctx, resident_id, own_sites.get(request.site_id))
        unit_id = request.unit_id
        if unit_id is None:
            if not links:
                raise _unprocessable("unit_id", "give a unit_id (no primary unit to default to)")
            unit_id = links[0].unit_id  # primary first
        if restricted and unit_id not in own_units:
            raise _unprocessable("unit_id", "the unit is not one of the resident's units")
        unit = self._directory.unit(ctx.tenant_id, unit_id)
        if unit is None:
            raise _unprocessable("unit_id", "unit_id is not a unit of this property firm")
        place = Place(site_id=unit.site_id, unit_id=unit.unit_id, building_id=unit.building_id or None)
        return place, _live(ctx, resident_id, unit.unit_id)

    def _site_known(self, tenant_id: str, site_id: str) -> bool:
        return self._directory.site_exists(tenant_id, site_id)

    def _technicians(self, tenant_id: str, site_id: str, now: datetime) -> list[dispatch.Technician]:
        """The dispatch candidates for a ticket of the community: the roster's technicians on the running
        shift are marked (``dispatch`` prefers them)."""
        counts = self._repo.open_counts(tenant_id)
        on_roster = rostered_ids(self._directory, tenant_id, site_id, now)
        return [
            dispatch.Technician(
                staff_id=staff.staff_id,
                user_id=staff.user_id,
                skills=staff.skills,
                zones=staff.zones,
                on_duty=staff.on_duty,
                active=staff.active,
                open_tickets=counts.get(staff.staff_id, 0),
                rostered=staff.staff_id in on_roster,
            )
            for staff in self._directory.staff_members(tenant_id)
            if DISPATCHABLE_ROLE in staff.roles
        ]

    def _assignee(self, tenant_id: str, staff_id: str) -> Assignee:
        staff = self._directory.staff_member(tenant_id, staff_id)
        if staff is None or not staff.active or DISPATCHABLE_ROLE not in staff.roles:
            raise _unprocessable("assignee_staff_id", "not an active technician of this property firm")
        return Assignee(staff.staff_id, staff.user_id)

    def _staff_id(self, ctx: TenantContext) -> str | None:
        link = self._directory.user(ctx.tenant_id, ctx.user_id)
        return link.person_id if link is not None and link.kind == "staff" else None

    def _timezone(self, tenant_id: str) -> str:
        tenant = self._directory.tenant(tenant_id)
        return tenant.timezone if tenant else "Asia/Shanghai"

    def _settings_document(self, tenant_id: str) -> TicketSettingsIn:
        """The firm's settings, kept a minute per container (every filing reads them); this container's
        own change is seen at once (``put_settings`` forgets them)."""
        return self._settings.get(tenant_id, lambda: self._stored_settings(tenant_id))

    def _stored_settings(self, tenant_id: str) -> TicketSettingsIn:
        stored = self._repo.settings(tenant_id)
        if stored is None:
            return TicketSettingsIn()
        try:
            return TicketSettingsIn.model_validate(_plain(stored))
        except ValidationError:
            return TicketSettingsIn()

    def _effective(self, tenant_id: str) -> EffectiveSettings:
        return EffectiveSettings(self._settings_document(tenant_id), self._timezone(tenant_id))


# ------------------------------------------------------------------ pure helpers


@dataclass(frozen=True, slots=True)
class Filing:
    """What is filed, whoever files it: a person through the API, or the system for a device's alarm."""

    tenant_id: str
    kind: TicketKind
    category: Category
    priority: Priority
    description: str | None
    place: Place
    reporter_user_id: str
    reporter_resident_id: str | None
    filed_by_user_id: str
    # A work order an alarm opened carries its device and alarm, and says so on its first timeline entry.
    device_id: str | None = None
    alarm_id: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NewTicket:
    ticket: Ticket
    timeline: tuple[TimelineRecord, ...]
    technician: dispatch.Technician | None


def file_ticket(
    filing: Filing,
    settings: EffectiveSettings,
    candidates: Iterable[dispatch.Technician],
    now: datetime,
    ticket_id: str,
) -> NewTicket:
    """The one way a ticket is born (both doors: ``TicketService.create`` and the alarm intake): its SLA due
    times from the firm's calendar, the skill its category needs, and its first assignee if one is free."""
    due = sla.due_times(filing.priority, now, settings.targets, settings.calendar)
    state = TicketState.new(
        reporter_user_id=filing.reporter_user_id, priority=filing.priority, created_at=now
    )
    ticket = Ticket(
        tenant_id=filing.tenant_id,
        ticket_id=ticket_id,
        kind=filing.kind,
        category=filing.category,
        description=filing.description,
        place=filing.place,
        state=state,
        skill=settings.rules.skill_for(filing.category.value),
        respond_by=due.respond_by,
        resolve_by=due.resolve_by,
        reporter_resident_id=filing.reporter_resident_id,
        filed_by_user_id=filing.filed_by_user_id,
        version=1,
        updated_at=now,
        device_id=filing.device_id,
        alarm_id=filing.alarm_id,
    )
    timeline = [
        TimelineRecord(
            now, filing.filed_by_user_id, "create", None, TicketStatus.SUBMITTED.value, filing.note
        )
    ]
    ticket, technician = dispatch_new(ticket, candidates, settings, now, timeline)
    return NewTicket(ticket, tuple(timeline), technician)


def filed_events(new: NewTicket, now: datetime, *, assisted: bool) -> list[tuple[str, DomainEvent]]:
    """``TicketCreated``, and ``TicketAssigned`` when the ticket went to a technician at once."""
    events: list[tuple[str, DomainEvent]] = [
        ("TicketCreated", created_event(new.ticket, now, assisted=assisted))
    ]
    if new.technician is not None:
        events.append(("TicketAssigned", assigned_event(new.ticket, now, lifecycle.SYSTEM_USER_ID)))
    return events


def next_check(ticket: Ticket, settings: EffectiveSettings) -> datetime | None:
    """When the scheduled job must look at the ticket next; None once it is closed or cancelled.

    Waiting for acceptance: the earlier of the response deadline and the acceptance window's end. Accepted:
    the resolution deadline. Resolved: the auto-close time.
    """
    state = ticket.state
    if state.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        return None
    if state.status is TicketStatus.RESOLVED:
        return (state.resolved_at or ticket.updated_at) + settings.auto_close
    if state.status in (TicketStatus.SUBMITTED, TicketStatus.ASSIGNED):
        since = (
            state.assigned_at
            if state.status is TicketStatus.ASSIGNED and state.assigned_at
            else ticket.updated_at
        )
        window_end = since + settings.rules.window(state.priority)
        return (
            min(window_end, ticket.respond_by)
            if state.accepted_at is None
            else min(window_end, ticket.resolve_by)
        )
    return ticket.resolve_by


def dispatch_new(
    ticket: Ticket,
    candidates: Iterable[dispatch.Technician],
    settings: EffectiveSettings,
    now: datetime,
    timeline: list[TimelineRecord],
) -> tuple[Ticket, dispatch.Technician | None]:
    """Assign a just-filed ticket to its first technician, if any, as the system (timeline appended)."""
    technician = dispatch.first_assignee(
        candidates,
        settings.rules,
        priority=ticket.state.priority,
        skill=ticket.skill,
        site_id=ticket.place.site_id,
        building_id=ticket.place.building_id,
    )
    if technician is None:
        return ticket, None
    transition = lifecycle.apply(
        ticket.state,
        Action.ASSIGN,
        Actor.system(),
        now,
        assignee=Assignee(technician.staff_id, technician.user_id),
    )
    timeline.append(timeline_record(transition.timeline_entry))
    return with_state(ticket, transition.new_state, now, settings, version=2), technician


def with_state(
    ticket: Ticket, state: TicketState, now: datetime, settings: EffectiveSettings, *, version: int
) -> Ticket:
    acceptance_due = None
    if state.status is TicketStatus.ASSIGNED:
        acceptance_due = (state.assigned_at or now) + settings.rules.window(state.priority)
    # replace() carries every other field (photos, the job's marks) through the state change.
    return replace(ticket, state=state, version=version, updated_at=now, acceptance_due_at=acceptance_due)


def timeline_record(entry: lifecycle.TimelineEntry) -> TimelineRecord:
    return TimelineRecord(
        at=entry.at,
        actor=entry.actor,
        action=entry.action.value,
        from_status=entry.from_status.value,
        to_status=entry.to_status.value,
        note=entry.note,
        assignee_staff_id=entry.assignee_staff_id,
    )


def _live(ctx: TenantContext, resident_id: str | None, unit_id: str | None) -> LiveLink | None:
    return LiveLink(ctx.tenant_id, resident_id, unit_id) if resident_id and unit_id else None


def _visible(ctx: TenantContext, ticket: Ticket) -> bool:
    return ctx.is_staff or ticket.state.reporter_user_id == ctx.user_id


def _require_member(ctx: TenantContext) -> None:
    ctx.require(*STAFF_READERS, Role.RESIDENT)


def _request_digest(ctx: TenantContext, request: TicketCreate) -> str:
    body = {"on_behalf_of": ctx.on_behalf_of, **request.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _known(identifier: str, resource: str = "ticket") -> str:
    if not _ID.fullmatch(identifier):
        raise NotFound(resource)
    return identifier


def _unprocessable(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, [{"loc": ["body", field], "type": "invalid_reference", "msg": message}])


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; settings are integers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "as_integer_ratio") and not isinstance(value, bool | int | float):
        return int(value)
    return value


__all__ = ["EffectiveSettings", "TicketService", "next_check", "settings_problems"]
