"""Issue 18: push -> WeChat -> SMS, SMS only for what a person must act on, bills' e-mail only when asked
for (pure rules: ``notifications.preferences.plan`` and ``notifications.channel_ladder``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from notifications.channel_ladder import PUSH_STANDBY, WECHAT_STANDBY, next_rung, sms_worthy
from notifications.domain import Category, Channel, Priority
from notifications.preferences import CategoryPreferences, Plan, Preferences, QuietHours, Reach, plan

SHANGHAI = "Asia/Shanghai"
DAY = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
FIRM_NIGHT = QuietHours(start="21:00", end="08:00")
PUSH = (Channel.INBOX, Channel.PUSH)
WECHAT_ONLY = Reach(push_endpoints=0, phone=True, email=True, inbox=True, wechat=True)
NEITHER = Reach(push_endpoints=0, phone=True, email=True, inbox=True, wechat=False)
APP_AND_WECHAT = Reach(push_endpoints=1, phone=True, email=True, inbox=True, wechat=True)


def decide(
    reach: Reach,
    category: Category = Category.TICKET,
    priority: Priority = Priority.NORMAL,
    *,
    requested: tuple[Channel, ...] = PUSH,
    prefs: Preferences | None = None,
    worthy: bool = True,
    now: datetime = DAY,
    marketing: bool = False,
) -> Plan:
    return plan(
        requested,
        prefs or Preferences(),
        category,
        priority,
        reach,
        now=now,
        timezone=SHANGHAI,
        marketing=marketing,
        firm_quiet=FIRM_NIGHT,
        sms_worthy=worthy,
    )


def test_without_a_device_a_linked_wechat_goes_and_sms_stands_behind_it() -> None:
    result = decide(WECHAT_ONLY)
    assert result.send == (Channel.INBOX, Channel.WECHAT)
    assert result.skipped == {Channel.PUSH: "no_push_endpoint", Channel.SMS: WECHAT_STANDBY}
    assert not result.fallback


def test_with_a_device_push_goes_first_then_wechat_then_sms_stand_by() -> None:
    result = decide(APP_AND_WECHAT)
    assert result.send == (Channel.INBOX, Channel.PUSH)
    assert result.skipped == {Channel.WECHAT: PUSH_STANDBY, Channel.SMS: PUSH_STANDBY}


def test_without_push_or_wechat_an_act_on_step_still_texts() -> None:
    result = decide(NEITHER)
    assert result.send == (Channel.INBOX, Channel.SMS)
    assert result.fallback


def test_routine_progress_never_buys_a_text_it_waits_in_the_inbox() -> None:
    neither = decide(NEITHER, worthy=False)
    assert neither.send == (Channel.INBOX,)
    assert Channel.SMS not in neither.skipped  # not even on standby
    wechat = decide(WECHAT_ONLY, worthy=False)
    assert wechat.send == (Channel.INBOX, Channel.WECHAT)
    assert Channel.SMS not in wechat.skipped


def test_urgent_messages_may_always_end_on_a_text() -> None:
    result = decide(WECHAT_ONLY, Category.NOTICE, Priority.URGENT, worthy=False)
    assert result.send == (Channel.INBOX, Channel.WECHAT)
    assert result.skipped[Channel.SMS] == WECHAT_STANDBY
    alone = decide(NEITHER, Category.NOTICE, Priority.URGENT, worthy=False)
    assert alone.send == (Channel.INBOX, Channel.SMS)


def test_an_alarm_texts_at_once_even_with_wechat() -> None:
    result = decide(WECHAT_ONLY, Category.ALARM)
    assert result.send == (Channel.INBOX, Channel.WECHAT, Channel.SMS)


def test_a_routine_notice_goes_by_wechat_but_marketing_never() -> None:
    assert decide(WECHAT_ONLY, Category.NOTICE).send == (Channel.INBOX, Channel.WECHAT)
    assert decide(WECHAT_ONLY, Category.NOTICE, marketing=True).send == (Channel.INBOX,)


def test_a_person_can_switch_wechat_off_per_category() -> None:
    prefs = Preferences(categories={Category.TICKET: CategoryPreferences(wechat=False)})
    result = decide(WECHAT_ONLY, prefs=prefs)
    assert result.send == (Channel.INBOX, Channel.SMS)


def test_wechat_at_night_waits_for_the_firms_quiet_hours_end_unless_urgent() -> None:
    held = decide(WECHAT_ONLY, now=NIGHT)
    assert held.hold_until == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert decide(WECHAT_ONLY, priority=Priority.URGENT, now=NIGHT).hold_until is None


def test_bills_and_receipts_go_by_email_only_to_people_who_opted_in() -> None:
    mail = (Channel.INBOX, Channel.EMAIL)
    new_resident = decide(NEITHER, Category.BILLING, requested=mail)
    assert new_resident.send == (Channel.INBOX,)
    assert new_resident.skipped == {Channel.EMAIL: "opted_out"}
    opted_in = Preferences(categories={Category.BILLING: CategoryPreferences(email=True)})
    assert decide(NEITHER, Category.BILLING, requested=mail, prefs=opted_in).send == mail
    # Other categories keep e-mail on (a manager's escalation, a formal letter asked for by its sender).
    assert decide(NEITHER, Category.TICKET, requested=mail).send == mail


def test_a_saved_choice_is_kept_and_an_unset_switch_takes_the_category_default() -> None:
    saved = Preferences.model_validate_json(
        Preferences(categories={Category.BILLING: CategoryPreferences(email=True)}).model_dump_json()
    )
    assert saved.of(Category.BILLING).email
    partial = Preferences.model_validate({"categories": {"billing": {"sms": False}}})
    assert not partial.of(Category.BILLING).email
    assert not partial.of(Category.BILLING).sms


@pytest.mark.parametrize(
    ("template", "params", "worthy"),
    [
        ("ticket_status_changed", {"to_status": "resolved"}, True),  # 已维修完成，请确认: the resident acts
        ("ticket_status_changed", {"to_status": "accepted"}, False),
        ("ticket_status_changed", {"to_status": "in_progress"}, False),
        ("ticket_status_changed", {"to_status": "closed"}, False),
        ("payment_succeeded", {}, False),  # the receipt is always in the app
        ("visitor_arrived", {}, False),  # the visitor is through the gate already: a record in the inbox
        ("pass_issued", {}, True),  # the visitor's own link (urgent anyway)
        ("bill_issued", {}, True),
        ("payment_overdue", {}, True),
        ("ticket_assigned", {}, True),  # the technician's new job
        (None, {}, True),  # a notice: its own rules (urgent / marketing) decide
    ],
)
def test_which_messages_may_cost_a_text(template: str | None, params: dict[str, str], worthy: bool) -> None:
    assert sms_worthy(template, params) is worthy


def test_the_next_rung_is_the_nearest_one_standing_by() -> None:
    assert next_rung(Channel.PUSH, {Channel.WECHAT, Channel.SMS}) is Channel.WECHAT
    assert next_rung(Channel.PUSH, {Channel.SMS}) is Channel.SMS
    assert next_rung(Channel.WECHAT, {Channel.SMS}) is Channel.SMS
    assert next_rung(Channel.SMS, {Channel.WECHAT}) is None
    assert next_rung(Channel.EMAIL, {Channel.SMS}) is None
