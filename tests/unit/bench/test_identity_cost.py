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
    # WeChat is the default path: its share texts only the one code that proves the phone.
    share = identity_cost.WECHAT_SHARE
    per_resident = (1 - share) * identity_cost.SMS_PER_RESIDENT + share * identity_cost.SIGN_UPS_PER_RESIDENT
    texted = 1_500 * per_resident
    assert sms == pytest.approx(texted * identity_cost.SMS_USD)
    assert month.lines[-1][0].startswith("API Gateway")  # the HTTP API lever reads the last line


def test_the_wechat_default_costs_less_than_everyone_by_phone():
    wechat = identity_cost.identity_month(1_500, communities=100, tier="ESSENTIALS")
    phone = identity_cost.identity_month(1_500, communities=100, tier="ESSENTIALS", wechat_share=0.0)
    assert identity_cost.WECHAT_SHARE == 0.8
    assert wechat.residents_usd < phone.residents_usd * 0.6
    by_phone = next(usd for what, usd in phone.lines if what.startswith("SMS"))
    assert by_phone == pytest.approx(1_500 * identity_cost.SMS_PER_RESIDENT * identity_cost.SMS_USD)


def test_staff_beyond_the_free_tier_are_priced_at_the_declared_tier():
    big = identity_cost.identity_month(1_500, communities=1_000, tier="ESSENTIALS")
    assert big.staff_usd == pytest.approx((12_000 - 10_000) * 0.015 / 1_000)
    lite = identity_cost.identity_month(1_500, communities=1_000, tier="LITE")
    assert lite.staff_usd == pytest.approx((12_000 - 10_000) * 0.0055 / 1_000)


def test_the_wechat_lever_is_applied_its_effect_shown_and_not_counted_twice():
    from bench import cost

    activity = cost.Activity("opens", per_month=100_000, sample=1, usage={"apigw": 1.0})
    result = cost.summarise(
        [activity], {}, kms_keys=2, secrets=3, monthly_active_users=1_512, run_s=1.0, communities=100
    )
    lever = next(line for line in result.lever_lines if line["what"].startswith("WeChat sign-in"))
    assert lever["applied"] is True
    assert "SignIn.vue" in lever["basis"]
    assert "WeChatCallback.vue" in lever["basis"]
    # Before: every resident by phone; after: the headline's identity month, WeChat the default.
    assert lever["after"] == pytest.approx(result.identity_usd)
    assert lever["before"] > lever["after"]
