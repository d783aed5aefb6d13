"""Alarm rules as managers write them: scope, condition, severity, active hours and actions.

A rule is refused (422, with the reason) when it could not behave: a clear condition that overlaps the
trigger (it would flap), an ordering operator on a boolean, a rate without a number, hours that do not parse.
Conditions:
- ``threshold``: ``metric op value`` held ``for_s`` seconds raises; ``clear`` (hysteresis: its own threshold
  and ``for_s``) clears; without ``clear`` the negated trigger clears at once.
- ``rate``: the metric's change per minute between consecutive readings, compared like a threshold.
- ``event``: a discrete event (``smoke`` ``{state: alarm}``, ``high_altitude_throw``); clears when not seen
  again for ``clear_after_s``.
- ``heartbeat``: the device is silent for ``timeout_s`` (offline); any message clears it.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from courtyard.models import Model
from sensors.domain import (
    DeviceKind,
    NotifiableRole,
    Operator,
    Severity,
    WorkOrderCategory,
    WorkOrderPriority,
)

MetricName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
Value = StrictBool | Number | Annotated[str, Field(max_length=64)]
Seconds = Annotated[int, Field(ge=0, le=86_400)]
RefId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]

ORDERING = frozenset({Operator.GT, Operator.GE, Operator.LT, Operator.LE})
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Model(Model):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scope(_Model):
    """Which devices the rule watches: every given field must match (at least one is required)."""

    device_kind: DeviceKind | None = None
    site_id: RefId | None = None
    device_id: RefId | None = None

    @model_validator(mode="after")
    def _something(self) -> Scope:
        if self.device_kind is None and self.site_id is None and self.device_id is None:
            raise ValueError("scope needs a device_kind, a site_id or a device_id")
        return self


class Clear(_Model):
    op: Operator
    value: Value
    for_s: Seconds = 0


class Threshold(_Model):
    type: Literal["threshold"] = "threshold"
    metric: MetricName
    op: Operator
    value: Value
    for_s: Seconds = 0
    clear: Clear | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Threshold:
        _check_comparison(self.op, self.value, "value")
        if self.clear is not None:
            _check_comparison(self.clear.op, self.clear.value, "clear.value")
            _check_hysteresis(self.op, self.value, self.clear.op, self.clear.value)
        return self

    def effective_clear(self) -> Clear:
        return self.clear or Clear(op=NEGATION[self.op], value=self.value, for_s=0)


class Rate(_Model):
    type: Literal["rate"] = "rate"
    metric: MetricName
    op: Operator
    per_minute: Number
    for_s: Seconds = 0

    @model_validator(mode="after")
    def _ordering(self) -> Rate:
        if self.op not in ORDERING:
            raise ValueError("a rate of change is compared with >, >=, < or <=")
        return self


class EventMatch(_Model):
    type: Literal["event"] = "event"
    event: MetricName
    attributes: dict[MetricName, Value] = Field(default_factory=dict, max_length=8)
    clear_after_s: Annotated[int, Field(ge=60, le=7 * 86_400)] = 600


class Heartbeat(_Model):
    type: Literal["heartbeat"] = "heartbeat"
    timeout_s: Annotated[int, Field(ge=60, le=7 * 86_400)] = 300


Condition = Annotated[Threshold | Rate | EventMatch | Heartbeat, Field(discriminator="type")]


class ActiveHours(_Model):
    """When the rule may raise, in the tenant's time zone; ``start`` > ``end`` spans midnight."""

    start: str
    end: str
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("hours are HH:MM, 00:00 to 23:59")
        return value

    @model_validator(mode="after")
    def _span(self) -> ActiveHours:
        if self.start == self.end:
            raise ValueError("active hours start and end must differ (omit active_hours for always)")
        if not self.weekdays:
            raise ValueError("active hours need at least one weekday")
        return self

    def contains(self, local_weekday: int, local_time: time) -> bool:
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        if start < end:
            return local_weekday in self.weekdays and start <= local_time < end
        # Overnight (22:00-06:00): the part after midnight belongs to the previous day's window.
        if local_time >= start:
            return local_weekday in self.weekdays
        previous = 7 if local_weekday == 1 else local_weekday - 1
        return local_time < end and previous in self.weekdays


class WorkOrder(_Model):
    category: WorkOrderCategory
    priority: WorkOrderPriority = "urgent"


class Actions(_Model):
    work_order: WorkOrder | None = None
    notify_roles: list[NotifiableRole] = Field(default_factory=list, max_length=5)
    notify_residents: bool = False


class RuleSpec(_Model):
    """A rule's definition: the body of ``POST /alarm-rules`` and ``PUT /alarm-rules/{id}``."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    enabled: bool = True
    scope: Scope
    condition: Condition
    severity: Severity = Severity.MAJOR
    active_hours: ActiveHours | None = None
    actions: Actions = Field(default_factory=Actions)

    @model_validator(mode="after")
    def _heartbeat_hours(self) -> RuleSpec:
        if isinstance(self.condition, Heartbeat) and self.active_hours is not None:
            raise ValueError("a heartbeat rule watches around the clock: remove active_hours")
        return self


NEGATION: dict[Operator, Operator] = {
    Operator.GT: Operator.LE,
    Operator.GE: Operator.LT,
    Operator.LT: Operator.GE,
    Operator.LE: Operator.GT,
    Operator.EQ: Operator.NE,
    Operator.NE: Operator.EQ,
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_comparison(op: Operator, value: object, where: str) -> None:
    if op in ORDERING and not _is_number(value):
        raise ValueError(f"{where}: {op.value} compares numbers; use == or != for a boolean or a word")


def _check_hysteresis(op: Operator, value: Value, clear_op: Operator, clear_value: Value) -> None:
    """The clear condition must never hold while the trigger holds, or the alarm would flap."""
    reason = (
        "the clear condition overlaps the trigger (a reading could satisfy both, so the alarm would flap)"
    )
    if op in (Operator.EQ, Operator.NE):
        if clear_op is not NEGATION[op] or clear_value != value or type(clear_value) is not type(value):
            raise ValueError(f"clear: for {op.value} the clear condition is {NEGATION[op].value} {value!r}")
        return
    assert isinstance(value, int | float)
    assert isinstance(clear_value, int | float)
    rising = op in (Operator.GT, Operator.GE)
    if rising:
        if clear_op not in (Operator.LT, Operator.LE):
            raise ValueError("clear: a rising trigger (>, >=) clears with < or <= below it")
        if clear_value > value or (clear_value == value and op is Operator.GE and clear_op is Operator.LE):
            raise ValueError(f"clear: {reason}")
    else:
        if clear_op not in (Operator.GT, Operator.GE):
            raise ValueError("clear: a falling trigger (<, <=) clears with > or >= above it")
        if clear_value < value or (clear_value == value and op is Operator.LE and clear_op is Operator.GE):
            raise ValueError(f"clear: {reason}")
