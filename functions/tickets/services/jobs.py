"""The tickets' scheduled job (every minute): re-dispatch or escalate unaccepted tickets, mark SLA breaches
once, auto-close resolved tickets nobody rated, and set each ticket's next look in the due index.

``plan`` decides (pure); ``TicketJobs`` reads the due tickets, writes each plan in one transaction
conditioned on the ticket's version, then publishes the plan's events. A ticket changed concurrently is left
for the next run. What the job did before is read back from the ticket's timeline (re-dispatches,
escalation, breaches) as well as from the item (``sla_breaches``), so the marks survive the API's later full
put of the ticket item.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from courtyard.audit import AuditLog
from courtyard.clock import Clock, to_iso
from courtyard.directory import StaffView, TenantView
from courtyard.errors import Conflict, DomainError
from courtyard.events import DomainEvent
from courtyard.on_duty import RosterDirectory, rostered_ids
from schemas.events import TicketEscalated
from tickets import dispatch, lifecycle, sla
from tickets.domain import TERMINAL_STATUSES, Action, TicketStatus
from tickets.events import TicketSlaBreached, assigned_event, status_changed_event
from tickets.lifecycle import SYSTEM_USER_ID, Actor, Assignee
from tickets.models import Ticket, TicketSettingsIn, TimelineRecord
from tickets.services.tickets import DISPATCHABLE_ROLE, EffectiveSettings, timeline_record, with_state
from tickets.sla import Target

REDISPATCH_NOTE = "re-dispatched"
ESCALATE_ACTION = "escalate"
BREACH_ACTION = "sla_breach"
# Entries after which a new dispatch round starts: the counting of re-dispatches and the escalation reset.
_ROUND_STARTS = frozenset({Action.ACCEPT.value, Action.REOPEN.value})
_WAITING = frozenset({TicketStatus.SUBMITTED, TicketStatus.ASSIGNED})
_JUST_AFTER = timedelta(milliseconds=1)


# ------------------------------------------------------------------ events


# ------------------------------------------------------------------ the pure rules


@dataclass(frozen=True, slots=True)
class DueTicket:
    """What the job reads of one due ticket: the ticket, its timeline (oldest first) and the item's marks."""

    ticket: Ticket
    timeline: tuple[TimelineRecord, ...] = ()
    marked: frozenset[Target] = frozenset()
    next_check_at: datetime | None = None
    item: Mapping[str, Any] = field(default_factory=dict)  # as stored: attributes this job does not model


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run does to one ticket; ``after`` carries the new version when anything is written."""

    before: Ticket
    after: Ticket
    entries: tuple[TimelineRecord, ...]
    events: tuple[tuple[str, DomainEvent], ...]
    breaches: frozenset[Target]  # every breach marked on the item once written
    next_check_at: datetime | None
    audit: tuple[tuple[str, dict[str, Any]], ...] = ()
    escalated_at: datetime | None = None
    item: Mapping[str, Any] = field(default_factory=dict)  # the item read, whose other attributes are kept

    @property
    def transitioned(self) -> bool:
        return self.after.state != self.before.state


@dataclass(frozen=True, slots=True)
class Round:
    """The current dispatch round: since the last acceptance, reopening or human assignment."""

    start: TimelineRecord | None
    entries: tuple[TimelineRecord, ...]


def current_round(timeline: Sequence[TimelineRecord]) -> Round:
    for index in range(len(timeline) - 1, -1, -1):
        entry = timeline[index]
        human_assign = entry.action == Action.ASSIGN.value and entry.actor != SYSTEM_USER_ID
        if entry.action in _ROUND_STARTS or human_assign:
            return Round(entry, tuple(timeline[index:]))
    return Round(None, tuple(timeline))


def dispatch_history(ticket: Ticket, timeline: Sequence[TimelineRecord]) -> dispatch.DispatchHistory:
    """The dispatch facts of the current round, read back from the timeline."""
    state = ticket.state
    round_ = current_round(timeline)
    tried: list[str] = []
    for entry in round_.entries:
        if (
            entry.action == Action.ASSIGN.value
            and entry.assignee_staff_id
            and entry.assignee_staff_id not in tried
        ):
            tried.append(entry.assignee_staff_id)
    if state.assignee_staff_id is not None and state.assignee_staff_id not in tried:
        tried.append(state.assignee_staff_id)
    redispatches = sum(1 for entry in round_.entries if _is_redispatch(entry))
    escalated = any(entry.action == ESCALATE_ACTION for entry in round_.entries)
    if state.status is TicketStatus.ASSIGNED and state.assigned_at is not None:
        since = state.assigned_at
    elif round_.start is not None:
        since = round_.start.at
    else:
        since = state.created_at
    return dispatch.DispatchHistory(
        status=state.status,
        priority=state.priority,
        skill=ticket.skill,
        site_id=ticket.place.site_id,
        building_id=ticket.place.building_id,
        since=since,
        tried=tuple(tried),
        redispatches=redispatches,
        escalated=escalated,
    )


def _is_redispatch(entry: TimelineRecord) -> bool:
    return (
        entry.action == Action.ASSIGN.value
        and entry.actor == SYSTEM_USER_ID
        and (entry.note or "").startswith(REDISPATCH_NOTE)
    )


def timeline_breaches(timeline: Iterable[TimelineRecord]) -> frozenset[Target]:
    """The breaches the job recorded in the timeline (their note starts with the target)."""
    found: set[Target] = set()
    for entry in timeline:
        if entry.action == BREACH_ACTION and entry.note:
            word = entry.note.split(" ", 1)[0]
            if word in {t.value for t in Target}:
                found.add(Target(word))
    return frozenset(found)


def sla_clock(ticket: Ticket) -> sla.SlaClock:
    """The ticket's SLA clock; a ticket the desk resolved without accepting counts as answered then."""
    state = ticket.state
    return sla.SlaClock(
        respond_by=ticket.respond_by,
        resolve_by=ticket.resolve_by,
        accepted_at=state.accepted_at or state.resolved_at,
        resolved_at=state.resolved_at,
        cancelled_at=state.cancelled_at,
    )


