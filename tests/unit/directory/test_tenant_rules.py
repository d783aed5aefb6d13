"""Onboarding and staff input rules (pure pydantic): currency, locale, time zone, limits, contact details."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from directory.staff.models import StaffUpdate, normalise_phone, username_from_email
from directory.tenants.models import TenantCreate

# A mobile number typed with a Chinese input method (full-width digits), built so linters see no lookalikes.
FULL_WIDTH_MOBILE = "13812345678".translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})


def onboarding(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Greenfield",
        "limits": {"households": 10, "devices": 0},
        "manager": {"name": "Wang", "email": "wang@example.com"},
    }
    body.update(overrides)
    return body


def test_defaults_are_china_ones():
    tenant = TenantCreate.model_validate(onboarding())

    assert (tenant.currency, tenant.locale, tenant.timezone) == ("CNY", "zh-CN", "Asia/Shanghai")


def test_currency_is_upper_cased():
    assert TenantCreate.model_validate(onboarding(currency="usd")).currency == "USD"


@pytest.mark.parametrize(
    "change",
    [
        {"currency": "RMB"},
        {"currency": "XAU"},  # gold: not money a firm bills in
        {"locale": "zh-TW"},
        {"timezone": "Asia/Beijing"},
        {"timezone": "localtime"},
        {"timezone": "/etc/localtime"},
        {"limits": {"households": 0, "devices": 0}},
        {"limits": {"households": 1, "devices": -1}},
        {"limits": {"households": 1, "devices": 0, "sites": 1}},
        {"manager": {"name": "Wang", "email": "wang@example.com", "role": "platform_admin"}},
    ],
)
def test_bad_onboarding_values_are_refused(change):
    with pytest.raises(ValidationError):
        TenantCreate.model_validate(onboarding(**change))


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        (FULL_WIDTH_MOBILE, "13812345678"),
        ("(138) 1234 5678", "13812345678"),
        ("+852 9123 4567", "+85291234567"),
    ],
)
def test_phone_numbers_are_normalised(raw, stored):
    assert normalise_phone(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "23812345678", "call me", "+0123"])
def test_bad_phone_errors_never_echo_the_value(raw):
    with pytest.raises(ValueError, match="phone must be") as error:
        normalise_phone(raw)
    assert raw not in str(error.value)


def test_default_username_is_the_email_made_safe():
    assert username_from_email("O'Brien@Example.com") == "o-brien@example.com"


def test_a_change_must_name_a_field_and_no_null():
    with pytest.raises(ValidationError):
        StaffUpdate.model_validate({})
    with pytest.raises(ValidationError):
        StaffUpdate.model_validate({"name": None})
    assert StaffUpdate.model_validate({"on_duty": True}).changed_fields() == ["on_duty"]
