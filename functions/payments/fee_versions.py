"""Which price of a fee item bills a period, pure: prices change from a month on and an item can be retired,
without touching a bill already issued (bills copy their lines when issued and are never rewritten).

- The version in force for a period is the latest whose month is on or before the period's first month (a
  quarter's or year's first month); before every version the item's first price applies.
- A retired item bills no period starting on or after its retirement month.
- A change takes effect from the current month on at the earliest: a past month may already be billed, and
  billing it again (a unit added later) must not give two units of one month two prices.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from courtyard.errors import Conflict, Unprocessable
from payments.domain import FeeItem, PriceVersion
from payments.fees import first_day


def in_force(item: FeeItem, period: str) -> FeeItem | None:
    """``item`` with the price that bills ``period``, or None when it is retired by then."""
    start = first_day(period)
    if item.retired_from is not None and first_day(item.retired_from) <= start:
        return None
    price = item.price_minor
    for version in sorted(item.prices, key=lambda v: v.from_period):
        if first_day(version.from_period) <= start:
            price = version.price_minor
    return replace(item, price_minor=price)


def _not_in_the_past(from_period: str, today: date) -> None:
    if first_day(from_period) < today.replace(day=1):
        raise Unprocessable(
            f"a change takes effect from this month on at the earliest, not {from_period}",
            [{"loc": ["body", "from_period"], "type": "in_the_past"}],
        )


def with_price(item: FeeItem, from_period: str, price_minor: int, today: date) -> FeeItem:
    """A new price from ``from_period`` on (replacing a version of that same month)."""
    _not_in_the_past(from_period, today)
    if item.retired_from is not None and first_day(item.retired_from) <= first_day(from_period):
        raise Conflict(f"the fee item is retired from {item.retired_from}")
    kept = tuple(v for v in item.prices if v.from_period != from_period)
    prices = tuple(sorted((*kept, PriceVersion(from_period, price_minor)), key=lambda v: v.from_period))
    return replace(item, prices=prices, revision=item.revision + 1)


def retired(item: FeeItem, from_period: str, today: date) -> FeeItem:
    """The item billing no period from ``from_period`` on."""
    _not_in_the_past(from_period, today)
    return replace(item, retired_from=from_period, revision=item.revision + 1)
