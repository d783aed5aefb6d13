"""A unit's bills and arrears reminders as texts, household by household (issue 18), at WeChat's stated share
per person: what the billing run and the arrears ladder buy in a month.

The sample's billing run bills three units of which one has a resident (the sample's own): its texts per unit
billed were a third of a household's, and its reminders reached that resident after they had linked WeChat.
Households as they are (bench/workload.md: 1,500 app users for 1,000 households, taken as half the
households of one person and half of two) each person on WeChat with probability ``WECHAT_SHARE``:

- **before** (every resident without push or WeChat texted): ``sum p(n) * n * (1 - share)`` texts a message;
- **after** (notifications/household_once.py: the household's texter alone, and only when nobody of the
  household is reached by push or WeChat): ``sum p(n) * (1 - share) ** n``.

One text per unreached household and none when any member is reached is what the real senders do
(tests/integration/notifications/test_household_once.py); this module gives the odds of each household, so
the lines it sets are marked modelled. Family proxies (who only lower the after) are left out.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.identity_cost import WECHAT_SHARE

# Households by the number of people with the app: 1.5 on average (bench/workload.md).
HOUSEHOLD_SIZES: dict[int, float] = {1: 0.5, 2: 0.5}
SENDER = "NotificationsSenderFunction"  # the bulk lane's sender sends the billing messages


def per_person(share: float = WECHAT_SHARE, sizes: Mapping[int, float] = HOUSEHOLD_SIZES) -> float:
    """Texts per household message when every resident without push or WeChat is texted (before)."""
    return sum(p * n * (1.0 - share) for n, p in sizes.items())


def per_household(share: float = WECHAT_SHARE, sizes: Mapping[int, float] = HOUSEHOLD_SIZES) -> float:
    """Texts per household message when only an unreached household's texter is texted (after)."""
    return sum(p * (1.0 - share) ** n for n, p in sizes.items())


def without_sms(usage: Mapping[str, float]) -> dict[str, float]:
    """``usage`` less its texts (the metered Publishes to a phone and the senders' logged reasons)."""
    return {k: v for k, v in usage.items() if not (k.endswith(":sms:Publish") or k.startswith("smsby:"))}


def with_texts(usage: Mapping[str, float], texts: float, template: str) -> dict[str, float]:
    """``usage`` whose texts are ``texts`` a sample occurrence of the household message ``template``."""
    out = without_sms(usage)
    out[f"units:{SENDER}:sms:Publish"] = texts
    out[f"smsby:{SENDER}:{template} (households, ~)"] = texts
    return out
