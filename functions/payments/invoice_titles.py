"""What an invoice (发票) may be made out to, pure: a company title with its taxpayer number, or a person's
name with none.

A company's taxpayer identification number (纳税人识别号) is its unified social credit code (统一社会信用代码,
GB 32100-2015): 18 characters from ``0-9`` and the capitals without I, O, Z, S and V, the last a check
character (weights 3^i mod 31 over the first 17, check = 31 - sum mod 31). Firms registered before the
code (2015) may still hold a 15-character tax registration number or a 20-character one (an ID number plus
two digits): those are digits and capitals of that length, with no check character to test.
"""

from __future__ import annotations

import re

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_OLD_NUMBER = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{20}$")
_USCC = re.compile(f"^[{USCC_CHARS}]{{18}}$")


def uscc_check(first17: str) -> str:
    """The check character of a unified social credit code's first 17 characters."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def tax_number_problem(number: str) -> str | None:
    """Why ``number`` is no taxpayer number (None: it is one). Upper-case it first: readers copy codes in
    lower case."""
    if len(number) == 18:
        if not _USCC.match(number):
            return "an 18-character tax number is a unified social credit code: digits, capitals but IOZSV"
        if uscc_check(number[:17]) != number[17]:
            return "the unified social credit code's check character is wrong"
        return None
    if _OLD_NUMBER.match(number):
        return None
    return "a tax number has 15, 18 or 20 digits and capital letters"
