"""What one cell of an import sheet holds, normalised: an area in hundredths of m², a mainland mobile number,
a PRC resident ID number (checksum and birth date checked), a person's name. Pure."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

_AREA_UNIT = re.compile(r"(?:m2|sqm|平方米|平米|平方|平)$")
_MAX_AREA_CENTI: Final = 100_000 * 100
_CENTI: Final = Decimal(100)
_MAX_AREA_DIGITS: Final = 6  # 100,000 has adjusted exponent 5
_MAX_AREA_CHARS: Final = 32
# Excel floats such as 89.55000000000001 are still two decimals; anything coarser is a third decimal.
_FLOAT_NOISE: Final = Decimal("0.0001")


def parse_area_centi(text: str) -> int:
    """Area in hundredths of m² from `89.5`, `89.50㎡`, `89.5m2`, `1,089.5 平方米`; ValueError if invalid."""
    cleaned = unicodedata.normalize("NFKC", text).lower().replace(",", "").replace(" ", "")
    cleaned = _AREA_UNIT.sub("", cleaned)
    if len(cleaned) > _MAX_AREA_CHARS:
        raise ValueError("area is not a number of square metres")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("area is not a number of square metres") from None
    if not value.is_finite() or value < 0:
        raise ValueError("area is not a positive number of square metres")
    # Bounded before any arithmetic: "1e999999" would overflow the decimal context (a crash, not an error).
    if value.adjusted() > _MAX_AREA_DIGITS:
        raise ValueError("area is larger than 100,000 m²")
    centi = value * _CENTI
    rounded = centi.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if abs(centi - rounded) > _FLOAT_NOISE:
        raise ValueError("area has more than two decimals")
    if rounded > _MAX_AREA_CENTI:
        raise ValueError("area is larger than 100,000 m²")
    return int(rounded)


_PHONE_NOISE = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalise_phone(text: str) -> str | None:
    """An 11-digit mainland mobile number from `+86 138-1234-5678`, `138 1234 5678`, ...; None if not one."""
    digits = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_ID_SHAPE = re.compile(r"\d{17}[\dX]")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of an 18-character resident ID's first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_id_number(text: str) -> str | None:
    """An 18-character PRC resident ID (upper-case X), valid birth date and checksum; None if not one."""
    candidate = unicodedata.normalize("NFKC", text).replace(" ", "").upper()
    if not _ID_SHAPE.fullmatch(candidate):
        return None
    try:
        born = dt.date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return None
    if born.year < 1900:
        return None
    return candidate if id_check_char(candidate[:17]) == candidate[17] else None


_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_SPACES = re.compile(r"\s+")


def normalise_name(text: str) -> str:
    # "张 三" is one name typed with a space; Latin names keep one space between words.
    return _SPACES.sub(" ", _CJK_SPACE.sub("", text)).strip()
