"""The ticket state machine: who may do which action, from which status, and the timeline entry it leaves.

submitted -> assigned -> accepted -> in_progress -> resolved -> closed, plus re-assign, reopen and cancel.
Checks run in a fixed order: the actor first (``Forbidden``, 403: this actor may never do this action on
this ticket), then the status (``Conflict``, 409: the actor could, but not now), then the action's input
(``Unprocessable``, 422). Checking the actor first keeps 409 for callers who may act, and so tells an
outsider nothing about the ticket's progress.

Who may do what (``manager`` and ``service_desk`` together are "the desk"):

=========  =====================================================  ============================================
action     actors                                                 from
=========  =====================================================  ============================================
assign     the desk, the dispatcher (system); in grab mode a      submitted; re-assign from assigned, accepted
           technician claiming it for themself                    (a claim: submitted only)
accept     the assignee; a guard, for an emergency (an SOS, a     assigned; a guard also submitted (nobody
           life-safety alarm: the ladder calls guards first)      assigned: the guard becomes the assignee)
start      the assignee                                           accepted
resolve    the assignee; the desk                                 assignee: in_progress; the desk also from
                                                                  submitted, assigned, accepted (settled by
                                                                  phone, e.g. a noise complaint)
close      the reporter, the desk, the system (auto-close)        resolved
reopen     the reporter, the desk                                 resolved -> assigned (same assignee) or
                                                                  submitted (none)
cancel     the reporter; the desk                                 reporter: submitted, assigned, accepted; the
                                                                  desk also in_progress
=========  =====================================================  ============================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from courtyard.errors import Conflict, DomainError, Forbidden, Unprocessable
from courtyard.tenancy import Role
from tickets.domain import Action, Priority, TicketStatus

SYSTEM_USER_ID = "system"
NOTE_MAX_LENGTH = 1000

_DESK = frozenset({Role.MANAGER, Role.SERVICE_DESK})
_S = TicketStatus


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a signed-in user (with their staff id when they are staff) or the system's scheduled jobs."""

    user_id: str
    roles: frozenset[Role] = frozenset()
    staff_id: str | None = None
    is_system: bool = False

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=SYSTEM_USER_ID, is_system=True)

    @property
    def is_desk(self) -> bool:
        return not self.is_system and not self.roles.isdisjoint(_DESK)


@dataclass(frozen=True, slots=True)
class Assignee:
    """The technician a ticket is assigned to; ``user_id`` is None for staff without a login yet."""

    staff_id: str
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class TicketState:
    """What the state machine needs of a ticket, and the timestamps its transitions stamp.

    ``accepted_at`` keeps the first acceptance (the response SLA is measured once); ``resolved_at`` the
    latest resolution (a reopen clears it, so the resolution clock runs again).
    """

    status: TicketStatus
    priority: Priority
    reporter_user_id: str
    created_at: datetime
    assignee_staff_id: str | None = None
    assignee_user_id: str | None = None
    reopen_count: int = 0
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None

    @classmethod
    def new(cls, *, reporter_user_id: str, priority: Priority, created_at: datetime) -> TicketState:
        return cls(
            status=TicketStatus.SUBMITTED,
            priority=priority,
            reporter_user_id=reporter_user_id,
            created_at=_utc(created_at),
        )


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str  # a user id, or "system"
    action: Action
    from_status: TicketStatus
    to_status: TicketStatus
    note: str | None = None
    assignee_staff_id: str | None = None  # set on assign: who the ticket went to


@dataclass(frozen=True, slots=True)
class Transition:
    new_state: TicketState
    timeline_entry: TimelineEntry


def _is_assignee(state: TicketState, actor: Actor) -> bool:
    if actor.is_system:
        return False
    by_staff = actor.staff_id is not None and actor.staff_id == state.assignee_staff_id
    by_user = state.assignee_user_id is not None and actor.user_id == state.assignee_user_id
    return by_staff or by_user


def _is_reporter(state: TicketState, actor: Actor) -> bool:
    return not actor.is_system and actor.user_id == state.reporter_user_id


