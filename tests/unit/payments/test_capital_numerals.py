"""Amounts in Chinese capital numerals for receipts (pure)."""

from __future__ import annotations

import pytest
from payments.capital_numerals import in_capitals


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        (123450, "壹仟贰佰叁拾肆元伍角整"),
        (123405, "壹仟贰佰叁拾肆元零伍分"),
        (168032, "壹仟陆佰捌拾元零叁角贰分"),
        (22375, "贰佰贰拾叁元柒角伍分"),
        (100, "壹元整"),
        (1000, "壹拾元整"),
        (100100, "壹仟零壹元整"),
        (1001000, "壹万零壹拾元整"),
        (10000000, "壹拾万元整"),
        (10000100, "壹拾万零壹元整"),
        (10000000000, "壹亿元整"),
        (10000000100, "壹亿零壹元整"),
        (10010000000, "壹亿零壹拾万元整"),
        (50, "伍角整"),
        (5, "伍分"),
        (0, "零元整"),
    ],
)
def test_amounts_in_capitals(fen: int, capitals: str) -> None:
    assert in_capitals(fen) == capitals


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="not negative"):
        in_capitals(-1)
