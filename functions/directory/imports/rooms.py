"""Room designations as property firms write them (1-1-101, 1栋1单元101室, 1#1-101) in one canonical form.

Canonical form: building without leading zeros (letters upper-cased), optional entrance (单元), room
without leading zeros; the floor comes from a 3-4 digit room number. No 单元 written means no entrance.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "RoomFormatError",
    "RoomRef",
    "canonical_building",
    "normalise_width",
    "parse_room",
    "parse_room_parts",
]


class RoomFormatError(ValueError):
    """A room designation that cannot be read; the message says why without echoing the input."""


@dataclass(frozen=True, slots=True)
class RoomRef:
    """One unit's address inside a community."""

    building: str
    entrance: str | None
    floor: int | None
    room: str

    @property
    def key(self) -> str:
        """`1-1-101`, or `1-101` for a building without entrances."""
        if self.entrance is None:
            return f"{self.building}-{self.room}"
        return f"{self.building}-{self.entrance}-{self.room}"

    @property
    def label_zh(self) -> str:
        """`1栋1单元101室`, or `3栋101室` for a building without entrances."""
        if self.entrance is None:
            return f"{self.building}栋{self.room}室"
        return f"{self.building}栋{self.entrance}单元{self.room}室"


EXAMPLE = "expected e.g. 1-1-101 or 1栋1单元101室"

# NFKC already folds full-width forms; these dashes (and / _) survive it and firms type them all.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58/_", "-"))
_SPACES = re.compile(r"\s+")

# Leading zeros do not count towards the digit limits ("00101" is room 101).
_BUILDING = r"[A-Z]?0*\d{1,4}|[A-Z]{1,2}"
# "1楼" and "1号" usually mean a floor or a door number, so only unambiguous building markers are accepted.
_BUILDING_MARK = r"号楼|栋|幢|座|#"
_ROOM_RE = re.compile(
    rf"(?P<b>{_BUILDING})"
    rf"(?:(?:{_BUILDING_MARK})-?|-)"
    r"(?:(?P<e>0*\d{1,3})(?:单元-?|-))?"
    r"(?P<r>B?0*\d{1,5})"
    r"(?:室|号|房)?"
)
_BUILDING_RE = re.compile(rf"(?P<b>{_BUILDING})(?:{_BUILDING_MARK}|号|楼)?")
_ENTRANCE_RE = re.compile(r"(?P<e>0*\d{1,3})(?:单元|门)?")
_HAS_BUILDING_MARK = re.compile(_BUILDING_MARK)

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Only numerals right before a building or entrance marker: names and free text are left alone.
_CN_NUMBER = re.compile(r"[一二两三四五六七八九十]{1,3}(?=号楼|栋|幢|座|单元)")


def normalise_width(text: str) -> str:
    """Fold full-width digits, letters, punctuation and spaces to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def _cn_to_int(numeral: str) -> int:
    if "十" not in numeral:
        if len(numeral) != 1:
            raise RoomFormatError("Chinese numeral is not a number from 1 to 99")
        return _CN_DIGITS[numeral]
    tens, _, ones = numeral.partition("十")
    try:
        value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    except KeyError:
        raise RoomFormatError("Chinese numeral is not a number from 1 to 99") from None
    return value


def _clean(text: str) -> str:
    if not text:
        return text
    text = _SPACES.sub("", normalise_width(text).translate(_DASHES)).upper()
    if not text.isascii():
        text = _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(0))), text)
    return text


def _strip_zeros(digits: str, what: str) -> str:
    value = int(digits)
    if value == 0:
        raise RoomFormatError(f"{what} number cannot be 0")
    return str(value)


def canonical_building(text: str) -> str:
    """The canonical name of a building written as `01`, `1号楼`, `a座`, ... (raises RoomFormatError)."""
    match = _BUILDING_RE.fullmatch(_clean(text))
    if match is None:
        raise RoomFormatError(f"not a recognised building ({EXAMPLE})")
    return _building(match.group("b"))


def _building(raw: str) -> str:
    letters = raw.rstrip("0123456789")
    digits = raw[len(letters) :]
    if not digits:
        return letters
    return letters + (str(int(digits)) if letters else _strip_zeros(digits, "building"))


def _make(building: str, entrance: str | None, room: str) -> RoomRef:
    basement = room.startswith("B")
    digits = room[1:] if basement else room
    number = int(digits)
    if number == 0:
        raise RoomFormatError("room number cannot be 0")
    floor: int | None = None
    if 100 <= number <= 9999:
        floor = -(number // 100) if basement else number // 100
    return RoomRef(
        building=_building(building),
        entrance=None if entrance is None else _strip_zeros(entrance, "entrance"),
        floor=floor,
        room=("B" if basement else "") + str(number),
    )


def _explain(text: str) -> str:
    if "单元" in text and not re.search(r"\d单元", text):
        return "单元 has no entrance number"
    if text.endswith("-") or re.search(rf"(?:{_BUILDING_MARK}|单元)$", text):
        return "room number is missing"
    if re.fullmatch(r"B?\d+(?:室|号|房)?", text):
        return f"building is missing ({EXAMPLE})"
    return f"not a recognised room designation ({EXAMPLE})"


def parse_room(text: str) -> RoomRef:
    """Read one room designation in any of the accepted formats; raises RoomFormatError saying why not."""
    cleaned = _clean(text)
    if not cleaned:
        raise RoomFormatError("room designation is empty")
    match = _ROOM_RE.fullmatch(cleaned)
    if match is None:
        raise RoomFormatError(_explain(cleaned))
    return _make(match.group("b"), match.group("e"), match.group("r"))


def parse_room_parts(building: str, entrance: str, room: str) -> RoomRef:
    """Read a room given in up to three columns (楼栋, 单元, 房号); the room may be a full designation."""
    b, e, r = _clean(building), _clean(entrance), _clean(room)
    if not r:
        raise RoomFormatError("room number is missing")
    # "1-1-101" is a full designation even beside a building column; "1-101" there means entrance-room.
    if _HAS_BUILDING_MARK.search(r) or r.count("-") >= 2 or not (b or e):
        full = parse_room(r)
        if b and canonical_building(b) != full.building:
            raise RoomFormatError("building column and room designation name different buildings")
        if e and full.entrance != _entrance(e):
            raise RoomFormatError("entrance column and room designation name different entrances")
        return full
    if not b:
        raise RoomFormatError("building is missing")
    match = _BUILDING_RE.fullmatch(b)
    if match is None:
        raise RoomFormatError(f"not a recognised building ({EXAMPLE})")
    # Rebuild one designation so the room column may still carry the entrance ("1-101", "1单元101").
    text = f"{match.group('b')}#{_entrance(e)}-{r}" if e else f"{match.group('b')}#{r}"
    return parse_room(text)


def _entrance(text: str) -> str:
    match = _ENTRANCE_RE.fullmatch(text)
    if match is None:
        raise RoomFormatError("entrance is not a number")
    return _strip_zeros(match.group("e"), "entrance")
