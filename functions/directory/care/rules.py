"""The care list's rules (关爱名单, pure): which flags a resident can carry, how a spreadsheet's remarks
column names them, and the month a return visit belongs to.

Firms write remarks in their own words ("老人独居", "独居老人", "残疾人", "行动不便需协助"); the words below
are the ones seen in firms' sheets. A remark naming none of them flags nobody (it is no care need).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo


class CareFlag(StrEnum):
    ELDERLY_ALONE = "elderly_alone"  # 独居老人
    DISABLED = "disabled"  # 残障
    NEEDS_ASSISTANCE = "needs_assistance"  # 需要协助


_WORDS: Final[dict[CareFlag, tuple[str, ...]]] = {
    CareFlag.ELDERLY_ALONE: ("独居", "空巢", "孤寡", "livesalone", "elderlyalone"),
    CareFlag.DISABLED: ("残疾", "残障", "残联", "轮椅", "失明", "盲人", "聋", "disabled", "wheelchair"),
    CareFlag.NEEDS_ASSISTANCE: (
        "需协助",
        "需要协助",
        "需帮助",
        "需要帮助",
        "需照顾",
        "需要照顾",
        "行动不便",
        "卧床",
        "失能",
        "needsassistance",
        "needshelp",
    ),
}
_NOISE = re.compile(r"[\s\-_,，.。;；、/()（）]")


def flags_from_remarks(remarks: str) -> frozenset[CareFlag]:
    """The care flags a remarks cell names (``"老人独居，行动不便"`` -> elderly_alone, needs_assistance)."""
    text = _NOISE.sub("", unicodedata.normalize("NFKC", remarks).lower())
    if not text:
        return frozenset()
    return frozenset(flag for flag, words in _WORDS.items() if any(word in text for word in words))


def visit_month(at: datetime, timezone: str) -> str:
    """The firm's month (``2026-10``) an instant falls in: one return visit per flagged resident in it."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
