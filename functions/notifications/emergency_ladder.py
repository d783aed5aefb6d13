"""The emergency ladder's rule (pure): who is called at each step, when the next step is due, when it stops.

An SOS ticket, a critical alarm (fire, smoke, gas, elevator entrapment, or any alarm in a care-list unit)
or an escalated work order starts a ladder for its community:

0. the on-duty guards and technicians, at once;
1. the other on-duty staff (service desk, ...), if nobody acknowledged within the firm's step time;
2. the manager on duty, one step time later;
3. every manager of the firm, one step time later. Then the ladder is done.

Every step calls by push and SMS (urgent: quiet hours never hold them); the last step (every manager) also
places a voice call to each (the manager on duty, texted a step before, gets the call alone), and so does
every step of an emergency in a care-list resident's unit (an elderly resident living alone cannot wait for
someone to read a text). The callee presses 1 to acknowledge.

Each step is climbed at most once (its number moves only forward, by a conditional write), nobody is called
twice, a step with nobody to call is passed over at once (there is no one to wait for), and the first
acknowledgment (a staff member accepting the work order, or acknowledging the alarm) stops it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from courtyard.directory import StaffView
from courtyard.on_duty import OnDutyView
from notifications.domain import Channel

# The events the ladder reads from the notifications' event queue (beside ``event_messages.CONSUMED``).
CONSUMED = (
    "TicketCreated",
    "TicketEscalated",
    "TicketStatusChanged",
    "AlarmRaised",
    "AlarmAcknowledged",
    "AlarmCleared",
)
CRITICAL_ALARM_KINDS = frozenset(
    {"fire", "smoke", "gas", "gas_leak", "elevator_entrapment", "entrapment", "trapped"}
)
FIRST_RESPONDERS = frozenset({"guard", "technician"})
MANAGER = "manager"
NOT_STARTED = -1


class Step(StrEnum):
    ON_DUTY_FIRST = "on_duty_first"
    ON_DUTY_REST = "on_duty_rest"
    MANAGER_ON_DUTY = "manager_on_duty"
    EVERY_MANAGER = "every_manager"


STEPS = (Step.ON_DUTY_FIRST, Step.ON_DUTY_REST, Step.MANAGER_ON_DUTY, Step.EVERY_MANAGER)
LadderStatus = Literal["open", "acknowledged", "stopped", "done"]
Subject = Literal["ticket", "alarm"]


@dataclass(frozen=True)
class Ladder:
    tenant_id: str
    subject: Subject
    subject_id: str
    site_id: str
    reason: str  # sos | critical_alarm | escalated
    started_at: datetime
    unit_id: str | None = None
    building_id: str | None = None
    step: int = NOT_STARTED  # the last step climbed
    next_at: datetime | None = None  # when the next step is due (None: nothing more to climb)
    status: LadderStatus = "open"
    called: frozenset[str] = field(default_factory=frozenset)  # staff ids already called
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    care: bool = False  # the emergency is in a care-list resident's unit (关爱名单)

    @property
    def key(self) -> str:
        return f"{self.subject}:{self.subject_id}"


def start(
    tenant_id: str,
    subject: Subject,
    subject_id: str,
    site_id: str,
    reason: str,
    at: datetime,
    *,
    unit_id: str | None = None,
    building_id: str | None = None,
    care: bool = False,
) -> Ladder:
    """A new ladder whose first step is due at once."""
    return Ladder(
        tenant_id, subject, subject_id, site_id, reason, at, unit_id, building_id, NOT_STARTED, at, care=care
    )


def is_critical_alarm(severity: str, kind: str, *, care_unit: bool = False) -> bool:
    """An alarm climbs the ladder when critical, of a life-safety kind, or in a care-list resident's unit."""
    return severity == "critical" or kind.lower() in CRITICAL_ALARM_KINDS or care_unit


def due_step(ladder: Ladder, now: datetime) -> int | None:
    """The step to climb now, or None (stopped, finished, or not yet due)."""
    if ladder.status != "open" or ladder.next_at is None or ladder.next_at > now:
        return None
    following = ladder.step + 1
    return following if following < len(STEPS) else None


def callees(
    step: int, ladder: Ladder, on_duty: Iterable[OnDutyView], staff: Iterable[StaffView]
) -> list[str]:
    """The staff ids a step calls (never one already called), in a stable order."""
    kind = STEPS[step]
    if kind is Step.EVERY_MANAGER:
        chosen = [s.staff_id for s in staff if s.active and MANAGER in s.roles]
    else:
        chosen = [v.staff.staff_id for v in on_duty if _belongs(kind, v.staff.roles)]
    return sorted(set(chosen) - ladder.called)


def recalled(step: int, ladder: Ladder, staff: Iterable[StaffView]) -> list[str]:
    """The managers the last step phones again by voice only: they were texted at an earlier step (the
    manager on duty) and did not answer; everyone else the last step calls is new to the ladder."""
    if STEPS[step] is not Step.EVERY_MANAGER or ladder.care:  # a care ladder phoned them already
        return []
    return sorted({s.staff_id for s in staff if s.active and MANAGER in s.roles} & ladder.called)


VOICE_ONLY = (Channel.INBOX, Channel.VOICE)


def _belongs(step: Step, roles: frozenset[str]) -> bool:
    if step is Step.ON_DUTY_FIRST:
        return bool(roles & FIRST_RESPONDERS)
    if step is Step.ON_DUTY_REST:
        return MANAGER not in roles and not roles & FIRST_RESPONDERS
    return MANAGER in roles  # the manager on duty


CHANNELS = (Channel.INBOX, Channel.PUSH, Channel.SMS)  # every step; urgent, so quiet hours never hold it
WITH_VOICE = (*CHANNELS, Channel.VOICE)


def channels(step: int, ladder: Ladder) -> tuple[Channel, ...]:
    """How a step calls: push and SMS always; a voice call too at the last step and for a care-list unit."""
    return WITH_VOICE if ladder.care or STEPS[step] is Step.EVERY_MANAGER else CHANNELS


def key_of_source(source: str) -> str | None:
    """The ladder a step's message belongs to (``ladder:{subject}:{id}:{step}`` -> ``{subject}:{id}``)."""
    parts = source.split(":")
    if len(parts) == 4 and parts[0] == "ladder" and parts[1] in ("ticket", "alarm"):
        return f"{parts[1]}:{parts[2]}"
    return None


def climbed(ladder: Ladder, step: int, called: Iterable[str], now: datetime, step_minutes: int) -> Ladder:
    """The ladder after ``step`` was climbed at ``now``: the next one is due a step time later."""
    last = step + 1 >= len(STEPS)
    return replace(
        ladder,
        step=step,
        called=ladder.called | frozenset(called),
        next_at=None if last else now + timedelta(minutes=step_minutes),
        status="done" if last else ladder.status,
    )


def acknowledged(ladder: Ladder, by: str, at: datetime) -> Ladder:
    """The first acknowledgment stops the ladder and is kept; later ones change nothing."""
    if ladder.acknowledged_at is not None:
        return ladder
    status: LadderStatus = "acknowledged" if ladder.status in ("open", "done") else ladder.status
    return replace(ladder, status=status, next_at=None, acknowledged_at=at, acknowledged_by=by)


def stopped(ladder: Ladder) -> Ladder:
    """Cleared before anyone acknowledged (a false alarm cleared by the system): nothing more to climb."""
    if ladder.status != "open":
        return ladder
    return replace(ladder, status="stopped", next_at=None)
