"""Pure rules of places: area parsing, building codes, room resolution, labels and room order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.imports.rooms import RoomFormatError, RoomRef, parse_room
from directory.places.models import (
    Building,
    BuildingKind,
    SiteCreate,
    UnitCreate,
    format_area,
    parse_area_centi,
    valid_timezone,
)
from directory.places.service import (
    building_code_from,
    resolve_room,
    room_fit_problem,
    unit_label,
    unit_sort_key,
)


@pytest.mark.parametrize(
    ("value", "centi"),
    [
        ("89.5", 8950),
        ("89.50", 8950),
        ("89.50㎡", 8950),
        ("89.5 m²", 8950),
        ("89.5m2", 8950),
        ("120平方米", 12000),
        ("１２０．５", 12050),
        (" 60 ", 6000),
        ("89.500", 8950),
        (89.5, 8950),
        (1000, 100000),
        (Decimal("0.01"), 1),
        ("100000", 10_000_000),
    ],
)
def test_area_is_read_in_hundredths_of_a_square_metre(value: object, centi: int):
    assert parse_area_centi(value) == centi


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "0.00",
        0,
        "-1",
        -85.5,
        "1e3",
        "89.555",
        89.555,
        "0.001",
        "约90",
        "",
        "NaN",
        "inf",
        True,
        None,
        "100000.01",
    ],
)
def test_area_that_is_not_a_positive_two_decimal_number_is_refused(value: object):
    with pytest.raises(ValueError, match="area"):
        parse_area_centi(value)


def test_area_errors_say_why_without_echoing_the_input():
    with pytest.raises(ValueError, match="more than two decimals") as third:
        parse_area_centi("89.555")
    with pytest.raises(ValueError, match="greater than 0"):
        parse_area_centi("0")

    assert "89.555" not in str(third.value)


@given(st.integers(min_value=1, max_value=10_000_000))
def test_area_formats_and_reads_back_exactly(centi: int):
    text = format_area(centi)

    assert text.count(".") == 1
    assert len(text.split(".")[1]) == 2
    assert parse_area_centi(text) == centi


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("1栋", None, "1"),
        ("A座", None, "A"),
        ("03号楼", None, "3"),
        ("１２幢", None, "12"),
        ("东区", "b2", "B2"),
    ],
)
def test_building_code_comes_from_the_code_or_the_name(name: str, code: str | None, expected: str):
    assert building_code_from(name, code) == expected


@pytest.mark.parametrize("name", ["Tower One", "东区", "0栋", ""])
def test_building_name_without_a_designation_needs_an_explicit_code(name: str):
    with pytest.raises(RoomFormatError):
        building_code_from(name)


@pytest.mark.parametrize(
    ("building", "entrance", "room", "key"),
    [
        ("1", None, "1-1-101", "1-1-101"),
        ("1", None, "1栋1单元101室", "1-1-101"),
        ("1", "1", "0101", "1-1-101"),
        ("1", "1", "1-1-101", "1-1-101"),
        ("1", None, "1-101", "1-1-101"),
        ("1", None, "101", "1-101"),
        ("A", None, "A座2单元1201", "A-2-1201"),
        (None, None, "1#1-101", "1-1-101"),
        (None, "2", "3栋2单元502", "3-2-502"),
    ],
)
def test_room_resolves_to_its_canonical_key(building: str | None, entrance: str | None, room: str, key: str):
    assert resolve_room(building, entrance, room).key == key


@pytest.mark.parametrize(
    ("building", "entrance", "room"),
    [
        ("2", None, "1-1-101"),
        ("1", "2", "1-1-101"),
        (None, None, "101"),
        ("1", None, "一楼大堂"),
        ("1", None, "1-1-0"),
        (None, "1", "3栋502"),
    ],
)
def test_room_that_contradicts_or_lacks_its_building_is_refused(
    building: str | None, entrance: str | None, room: str
):
    with pytest.raises(RoomFormatError):
        resolve_room(building, entrance, room)


def test_room_order_is_natural_not_lexicographic():
    rooms = [
        "10-1-101",
        "1-1-1001",
        "1-1-201",
        "2-1-101",
        "1-2-101",
        "1-101",
        "A-1-101",
        "1-1-B101",
        "1-1-101",
    ]

    ordered = sorted(rooms, key=lambda text: unit_sort_key(parse_room(text)))

    assert ordered == [
        "1-101",
        "1-1-101",
        "1-1-201",
        "1-1-1001",
        "1-1-B101",
        "1-2-101",
        "2-1-101",
        "10-1-101",
        "A-1-101",
    ]


@pytest.mark.parametrize(
    ("building_name", "room", "label"),
    [
        ("1栋", "1-1-101", "1栋1单元101室"),
        ("A座", "A-2-302", "A座2单元302室"),
        ("3号楼", "3-502", "3号楼502室"),
        ("East Tower", "E1-1-101", "E1栋1单元101室"),
    ],
)
def test_unit_label_uses_the_buildings_own_name(building_name: str, room: str, label: str):
    assert unit_label(building_name, parse_room(room)) == label


def _building(floors: int | None, entrances: int | None) -> Building:
    return Building(
        "t", "s", "b", "1栋", "1", floors, entrances, BuildingKind.RESIDENTIAL, "2026-01-01T00:00:00.000Z"
    )


@pytest.mark.parametrize(
    ("floors", "entrances", "room", "fits"),
    [
        (18, 2, "1-1-1801", True),
        (18, 2, "1-1-1901", False),
        (18, 2, "1-3-101", False),
        (18, 2, "1-1-B101", True),
        (None, None, "1-9-9901", True),
        (18, 2, "1-1-10001", True),
    ],
)
def test_room_must_fit_the_buildings_floors_and_entrances(
    floors: int | None, entrances: int | None, room: str, fits: bool
):
    ref: RoomRef = parse_room(room)

    assert (room_fit_problem(_building(floors, entrances), ref) is None) is fits


def test_site_timezone_must_be_iana():
    assert valid_timezone("Asia/Shanghai")
    assert not valid_timezone("Beijing")
    with pytest.raises(ValueError, match="IANA"):
        SiteCreate(name="x", address="y", city="z", timezone="GMT+8 Beijing")


def test_unit_request_reads_area_into_hundredths():
    request = UnitCreate.model_validate({"room": "1-1-101", "area_m2": "89.50㎡", "entrance": 1})

    assert request.area_centi_m2 == 8950
    assert request.entrance == "1"
