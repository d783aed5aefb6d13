"""Amounts in Chinese capital numerals (大写金额) for receipts, pure, by the People's Bank of China's rules
for filling in bills (《正确填写票据和结算凭证的基本规定》):

- digits 零壹贰叁肆伍陆柒捌玖, places 拾佰仟 within each group of four, groups 万 and 亿;
- one 零 for a run of zeros inside the amount, none at the end of a group (壹仟零壹, 壹万零壹拾, 壹亿零壹);
- 元 after the yuan; an amount ending at 元 or 角 ends with 整 (壹仟贰佰叁拾肆元伍角整), one with 分 does not;
- a zero units digit of the yuan before a 角 is written 零 (壹仟陆佰捌拾元零叁角贰分), and so is a zero 角
  before a 分 (壹仟贰佰叁拾肆元零伍分); less than a yuan starts at the 角 or 分 (伍角整, 伍分);
- zero is 零元整.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _group(value: int) -> str:
    """0 < value < 10000, with zeros inside collapsed and none at the end."""
    out = ""
    zero = False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + PLACES[place]
    return out


def _yuan(value: int) -> str:
    groups: list[int] = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    out = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        # a zero before this group: a lower group under 1000 after a higher one, or skipped groups
        if out and (group < 1000 or groups[index + 1] == 0):
            out += "零"
        out += _group(group) + GROUPS[index]
    return out


def in_capitals(fen: int) -> str:
    """``fen`` (>= 0) as 大写金额: 123450 -> 壹仟贰佰叁拾肆元伍角整."""
    if fen < 0:
        raise ValueError("an amount in capitals is not negative")
    yuan, jiao, cent = fen // 100, fen // 10 % 10, fen % 10
    if fen == 0:
        return "零元整"
    out = _yuan(yuan) + "元" if yuan else ""
    if jiao:
        out += ("零" if yuan and yuan % 10 == 0 else "") + DIGITS[jiao] + "角"
    elif cent and yuan:
        out += "零"
    if cent:
        return out + DIGITS[cent] + "分"
    return out + "整"
