"""Deterministic import sheets for tests, the demo and the benchmark: messy with planted errors, or clean.

The sampler is an oracle independent of the parser: it knows each row's canonical room key and planted error.
Phone and ID numbers are fake but well-formed (ID check digits are correct).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "HEADER",
    "SAMPLE_BUILDINGS",
    "PlantedError",
    "Sample",
    "SampleRow",
    "build_clean_sample",
    "build_messy_sample",
    "clean_sample",
    "messy_sample",
    "messy_sample_xlsx",
]

HEADER: Final = (
    "楼栋",
    "单元",
    "房号",
    "建筑面积\uff08㎡\uff09",
    "房屋类型",
    "业主姓名",
    " 手机号 ",
    "身份",
    "身份证号",
    "主要联系人",
    "备注",
)
B, E, R, AREA, KIND, NAME, PHONE, REL, ID, PRIMARY, NOTE = range(len(HEADER))
# Columns Excel would store as numbers when the cell holds only digits.
_NUMERIC_COLUMNS: Final = (B, E, R, AREA, PHONE)

TITLE: Final = "阳光花园小区 住户信息导入表"
# Residential buildings 1-8 with two entrances each; "A" is the podium of shops and basement parking.
SAMPLE_BUILDINGS: Final = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "A"})
_UNKNOWN_BUILDINGS: Final = ("9", "C", "12")
MAX_MESSY_ROWS: Final = 3000


@dataclass(frozen=True, slots=True)
class PlantedError:
    line: int
    code: str


@dataclass(frozen=True, slots=True)
class _Unit:
    building: str
    entrance: str | None
    room: str  # canonical: "101", "1203", "B101"
    kind: str  # as written in the sheet: 住宅, 商铺, 车位
    area_centi: int

    @property
    def key(self) -> str:
        parts = [self.building, self.entrance, self.room] if self.entrance else [self.building, self.room]
        return "-".join(parts)


@dataclass(slots=True)
class SampleRow:
    """One data row as written (cells in HEADER order) and what validating it must give."""

    cells: list[str]
    key: str | None  # canonical room key the row must normalise to, None when the room is unreadable
    code: str | None = None


@dataclass(slots=True)
class Sample:
    """Rows of a generated spreadsheet, with the expected outcome of validating them."""

    records: list[SampleRow | None]  # None is a blank line
    known_buildings: frozenset[str] = SAMPLE_BUILDINGS
    title: str | None = TITLE
    header: Sequence[str] = HEADER
    _first_line: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._first_line = 3 if self.title else 2

    @property
    def planted(self) -> list[PlantedError]:
        return [
            PlantedError(line, record.code)
            for line, record in self._lines()
            if record is not None and record.code is not None
        ]

    @property
    def expected_keys(self) -> dict[int, str]:
        """Line -> canonical room key for every data row whose room is readable."""
        return {line: record.key for line, record in self._lines() if record is not None and record.key}

    @property
    def data_rows(self) -> int:
        return sum(1 for record in self.records if record is not None)

    def _lines(self) -> list[tuple[int, SampleRow | None]]:
        return list(enumerate(self.records, start=self._first_line))

    def _table(self) -> list[list[str]]:
        width = len(self.header)
        top = [[self.title] + [""] * (width - 1)] if self.title else []
        return [*top, list(self.header)] + [r.cells if r else [""] * width for r in self.records]

    def csv_bytes(self) -> bytes:
        """CSV as Excel saves it as "CSV UTF-8": BOM, CRLF line ends."""
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(self._table())
        return out.getvalue().encode("utf-8-sig")

    def xlsx_bytes(self) -> bytes:
        """The same rows as a workbook, with digit-only cells stored as numbers the way Excel stores them."""
        from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs in the dev dependencies

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("住户")
        for index, row in enumerate(self._table()):
            header_rows = self._first_line - 1
            sheet.append(
                [
                    _excel_value(cell, index >= header_rows and col in _NUMERIC_COLUMNS)
                    for col, cell in enumerate(row)
                ]
            )
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def _excel_value(cell: str, numeric: bool) -> str | int | float | None:
    if not cell:
        return None
    if numeric and cell.isascii():
        if cell.isdigit():
            return int(cell)
        whole, dot, frac = cell.partition(".")
        if dot and whole.isdigit() and frac.isdigit():
            return float(cell)
    return cell


# ---- fake people ---------------------------------------------------------------------------------

_SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁"
)
_GIVEN: Final = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫浩宇轩子涵欣怡梓萱"
_REGIONS: Final = ("110101", "310104", "440305", "330106", "510107", "420102", "320102", "370202")
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
# Full-width forms sit at a fixed offset from ASCII.
_FULL_WIDTH: Final = {ord(c): ord(c) + 0xFEE0 for c in "0123456789-#."}


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    phone: str
    id_number: str | None


class _Faker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()
        self.ids: set[str] = set()

    def name(self) -> str:
        given = "".join(self.rng.choice(_GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(_SURNAMES) + given

    def phone(self) -> str:
        while True:
            phone = (
                "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))
            )
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def id_number(self) -> str:
        while True:
            born = f"{self.rng.randint(1945, 2006)}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}"
            first17 = self.rng.choice(_REGIONS) + born + f"{self.rng.randint(0, 999):03d}"
            check = _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]
            if first17 + check not in self.ids:
                self.ids.add(first17 + check)
                return first17 + check

    def person(self, with_id: float = 0.5) -> _Person:
        return _Person(self.name(), self.phone(), self.id_number() if self.rng.random() < with_id else None)


# ---- rendering the way people type ---------------------------------------------------------------

_ENTRANCE_FORMATS: Final[tuple[Callable[[str, str, str], str], ...]] = (
    lambda b, e, r: f"{b}-{e}-{r}",
    lambda b, e, r: f"{b}栋{e}单元{r}室",
    lambda b, e, r: f"{b}幢{e}单元{r:0>4}",
    lambda b, e, r: f"{b:0>2}-{e:0>2}-{r:0>4}",
    lambda b, e, r: f"{b}#{e}-{r}",
    lambda b, e, r: f"{b}号楼{e}单元{r}",
    lambda b, e, r: f"{b}号楼{e}单元{r}室",
    lambda b, e, r: f"{b}座{e}单元{r}",
    lambda b, e, r: f" {b} 栋 {e} 单元 {r} ",
    lambda b, e, r: f"{b}栋{e}-{r}",
)
_PLAIN_FORMATS: Final[tuple[Callable[[str, str], str], ...]] = (
    lambda b, r: f"{b}栋{r}",
    lambda b, r: f"{b}-{r}",
    lambda b, r: f"{b}#{r}",
    lambda b, r: f"{b}座{r}室",
    lambda b, r: f" {b.lower()} 栋 {r} ",
)


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def maybe_full_width(self, text: str, chance: float = 0.12) -> str:
        return text.translate(_FULL_WIDTH) if self.rng.random() < chance else text

    def room_cells(self, unit: _Unit) -> tuple[str, str, str]:
        """(楼栋, 单元, 房号): a third of the rows split the address over three columns."""
        rng, b, e, r = self.rng, unit.building, unit.entrance, unit.room
        if rng.random() < 0.3:
            building = rng.choice((f"{b}号楼", f"{b}栋", b, f"{b}座"))
            entrance = rng.choice((f"{e}单元", e, f"0{e}")) if e else ""
            room = rng.choice((r, f"{r}室", f"{r:0>4}" if r.isdigit() else r))
            return building, entrance, self.maybe_full_width(room)
        if e is None:
            return "", "", self.maybe_full_width(rng.choice(_PLAIN_FORMATS)(b, r))
        return "", "", self.maybe_full_width(rng.choice(_ENTRANCE_FORMATS)(b, e, r))

    def area(self, centi: int) -> str:
        whole, frac = divmod(centi, 100)
        number = f"{whole}.{frac:02d}"
        if self.rng.random() < 0.5:
            number = number.rstrip("0").rstrip(".")
        text = self.rng.choice(
            (number, number, f"{number}㎡", f"{number}m2", f"{number} 平方米", f" {number} ")
        )
        return self.maybe_full_width(text, 0.08)

    def phone(self, phone: str) -> str:
        a, b, c = phone[:3], phone[3:7], phone[7:]
        text = self.rng.choice(
            (
                phone,
                phone,
                phone,
                f"+86 {a}-{b}-{c}",
                f"{a} {b} {c}",
                f"{a}-{b}-{c}",
                f"+86{phone}",
                f" {phone}",
            )
        )
        return self.maybe_full_width(text, 0.08)

    def id_number(self, id_number: str | None) -> str:
        if id_number is None:
            return ""
        return id_number.lower() if self.rng.random() < 0.3 else id_number


# ---- building a sample ---------------------------------------------------------------------------

_NOTES: Final = ("", "", "", "已入住", "空置", "出租", "装修中", "老人独居", "待核实")
_FAMILY: Final = ("家属", "家庭成员", "家属", "租户", "租客", "配偶")


def _unit_pool(rng: random.Random, floors: int, buildings: int = 8) -> list[_Unit]:
    units = [
        _Unit(str(b), str(e), f"{floor}{room:02d}", "住宅", rng.randint(4500, 18000) // 50 * 50)
        for b in range(1, buildings + 1)
        for e in (1, 2)
        for floor in range(1, floors + 1)
        for room in range(1, 5)
    ]
    units += [_Unit("A", None, str(100 + n), "商铺", rng.randint(2000, 30000)) for n in range(1, 41)]
    units += [_Unit("A", None, f"B1{n:02d}", "车位", rng.choice((1250, 1320, 1500))) for n in range(1, 41)]
    rng.shuffle(units)
    return units


class _Builder:
    def __init__(self, seed: int, floors: int, buildings: int = 8) -> None:
        self.rng = random.Random(seed)
        self.faker = _Faker(self.rng)
        self.write = _Writer(self.rng)
        self.pool = _unit_pool(self.rng, floors, buildings)
        self.good: list[SampleRow] = []
        # Per unit key: its first row's index in `good`, its people's row indexes, its primary row index.
        self.first_row: dict[str, int] = {}
        self.people_rows: dict[str, list[tuple[int, _Person]]] = {}
        self.primary_row: dict[str, int] = {}
        self.units: dict[str, _Unit] = {}

    def next_unit(self) -> _Unit:
        if not self.pool:
            raise ValueError("the sample ran out of units: ask for fewer rows")
        return self.pool.pop()

    def row(
        self,
        unit: _Unit,
        *,
        area: str | None = None,
        kind: str = "",
        person: _Person | None = None,
        relation: str = "",
        primary: str = "",
        phone: str | None = None,
        id_number: str | None = None,
    ) -> list[str]:
        building, entrance, room = self.write.room_cells(unit)
        cells = [""] * len(HEADER)
        cells[B], cells[E], cells[R] = building, entrance, room
        cells[AREA] = self.write.area(unit.area_centi) if area is None else area
        cells[KIND] = kind
        if person is not None:
            cells[NAME] = person.name
            cells[PHONE] = self.write.phone(person.phone) if phone is None else phone
            cells[ID] = self.write.id_number(person.id_number) if id_number is None else id_number
            cells[REL] = relation
            cells[PRIMARY] = primary
        cells[NOTE] = self.rng.choice(_NOTES)
        return cells

    def add_good_unit(self) -> int:
        """Append one unit's rows (unit-only, or one to three residents); returns the rows added."""
        rng, unit = self.rng, self.next_unit()
        self.units[unit.key] = unit
        residents = (
            0
            if unit.kind == "车位" and rng.random() < 0.5
            else rng.choices((0, 1, 2, 3), (15, 45, 28, 12))[0]
        )
        self.first_row[unit.key] = len(self.good)
        first_kind = unit.kind if unit.kind != "住宅" or rng.random() < 0.5 else ""
        if residents == 0:
            self.good.append(SampleRow(self.row(unit, kind=first_kind), unit.key))
            return 1
        for n in range(residents):
            person = self.faker.person()
            if n == 0:
                relation = rng.choice(("业主", "业主", ""))
                primary = "是" if rng.random() < 0.7 else ""
                area, kind = None, first_kind
            else:
                relation = rng.choice(_FAMILY)
                primary = rng.choice(("", "", "否"))
                # Later rows repeat the unit's data in another spelling, or leave it blank (merged cells).
                area = None if rng.random() < 0.6 else ""
                kind = rng.choice((unit.kind, ""))
            cells = self.row(unit, area=area, kind=kind, person=person, relation=relation, primary=primary)
            if primary == "是":
                self.primary_row[unit.key] = len(self.good)
            self.people_rows.setdefault(unit.key, []).append((len(self.good), person))
            self.good.append(SampleRow(cells, unit.key))
        return residents