def plan(
    due: DueTicket,
    now: datetime,
    settings: EffectiveSettings,
    technicians: Iterable[dispatch.Technician] = (),
) -> Plan | None:
    """The job's work on one ticket at ``now``; None when there is nothing to write."""
    before = due.ticket
    marked = due.marked | timeline_breaches(due.timeline)
    if before.status in TERMINAL_STATUSES:
        if due.next_check_at is None:
            return None
        return Plan(before, before, (), (), marked, None, item=due.item)  # only leaves the due index

    entries: list[TimelineRecord] = []
    events: list[tuple[str, DomainEvent]] = []
    audit: list[tuple[str, dict[str, Any]]] = []
    status = before.status.value
    current = before
    escalated_at: datetime | None = None

    # (b) SLA: each target breached is marked, and announced, once.
    new = sla.new_breaches(sla_clock(before), now, marked)
    for target in sorted(new):
        due_at = before.respond_by if target is Target.RESPONSE else before.resolve_by
        note = f"{target.value} target missed: due {to_iso(due_at)}"
        entries.append(TimelineRecord(now, SYSTEM_USER_ID, BREACH_ACTION, status, status, note))
        events.append(
            (
                "TicketSlaBreached",
                TicketSlaBreached(
                    tenant_id=before.tenant_id,
                    occurred_at=now,
                    ticket_id=before.ticket_id,
                    site_id=before.place.site_id,
                    priority=before.state.priority.value,
                    target=target.value,
                    due_at=to_iso(due_at),
                    assignee_staff_id=before.state.assignee_staff_id,
                ),
            )
        )
        audit.append(("ticket.sla_breach", {"target": target.value}))
    marked = marked | new

    # (a) not accepted within the window: re-dispatch, then escalate once.
    if before.status in _WAITING:
        step = dispatch.next_step(dispatch_history(before, due.timeline), now, settings.rules, technicians)
        if isinstance(step, dispatch.Redispatch):
            minutes = int(settings.rules.window(before.state.priority).total_seconds() // 60)
            transition = lifecycle.apply(
                before.state,
                Action.ASSIGN,
                Actor.system(),
                now,
                assignee=Assignee(step.to.staff_id, step.to.user_id),
                note=f"{REDISPATCH_NOTE}: not accepted within {minutes} minutes",
            )
            current = with_state(before, transition.new_state, now, settings, version=before.version + 1)
            entries.append(timeline_record(transition.timeline_entry))
            events.append(("TicketStatusChanged", status_changed_event(before, current, Action.ASSIGN, now)))
            events.append(("TicketAssigned", assigned_event(current, now, SYSTEM_USER_ID)))
            audit.append(("ticket.redispatch", {"to": step.to.staff_id}))
        elif isinstance(step, dispatch.Escalate):
            escalated_at = now
            entries.append(TimelineRecord(now, SYSTEM_USER_ID, ESCALATE_ACTION, status, status, step.reason))
            events.append(
                (
                    "TicketEscalated",
                    TicketEscalated(
                        tenant_id=before.tenant_id,
                        occurred_at=now,
                        ticket_id=before.ticket_id,
                        site_id=before.place.site_id,
                        priority=before.state.priority.value,
                        to_role=step.to.value,
                        reason=step.reason,
                        assignee_staff_id=before.state.assignee_staff_id,
                    ),
                )
            )
            audit.append(("ticket.escalate", {"to": step.to.value}))

    # (c) resolved long enough with no rating: closed by the system.
    if auto_close_due(before, now, settings):
        transition = lifecycle.apply(
            before.state, Action.CLOSE, Actor.system(), now, note="closed automatically"
        )
        current = with_state(before, transition.new_state, now, settings, version=before.version + 1)
        entries.append(timeline_record(transition.timeline_entry))
        events.append(("TicketStatusChanged", status_changed_event(before, current, Action.CLOSE, now)))
        audit.append(("ticket.auto_close", {"from": before.status.value}))

    after_timeline = (*due.timeline, *entries)
    next_at = next_check(current, after_timeline, marked, now, settings)
    if not entries and next_at == due.next_check_at:
        return None
    if current is before and entries:
        current = replace(before, version=before.version + 1, updated_at=now)
    # Without entries only the next look moves: the version stays, so no concurrent action is refused.
    return Plan(
        before, current, tuple(entries), tuple(events), marked, next_at, tuple(audit), escalated_at, due.item
    )


def auto_close_due(ticket: Ticket, now: datetime, settings: EffectiveSettings) -> bool:
    state = ticket.state
    return (
        state.status is TicketStatus.RESOLVED
        and ticket.rating is None
        and state.resolved_at is not None
        and state.resolved_at + settings.auto_close <= now
    )


def next_check(
    ticket: Ticket,
    timeline: Sequence[TimelineRecord],
    marked: frozenset[Target],
    now: datetime,
    settings: EffectiveSettings,
) -> datetime | None:
    """When the job must look again: the end of the acceptance window, an SLA deadline not yet marked, or
    the auto-close time; None when nothing is left for it (the ticket leaves the due index)."""
    state = ticket.state
    if state.status in TERMINAL_STATUSES:
        return None
    candidates: list[datetime] = []
    if state.status in _WAITING:
        step = dispatch.next_step(dispatch_history(ticket, timeline), now, settings.rules, ())
        if isinstance(step, dispatch.Wait):
            if step.until is not None:
                candidates.append(step.until)
        else:
            candidates.append(now)
    if state.status is TicketStatus.RESOLVED and ticket.rating is None and state.resolved_at is not None:
        candidates.append(state.resolved_at + settings.auto_close)
    # A target is missed only after its deadline: look a millisecond later (the stored precision).
    clock = sla_clock(ticket)
    if Target.RESPONSE not in marked and clock.accepted_at is None:
        candidates.append(ticket.respond_by + _JUST_AFTER)
    if Target.RESOLUTION not in marked and clock.resolved_at is None:
        candidates.append(ticket.resolve_by + _JUST_AFTER)
    return min(candidates) if candidates else None


# ------------------------------------------------------------------ tenant context, shared with alarms


def effective_settings(document: Mapping[str, Any] | None, tenant: TenantView | None) -> EffectiveSettings:
    """A tenant's stored settings (defaults when missing or no longer valid) as the pure policies' types."""
    timezone = tenant.timezone if tenant is not None else "Asia/Shanghai"
    parsed = TicketSettingsIn()
    if document is not None:
        try:
            parsed = TicketSettingsIn.model_validate(_plain(document))
        except ValidationError:
            parsed = TicketSettingsIn()
    return EffectiveSettings(parsed, timezone)


def technicians(
    staff: Iterable[StaffView], counts: Mapping[str, int], rostered: Collection[str] = frozenset()
) -> list[dispatch.Technician]:
    """The technicians with their open-ticket counts; ``rostered``: on the community's running shift."""
    return [
        dispatch.Technician(
            staff_id=member.staff_id,
            user_id=member.user_id,
            skills=member.skills,
            zones=member.zones,
            on_duty=member.on_duty,
            active=member.active,
            open_tickets=counts.get(member.staff_id, 0),
            rostered=member.staff_id in rostered,
        )
        for member in staff
        if DISPATCHABLE_ROLE in member.roles
    ]


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; settings are integers."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "as_integer_ratio") and not isinstance(value, bool | int | float):
        return int(value)
    return value


# ------------------------------------------------------------------ the run


@dataclass(frozen=True, slots=True)
class DueRef:
    tenant_id: str
    ticket_id: str


class JobsStore(Protocol):
    def due(self, now: datetime, per_shard: int) -> Iterable[DueRef]: ...
    def load(self, tenant_id: str, ticket_id: str) -> DueTicket | None: ...
    def apply(self, plan: Plan) -> None: ...
    def settings(self, tenant_id: str) -> dict[str, Any] | None: ...
    def open_counts(self, tenant_id: str) -> dict[str, int]: ...


class Directory(RosterDirectory, Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def staff_members(self, tenant_id: str) -> list[StaffView]: ...


class Events(Protocol):
    def publish_many(self, events: Sequence[tuple[str, DomainEvent]]) -> None: ...


@dataclass
class RunReport:
    due: int = 0
    changed: int = 0
    skipped: int = 0  # changed concurrently, or no longer due: left for the next run
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (tenant, ticket, error)


class _Lazy:
    """Technicians loaded only when a decision needs them (most due tickets are SLA checks)."""

    def __init__(self, load: Callable[[], list[dispatch.Technician]]) -> None:
        self._load = load

    def __iter__(self) -> Iterator[dispatch.Technician]:
        return iter(self._load())


class TicketJobs:
    # The due index's page size: a run takes page after page until nothing is due or its time is short
    # (``out_of_time``); what it did not reach stays due for the next minute (courtyard.drain).
    PER_SHARD = 25

    def __init__(
        self,
        store: JobsStore,
        directory: Directory,
        audit: AuditLog,
        events: Events,
        clock: Clock,
        *,
        per_shard: int = PER_SHARD,
    ) -> None:
        self._store = store
        self._directory = directory
        self._audit = audit
        self._events = events
        self._clock = clock
        self._per_shard = per_shard

    def run(
        self, now: datetime | None = None, *, out_of_time: Callable[[], bool] = lambda: False
    ) -> RunReport:
        """One pass over the due tickets at ``now`` (the clock's by default); tickets not reached before
        ``out_of_time`` stay due for the next run."""
        now = now or self._clock.now()
        report = RunReport()
        settings: dict[str, EffectiveSettings] = {}
        staff: dict[tuple[str, str], list[dispatch.Technician]] = {}
        for ref in self._store.due(now, self._per_shard):
            if out_of_time():
                break
            report.due += 1
            try:
                if self._one(ref, now, settings, staff):
                    report.changed += 1
                else:
                    report.skipped += 1
            except Conflict:
                report.skipped += 1
            except (DomainError, ValueError, KeyError) as error:
                report.failed.append((ref.tenant_id, ref.ticket_id, f"{type(error).__name__}: {error}"))
        return report

    def _one(
        self,
        ref: DueRef,
        now: datetime,
        settings: dict[str, EffectiveSettings],
        staff: dict[tuple[str, str], list[dispatch.Technician]],
    ) -> bool:
        due = self._store.load(ref.tenant_id, ref.ticket_id)  # consistent: the index lags the table
        if due is None or (due.next_check_at is not None and due.next_check_at > now):
            return False
        tenant_id = due.ticket.tenant_id
        if tenant_id not in settings:
            settings[tenant_id] = effective_settings(
                self._store.settings(tenant_id), self._directory.tenant(tenant_id)
            )

        site_id = due.ticket.place.site_id
        key = (tenant_id, site_id)  # the candidates of a community: its roster's technicians come first

        def load_technicians() -> list[dispatch.Technician]:
            if key not in staff:
                on_roster = rostered_ids(self._directory, tenant_id, site_id, now)
                staff[key] = technicians(
                    self._directory.staff_members(tenant_id), self._store.open_counts(tenant_id), on_roster
                )
            return staff[key]

        decided = plan(due, now, settings[tenant_id], _Lazy(load_technicians))
        if decided is None:
            return False
        self._store.apply(decided)
        if decided.after.state.assignee_staff_id != decided.before.state.assignee_staff_id:
            for loaded in [k for k in staff if k[0] == tenant_id]:
                staff.pop(loaded)  # the load counters moved
        for action, details in decided.audit:
            self._audit.record(
                None, action, "ticket", ref.ticket_id, details, SYSTEM_USER_ID, tenant_id=tenant_id
            )
        if decided.events:
            self._events.publish_many(list(decided.events))
        return True
