"""A fee item's price in force for a period, its changes from a month on, and its retirement (pure)."""

from __future__ import annotations

from datetime import date

import pytest
from payments.domain import Cycle, FeeItem, FeeKind, LateFeePolicy
from payments.fee_versions import in_force, retired, with_price

from courtyard.errors import Conflict, Unprocessable

TODAY = date(2026, 3, 20)
ITEM = FeeItem(
    "T",
    "F",
    "S",
    "物业费",
    FeeKind.AREA,
    Cycle.MONTHLY,
    250,
    "CNY",
    15,
    LateFeePolicy(),
    ("residential",),
    "",
    "",
)


def _price(item: FeeItem | None) -> int | None:
    return None if item is None else item.price_minor


def test_a_price_change_from_next_month_bills_the_new_price_only_from_then():
    changed = with_price(ITEM, "2026-04", 300, TODAY)

    assert [_price(in_force(changed, p)) for p in ("2026-03", "2026-04", "2026-12")] == [250, 300, 300]
    assert changed.revision == ITEM.revision + 1


def test_the_latest_version_on_or_before_the_period_wins_and_a_quarter_starts_at_its_first_month():
    changed = with_price(with_price(ITEM, "2026-06", 320, TODAY), "2026-04", 300, TODAY)

    assert [v.from_period for v in changed.prices] == ["2026-04", "2026-06"]
    assert [_price(in_force(changed, p)) for p in ("2026-05", "2026-06", "2026-Q2", "2026-Q3")] == [
        300,
        320,
        300,
        320,
    ]


def test_a_second_price_for_the_same_month_replaces_the_first():
    changed = with_price(with_price(ITEM, "2026-04", 300, TODAY), "2026-04", 280, TODAY)

    assert [(v.from_period, v.price_minor) for v in changed.prices] == [("2026-04", 280)]


def test_a_retired_item_bills_nothing_from_its_month():
    gone = retired(ITEM, "2026-05", TODAY)

    assert [_price(in_force(gone, p)) for p in ("2026-04", "2026-05", "2026-06")] == [250, None, None]
    with pytest.raises(Conflict):
        with_price(gone, "2026-06", 300, TODAY)


def test_a_change_for_a_past_month_is_refused():
    with pytest.raises(Unprocessable):
        with_price(ITEM, "2026-02", 300, TODAY)
    with pytest.raises(Unprocessable):
        retired(ITEM, "2026-02", TODAY)
    assert _price(in_force(with_price(ITEM, "2026-03", 300, TODAY), "2026-03")) == 300
