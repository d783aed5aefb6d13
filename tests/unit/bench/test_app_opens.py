"""The month of app opens the cost workload assumes follows the app (bench/app_opens.py): the freshness
windows are the home's, each part asks for what home.ts asks for, and the month adds up to 20 opens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import app_opens, applied_levers

WEB = Path(__file__).resolve().parents[3] / "web" / "mobile" / "src" / "composables"
UNITS_MS = {"MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}


def _windows_in_the_app() -> dict[str, float]:
    source = (WEB / "homeCache.ts").read_text(encoding="utf-8")
    block = re.search(r"FRESH_FOR_MS[^{]*\{(.*?)\}", source, re.S)
    assert block, "homeCache.ts declares FRESH_FOR_MS"
    windows = {}
    for name, count, unit in re.findall(r"(\w+):\s*(?:(\d+)\s*\*\s*)?(MINUTE|HOUR|DAY)", block.group(1)):
        windows[name] = int(count or 1) * UNITS_MS[unit] / 1000
    return windows


def test_the_benchs_windows_are_the_apps():
    assert _windows_in_the_app() == app_opens.FRESH_FOR


def test_each_part_asks_for_what_the_home_asks_for():
    source = (WEB / "home.ts").read_text(encoding="utf-8")
    asked = set(re.findall(r'api\.GET\("([^"]+)"', source))
    bench = {path.split("?")[0] for paths in app_opens.PART_REQUESTS.values() for path in paths}
    assert asked == bench
    assert "mine: true, limit: HOME_PAGE" in source  # the repairs part's query, as the bench sends it
    assert "export const HOME_PAGE = 100" in (WEB / "homeCache.ts").read_text(encoding="utf-8")


def test_a_month_of_opens_is_twenty_and_costs_less_than_half_the_uncached_requests():
    assert sum(kind.per_month for kind in app_opens.MONTH) == app_opens.OPENS_PER_RESIDENT == 20
    assert app_opens.uncached_requests() == 100  # 5 requests an open: /me, the unit, unread, tickets, bills
    assert app_opens.month_requests() == 4 * 5 + 6 * 3 + 4 * 2 + 6 * 0


def test_an_applied_lever_is_not_subtracted_again_from_the_total_with_every_lever():
    from bench import cost

    activity = cost.Activity("app opens", per_month=30_000, sample=20, usage={"apigw": 46.0})
    before = cost.Activity("app opens, every part", per_month=30_000, sample=4, usage={"apigw": 20.0})
    result = cost.summarise(
        [activity],
        {},
        kms_keys=0,
        secrets=0,
        monthly_active_users=1_512,
        run_s=1.0,
        reference={"app opens": before},
    )
    [home] = [lever for lever in result.lever_lines if lever["what"].startswith("the home keeps")]
    assert home["applied"]
    assert home["saves"] > 0
    # Only modelled savings are subtracted (a lever that would cost more is not taken).
    modelled = sum(
        max(0.0, lever["saves"])
        for lever in result.lever_lines
        if lever["scope"] == "per community" and not lever["applied"]
    )
    fixed = sum(
        max(0.0, lever["saves"])
        for lever in result.lever_lines
        if lever["scope"] != "per community" and not lever["applied"]
    )
    assert result.levers_total_usd == pytest.approx(
        result.total_with_identity_usd - modelled - fixed / result.communities
    )
    assert applied_levers.TRACE_RATE_BEFORE == 0.05
