"""`python -m bench.cold_import` records its rows in bench/results.json without losing the other benches'."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cold_import import ImportResult, record


def _result(name: str, median_ms: float) -> ImportResult:
    return ImportResult(name, median_ms, (median_ms,), wall_ms=median_ms, first_request_ms=None)


def test_the_cold_import_rows_are_replaced_and_the_other_benches_rows_kept(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(
        json.dumps({"cost": {"total": 4.1}, "cold_import": [{"name": "old"}]}), encoding="utf-8"
    )

    record([_result("floor", 250.0), _result("DirectoryFunction", 300.0)], results)

    document = json.loads(results.read_text(encoding="utf-8"))
    assert document["cost"] == {"total": 4.1}
    assert [row["name"] for row in document["cold_import"]] == ["floor", "DirectoryFunction"]
    assert document["cold_import"][1]["median_ms"] == 300.0


def test_a_first_run_writes_the_document(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    record([_result("floor", 250.0)], results)
    assert json.loads(results.read_text(encoding="utf-8"))["cold_import"][0]["name"] == "floor"