class _Planter:
    """Rows each carrying exactly one error; each returns (record, index of the good row it must follow)."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.rng = builder.rng

    def _existing(self, predicate: Callable[[str], bool] = lambda _: True) -> tuple[_Unit, int]:
        keys = sorted(k for k in self.b.units if predicate(k))
        key = self.rng.choice(keys)
        return self.b.units[key], self.b.first_row[key]

    def _extra_person_row(self, code: str, column: int, value: str) -> tuple[SampleRow, int]:
        """Another resident of an existing unit, one cell spoiled."""
        unit, after = self._existing()
        area = self.rng.choice(("", None))
        cells = self.b.row(unit, area=area, person=self.b.faker.person(), relation=self.rng.choice(_FAMILY))
        cells[column] = value
        return SampleRow(cells, unit.key, code), after

    def _new_unit_row(self, code: str, column: int, value: str) -> tuple[SampleRow, int]:
        """A unit seen nowhere else with its owner, one cell spoiled."""
        unit = self.b.next_unit()
        cells = self.b.row(unit, person=self.b.faker.person(), relation="业主", primary="是")
        cells[column] = value
        return SampleRow(cells, unit.key, code), -1

    def missing_area(self) -> tuple[SampleRow, int]:
        return self._new_unit_row("missing_area", AREA, "")

    def zero_area(self) -> tuple[SampleRow, int]:
        return self._new_unit_row("zero_area", AREA, self.rng.choice(("0", "0.00", "0㎡")))

    def invalid_area(self) -> tuple[SampleRow, int]:
        return self._new_unit_row("invalid_area", AREA, self.rng.choice(("约90", "-85.5", "九十", "89.555")))

    def invalid_kind(self) -> tuple[SampleRow, int]:
        return self._new_unit_row("invalid_kind", KIND, self.rng.choice(("仓库", "未知")))

    def unknown_building(self) -> tuple[SampleRow, int]:
        building = self.rng.choice(_UNKNOWN_BUILDINGS)
        unit = _Unit(building, "1", f"{self.rng.randint(1, 18)}0{self.rng.randint(1, 4)}", "住宅", 9000)
        cells = self.b.row(unit, person=self.b.faker.person(), relation="业主")
        return SampleRow(cells, unit.key, "unknown_building"), -1

    def invalid_room(self) -> tuple[SampleRow, int]:
        unit = self.b.next_unit()
        cells = self.b.row(unit, person=self.b.faker.person(), relation="业主")
        cells[B], cells[E] = "", ""
        cells[R] = self.rng.choice(("1栋单元101", "1-1-", "abc", "101", "待定", "3栋1单元"))
        return SampleRow(cells, None, "invalid_room"), -1

    def conflicting_unit(self) -> tuple[SampleRow, int]:
        unit, after = self._existing()
        changed = self.b.write.area(unit.area_centi + self.rng.choice((100, 1000, -500)))
        cells = self.b.row(
            unit, area=changed, person=self.b.faker.person(), relation=self.rng.choice(_FAMILY)
        )
        return SampleRow(cells, unit.key, "conflicting_unit"), after

    def missing_phone(self) -> tuple[SampleRow, int]:
        return self._extra_person_row("missing_phone", PHONE, "")

    def invalid_phone(self) -> tuple[SampleRow, int]:
        bad = self.rng.choice(("1381234567", "010-62345678", "12345678901", "138123456789", "电话待补"))
        return self._extra_person_row("invalid_phone", PHONE, bad)

    def missing_name(self) -> tuple[SampleRow, int]:
        return self._extra_person_row("missing_name", NAME, "")

    def invalid_id_number(self) -> tuple[SampleRow, int]:
        good = self.b.faker.id_number()
        bad = self.rng.choice(
            (
                good[:17] + _ID_CHECK[(_ID_CHECK.index(good[17]) + 1) % 11],  # wrong check digit
                good[:15],  # the old 15-digit form
                good[:10] + "1399" + good[14:],  # impossible birth date
            )
        )
        return self._extra_person_row("invalid_id_number", ID, bad)

    def invalid_relation(self) -> tuple[SampleRow, int]:
        return self._extra_person_row("invalid_relation", REL, self.rng.choice(("朋友", "保姆")))

    def invalid_primary(self) -> tuple[SampleRow, int]:
        return self._extra_person_row("invalid_primary", PRIMARY, self.rng.choice(("待定", "maybe")))

    def duplicate_person(self) -> tuple[SampleRow, int]:
        key = self.rng.choice(sorted(self.b.people_rows))
        index, person = self.rng.choice(self.b.people_rows[key])
        unit = self.b.units[key]
        cells = self.b.row(unit, area="", person=person, relation=self.rng.choice(_FAMILY))
        return SampleRow(cells, key, "duplicate_person"), index

    def phone_name_mismatch(self) -> tuple[SampleRow, int]:
        """Another unit's resident typed with someone else's phone number (a family phone, a slip)."""
        key = self.rng.choice(sorted(self.b.people_rows))
        index, person = self.rng.choice(self.b.people_rows[key])
        unit, _ = self._existing(lambda k: k != key)
        name = self.b.faker.name()
        while name == person.name:
            name = self.b.faker.name()
        other = _Person(name, person.phone, None)
        cells = self.b.row(unit, area="", person=other, relation=self.rng.choice(_FAMILY))
        return SampleRow(cells, unit.key, "phone_name_mismatch"), index

    def duplicate_primary(self) -> tuple[SampleRow, int]:
        key = self.rng.choice(sorted(self.b.primary_row))
        unit = self.b.units[key]
        cells = self.b.row(unit, area="", person=self.b.faker.person(), relation="家属", primary="是")
        return SampleRow(cells, key, "duplicate_primary"), self.b.primary_row[key]


_PLANTERS: Final = (
    "missing_area",
    "zero_area",
    "invalid_area",
    "missing_phone",
    "invalid_phone",
    "duplicate_person",
    "conflicting_unit",
    "unknown_building",
    "invalid_room",
    "invalid_id_number",
    "missing_name",
    "invalid_kind",
    "invalid_relation",
    "invalid_primary",
    "duplicate_primary",
    "phone_name_mismatch",
)


def build_messy_sample(rows: int = 320, seed: int = 7) -> Sample:
    """A messy sheet of `rows` data rows: every room format, full-width digits, spaces, planted errors."""
    if not 40 <= rows <= MAX_MESSY_ROWS:
        raise ValueError(f"rows must be between 40 and {MAX_MESSY_ROWS}")
    per_code = 2 if rows >= 200 else 1
    builder = _Builder(seed, floors=33)
    target_good = rows - per_code * len(_PLANTERS)
    while len(builder.good) < target_good:
        builder.add_good_unit()
    del builder.good[target_good:]
    # A unit cut short may have lost its rows; forget references past the end.
    builder.people_rows = {
        k: [(i, p) for i, p in v if i < target_good] for k, v in builder.people_rows.items()
    }
    builder.people_rows = {k: v for k, v in builder.people_rows.items() if v}
    builder.primary_row = {k: i for k, i in builder.primary_row.items() if i < target_good}
    builder.units = {k: u for k, u in builder.units.items() if builder.first_row[k] < target_good}

    planter = _Planter(builder)
    planted: list[tuple[int, SampleRow]] = []
    for _ in range(per_code):
        for code in _PLANTERS:
            record, after = getattr(planter, code)()
            # Insert anywhere after the row it refers to (standalone rows anywhere at all).
            planted.append((builder.rng.randint(after + 1, target_good), record))
    records: list[SampleRow | None] = []
    by_position: dict[int, list[SampleRow]] = {}
    for position, record in planted:
        by_position.setdefault(position, []).append(record)
    blank_at = builder.rng.randint(target_good // 3, target_good // 2)
    for index in range(target_good + 1):
        records.extend(by_position.get(index, ()))
        if index == blank_at:
            records.append(None)
        if index < target_good:
            records.append(builder.good[index])
    return Sample(records)


def build_clean_sample(rows: int = 5000, seed: int = 11) -> Sample:
    """A valid sheet of exactly `rows` data rows in mixed room formats, for the benchmark."""
    floors = 33
    buildings = max(8, rows // (2 * floors * 4) + 2)
    builder = _Builder(seed, floors=floors, buildings=buildings)
    while len(builder.good) < rows:
        builder.add_good_unit()
    del builder.good[rows:]
    known = frozenset({str(b) for b in range(1, buildings + 1)} | {"A"})
    return Sample(list(builder.good), known_buildings=known, title=None)


def messy_sample(rows: int = 320, seed: int = 7) -> tuple[bytes, list[PlantedError]]:
    """The messy sheet as CSV (UTF-8 with BOM) and its planted errors; validate with SAMPLE_BUILDINGS."""
    sample = build_messy_sample(rows, seed)
    return sample.csv_bytes(), sample.planted


def messy_sample_xlsx(rows: int = 320, seed: int = 7) -> tuple[bytes, list[PlantedError]]:
    """The same messy sheet as an XLSX workbook (same lines, same planted errors)."""
    sample = build_messy_sample(rows, seed)
    return sample.xlsx_bytes(), sample.planted


def clean_sample(rows: int = 5000, seed: int = 11) -> bytes:
    """A valid CSV of `rows` data rows (UTF-8 with BOM) for the import benchmark."""
    return build_clean_sample(rows, seed).csv_bytes()
