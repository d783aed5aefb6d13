"""The emergency ladder's use cases: start on an SOS, a critical alarm or an escalation; climb on the
every-minute job; stop on the first acknowledgment. The rule is ``notifications.emergency_ladder``.

Calls go out as delivery jobs on the priority lane through the same sender as every message (push and SMS,
urgent, so quiet hours never hold them). Each step's messages are named by the ladder and the step
(``ladder:{subject}:{id}:{step}``), and a step is recorded only after its jobs are queued: a crash in
between re-sends jobs the sender already knows (it keeps the first), never skips a step; two runs that
climb at once write the step once (the repository's condition), so nobody is called twice for it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from courtyard.clock import Clock, to_iso
from courtyard.directory import StaffView, TenantView, UnitMemberView, UnitView, UserLink
from courtyard.duty import DutyCalendar, RosterLine
from courtyard.on_duty import on_duty
from notifications.domain import Category, Channel, Content, DeliveryJob, Priority, Recipient, message_id
from notifications.emergency_ladder import (
    CHANNELS,
    STEPS,
    VOICE_ONLY,
    Ladder,
    callees,
    channels,
    climbed,
    due_step,
    is_critical_alarm,
    recalled,
    start,
)
from notifications.repositories.ladder import LadderRepository
from notifications.routing import Lanes
from notifications.wording import local_time
from schemas.events import (
    AlarmAcknowledged,
    AlarmCleared,
    AlarmRaised,
    Event,
    TicketCreated,
    TicketEscalated,
    TicketStatusChanged,
)

ACCEPTING_ACTIONS = frozenset({"accept", "start"})
ENDING_STATUSES = frozenset({"cancelled", "closed", "resolved", "rejected"})


class LadderDirectory(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...
    def unit_members(self, tenant_id: str, unit_id: str) -> list[UnitMemberView]: ...
    def user(self, tenant_id: str, user_id: str) -> UserLink | None: ...
    def staff_members(self, tenant_id: str) -> list[StaffView]: ...
    def duty_calendar(self, tenant_id: str) -> DutyCalendar: ...
    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]: ...
    def unit_in_care(self, tenant_id: str, unit_id: str) -> bool: ...


class EmergencyLadders:
    def __init__(
        self, repo: LadderRepository, directory: LadderDirectory, lanes: Lanes, clock: Clock
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._lanes = lanes
        self._clock = clock

    # ------------------------------------------------------------------ events

    def on_event(self, event: Event) -> int:
        """Start, acknowledge or stop a ladder for the event; the number of steps climbed now."""
        t = event.tenant_id
        if isinstance(event, TicketCreated):
            if event.alarm_id:
                # An alarm's work order: accepting it acknowledges the alarm's ladder.
                self._repo.link(t, f"ticket:{event.ticket_id}", f"alarm:{event.alarm_id}")
                return 0
            if event.kind != "sos":
                return 0
            care = bool(event.unit_id) and self._directory.unit_in_care(t, str(event.unit_id))
            ladder = start(
                t,
                "ticket",
                event.ticket_id,
                event.site_id,
                "sos",
                event.occurred_at,
                unit_id=event.unit_id,
                care=care,
            )
            return self._begin(ladder, reporter_user_id=event.reporter_user_id)
        if isinstance(event, TicketEscalated):
            ladder = start(t, "ticket", event.ticket_id, event.site_id, "escalated", event.occurred_at)
            return self._begin(ladder)
        if isinstance(event, AlarmRaised):
            care = bool(event.unit_id) and self._directory.unit_in_care(t, str(event.unit_id))
            if event.repeat or not is_critical_alarm(event.severity, event.kind, care_unit=care):
                return 0
            ladder = start(
                t,
                "alarm",
                event.alarm_id,
                event.site_id,
                "critical_alarm",
                event.occurred_at,
                unit_id=event.unit_id,
                building_id=event.building_id,
                care=care,
            )
            return self._begin(ladder)
        if isinstance(event, TicketStatusChanged):
            key = f"ticket:{event.ticket_id}"
            if event.action in ACCEPTING_ACTIONS and event.by not in ("", "system"):
                self._acknowledge(t, key, event.by, event.occurred_at)
            elif event.to_status in ENDING_STATUSES:
                self._repo.stop(t, key)
            return 0
        if isinstance(event, AlarmAcknowledged):
            self._repo.acknowledge(t, f"alarm:{event.alarm_id}", event.acknowledged_by, event.occurred_at)
            return 0
        if isinstance(event, AlarmCleared):
            key = f"alarm:{event.alarm_id}"
            if event.cleared_by == "system":
                self._repo.stop(t, key)
            else:  # cleared by hand: someone saw to it
                self._repo.acknowledge(t, key, event.cleared_by, event.occurred_at)
            return 0
        return 0

    # ------------------------------------------------------------------ the every-minute job

    def run_due(self) -> int:
        """Climb every ladder whose next step is due; the number of steps climbed."""
        now = self._clock.now()
        climbed_steps = 0
        for due in self._repo.due(now):
            ladder = self._repo.get(due.tenant_id, due.key)
            if ladder is not None:
                climbed_steps += self._climb(ladder, now)
        return climbed_steps

    # ------------------------------------------------------------------ steps

    def _begin(self, ladder: Ladder, *, reporter_user_id: str | None = None) -> int:
        if not self._repo.create(ladder):
            existing = self._repo.get(ladder.tenant_id, ladder.key)
            # A duplicate event climbs nothing, unless the first attempt stopped before its first step.
            if existing is None or existing.step >= 0:
                return 0
            ladder = existing
        if ladder.reason == "sos" and ladder.unit_id:
            self._tell_family(ladder, reporter_user_id)
        return self._climb(ladder, self._clock.now())

    def _climb(self, ladder: Ladder, now: datetime) -> int:
        t = ladder.tenant_id
        step_minutes = self._directory.duty_calendar(t).ladder_step_minutes
        count = 0
        while (step := due_step(ladder, now)) is not None:
            staff = self._directory.staff_members(t)
            who = callees(step, ladder, on_duty(self._directory, t, ladder.site_id, now), staff)
            again = recalled(step, ladder, staff)
            if who or again:
                self._call(ladder, step, who, again)
            after = climbed(ladder, step, who, now, step_minutes)
            if not who and after.next_at is not None:
                after = replace(after, next_at=now)  # nobody to wait for: the next step at once
            if not self._repo.save_step(ladder, after):
                return count  # another run climbed it (or someone acknowledged meanwhile)
            ladder = after
            count += 1
        return count

    def _call(self, ladder: Ladder, step: int, staff_ids: list[str], by_voice: list[str]) -> None:
        source = f"ladder:{ladder.key}:{step}"
        params = self._params(ladder)
        params["step"] = "" if step == 0 else f"（已升级：{len(STEPS[: step + 1])}级通知，前一级无人响应）"
        how = channels(step, ladder)
        jobs = [
            self._job(
                ladder, source, Recipient(kind="staff", person_id=staff_id), "emergency_call", params, how
            )
            for staff_id in staff_ids
        ]
        jobs += [
            self._job(
                ladder,
                source,
                Recipient(kind="staff", person_id=staff_id),
                "emergency_call",
                params,
                VOICE_ONLY,
            )
            for staff_id in by_voice
        ]
        self._lanes.send(jobs)

    def _tell_family(self, ladder: Ladder, reporter_user_id: str | None) -> None:
        """The SOS resident's household (their emergency contacts) hear that help is on its way."""
        t, unit_id = ladder.tenant_id, str(ladder.unit_id)
        reporter = self._directory.user(t, reporter_user_id) if reporter_user_id else None
        family = [
            member.resident_id
            for member in self._directory.unit_members(t, unit_id)
            if reporter is None or member.resident_id != reporter.person_id
        ]
        params = self._params(ladder)
        jobs = [
            self._job(
                ladder,
                f"ladder:{ladder.key}:family",
                Recipient(kind="resident", person_id=resident_id),
                "emergency_family",
                params,
            )
            for resident_id in family
        ]
        if jobs:
            self._lanes.send(jobs)

    def _params(self, ladder: Ladder) -> dict[str, str]:
        t = ladder.tenant_id
        firm = self._directory.tenant(t)
        unit = self._directory.unit(t, ladder.unit_id) if ladder.unit_id else None
        what = {
            "sos": "住户紧急求助（SOS）",
            "critical_alarm": "紧急告警",
            "escalated": "工单升级无人处理",
        }.get(ladder.reason, "紧急事件")
        # "who" is said on a voice call: a care-list resident is named as such, so the callee knows.
        who = "关爱对象" if ladder.care else ("住户" if ladder.subject == "ticket" else "")
        return {
            "what": what,
            "place": unit.label if unit and unit.label else "",
            "since": local_time(ladder.started_at, firm.timezone if firm else None),
            "who": who,
        }

    def _job(
        self,
        ladder: Ladder,
        source: str,
        recipient: Recipient,
        template: str,
        params: dict[str, str],
        how: tuple[Channel, ...] = CHANNELS,
    ) -> DeliveryJob:
        return DeliveryJob(
            tenant_id=ladder.tenant_id,
            message_id=message_id(source, recipient.key, ladder.started_at),
            source=source,
            recipient=recipient,
            category=Category.ALARM,
            priority=Priority.URGENT,
            channels=how,
            content=Content(template=template, params=params),
            created_at=to_iso(self._clock.now()),
            data={f"{ladder.subject}_id": ladder.subject_id, "site_id": ladder.site_id},
        )

    def _acknowledge(self, tenant_id: str, key: str, by: str, at: datetime) -> None:
        self._repo.acknowledge(tenant_id, key, by, at)
        alias = self._repo.alias_of(tenant_id, key)
        if alias:
            self._repo.acknowledge(tenant_id, alias, by, at)
