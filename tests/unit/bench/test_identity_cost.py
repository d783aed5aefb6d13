"""Identity's priced month: residents on Courtyard identity, staff on the template's Cognito tier."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import identity_cost
from infra.local.template import load_template

ROOT = Path(__file__).resolve().parents[3]


def test_the_template_declares_the_user_pool_tier():
    pool = load_template(ROOT / "template.yaml").resources["UserPool"]
    assert pool["Properties"]["UserPoolTier"] == "ESSENTIALS"


def test_residents_cost_cents_not_cognitos_dollars():
    month = identity_cost.identity_month(1_500, communities=100, tier="ESSENTIALS")
    # Cognito Essentials for the same 1,500 residents beyond the free tier: 22.5 USD.
    assert month.residents_usd < 1.0
    assert month.staff_usd == 0.0  # 1,200 staff MAU stay inside the 10,000 free
    sms = next(usd for what, usd in month.lines if what.startswith("SMS"))
    assert sms == pytest.approx(1_500 * identity_cost.SMS_PER_RESIDENT * identity_cost.SMS_USD)


def test_staff_beyond_the_free_tier_are_priced_at_the_declared_tier():
    big = identity_cost.identity_month(1_500, communities=1_000, tier="ESSENTIALS")
    assert big.staff_usd == pytest.approx((12_000 - 10_000) * 0.015 / 1_000)
    lite = identity_cost.identity_month(1_500, communities=1_000, tier="LITE")
    assert lite.staff_usd == pytest.approx((12_000 - 10_000) * 0.0055 / 1_000)
