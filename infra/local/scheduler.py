"""EventBridge schedules, locally: parses rate() and cron() expressions and fires Scheduled Events on time."""

from __future__ import annotations

import calendar
import copy
import logging
import re
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

# EventBridge accepts years 1970-2199 in cron expressions; the search for the next firing stops there too.
_MIN_YEAR = 1970
_MAX_YEAR = 2199


class ScheduleError(ValueError):
    """An invalid schedule expression, or one that never fires again."""


def _utc(dt: datetime) -> datetime:
    # A naive datetime is taken to be UTC already, as EventBridge schedules are UTC.
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Schedule(ABC):
    """A parsed schedule expression."""

    expression: str

    @abstractmethod
    def next_after(self, dt: datetime) -> datetime:
        """The first firing strictly after `dt`, in UTC. Raises ScheduleError if there is none."""


@dataclass(frozen=True)
class RateSchedule(Schedule):
    """`rate(value unit)`: fires every `interval`, counted from the previous firing.

    EventBridge starts a rate schedule's clock when the rule is created, so there is no fixed phase;
    the scheduler anchors it when the scheduler is created, and `next_after(dt)` is simply `dt + interval`.
    """

    expression: str
    interval: timedelta

    def next_after(self, dt: datetime) -> datetime:
        return _utc(dt) + self.interval


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_RATE_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def _parse_rate(expr: str) -> RateSchedule:
    match = _RATE.fullmatch(expr)
    if match is None:
        raise ScheduleError(
            f"invalid rate expression {expr!r}: expected rate(<value> minute(s)|hour(s)|day(s))"
        )
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        raise ScheduleError(f"invalid rate expression {expr!r}: the value must be a positive integer")
    # AWS rejects rate(1 minutes) and rate(5 minute): the unit is singular exactly when the value is 1.
    if (value == 1) != (not unit.endswith("s")):
        expected = unit.rstrip("s") + ("" if value == 1 else "s")
        raise ScheduleError(f"invalid rate expression {expr!r}: use {expected!r} with the value {value}")
    return RateSchedule(expression=expr, interval=value * _RATE_UNITS[unit.rstrip("s")])


_MONTH_NAMES = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
# AWS numbers days of the week 1=SUN .. 7=SAT.
_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _aws_day_of_week(day: date) -> int:
    # Python: Monday=0 .. Sunday=6; AWS: Sunday=1 .. Saturday=7.
    return (day.weekday() + 1) % 7 + 1


@dataclass(frozen=True)
class _Field:
    """One numeric cron field: its bounds, accepted names and whether ranges may wrap (FRI-MON)."""

    name: str
    low: int
    high: int
    names: Mapping[str, int] = field(default_factory=dict)
    cyclic: bool = True

    def value(self, token: str, expr: str) -> int:
        upper = token.upper()
        if upper in self.names:
            return self.names[upper]
        if not token.isdigit():
            raise ScheduleError(f"invalid {self.name} value {token!r} in {expr!r}")
        number = int(token)
        if not self.low <= number <= self.high:
            raise ScheduleError(f"{self.name} value {number} out of range {self.low}-{self.high} in {expr!r}")
        return number

    def parse(self, text: str, expr: str) -> frozenset[int]:
        values: set[int] = set()
        for part in text.split(","):
            values.update(self.parse_part(part, expr))
        return frozenset(values)

    def parse_part(self, part: str, expr: str) -> list[int]:
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or not 1 <= int(step_text) <= self.high - self.low + 1:
                raise ScheduleError(f"invalid increment {step_text!r} in {self.name} field of {expr!r}")
            step = int(step_text)
        if base == "*":
            start, end = self.low, self.high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = self.value(first, expr), self.value(last, expr)
        elif base:
            start = self.value(base, expr)
            # `5/15` means from 5 to the end of the range, every 15.
            end = self.high if slash else start
        else:
            raise ScheduleError(f"empty element in {self.name} field of {expr!r}")
        if start <= end:
            sequence = list(range(start, end + 1))
        elif self.cyclic:
            sequence = list(range(start, self.high + 1)) + list(range(self.low, end + 1))
        else:
            raise ScheduleError(f"invalid range {base!r} in {self.name} field of {expr!r}")
        return sequence[::step]