def _guard_responds(state: TicketState, actor: Actor) -> bool:
    """A guard answering an emergency: the ladder calls the on-duty guard first, so their acceptance counts
    (issue 19), whoever the ticket went to."""
    return (
        not actor.is_system
        and Role.GUARD in actor.roles
        and actor.staff_id is not None
        and state.priority is Priority.EMERGENCY
        and not _is_assignee(state, actor)
    )


def _may_claim(actor: Actor, grab_mode: bool) -> bool:
    return grab_mode and Role.TECHNICIAN in actor.roles and actor.staff_id is not None and not actor.is_system


_DENIED = {
    Action.ASSIGN: "only the service desk, a manager or the dispatcher may assign a ticket",
    Action.ACCEPT: "only the assigned technician (or a guard, for an emergency) may accept a ticket",
    Action.START: "only the assigned technician may start work on a ticket",
    Action.RESOLVE: "only the assigned technician, the service desk or a manager may resolve a ticket",
    Action.CLOSE: "only the reporter, the service desk or a manager may close a ticket",
    Action.REOPEN: "only the reporter, the service desk or a manager may reopen a ticket",
    Action.CANCEL: "only the reporter, the service desk or a manager may cancel a ticket",
}
_BEFORE_WORK = frozenset({_S.SUBMITTED, _S.ASSIGNED, _S.ACCEPTED})
_UNRESOLVED = _BEFORE_WORK | {_S.IN_PROGRESS}


def _may(state: TicketState, action: Action, actor: Actor, grab_mode: bool) -> bool:
    """Whether the actor may ever do the action on this ticket, whatever its status."""
    match action:
        case Action.ASSIGN:
            return actor.is_system or actor.is_desk or _may_claim(actor, grab_mode)
        case Action.ACCEPT:
            return _is_assignee(state, actor) or _guard_responds(state, actor)
        case Action.START:
            return _is_assignee(state, actor)
        case Action.RESOLVE:
            return actor.is_desk or _is_assignee(state, actor)
        case Action.CLOSE:
            return actor.is_system or actor.is_desk or _is_reporter(state, actor)
        case Action.REOPEN | Action.CANCEL:
            return actor.is_desk or _is_reporter(state, actor)


def _sources(state: TicketState, action: Action, actor: Actor) -> frozenset[TicketStatus]:
    """The statuses this actor may do the action from (the desk's reach is wider than a technician's)."""
    desk = actor.is_system or actor.is_desk
    match action:
        case Action.ASSIGN:
            # Re-assign (re-dispatch) is the desk's and the dispatcher's; a grab-mode claim is from the pool.
            return _BEFORE_WORK if desk else frozenset({_S.SUBMITTED})
        case Action.ACCEPT:
            if _guard_responds(state, actor):
                return frozenset({_S.SUBMITTED, _S.ASSIGNED})
            return frozenset({_S.ASSIGNED})
        case Action.START:
            return frozenset({_S.ACCEPTED})
        case Action.RESOLVE:
            # The desk may settle a ticket itself (a noise complaint by phone); a technician after working.
            return _UNRESOLVED if actor.is_desk else frozenset({_S.IN_PROGRESS})
        case Action.CLOSE | Action.REOPEN:
            return frozenset({_S.RESOLVED})
        case Action.CANCEL:
            # The reporter may withdraw before work starts; the desk also later (a duplicate found on site).
            return _UNRESOLVED if actor.is_desk else _BEFORE_WORK


