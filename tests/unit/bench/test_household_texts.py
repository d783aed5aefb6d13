"""The bench's household texts (bench/household_texts.py): households as they are, each person on WeChat at
the stated share; before, each unreached resident texted; after, one text per household nobody reaches."""

from __future__ import annotations

import pytest

from bench import applied_levers, household_texts, prices


def test_per_person_and_per_household_at_the_stated_share() -> None:
    assert household_texts.per_person(0.8) == pytest.approx(0.5 * 1 * 0.2 + 0.5 * 2 * 0.2)  # 0.30
    assert household_texts.per_household(0.8) == pytest.approx(0.5 * 0.2 + 0.5 * 0.04)  # 0.12
    assert household_texts.per_person(0.0) == pytest.approx(1.5)  # nobody on WeChat: every resident
    assert household_texts.per_household(0.0) == pytest.approx(1.0)  # ... but one text a household
    assert household_texts.per_household(1.0) == 0.0


def test_the_sample_texts_are_replaced_by_the_households() -> None:
    usage = {
        "fn:NotificationsSenderFunction": 2.0,
        "units:NotificationsSenderFunction:sms:Publish": 0.07,
        "smsby:NotificationsSenderFunction:bill_issued": 0.07,
    }
    out = household_texts.with_texts(usage, 0.12, "bill_issued")
    assert out["fn:NotificationsSenderFunction"] == 2.0
    assert out["units:NotificationsSenderFunction:sms:Publish"] == 0.12
    assert [k for k in out if k.startswith("smsby:")] == [
        "smsby:NotificationsSenderFunction:bill_issued (households, ~)"
    ]
    assert household_texts.without_sms(out) == {"fn:NotificationsSenderFunction": 2.0}


def test_the_lever_prices_the_months_household_messages_before_and_after() -> None:
    lever = applied_levers.household_once(1_600)
    price = prices.PRICES["sms.cn"]
    assert lever.before == pytest.approx(price.cost(1_600 * household_texts.per_person()))
    assert lever.after == pytest.approx(price.cost(1_600 * household_texts.per_household()))
    assert lever.applied