_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, _DAY_NAMES)
_YEAR = _Field("year", _MIN_YEAR, _MAX_YEAR, cyclic=False)


@dataclass(frozen=True)
class _DayOfMonth:
    days: frozenset[int] = frozenset()
    last: bool = False  # L
    last_weekday: bool = False  # LW
    nearest_weekday: frozenset[int] = frozenset()  # 15W

    def matching(self, year: int, month: int) -> set[int]:
        length = calendar.monthrange(year, month)[1]
        result = {day for day in self.days if day <= length}
        if self.last:
            result.add(length)
        if self.last_weekday:
            result.add(_nearest_weekday(year, month, length, length))
        for day in self.nearest_weekday:
            if day <= length:
                result.add(_nearest_weekday(year, month, day, length))
        return result


@dataclass(frozen=True)
class _DayOfWeek:
    days: frozenset[int] = frozenset()
    last_of: frozenset[int] = frozenset()  # 6L: the month's last Friday
    nth: frozenset[tuple[int, int]] = frozenset()  # 3#2: the month's second Tuesday

    def matching(self, year: int, month: int) -> set[int]:
        length = calendar.monthrange(year, month)[1]
        weekday = {day: _aws_day_of_week(date(year, month, day)) for day in range(1, length + 1)}
        result = {day for day, dow in weekday.items() if dow in self.days}
        for dow in self.last_of:
            result.add(max(day for day, d in weekday.items() if d == dow))
        for dow, nth in self.nth:
            occurrences = [day for day, d in weekday.items() if d == dow]
            if nth <= len(occurrences):
                result.add(occurrences[nth - 1])
        return result


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """The weekday (Mon-Fri) nearest `day`, never leaving the month (Quartz's W rule, which AWS follows)."""
    dow = _aws_day_of_week(date(year, month, day))
    if dow == 7:  # Saturday: Friday before, or Monday after if the 1st
        return day - 1 if day > 1 else day + 2
    if dow == 1:  # Sunday: Monday after, or Friday before if the month's last day
        return day + 1 if day < length else day - 2
    return day


def _parse_day_of_month(text: str, expr: str) -> _DayOfMonth:
    days: set[int] = set()
    last = last_weekday = False
    nearest: set[int] = set()
    for part in text.split(","):
        upper = part.upper()
        if upper == "L":
            last = True
        elif upper == "LW":
            last_weekday = True
        elif upper.endswith("W"):
            nearest.add(_DAY_OF_MONTH.value(part[:-1], expr))
        else:
            days.update(_DAY_OF_MONTH.parse_part(part, expr))
    return _DayOfMonth(frozenset(days), last, last_weekday, frozenset(nearest))


def _parse_day_of_week(text: str, expr: str) -> _DayOfWeek:
    days: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for part in text.split(","):
        upper = part.upper()
        if upper == "L":
            days.add(_DAY_NAMES["SAT"])  # a bare L is the last day of the week
        elif upper.endswith("L"):
            last_of.add(_DAY_OF_WEEK.value(part[:-1], expr))
        elif "#" in part:
            dow_text, _, nth_text = part.partition("#")
            if not nth_text.isdigit() or not 1 <= int(nth_text) <= 5:
                raise ScheduleError(f"invalid occurrence {nth_text!r} after # in {expr!r} (1-5)")
            nth.add((_DAY_OF_WEEK.value(dow_text, expr), int(nth_text)))
        else:
            days.update(_DAY_OF_WEEK.parse_part(part, expr))
    return _DayOfWeek(frozenset(days), frozenset(last_of), frozenset(nth))


