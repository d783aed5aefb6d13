"""Room designations in every format property firms use normalise to one key."""
# Full-width digits and odd dashes are the input under test, not typos.

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.imports.rooms import (
    RoomFormatError,
    RoomRef,
    canonical_building,
    normalise_width,
    parse_room,
    parse_room_parts,
)

SAME_UNIT = [
    "1-1-101",
    "1栋1单元101室",
    "1幢1单元0101",
    "01-01-0101",
    "1#1-101",
    "1号楼1单元101",
    "1号楼1单元101室",
    "1座1单元101",
    "１－１－１０１",
    "１栋１单元１０１室",
    "1 栋 1 单元 101",
    "  1-1-101  ",
    " 1 - 1 - 101 ",
    "1栋1-101",
    "1号楼-1单元-101室",
    "1—1—101",
    "1–1–101",
    "1/1/101",
    "一号楼一单元101室",
    "1栋1单元101号",
]


@pytest.mark.parametrize("text", SAME_UNIT)
def test_every_format_of_the_same_unit_has_the_same_key(text: str) -> None:
    ref = parse_room(text)

    assert ref == RoomRef(building="1", entrance="1", floor=1, room="101")
    assert ref.key == "1-1-101"
    assert ref.label_zh == "1栋1单元101室"


@pytest.mark.parametrize(
    ("text", "key", "floor"),
    [
        ("3栋101", "3-101", 1),
        ("1-101", "1-101", 1),
        ("3#101", "3-101", 1),
        ("A栋2单元1203", "A-2-1203", 12),
        ("a栋2单元1203", "A-2-1203", 12),
        ("A座101", "A-101", 1),
        ("A-101", "A-101", 1),
        ("A1栋1单元101", "A1-1-101", 1),
        ("12-3-2001", "12-3-2001", 20),
        ("012号楼03单元02001", "12-3-2001", 20),
        ("2-2-3304", "2-2-3304", 33),
        ("5栋1单元8", "5-1-8", None),
        ("5-1-12", "5-1-12", None),
        ("5-1-10101", "5-1-10101", None),
        ("1栋1单元B101", "1-1-B101", -1),
        ("A-b0203", "A-B203", -2),
        ("十二栋三单元501", "12-3-501", 5),
        ("二十一号楼两单元101", "21-2-101", 1),
    ],
)
def test_building_entrance_room_and_floor_are_canonical(text: str, key: str, floor: int | None) -> None:
    ref = parse_room(text)

    assert ref.key == key
    assert ref.floor == floor


def test_a_building_written_without_entrance_has_no_entrance() -> None:
    ref = parse_room("3栋101")

    assert ref.entrance is None
    assert ref.label_zh == "3栋101室"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not a recognised room designation"),
        ("1-1-", "room number is missing"),
        ("1栋1单元", "room number is missing"),
        ("1栋单元101", "单元 has no entrance number"),
        ("101", "building is missing"),
        ("1101", "building is missing"),
        ("0-1-101", "building number cannot be 0"),
        ("1-0-101", "entrance number cannot be 0"),
        ("1-1-000", "room number cannot be 0"),
        ("1-1-1-101", "not a recognised"),
        ("1楼101", "not a recognised"),
        ("1栋1单元101A", "not a recognised"),
    ],
)
def test_unreadable_designations_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(RoomFormatError, match=reason):
        parse_room(text)


def test_the_refusal_does_not_echo_the_input() -> None:
    with pytest.raises(RoomFormatError) as caught:
        parse_room("13812345678")

    assert "13812345678" not in str(caught.value)


def test_room_format_error_is_a_value_error() -> None:
    assert issubclass(RoomFormatError, ValueError)


@pytest.mark.parametrize(
    ("building", "entrance", "room", "key"),
    [
        ("1", "1", "101", "1-1-101"),
        ("1号楼", "1单元", "0101", "1-1-101"),
        ("01", "01", "101室", "1-1-101"),
        ("1栋", "", "1-101", "1-1-101"),
        ("1", "", "1单元101", "1-1-101"),
        ("3座", "", "101", "3-101"),
        ("", "", "1栋1单元101室", "1-1-101"),
        ("1", "1", "1栋1单元101室", "1-1-101"),
        ("1", "", "01-01-0101", "1-1-101"),
        ("2", "", "1-101", "2-1-101"),
        ("Ａ座", "", "B101", "A-B101"),
    ],
)
def test_a_room_split_over_columns_reads_like_one_designation(
    building: str, entrance: str, room: str, key: str
) -> None:
    assert parse_room_parts(building, entrance, room).key == key


@pytest.mark.parametrize(
    ("building", "entrance", "room", "reason"),
    [
        ("1", "1", "", "room number is missing"),
        ("2", "", "1栋1单元101", "different buildings"),
        ("1", "2", "1栋1单元101", "different entrances"),
        ("2", "", "1-1-101", "different buildings"),
        ("", "1", "101", "building is missing"),
        ("1", "一楼", "101", "entrance is not a number"),
        ("楼", "1", "101", "not a recognised building"),
    ],
)
def test_inconsistent_or_incomplete_columns_are_refused(
    building: str, entrance: str, room: str, reason: str
) -> None:
    with pytest.raises(RoomFormatError, match=reason):
        parse_room_parts(building, entrance, room)


@pytest.mark.parametrize(
    ("text", "name"), [("01", "1"), ("1号楼", "1"), ("a座", "A"), ("１２栋", "12"), ("B", "B")]
)
def test_building_names_are_canonical(text: str, name: str) -> None:
    assert canonical_building(text) == name


def test_normalise_width_folds_full_width_forms() -> None:
    assert normalise_width("１－１－１０１　Ａ＃") == "1-1-101 A#"


# ---- properties ----------------------------------------------------------------------------------

_LETTERS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=1, max_size=2)
_BUILDINGS = st.one_of(
    st.integers(1, 9999).map(str),
    _LETTERS,
    st.builds(lambda letter, n: f"{letter}{n}", st.sampled_from("ABCD"), st.integers(1, 999)),
)
_ROOMS = st.one_of(
    st.integers(1, 99999).map(str),
    st.integers(1, 9999).map(lambda n: f"B{n}"),
)


def _floor(room: str) -> int | None:
    number = int(room.removeprefix("B"))
    if not 100 <= number <= 9999:
        return None
    return -(number // 100) if room.startswith("B") else number // 100


@st.composite
def room_refs(draw: st.DrawFn) -> RoomRef:
    room = draw(_ROOMS)
    entrance = draw(st.one_of(st.none(), st.integers(1, 999).map(str)))
    return RoomRef(building=draw(_BUILDINGS), entrance=entrance, floor=_floor(room), room=room)


@given(room_refs())
def test_key_and_chinese_label_round_trip(ref: RoomRef) -> None:
    assert parse_room(ref.key) == ref
    assert parse_room(ref.label_zh) == ref


@given(room_refs(), st.integers(0, 2), st.booleans())
def test_leading_zeros_and_full_width_do_not_change_the_unit(ref: RoomRef, zeros: int, wide: bool) -> None:
    pad = "0" * zeros
    building = pad + ref.building if ref.building.isdigit() else ref.building
    room = ref.room.replace("B", "B" + pad) if ref.room.startswith("B") else pad + ref.room
    parts = [building, *([pad + ref.entrance] if ref.entrance else []), room]
    text = "-".join(parts)
    if wide:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-"})

    assert parse_room(text) == ref
