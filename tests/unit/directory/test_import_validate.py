"""Validation turns parsed rows into exactly the planted errors and a clean, fingerprinted plan."""
# Full-width digits and odd dashes are the input under test, not typos.

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from directory.imports.parse import SourceRow, parse_file
from directory.imports.sample import (
    SAMPLE_BUILDINGS,
    Sample,
    build_clean_sample,
    build_messy_sample,
    clean_sample,
    messy_sample,
    messy_sample_xlsx,
)
from directory.imports.validate import (
    ErrorCode,
    ImportPlan,
    Relation,
    UnitKind,
    normalise_id_number,
    normalise_phone,
    parse_area_centi,
    validate_rows,
)

# A valid fake resident ID (check digit computed by GB 11643) and mobile numbers.
ID_OK = "11010119900307002X"
PHONE = "13812345678"
OTHER_PHONE = "13987654321"


def rows(*values: dict[str, str]) -> list[SourceRow]:
    return [SourceRow(line=n, values=v) for n, v in enumerate(values, start=2)]


def codes(plan: ImportPlan) -> list[tuple[int, str]]:
    return [(e.line, str(e.code)) for e in plan.errors]


@cache
def _messy() -> Sample:
    return build_messy_sample()


@cache
def _messy_plan(fmt: str) -> ImportPlan:
    sample = _messy()
    data = sample.csv_bytes() if fmt == "csv" else sample.xlsx_bytes()
    return validate_rows(parse_file(data, f"住户.{fmt}").rows, SAMPLE_BUILDINGS)


# ---- the acceptance test at this level -----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_messy_file_reports_exactly_the_planted_errors(fmt: str) -> None:
    _, planted = messy_sample(320) if fmt == "csv" else messy_sample_xlsx(320)

    plan = _messy_plan(fmt)

    assert {(e.line, str(e.code)) for e in plan.errors} == {(p.line, p.code) for p in planted}
    assert len(plan.errors) == len(planted)


def test_messy_file_plants_every_error_code_at_least_twice() -> None:
    _, planted = messy_sample(320)

    counts = {code: sum(1 for p in planted if p.code == code) for code in ErrorCode}
    assert min(counts.values()) >= 2, counts


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_messy_file_normalises_every_readable_room_to_its_canonical_key(fmt: str) -> None:
    plan = _messy_plan(fmt)

    assert plan.room_keys == _messy().expected_keys


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_good_row_of_the_messy_file_is_in_the_plan(fmt: str) -> None:
    sample, plan = _messy(), _messy_plan(fmt)
    bad_lines = {p.line for p in sample.planted}
    good = {line: key for line, key in sample.expected_keys.items() if line not in bad_lines}

    people_lines = {p.line: p.room_key for p in plan.people}
    assert plan.rows_total == 320
    assert plan.rows_valid == 320 - len(bad_lines)
    assert all(key in plan.units for key in good.values())
    assert set(people_lines) <= set(good)
    assert all(people_lines[line] == good[line] for line in people_lines)


def test_messy_file_mixes_the_formats_the_issue_names() -> None:
    text = _messy().csv_bytes().decode("utf-8-sig")

    for marker in ("栋", "幢", "号楼", "单元", "#", "室", "座", "０", "－", " 栋 ", "平方米", "㎡", "+86"):
        assert marker in text, marker


def test_messy_file_has_units_with_several_residents_and_unit_only_rows() -> None:
    plan = _messy_plan("csv")
    per_unit: dict[str, int] = {}
    for person in plan.people:
        per_unit[person.room_key] = per_unit.get(person.room_key, 0) + 1

    assert max(per_unit.values()) >= 3
    assert len(plan.units) > len(per_unit)


def test_fingerprint_is_the_same_across_runs_and_formats() -> None:
    again = validate_rows(parse_file(build_messy_sample().csv_bytes(), "a.csv").rows, SAMPLE_BUILDINGS)

    assert again.fingerprint == _messy_plan("csv").fingerprint == _messy_plan("xlsx").fingerprint
    assert re.fullmatch(r"[0-9a-f]{64}", again.fingerprint)


def test_fingerprint_changes_with_the_data() -> None:
    other = validate_rows(parse_file(messy_sample(320, seed=8)[0], "a.csv").rows, SAMPLE_BUILDINGS)

    assert other.fingerprint != _messy_plan("csv").fingerprint


def test_gbk_export_of_the_messy_file_gives_the_same_plan() -> None:
    text = _messy().csv_bytes().decode("utf-8-sig")

    plan = validate_rows(parse_file(text.encode("gb18030"), "a.csv").rows, SAMPLE_BUILDINGS)

    assert codes(plan) == codes(_messy_plan("csv"))
    assert plan.fingerprint == _messy_plan("csv").fingerprint


def test_no_error_message_contains_a_phone_or_id_number() -> None:
    sample, plan = _messy(), _messy_plan("csv")
    secrets = {cell for r in sample.records if r for cell in (r.cells[6].strip(), r.cells[8].strip()) if cell}
    secrets |= {p.person.phone for p in plan.people}

    for error in plan.errors:
        assert not re.search(r"\d{7,}", error.message), error
        assert not any(secret in error.message for secret in secrets), error


