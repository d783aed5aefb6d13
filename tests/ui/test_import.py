"""The import wizard in a real browser: the manager uploads the messy spreadsheet, sees exactly the planted
bad rows (the same as the API's report and the sample's oracle) with the reason in Chinese, downloads them as
CSV to fix, commits, sees the result, and the unit grid then shows the imported units with residents as
occupied."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from directory.imports.sample import build_messy_sample
from infra.local.cloud import LocalCloud
from tests.ui.console import Console, call

BUILDINGS = ("1", "2", "3", "4", "5", "6", "7", "8", "A")


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture
def console(page: Page, web: str) -> Console:
    return Console(page, web)


@pytest.fixture(scope="session")
def community(web: str, tokens: dict[str, str]) -> dict[str, Any]:
    """A new community of the manager's firm with the sample's buildings (1栋 .. 8栋, A座) and no units."""
    token = tokens["greenfield-manager"]
    name = f"阳光花园{uuid.uuid4().hex[:4]}"
    site = call(web, "POST", "/sites", token, {"name": name, "address": "阳光路 8 号", "city": "杭州"})
    assert site.status == 201, site.text
    site_id = site.json()["site_id"]
    buildings = {}
    for code in BUILDINGS:
        label = f"{code}座" if code == "A" else f"{code}栋"
        made = call(
            web, "POST", f"/sites/{site_id}/buildings", token, {"name": label, "floors": 33, "entrances": 2}
        )
        assert made.status == 201, made.text
        buildings[code] = made.json()["building_id"]
    return {"site_id": site_id, "name": name, "buildings": buildings}


def _every(web: str, token: str, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    joiner = "&" if "?" in path else "?"
    while True:
        answer = call(web, "GET", f"{path}{joiner}limit=100{cursor}", token).json()
        items += answer["items"]
        if not answer.get("next_cursor"):
            return items
        cursor = f"&cursor={answer['next_cursor']}"


def test_manager_imports_the_messy_sheet_and_sees_exactly_the_planted_bad_rows(
    console: Console,
    web: str,
    tokens: dict[str, str],
    community: dict[str, Any],
    tmp_path: Path,
    screenshots: Path | None,
) -> None:
    token = tokens["greenfield-manager"]
    sample = build_messy_sample(320)
    sheet = tmp_path / "住户信息.csv"
    sheet.write_bytes(sample.csv_bytes())
    planted = {(p.line, p.code) for p in sample.planted}
    assert len(planted) == 32

    console.sign_in("greenfield-manager")
    page = console.page
    page.get_by_role("menuitem", name="批量导入").click()
    page.get_by_test_id("import-site").click()
    page.get_by_role("option", name=community["name"]).click()
    page.get_by_test_id("import-file").set_input_files(str(sheet))
    page.get_by_role("button", name="上传并检查").click()

    report = page.get_by_test_id("import-report")
    expect(report).to_be_visible(timeout=120_000)
    shown = page.get_by_test_id("import-errors").locator("[data-line]")
    expect(shown).to_have_count(len(planted))
    on_screen = {
        (int(line), code)
        for line, code in shown.evaluate_all("cells => cells.map(c => [c.dataset.line, c.dataset.code])")
    }
    # Exactly the planted rows: the sample's oracle, the API's report and the screen agree.
    assert on_screen == planted
    api_report = {(e["line"], e["code"]) for e in _job(web, token, report)["errors"]}
    assert api_report == planted
    expect(page.get_by_test_id("errors-count")).to_have_text(str(len({line for line, _ in planted})))
    # The reason in plain Chinese, and the row as it was written.
    expect(report).to_contain_text("手机号不对，应为 11 位手机号码")
    expect(report).to_contain_text("小区里没有这栋楼")
    console.shot(screenshots, "import-report")

    # The bad rows download as CSV: the sheet's header, each bad row as written, and its problem.
    with page.expect_download() as downloaded:
        page.get_by_test_id("download-bad-rows").click()
    text = Path(downloaded.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][: len(sample.header)] == list(sample.header)
    assert rows[0][-1].startswith("问题")
    records = sample.records
    first_line = 3  # title, header, then data
    bad_lines = sorted({line for line, _ in planted})
    assert len(rows) - 1 == len(bad_lines)
    for row, line in zip(rows[1:], bad_lines, strict=True):
        record = records[line - first_line]
        assert record is not None
        assert row[: len(record.cells)] == record.cells
        assert row[-1]  # the reason

    # Commit: the result counts are the API's.
    page.get_by_test_id("commit-import").click()
    result = page.get_by_test_id("import-result")
    expect(result).to_be_visible(timeout=120_000)
    job = _job(web, token, result)
    assert job["status"] == "committed"
    for key in ("units_created", "residents_created", "links_created"):
        expect(result.locator(f'[data-result="{key}"]')).to_have_text(str(job["summary"][key]))
    assert job["summary"]["units_created"] > 150
    expect(result.locator('[data-result="skipped"]')).to_have_text(str(len(bad_lines)))

    # The unit grid: every imported unit of building 1 is there, occupied exactly when residents live in it.
    page.get_by_role("button", name="查看房态图").click()
    grid = page.get_by_test_id("unit-grid")
    page.get_by_test_id("building-picker").get_by_text("1栋", exact=True).click()
    building = community["buildings"]["1"]
    site = community["site_id"]
    units = _every(web, token, f"/sites/{site}/units?building_id={building}")
    lived_in = {
        link["unit_id"] for r in _every(web, token, f"/residents?site_id={site}") for link in r["units"] or []
    }
    assert units
    assert lived_in
    expect(grid.locator("[data-unit-id]")).to_have_count(len(units))
    states = dict(
        grid.locator("[data-unit-id]").evaluate_all(
            "cells => cells.map(c => [c.dataset.unitId, c.dataset.state])"
        )
    )
    assert states == {u["unit_id"]: "occupied" if u["unit_id"] in lived_in else "vacant" for u in units}
    assert "occupied" in states.values()
    expect(page.get_by_test_id("legend")).to_contain_text("已入住")
    console.shot(screenshots, "community-grid")


def _job(web: str, token: str, shown: Locator) -> dict[str, Any]:
    """The import the page shows, read back from the API."""
    import_id = shown.get_attribute("data-import-id")
    assert import_id
    answer: dict[str, Any] = call(web, "GET", f"/imports/{import_id}", token).json()
    return answer
