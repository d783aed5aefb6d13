"""The import worker's worst case: what the largest file the parser accepts costs in CPU and memory, and how
fast the files it refuses are refused (a zip bomb, an exponent bomb, a too-wide sheet).

Run alone with ``python -m bench.import_limits``; ``make bench`` includes it. The parser runs in process (the
worker's own code path), CPU time by ``time.process_time`` and peak memory by ``tracemalloc``.
"""

from __future__ import annotations

import io
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs in the dev dependencies

from directory.imports import parse
from directory.imports.parse import ImportFileError, parse_file


@dataclass(frozen=True)
class Case:
    name: str
    file_kb: int
    outcome: str
    cpu_ms: float
    peak_mb: float


@dataclass(frozen=True)
class ImportLimitsResult:
    cases: list[Case]


def _measure(name: str, data: bytes, filename: str) -> Case:
    tracemalloc.start()
    started = time.process_time()
    try:
        parsed = parse_file(data, filename)
        outcome = f"{len(parsed.rows)} rows"
    except ImportFileError as refused:
        outcome = f"refused: {refused.code}"
    cpu_ms = (time.process_time() - started) * 1000
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Case(name, len(data) // 1024, outcome, cpu_ms, peak / 1024 / 1024)


def _largest_csv() -> bytes:
    """MAX_ROWS rows of 12 columns, each cell near the longest a roster holds, just under MAX_BYTES."""
    header = "楼栋,单元,房号,面积,姓名,手机号,身份,身份证号,备注1,备注2,备注3,备注4"
    width = (parse.MAX_BYTES - 4096) // parse.MAX_ROWS - 60
    notes = ",".join(["x" * max(width // 4, 1)] * 4)
    lines = [header] + [
        f"{1 + i // 2000},1,{101 + i % 2000},89.5,张三,1381234{i % 10000:04d},业主,,{notes}"
        for i in range(parse.MAX_ROWS)
    ]
    return ("\n".join(lines) + "\n").encode()


def _largest_xlsx() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["楼栋", "单元", "房号", "面积", "姓名", "手机号"] + [f"备注{i}" for i in range(6)])
    for i in range(parse.MAX_ROWS):
        sheet.append(
            [1 + i // 2000, 1, 101 + i % 2000, 89.5, "张三", f"1381234{i % 10000:04d}"] + ["x" * 40] * 6
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            chunk = b" " * (1 << 20)
            for _ in range(1024):  # 1 GB unpacked, about 1 MB packed
                stream.write(chunk)
    return out.getvalue()


def run() -> ImportLimitsResult:
    makers: list[tuple[str, Callable[[], bytes], str]] = [
        ("largest accepted CSV", _largest_csv, "a.csv"),
        ("largest accepted XLSX", _largest_xlsx, "a.xlsx"),
        ("zip bomb (1 GB unpacked)", _zip_bomb, "bomb.xlsx"),
        ("exponent bomb cells", lambda: ("楼栋,房号,面积\n" + "1,101,1e999999\n" * 20000).encode(), "e.csv"),
        ("sheet 10,000 columns wide", lambda: ("楼栋,房号" + ",x" * 10000 + "\n1,101\n").encode(), "w.csv"),
    ]
    return ImportLimitsResult([_measure(name, make(), filename) for name, make, filename in makers])


def table(result: ImportLimitsResult) -> list[str]:
    lines = ["Import worker worst cases (parser in process; the worker has 1 GB, 900 s, 2 at a time)"]
    lines.append(f"  {'file':<28} {'KB':>7} {'CPU ms':>8} {'peak MB':>8}  outcome")
    for case in result.cases:
        lines.append(
            f"  {case.name:<28} {case.file_kb:>7} {case.cpu_ms:>8.0f} {case.peak_mb:>8.1f}  {case.outcome}"
        )
    return lines


if __name__ == "__main__":
    for line in table(run()):
        print(line)
    sys.exit(0)
