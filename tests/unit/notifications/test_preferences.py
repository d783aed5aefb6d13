"""Quiet hours, opt-outs and the SMS fallback as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from notifications.domain import Category, Channel, Priority
from notifications.preferences import CategoryPreferences, Preferences, QuietHours, Reach, plan, quiet_until
from pydantic import ValidationError

SHANGHAI = "Asia/Shanghai"
NIGHT = QuietHours(start="22:00", end="07:00")
EVERYTHING = Reach(push_endpoints=1, phone=True, email=True, inbox=True)
ALL = (Channel.INBOX, Channel.PUSH, Channel.SMS, Channel.EMAIL)


def utc(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "release"),
    [
        (utc(14, 0), utc(23, 0)),  # 22:00 local: quiet until 07:00 local the next day
        (utc(15, 30), utc(23, 0)),  # 23:30 local
        (utc(22, 59), utc(23, 0)),  # 06:59 local (the next morning)
        (utc(23, 0), None),  # 07:00 local: over
        (utc(2, 0), None),  # 10:00 local
        (utc(13, 59), None),  # 21:59 local
    ],
)
def test_quiet_hours_crossing_midnight_in_the_firms_timezone(now: datetime, release: datetime | None) -> None:
    assert quiet_until(NIGHT, now, SHANGHAI) == release


def test_daytime_quiet_hours() -> None:
    nap = QuietHours(start="12:00", end="14:00")
    assert quiet_until(nap, utc(4, 30), SHANGHAI) == utc(6, 0)  # 12:30 local
    assert quiet_until(nap, utc(6, 0), SHANGHAI) is None


def test_quiet_hours_must_be_a_window() -> None:
    with pytest.raises(ValidationError):
        QuietHours(start="07:00", end="07:00")
    with pytest.raises(ValidationError):
        QuietHours(start="7:00", end="08:00")


def test_normal_messages_are_held_in_quiet_hours_urgent_and_alarms_are_not() -> None:
    prefs = Preferences(quiet_hours=NIGHT)
    night = utc(15)
    normal = plan(ALL, prefs, Category.NOTICE, Priority.NORMAL, EVERYTHING, now=night, timezone=SHANGHAI)
    urgent = plan(ALL, prefs, Category.NOTICE, Priority.URGENT, EVERYTHING, now=night, timezone=SHANGHAI)
    alarm = plan(ALL, prefs, Category.ALARM, Priority.NORMAL, EVERYTHING, now=night, timezone=SHANGHAI)
    released = plan(
        ALL, prefs, Category.NOTICE, Priority.NORMAL, EVERYTHING, released=True, now=night, timezone=SHANGHAI
    )
    assert normal.hold_until == utc(23)
    assert urgent.hold_until is None
    assert alarm.hold_until is None
    assert released.hold_until is None


def test_a_categorys_own_quiet_hours_win() -> None:
    prefs = Preferences(
        quiet_hours=NIGHT,
        categories={
            Category.BILLING: CategoryPreferences(quiet_hours=QuietHours(start="20:00", end="09:00"))
        },
    )
    morning = utc(0, 30)  # 08:30 local
    assert plan(
        ALL, prefs, Category.BILLING, Priority.NORMAL, EVERYTHING, now=morning, timezone=SHANGHAI
    ).hold_until == utc(1)
    assert (
        plan(
            ALL, prefs, Category.NOTICE, Priority.NORMAL, EVERYTHING, now=morning, timezone=SHANGHAI
        ).hold_until
        is None
    )


def test_opted_out_channels_are_skipped_the_inbox_never() -> None:
    prefs = Preferences(categories={Category.NOTICE: CategoryPreferences(push=False, sms=False, email=False)})
    result = plan(ALL, prefs, Category.NOTICE, Priority.NORMAL, EVERYTHING, now=utc(2), timezone=SHANGHAI)
    assert result.send == (Channel.INBOX,)
    assert result.skipped == {Channel.PUSH: "opted_out", Channel.SMS: "opted_out", Channel.EMAIL: "opted_out"}


def test_the_inbox_is_added_for_anyone_with_a_login() -> None:
    result = plan(
        (Channel.EMAIL,),
        Preferences(),
        Category.TICKET,  # billing's e-mail is off by default (issue 18): test_channel_ladder.py
        Priority.NORMAL,
        EVERYTHING,
        now=utc(2),
        timezone=SHANGHAI,
    )
    assert result.send == (Channel.INBOX, Channel.EMAIL)


@pytest.mark.parametrize(
    ("priority", "reach", "prefs", "sends_sms"),
    [
        (Priority.URGENT, Reach(phone=True, inbox=True), Preferences(), True),
        (Priority.NORMAL, Reach(phone=True, inbox=True), Preferences(), False),
        (Priority.URGENT, Reach(push_endpoints=1, phone=True, inbox=True), Preferences(), False),
        (Priority.URGENT, Reach(inbox=True), Preferences(), False),  # no phone either
        (
            Priority.URGENT,
            Reach(phone=True, inbox=True),
            Preferences(categories={Category.NOTICE: CategoryPreferences(sms=False)}),
            False,
        ),
    ],
)
def test_urgent_messages_fall_back_to_sms_when_there_is_no_push_device(
    priority: Priority, reach: Reach, prefs: Preferences, sends_sms: bool
) -> None:
    result = plan(
        (Channel.INBOX, Channel.PUSH), prefs, Category.NOTICE, priority, reach, now=utc(2), timezone=SHANGHAI
    )
    assert (Channel.SMS in result.send) is sends_sms
    assert result.fallback is sends_sms


def test_quiet_hours_releases_are_spread_over_ten_minutes_the_same_on_every_retry():
    from notifications.release_spread import SPREAD_S, release_time

    end = utc(23)
    times = [release_time(end, f"msg-{n}") for n in range(500)]
    assert all(end <= t < end + timedelta(seconds=SPREAD_S) for t in times)
    assert len({t.replace(second=0) for t in times}) == SPREAD_S // 60  # every minute of the spread used
    assert release_time(end, "msg-7") == release_time(end, "msg-7")
