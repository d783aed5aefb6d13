"""A person's notification preferences and the pure rules that turn them into a delivery plan.

Rules (issue 6):
- the inbox is always delivered; push, SMS and email only where the person's category settings allow;
- quiet hours hold normal messages until they end, in the tenant's timezone; urgent messages and alarms
  go at once;
- channels follow the person (issue 19): a message whose push cannot go out (no registered device) goes by
  SMS instead, when the person has a phone and has not switched SMS off for that category, and when the
  message may go by SMS at all: every urgent message, and the categories people wait for (bills and
  reminders, ticket progress, visitors, alarms); never a notice that is not urgent, never marketing;
- the firm's quiet hours (``firm_quiet``) hold a non-urgent message that would go by SMS to a person who
  set no quiet hours of their own (most people without the app): nobody's phone buzzes at 03:00 for a bill;
- WeChat before SMS (issue 18, ``channel_ladder``): a message that asked for push goes by WeChat when no
  device is registered and the person's WeChat is linked; SMS then stands by behind it (alarms still text at
  once), and only a message that is ``sms_worthy`` (not routine ticket progress, not a receipt) may text;
- e-mail for bills and receipts only to people who opted in: the billing category's e-mail is off unless the
  person switched it on (``CATEGORY_DEFAULTS``; a setting they saved is kept as saved).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from courtyard.models import Model
from notifications.channel_ladder import standby_reason
from notifications.domain import Category, Channel, Locale, Priority

# The categories whose messages people wait for: they follow the person to SMS when push cannot reach them.
SMS_FALLBACK_CATEGORIES = frozenset({Category.BILLING, Category.TICKET, Category.VISITOR, Category.ALARM})

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class QuietHours(Model):
    """A daily window in local time, e.g. 22:00-07:00 (may cross midnight); start == end is invalid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: str = Field(examples=["22:00"])
    end: str = Field(examples=["07:00"])

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("use HH:MM, 24-hour")
        return value

    @field_validator("end")
    @classmethod
    def _not_empty(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("start") == value:
            raise ValueError("quiet hours must not start and end at the same time")
        return value

    def bounds(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)


class CategoryPreferences(Model):
    model_config = ConfigDict(frozen=True, extra="forbid")

    push: bool = True
    sms: bool = True
    email: bool = True
    wechat: bool = True
    # None: the person's default quiet hours apply to this category.
    quiet_hours: QuietHours | None = None

    def allows(self, channel: Channel) -> bool:
        # The inbox always; a voice call only ever comes from an emergency ladder (staff on duty, no opt-out).
        if channel in (Channel.INBOX, Channel.VOICE):
            return True
        return bool(getattr(self, channel.value))


# Bills and receipts by e-mail only to people who asked for it (issue 18): mainland residents read them in
# the app and WeChat; an e-mail nobody reads still costs a send.
# The switches a category starts with where they differ from "all on" (plain values: no model is built at
# import, which every notifications handler pays at its cold start).
CATEGORY_DEFAULTS: dict[Category, dict[str, bool]] = {Category.BILLING: {"email": False}}


class Preferences(Model):
    """Stored per login (``user_id``); people without a login get the defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: Locale | None = None  # None: the firm's language
    quiet_hours: QuietHours | None = None
    categories: dict[Category, CategoryPreferences] = Field(default_factory=dict)

    def of(self, category: Category) -> CategoryPreferences:
        default = CategoryPreferences(**CATEGORY_DEFAULTS.get(category, {}))
        chosen = self.categories.get(category)
        if chosen is None:
            return default
        # What the person set wins; a switch they never set keeps the category's default.
        return default.model_copy(update={name: getattr(chosen, name) for name in chosen.model_fields_set})

    def quiet_hours_for(self, category: Category) -> QuietHours | None:
        return self.of(category).quiet_hours or self.quiet_hours


def quiet_until(quiet: QuietHours | None, now: datetime, timezone: str) -> datetime | None:
    """The end of the quiet window ``now`` falls in (UTC), or None when ``now`` is not quiet."""
    if quiet is None:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    start, end = quiet.bounds()
    clock = local.time().replace(second=0, microsecond=0, tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # crosses midnight: 22:00-07:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    release = datetime.combine(end_day, end, tzinfo=zone)
    return release.astimezone(UTC)


@dataclass(frozen=True)
class Reach:
    """What the sender knows about how a person can be reached."""

    push_endpoints: int = 0
    phone: bool = False
    email: bool = False
    inbox: bool = False  # has a login
    wechat: bool = False  # a linked WeChat (openid of the service account)


@dataclass(frozen=True)
class Plan:
    """Per channel: send it, or skip it with a reason; ``hold_until`` when quiet hours delay the sends."""

    send: tuple[Channel, ...]
    skipped: dict[Channel, str] = field(default_factory=dict)
    fallback: bool = False
    hold_until: datetime | None = None
    # Push goes first; should it fail for good, SMS follows (recorded as skipped ``push_standby`` till then).
    sms_standby: bool = False


def plan(
    requested: tuple[Channel, ...],
    prefs: Preferences,
    category: Category,
    priority: Priority,
    reach: Reach,
    *,
    now: datetime,
    timezone: str,
    released: bool = False,
    marketing: bool = False,
    firm_quiet: QuietHours | None = None,
    sms_worthy: bool = True,
) -> Plan:
    """Decide the channels of one message for one person (pure). ``sms_worthy``: the message may end on a
    text (``channel_ladder.sms_worthy``); urgent messages and alarms always may."""
    settings = prefs.of(category)
    urgent = priority is Priority.URGENT or category is Category.ALARM
    may_fall_back = not marketing and (urgent or (category in SMS_FALLBACK_CATEGORIES and sms_worthy))
    # WeChat forbids marketing in template messages; everything else that asked for push may take it.
    wechat_ok = not marketing and _unavailable(Channel.WECHAT, settings, reach) is None
    send: list[Channel] = []
    skipped: dict[Channel, str] = {}
    fallback = False
    wanted = list(dict.fromkeys(requested))
    if reach.inbox and Channel.INBOX not in wanted:
        wanted.insert(0, Channel.INBOX)
    for channel in wanted:
        reason = (
            "marketing"
            if marketing and channel in (Channel.SMS, Channel.WECHAT)
            else _unavailable(channel, settings, reach)
        )
        if reason is None:
            if channel not in send:
                send.append(channel)
            continue
        skipped[channel] = reason
        if channel is not Channel.PUSH or reason != "no_push_endpoint":
            continue
        if wechat_ok and Channel.WECHAT not in wanted:
            send.append(Channel.WECHAT)  # no device: WeChat stands in for push
            if category is not Category.ALARM:
                continue  # SMS stands by behind WeChat (below); an alarm also texts at once
        if may_fall_back and Channel.SMS not in wanted and _unavailable(Channel.SMS, settings, reach) is None:
            send.append(Channel.SMS)
            fallback = True
    hold_until = None
    own = prefs.quiet_hours_for(category)
    if not urgent and not released:
        # A text or a WeChat message buzzes a phone whose owner may have set nothing: the firm's hours.
        outside = Channel.SMS in send or Channel.WECHAT in send
        quiet = own if own is not None or not outside else firm_quiet
        hold_until = quiet_until(quiet, now, timezone)
    if wechat_ok and Channel.PUSH in send and Channel.WECHAT not in wanted:
        skipped[Channel.WECHAT] = standby_reason(send)  # should every device refuse, WeChat follows
    standby = (
        may_fall_back
        and (Channel.PUSH in send or Channel.WECHAT in send)
        and Channel.SMS not in wanted
        and Channel.SMS not in send
        and _unavailable(Channel.SMS, settings, reach) is None
        # A late SMS in the night only for what cannot wait.
        and (urgent or quiet_until(own or firm_quiet, now, timezone) is None)
    )
    if standby:
        skipped[Channel.SMS] = standby_reason(send)
    return Plan(
        send=tuple(send), skipped=skipped, fallback=fallback, hold_until=hold_until, sms_standby=standby
    )


def _unavailable(channel: Channel, settings: CategoryPreferences, reach: Reach) -> str | None:
    if channel is Channel.INBOX:
        return None if reach.inbox else "no_login"
    if not settings.allows(channel):
        return "opted_out"
    if channel is Channel.PUSH and reach.push_endpoints == 0:
        return "no_push_endpoint"
    if channel in (Channel.SMS, Channel.VOICE) and not reach.phone:
        return "no_phone"
    if channel is Channel.EMAIL and not reach.email:
        return "no_email"
    if channel is Channel.WECHAT and not reach.wechat:
        return "no_wechat"
    return None