@dataclass(frozen=True)
class CronSchedule(Schedule):
    """`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, in UTC, minute resolution."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: _DayOfMonth | None  # None when `?`
    months: frozenset[int]
    day_of_week: _DayOfWeek | None  # None when `?`
    years: frozenset[int]

    def _days(self, year: int, month: int) -> list[int]:
        if self.day_of_month is not None:
            return sorted(self.day_of_month.matching(year, month))
        assert self.day_of_week is not None  # the parser guarantees exactly one of them is `?`
        return sorted(self.day_of_week.matching(year, month))

    def next_after(self, dt: datetime) -> datetime:
        # The earliest candidate is the next whole minute strictly after dt.
        start = _utc(dt).replace(second=0, microsecond=0) + timedelta(minutes=1)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        for year in sorted(y for y in self.years if y >= start.year):
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                for day in self._days(year, month):
                    today = (year, month, day) == (start.year, start.month, start.day)
                    if (year, month, day) < (start.year, start.month, start.day):
                        continue
                    for hour in hours:
                        if today and hour < start.hour:
                            continue
                        for minute in minutes:
                            if today and hour == start.hour and minute < start.minute:
                                continue
                            return datetime(year, month, day, hour, minute, tzinfo=UTC)
        raise ScheduleError(f"{self.expression!r} never fires after {start.isoformat()}")


_CRON = re.compile(r"cron\((.*)\)")


def _parse_cron(expr: str) -> CronSchedule:
    match = _CRON.fullmatch(expr)
    if match is None:
        raise ScheduleError(f"invalid cron expression {expr!r}")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ScheduleError(
            f"invalid cron expression {expr!r}: expected 6 fields "
            f"(Minutes Hours Day-of-month Month Day-of-week Year), got {len(fields)}"
        )
    minutes, hours, dom, month, dow, year = fields
    # AWS: one of day-of-month and day-of-week must be `?` (and only one, or nothing would select a day).
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(
            f"invalid cron expression {expr!r}: exactly one of day-of-month and day-of-week must be ?"
        )
    for name, text in (("minutes", minutes), ("hours", hours), ("month", month), ("year", year)):
        if "?" in text:
            raise ScheduleError(f"? is only allowed in day-of-month or day-of-week, not {name}, in {expr!r}")
    return CronSchedule(
        expression=expr,
        minutes=_MINUTES.parse(minutes, expr),
        hours=_HOURS.parse(hours, expr),
        day_of_month=None if dom == "?" else _parse_day_of_month(dom, expr),
        months=_MONTH.parse(month, expr),
        day_of_week=None if dow == "?" else _parse_day_of_week(dow, expr),
        years=_YEAR.parse(year, expr),
    )


def parse_schedule(expr: str) -> Schedule:
    """Parse an EventBridge schedule expression, `rate(...)` or `cron(...)`; ScheduleError if invalid."""
    text = expr.strip()
    if text.startswith("rate("):
        return _parse_rate(text)
    if text.startswith("cron("):
        return _parse_cron(text)
    raise ScheduleError(f"invalid schedule expression {expr!r}: expected rate(...) or cron(...)")


@dataclass(frozen=True)
class ScheduledJob:
    """One `Schedule` event of a function in template.yaml."""

    function_id: str  # the function's logical id
    name: str  # the rule name, used in the event's resources ARN
    schedule: Schedule
    input: dict[str, Any] | None = None  # the event's Input: delivered instead of the Scheduled Event
    enabled: bool = True


@dataclass
class _Entry:
    job: ScheduledJob
    due: datetime | None


@dataclass(frozen=True)
class SchedulerStats:
    fires: int  # events delivered (timer and fire_now)
    fire_errors: int  # deliveries that raised


class Scheduler:
    """Fires each enabled job's event when its schedule comes due, in a background thread.

    Schedules are anchored at construction time (the clock's now), as EventBridge anchors a rate rule when
    it is created. `run_pending(now)` does one round of due firings; the thread calls it and sleeps until
    the next due time, and tests drive it directly with their own clock. Missed firings (a suspended
    laptop) are not replayed: a late job fires once and continues from now, as EventBridge does not backfill.
    `fire` is called on the scheduler thread, one job after another, so it should hand the invocation off
    (an asynchronous invoke) rather than run a long handler inline.
    """

    def __init__(
        self,
        jobs: Iterable[ScheduledJob],
        fire: Callable[[str, dict[str, Any]], None],
        clock: Callable[[], datetime] = _utc_now,
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        max_sleep_s: float = 30.0,
    ) -> None:
        self._jobs = tuple(jobs)
        self._fire = fire
        self._clock = clock
        self.account = account
        self.region = region
        # Bounded sleeps keep the timer honest if the wall clock jumps while it waits.
        self._max_sleep_s = max_sleep_s
        now = _utc(clock())
        self._entries = [_Entry(job, self._next(job, now) if job.enabled else None) for job in self._jobs]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fires = 0
        self._fire_errors = 0

    @property
    def jobs(self) -> tuple[ScheduledJob, ...]:
        return self._jobs

    def stats(self) -> SchedulerStats:
        with self._lock:
            return SchedulerStats(fires=self._fires, fire_errors=self._fire_errors)

    def start(self) -> None:
        """Start the timer thread (no-op if already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop without waiting for it (stop() then joins it)."""
        self._stop.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the timer thread; a delivery in progress is allowed to finish."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                logger.warning("scheduler thread did not stop within %.1f s", timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def next_due(self) -> datetime | None:
        """The earliest time an enabled job is due, or None if nothing will fire."""
        with self._lock:
            dues = [entry.due for entry in self._entries if entry.due is not None]
        return min(dues, default=None)

    def run_pending(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Fire every enabled job due at or before `now` (default: the clock) and return the events sent."""
        current = _utc(now if now is not None else self._clock())
        due: list[tuple[datetime, ScheduledJob]] = []
        with self._lock:
            for entry in self._entries:
                if entry.due is None or entry.due > current:
                    continue
                due.append((entry.due, entry.job))
                following = self._next(entry.job, entry.due)
                if following is not None and following <= current:
                    following = self._next(entry.job, current)
                entry.due = following
        events: list[dict[str, Any]] = []
        for at, job in sorted(due, key=lambda item: item[0]):
            event = self.build_event(job, at)
            try:
                self._deliver(job, event)
            except Exception:
                # One failing function must not stop the other schedules; Lambda's async retries are the
                # invoker's business, not the scheduler's.
                logger.exception("scheduled event %s for %s failed", job.name, job.function_id)
            events.append(event)
        return events

    def fire_now(self, function_id: str, name: str | None = None) -> dict[str, Any]:
        """Build and deliver a job's event now, enabled or not, and return it. Delivery errors propagate."""
        job = self._find(function_id, name)
        event = self.build_event(job, _utc(self._clock()))
        self._deliver(job, event)
        return event

    def build_event(self, job: ScheduledJob, at: datetime) -> dict[str, Any]:
        """The event EventBridge delivers to the function for a firing at `at`."""
        if job.input is not None:
            # The rule's Input replaces the whole event, as a SAM Schedule event with Input does.
            return copy.deepcopy(job.input)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "time": _utc(at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{self.account}:rule/{job.name}"],
            "detail": {},
        }

    def _deliver(self, job: ScheduledJob, event: dict[str, Any]) -> None:
        try:
            self._fire(job.function_id, event)
        except Exception:
            with self._lock:
                self._fires += 1
                self._fire_errors += 1
            raise
        with self._lock:
            self._fires += 1

    def _find(self, function_id: str, name: str | None) -> ScheduledJob:
        candidates = [job for job in self._jobs if job.function_id == function_id]
        if not candidates:
            known = ", ".join(sorted({job.function_id for job in self._jobs})) or "none"
            raise KeyError(f"no schedule for function {function_id!r} (functions with schedules: {known})")
        if name is not None:
            named = [job for job in candidates if job.name == name]
            if not named:
                known = ", ".join(job.name for job in candidates)
                raise KeyError(f"function {function_id!r} has no schedule named {name!r} (it has: {known})")
            return named[0]
        if len(candidates) > 1:
            known = ", ".join(job.name for job in candidates)
            raise ValueError(f"function {function_id!r} has several schedules ({known}); pass a name")
        return candidates[0]

    @staticmethod
    def _next(job: ScheduledJob, after: datetime) -> datetime | None:
        try:
            return job.schedule.next_after(after)
        except ScheduleError:
            logger.warning("schedule %s (%s) never fires again", job.name, job.schedule.expression)
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:
                logger.exception("scheduler round failed")
            following = self.next_due()
            delay = self._max_sleep_s
            if following is not None:
                delay = min(delay, (following - _utc(self._clock())).total_seconds())
            self._stop.wait(max(delay, 0.0))
