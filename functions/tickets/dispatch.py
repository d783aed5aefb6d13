"""Automatic dispatch (pure): who gets a new ticket, and what the scheduled job does with an unaccepted one.

Skills match exactly: ``general`` (综合维修, the handyman) takes general work only. Electrical and elevator
work needs a certificate (电工证, 电梯作业证), and plumbing, cleaning and security are separate departments'
trades, so no skill stands in for another; a firm that wants a handyman on plumbing gives them that skill.
Zones mirror the directory's ``covers``: a job without a building (a common area) is covered by any zone of
its site.

The duty roster comes first (issue 19): a technician on the community's roster for the running shift
(``rostered``, derived by ``courtyard.duty`` from the firm's calendar) is on duty there whatever their manual
flag and zones, and is preferred over everyone else; for an emergency (an SOS at 03:00) the rostered
technician takes it whatever its trade, because at night they are the one person on site. Without a
rostered technician free, today's rule holds: the manual on-duty flag, the skill and the zone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Protocol

from courtyard.tenancy import Role
from tickets.domain import DEFAULT_CATEGORY_SKILLS, Priority, Skill, TicketStatus


class ZoneLike(Protocol):
    @property
    def site_id(self) -> str: ...

    @property
    def building_ids(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class Zone:
    """A site a technician serves: every building of it (``building_ids`` empty) or only the listed ones."""

    site_id: str
    building_ids: tuple[str, ...] = ()


def covers(zones: Iterable[ZoneLike], site_id: str, building_id: str | None = None) -> bool:
    """Whether the zones include the place; a common area (no building) is covered by any zone of its site.

    The same rule as ``directory.staff.rules.covers``, mirrored because features never import each other.
    """
    for zone in zones:
        if zone.site_id != site_id:
            continue
        if not zone.building_ids or building_id is None or building_id in zone.building_ids:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Technician:
    staff_id: str
    user_id: str | None
    skills: frozenset[str]
    zones: tuple[ZoneLike, ...]
    on_duty: bool
    active: bool
    open_tickets: int = 0
    # On the roster of the ticket's community for the shift running now (courtyard.duty).
    rostered: bool = False


def can_take(
    technician: Technician,
    skill: str,
    site_id: str,
    building_id: str | None,
    *,
    emergency: bool = False,
) -> bool:
    if not technician.active:
        return False
    if technician.rostered:
        return emergency or skill in technician.skills
    return (
        technician.on_duty and skill in technician.skills and covers(technician.zones, site_id, building_id)
    )


def choose(
    technicians: Iterable[Technician],
    skill: str,
    site_id: str,
    building_id: str | None,
    exclude: frozenset[str] = frozenset(),
    *,
    emergency: bool = False,
) -> Technician | None:
    """The eligible technician, rostered ones first, with the fewest open tickets (ties: lowest staff id);
    None: the desk queue."""
    eligible = [
        technician
        for technician in technicians
        if technician.staff_id not in exclude
        and can_take(technician, skill, site_id, building_id, emergency=emergency)
    ]
    return min(eligible, key=lambda t: (not t.rostered, t.open_tickets, t.staff_id), default=None)


# An emergency must be accepted within its 5-minute response target, so its window leaves room for one
# re-dispatch inside it; the scheduled job runs every minute.
DEFAULT_ACCEPTANCE_WINDOWS: Mapping[Priority, int] = MappingProxyType(
    {Priority.EMERGENCY: 2, Priority.URGENT: 10, Priority.NORMAL: 30}
)


_DEFAULT_SKILLS: Mapping[str, str] = MappingProxyType(
    {str(category): str(skill) for category, skill in DEFAULT_CATEGORY_SKILLS.items()}
)


@dataclass(frozen=True)
class DispatchRules:
    """A tenant's dispatch settings. In grab mode normal and urgent tickets wait in a pool for technicians to
    claim; emergencies are still pushed to a technician (a pool is too slow for an SOS)."""

    category_skills: Mapping[str, str] = field(default_factory=lambda: _DEFAULT_SKILLS)
    acceptance_window_minutes: Mapping[Priority, int] = field(
        default_factory=lambda: DEFAULT_ACCEPTANCE_WINDOWS
    )
    max_redispatch: int = 2
    grab_mode: bool = False

    def __post_init__(self) -> None:
        if self.max_redispatch < 0:
            raise ValueError("max_redispatch must not be negative")
        if any(minutes <= 0 for minutes in self.acceptance_window_minutes.values()):
            raise ValueError("acceptance windows must be positive")
        known = {skill.value for skill in Skill}
        unknown = sorted(set(self.category_skills.values()) - known)
        if unknown:
            raise ValueError(f"unknown skills in the category rules: {', '.join(unknown)}")

    def skill_for(self, category: str) -> str:
        """The skill a category needs; a category without a rule is general work."""
        return self.category_skills.get(category, Skill.GENERAL)

    def window(self, priority: Priority) -> timedelta:
        minutes = self.acceptance_window_minutes.get(priority, DEFAULT_ACCEPTANCE_WINDOWS[priority])
        return timedelta(minutes=minutes)

    def pooled(self, priority: Priority) -> bool:
        """Whether tickets of this priority wait for a claim instead of being pushed to a technician."""
        return self.grab_mode and priority is not Priority.EMERGENCY


def first_assignee(
    technicians: Iterable[Technician],
    rules: DispatchRules,
    *,
    priority: Priority,
    skill: str,
    site_id: str,
    building_id: str | None,
) -> Technician | None:
    """Who a new ticket goes to; None leaves it submitted (the desk's queue, or the pool in grab mode)."""
    if rules.pooled(priority):
        return None
    return choose(technicians, skill, site_id, building_id, emergency=priority is Priority.EMERGENCY)


@dataclass(frozen=True, slots=True)
class DispatchHistory:
    """What the scheduled job knows of a ticket's dispatch so far."""

    status: TicketStatus
    priority: Priority
    skill: str
    site_id: str
    building_id: str | None
    since: datetime  # when the ticket entered its status: its last assignment, filing or reopening
    tried: tuple[str, ...] = ()  # every staff id dispatched so far (the current assignee too), oldest first
    redispatches: int = 0  # automatic re-dispatches made by the job
    escalated: bool = False


@dataclass(frozen=True, slots=True)
class Redispatch:
    to: Technician


@dataclass(frozen=True, slots=True)
class Escalate:
    reason: str
    to: Role = Role.MANAGER


@dataclass(frozen=True, slots=True)
class Wait:
    until: datetime | None  # when to look again; None: nothing more for the job to do


Step = Redispatch | Escalate | Wait


def next_step(
    history: DispatchHistory, now: datetime, rules: DispatchRules, technicians: Iterable[Technician]
) -> Step:
    """The scheduled job's decision for a ticket: wait out the acceptance window, then re-dispatch to a
    technician not tried yet, up to ``max_redispatch`` times, then escalate to the manager, once."""
    if history.status not in (TicketStatus.SUBMITTED, TicketStatus.ASSIGNED) or history.escalated:
        return Wait(None)
    deadline = _utc(history.since) + rules.window(history.priority)
    if _utc(now) < deadline:
        return Wait(deadline)
    minutes = int(rules.window(history.priority).total_seconds() // 60)
    if rules.pooled(history.priority):
        return Escalate(f"not taken up within {minutes} minutes in grab mode")
    if history.redispatches >= rules.max_redispatch:
        return Escalate(f"not accepted within {minutes} minutes after {history.redispatches} re-dispatches")
    candidate = choose(
        technicians,
        history.skill,
        history.site_id,
        history.building_id,
        exclude=frozenset(history.tried),
        emergency=history.priority is Priority.EMERGENCY,
    )
    if candidate is None:
        return Escalate(f"no other on-duty technician with the skill {history.skill} covers the place")
    return Redispatch(candidate)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return at.astimezone(UTC)