def test_report_is_json_ready() -> None:
    report = _messy_plan("csv").report(max_errors=5)

    assert json.loads(json.dumps(report, ensure_ascii=False))["rows_total"] == 320
    assert len(report["errors"]) == 5
    assert report["errors_truncated"] is True


def test_five_thousand_clean_rows_validate_without_an_error() -> None:
    # Rows per second are measured by `make bench` (bench/imports.py), not asserted here.
    sample = build_clean_sample(5000)
    parsed = parse_file(sample.csv_bytes(), "bench.csv")

    plan = validate_rows(parsed.rows, sample.known_buildings)

    assert plan.errors == []
    assert plan.rows_valid == 5000


def test_clean_sample_is_deterministic_and_valid() -> None:
    data = clean_sample(400)

    assert data == clean_sample(400)
    assert validate_rows(parse_file(data, "a.csv").rows).errors == []


def test_messy_sample_is_deterministic() -> None:
    assert messy_sample(320) == messy_sample(320)
    assert messy_sample_xlsx(120)[1] == messy_sample(120)[1]


# ---- rows ----------------------------------------------------------------------------------------

UNIT = {"room": "1-1-101", "area": "89.5"}
PERSON = {"name": "张三", "phone": PHONE}


def test_unit_only_row_is_valid() -> None:
    plan = validate_rows(rows(UNIT))

    assert plan.errors == []
    assert plan.units["1-1-101"].area_m2_centi == 8950
    assert plan.units["1-1-101"].kind is UnitKind.RESIDENTIAL
    assert plan.people == []


def test_resident_row_yields_a_person_of_the_unit() -> None:
    values = {**UNIT, **PERSON, "relation": "租客", "id_number": ID_OK.lower(), "primary": "是"}

    plan = validate_rows(rows(values))

    (planned,) = plan.people
    assert planned.room_key == "1-1-101"
    assert planned.line == 2
    assert planned.person.phone == PHONE
    assert planned.person.relation is Relation.RENTER
    assert planned.person.id_number == ID_OK
    assert planned.person.primary is True


def test_identical_repeated_unit_rows_are_not_errors() -> None:
    plan = validate_rows(
        rows(
            {**UNIT, **PERSON},
            {"room": "1栋1单元101室", "area": "89.50㎡", "name": "李四", "phone": OTHER_PHONE},
            {"room": "01-01-0101", "area": "89.5"},
        )
    )

    assert plan.errors == []
    assert list(plan.units) == ["1-1-101"]
    assert len(plan.people) == 2


def test_a_resident_row_may_leave_the_unit_data_blank() -> None:
    plan = validate_rows(rows({"room": "1-1-101", **PERSON}, UNIT))

    assert plan.errors == []
    assert len(plan.people) == 1


def test_a_unit_whose_area_is_given_nowhere_is_missing_area() -> None:
    plan = validate_rows(rows({"room": "1-1-101", **PERSON}, {"room": "1-1-101"}))

    assert codes(plan) == [(2, "missing_area"), (3, "missing_area")]
    assert plan.units == {}
    assert plan.people == []


@pytest.mark.parametrize(
    ("area", "code"),
    [("0", "zero_area"), ("0.00㎡", "zero_area"), ("abc", "invalid_area"), ("-5", "invalid_area")],
)
def test_bad_areas_are_reported(area: str, code: str) -> None:
    plan = validate_rows(rows({"room": "1-1-101", "area": area}))

    assert codes(plan) == [(2, code)]
    assert plan.units == {}


def test_the_same_unit_with_another_area_conflicts_and_the_first_wins() -> None:
    plan = validate_rows(rows(UNIT, {"room": "1栋1单元101", "area": "90", **PERSON}))

    assert codes(plan) == [(3, "conflicting_unit")]
    assert "line 2" in plan.errors[0].message
    assert plan.units["1-1-101"].area_m2_centi == 8950
    assert plan.people == []


def test_the_same_unit_with_another_kind_conflicts() -> None:
    plan = validate_rows(rows({**UNIT, "kind": "住宅"}, {**UNIT, "kind": "商铺"}))

    assert codes(plan) == [(3, "conflicting_unit")]
    assert plan.errors[0].field == "kind"


def test_a_kind_on_a_later_row_completes_the_unit() -> None:
    plan = validate_rows(rows(UNIT, {"room": "1-1-101", "kind": "车位"}))

    assert plan.errors == []
    assert plan.units["1-1-101"].kind is UnitKind.PARKING


def test_same_phone_twice_on_a_unit_is_a_duplicate_person() -> None:
    plan = validate_rows(
        rows({**UNIT, **PERSON}, {"room": "1-1-101", "name": "张三", "phone": "+86 138-1234-5678"})
    )

    assert codes(plan) == [(3, "duplicate_person")]
    assert len(plan.people) == 1