def apply(
    state: TicketState,
    action: Action,
    actor: Actor,
    at: datetime,
    *,
    assignee: Assignee | None = None,
    note: str | None = None,
    grab_mode: bool = False,
) -> Transition:
    """Apply ``action`` by ``actor`` at ``at``: the new state and its timeline entry, or a domain error.

    ``assignee`` is required to assign, except for a technician's claim in grab mode (the claimer is it).
    """
    _check(state, action, actor, grab_mode, assignee)
    at = _utc(at)
    if note is not None and len(note) > NOTE_MAX_LENGTH:
        raise Unprocessable(f"a note is at most {NOTE_MAX_LENGTH} characters")
    new_state = _next(state, action, actor, at, assignee)
    entry = TimelineEntry(
        at=at,
        actor=actor.user_id,
        action=action,
        from_status=state.status,
        to_status=new_state.status,
        note=note,
        assignee_staff_id=new_state.assignee_staff_id if action is Action.ASSIGN else None,
    )
    return Transition(new_state, entry)


def allowed_actions(state: TicketState, actor: Actor, *, grab_mode: bool = False) -> frozenset[Action]:
    """The actions ``actor`` may take on the ticket now (what an app shows as buttons)."""
    allowed: set[Action] = set()
    for action in Action:
        try:
            _check(state, action, actor, grab_mode)
        except DomainError:
            continue
        allowed.add(action)
    return frozenset(allowed)


def _check(
    state: TicketState, action: Action, actor: Actor, grab_mode: bool, assignee: Assignee | None = None
) -> None:
    if not _may(state, action, actor, grab_mode):
        raise Forbidden(_DENIED[action])
    if _is_claim(action, actor) and assignee is not None and assignee.staff_id != actor.staff_id:
        raise Forbidden("a technician may only claim a ticket for themself")
    if state.status not in _sources(state, action, actor):
        raise Conflict(f"cannot {action} a ticket that is {state.status}")


def _next(
    state: TicketState, action: Action, actor: Actor, at: datetime, assignee: Assignee | None
) -> TicketState:
    match action:
        case Action.ASSIGN:
            target = _assign_target(state, actor, assignee)
            return replace(
                state,
                status=_S.ASSIGNED,
                assignee_staff_id=target.staff_id,
                assignee_user_id=target.user_id,
                assigned_at=at,
            )
        case Action.ACCEPT:
            if state.assignee_staff_id is None and actor.staff_id is not None:
                # A guard answering an SOS nobody was dispatched to: they see it through.
                return replace(
                    state,
                    status=_S.ACCEPTED,
                    assignee_staff_id=actor.staff_id,
                    assignee_user_id=actor.user_id,
                    assigned_at=at,
                    accepted_at=state.accepted_at or at,
                )
            return replace(state, status=_S.ACCEPTED, accepted_at=state.accepted_at or at)
        case Action.START:
            return replace(state, status=_S.IN_PROGRESS, started_at=state.started_at or at)
        case Action.RESOLVE:
            return replace(state, status=_S.RESOLVED, resolved_at=at)
        case Action.CLOSE:
            return replace(state, status=_S.CLOSED, closed_at=at)
        case Action.REOPEN:
            # Back to the same technician, who must accept again; with nobody assigned (the desk settled it)
            # it goes back to the queue for dispatch.
            status = _S.ASSIGNED if state.assignee_staff_id is not None else _S.SUBMITTED
            return replace(
                state,
                status=status,
                reopen_count=state.reopen_count + 1,
                resolved_at=None,
                assigned_at=at if status is _S.ASSIGNED else state.assigned_at,
            )
        case Action.CANCEL:
            return replace(state, status=_S.CANCELLED, cancelled_at=at)


def _assign_target(state: TicketState, actor: Actor, assignee: Assignee | None) -> Assignee:
    if _is_claim(Action.ASSIGN, actor):
        # A grab-mode claim: the claimer is the assignee (_check refused a claim for someone else).
        assert actor.staff_id is not None  # guaranteed by _may_claim
        return Assignee(actor.staff_id, actor.user_id)
    if assignee is None:
        raise Unprocessable("assign needs an assignee")
    if state.status is not _S.SUBMITTED and assignee.staff_id == state.assignee_staff_id:
        raise Conflict("the ticket is already assigned to that technician")
    return assignee


def _is_claim(action: Action, actor: Actor) -> bool:
    return action is Action.ASSIGN and not (actor.is_system or actor.is_desk)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return at.astimezone(UTC)
