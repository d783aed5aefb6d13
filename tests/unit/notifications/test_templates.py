"""Templates render per locale and cannot be used to reach into Python objects or nest substitutions."""

from __future__ import annotations

import pytest
from notifications.domain import Content, Locale, Text
from notifications.templates import MAX_VALUE_CHARS, TEMPLATES, clean_value, money, render, text_for


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("locale", list(Locale))
def test_every_template_exists_in_every_locale(name: str, locale: Locale) -> None:
    assert locale in TEMPLATES[name]


def test_a_value_holding_format_or_template_syntax_stays_literal() -> None:
    hostile = "{0.__class__.__mro__} ${share_url} $visitor_name {visitor_name!r:>10}"

    text = render("visitor_arrived", Locale.EN, {"visitor_name": hostile, "arrived_at": "10:00", "gate": ""})

    assert text.body == f"Your visitor {hostile} arrived at 10:00."
    assert "class" in text.body
    assert "<" not in text.body


def test_unknown_placeholders_stay_as_written_and_missing_values_do_not_fail() -> None:
    text = render("ticket_assigned", Locale.EN, {"ticket_ref": "#000001"})
    assert text.body == "A ${priority} work order was assigned to you (#000001)."


def test_values_lose_control_characters_and_are_cut() -> None:
    assert clean_value("a\nb\tc\x00d") == "a b cd"
    long = clean_value("x" * 500)
    assert len(long) == MAX_VALUE_CHARS
    assert long.endswith("…")


def test_the_recipients_language_then_the_firms_then_any_variant() -> None:
    content = Content(variants={"en": Text(title="Hi", body="B")})
    assert text_for(content, Locale.ZH_CN, Locale.ZH_CN).title == "Hi"
    both = Content(variants={"en": Text(title="Hi", body="B"), "zh-CN": Text(title="你好", body="B")})
    assert text_for(both, Locale.ZH_CN, Locale.EN).title == "你好"
    assert text_for(both, Locale.EN, Locale.ZH_CN).title == "Hi"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(123456, "CNY", "¥1,234.56"), (5, "CNY", "¥0.05"), (-250, "USD", "-$2.50"), (100, "JPY", "JPY 1.00")],
)
def test_money_is_integer_arithmetic(minor: int, currency: str, text: str) -> None:
    assert money(minor, currency) == text


def test_a_pass_link_arrives_whole() -> None:
    link = "https://visit.example.com/v#" + "t" * 600
    text = render("pass_issued", Locale.EN, {"visitor_name": "Sun", "share_url": link, "valid_until": "soon"})
    assert link in text.body