def test_same_id_number_twice_on_a_unit_is_a_duplicate_person() -> None:
    first = {**UNIT, **PERSON, "id_number": ID_OK}
    second = {"room": "1-1-101", "name": "张三", "phone": OTHER_PHONE, "id_number": ID_OK}

    assert codes(validate_rows(rows(first, second))) == [(3, "duplicate_person")]


def test_the_same_person_on_two_units_is_fine() -> None:
    plan = validate_rows(rows({**UNIT, **PERSON}, {"room": "1-1-102", "area": "70", **PERSON}))

    assert plan.errors == []
    assert len(plan.people) == 2


def test_a_second_primary_contact_on_a_unit_is_refused() -> None:
    plan = validate_rows(
        rows(
            {**UNIT, **PERSON, "primary": "是"},
            {"room": "1-1-101", "name": "李四", "phone": OTHER_PHONE, "primary": "Y"},
        )
    )

    assert codes(plan) == [(3, "duplicate_primary")]


def test_unknown_building_is_reported_only_when_buildings_are_known() -> None:
    data = rows({"room": "9栋1单元101", "area": "80"}, {"room": "02-1-101", "area": "80"})

    assert codes(validate_rows(data, {"1", "2", "3"})) == [(2, "unknown_building")]
    assert codes(validate_rows(data, {"01", "2号楼"})) == [(2, "unknown_building")]
    assert validate_rows(data).errors == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"room": "1栋单元101", "area": "80"}, [(2, "invalid_room")]),
        ({"area": "80", "name": "张三", "phone": PHONE}, [(2, "invalid_room")]),
        ({**UNIT, "phone": PHONE}, [(2, "missing_name")]),
        ({**UNIT, "name": "张三"}, [(2, "missing_phone")]),
        ({**UNIT, "name": "张三", "phone": "010-62345678"}, [(2, "invalid_phone")]),
        ({**UNIT, **PERSON, "id_number": ID_OK[:17] + "1"}, [(2, "invalid_id_number")]),
        ({**UNIT, **PERSON, "relation": "朋友"}, [(2, "invalid_relation")]),
        ({**UNIT, **PERSON, "primary": "也许"}, [(2, "invalid_primary")]),
        ({**UNIT, "kind": "仓库"}, [(2, "invalid_kind")]),
        ({**UNIT, "relation": "业主"}, [(2, "missing_name"), (2, "missing_phone")]),
    ],
)
def test_each_bad_field_is_named(values: dict[str, str], expected: list[tuple[int, str]]) -> None:
    plan = validate_rows(rows(values))

    assert codes(plan) == expected
    assert plan.people == []
    assert plan.rows_valid == 0


def test_a_row_with_a_bad_person_still_describes_its_unit() -> None:
    plan = validate_rows(rows({**UNIT, "name": "张三", "phone": "12345"}))

    assert "1-1-101" in plan.units
    assert plan.people == []


def test_fingerprint_ignores_row_order_and_spelling() -> None:
    a = validate_rows(rows({**UNIT, **PERSON}, {"room": "2-1-301", "area": "70"}))
    b = validate_rows(
        rows({"room": "2栋1单元0301", "area": "70.00㎡"}, {"room": "1#1-101", "area": "89.50", **PERSON})
    )

    assert a.fingerprint == b.fingerprint


# ---- value normalisers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "centi"),
    [
        ("89.5", 8950),
        ("89.50", 8950),
        ("89.50㎡", 8950),
        ("89.5m2", 8950),
        ("89.5 m²", 8950),
        ("89.5平方米", 8950),
        ("90平", 9000),
        ("１２０．０５", 12005),
        ("1,089.5", 108950),
        ("89.55000000000001", 8955),
        ("0", 0),
    ],
)
def test_area_is_read_in_hundredths_of_a_square_metre(text: str, centi: int) -> None:
    assert parse_area_centi(text) == centi


@pytest.mark.parametrize("text", ["abc", "-1", "89.555", "约90", "nan", "inf", "1e9", ""])
def test_unreadable_areas_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="area"):
        parse_area_centi(text)


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "+86 138-1234-5678",
        "138 1234 5678",
        "(+86)13812345678",
        "0086 13812345678",
        "8613812345678",
    ],
)
def test_mobile_numbers_are_normalised(text: str) -> None:
    assert normalise_phone(text) == PHONE


@pytest.mark.parametrize("text", ["12345678901", "1381234567", "138123456789", "010-62345678", "abc", ""])
def test_other_numbers_are_not_mobiles(text: str) -> None:
    assert normalise_phone(text) is None


def test_valid_id_numbers_are_upper_cased() -> None:
    assert normalise_id_number(ID_OK.lower()) == ID_OK


@pytest.mark.parametrize(
    "text",
    [
        ID_OK[:17] + "1",  # wrong check digit
        ID_OK[:15],  # the old 15-digit form
        "110101199013070023",  # month 13 (check digit right)
        "110101199002300022",  # 30 February (check digit right)
        "11010118000307002X",  # born before 1900 (check digit right)
        "X1010119900307002X",
    ],
)
def test_invalid_id_numbers_are_refused(text: str) -> None:
    assert normalise_id_number(text) is None
