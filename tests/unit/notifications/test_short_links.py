"""The SMS's short link and reply keywords, and which messages follow the person to SMS (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from notifications.domain import Category, Channel, Priority
from notifications.preferences import Preferences, QuietHours, Reach, plan
from notifications.short_links import CODE_PATTERN, codes_in, keyword_of, link_code

NO_APP = Reach(push_endpoints=0, phone=True, inbox=True)
FIRM_NIGHT = QuietHours(start="21:00", end="08:00")
DAY = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)  # 03:00


def test_a_message_keeps_its_code_and_two_messages_do_not_share_one() -> None:
    code = link_code("t1", "MSG1")
    assert code == link_code("t1", "MSG1")
    assert CODE_PATTERN.match(code)
    assert code not in {link_code("t1", "MSG2"), link_code("t2", "MSG1")}
    assert codes_in(f"1 {code}") == [code]


@pytest.mark.parametrize(
    ("reply", "keyword"),
    [("1", "1"), (" 2。", "2"), ("１", "1"), (f"1 {link_code('t', 'm')}", "1"), ("好的", None), ("12", None)],
)
def test_a_reply_keyword_is_one_digit_alone(reply: str, keyword: str | None) -> None:
    assert keyword_of(reply) == keyword


@pytest.mark.parametrize(
    ("category", "priority", "by_sms"),
    [
        (Category.BILLING, Priority.NORMAL, True),
        (Category.TICKET, Priority.NORMAL, True),
        (Category.VISITOR, Priority.NORMAL, True),
        (Category.ALARM, Priority.NORMAL, True),
        (Category.NOTICE, Priority.NORMAL, False),
        (Category.NOTICE, Priority.URGENT, True),
    ],
)
def test_what_people_wait_for_follows_them_to_sms(
    category: Category, priority: Priority, by_sms: bool
) -> None:
    decision = plan(
        (Channel.INBOX, Channel.PUSH),
        Preferences(),
        category,
        priority,
        NO_APP,
        now=DAY,
        timezone="Asia/Shanghai",
    )
    assert (Channel.SMS in decision.send) is by_sms


def test_marketing_never_goes_by_sms() -> None:
    decision = plan(
        (Channel.INBOX, Channel.PUSH, Channel.SMS), Preferences(), Category.NOTICE, Priority.URGENT, NO_APP,
        now=DAY, timezone="Asia/Shanghai", marketing=True,
    )  # fmt: skip
    assert Channel.SMS not in decision.send
    assert decision.skipped[Channel.SMS] == "marketing"


def test_the_firms_quiet_hours_hold_an_sms_unless_urgent_or_the_person_chose_their_own() -> None:
    def hold(priority: Priority, prefs: Preferences | None = None) -> datetime | None:
        return plan(
            (Channel.INBOX, Channel.PUSH), prefs or Preferences(), Category.BILLING, priority, NO_APP,
            now=NIGHT, timezone="Asia/Shanghai", firm_quiet=FIRM_NIGHT,
        ).hold_until  # fmt: skip

    assert hold(Priority.NORMAL) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 08:00 local
    assert hold(Priority.URGENT) is None
    night_owl = Preferences(quiet_hours=QuietHours(start="01:00", end="02:00"))
    assert hold(Priority.NORMAL, night_owl) is None


def test_with_a_device_sms_stands_by_for_a_push_that_fails() -> None:
    with_app = Reach(push_endpoints=1, phone=True, inbox=True)
    decision = plan(
        (Channel.INBOX, Channel.PUSH),
        Preferences(),
        Category.BILLING,
        Priority.NORMAL,
        with_app,
        now=DAY,
        timezone="Asia/Shanghai",
    )
    assert decision.sms_standby
    assert decision.skipped[Channel.SMS] == "push_standby"
    assert Channel.SMS not in decision.send
