"""Browser stories of the web apps: the local cloud with its web edge (the session fixtures of
tests/local_cloud.py, shared with the end-to-end tests), Debian's chromium driven by pytest-playwright, zh-CN
and Asia/Shanghai like the firm's staff, signing in through the form.

No `playwright install`: the browser is the system's chromium (the Makefile installs it with the Chinese
font when missing). Screenshots on failure: `make test-ui` passes `--screenshot only-on-failure --output`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

# The session's local cloud, demo firms and tokens (cloud, demo, api, tokens) come from tests/local_cloud.py,
# shared with the end-to-end tests: one session over both suites starts one cloud.
from tests.ui.console import ROOT
from tests.ui.mobile import mobile

# Every story's expect waits for the page's state up to 30 s, not Playwright's five (tests/ui/waits.py).
from tests.ui.waits import patient_expect

__all__ = ["mobile", "patient_expect"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.path):
            item.add_marker(pytest.mark.ui)


@pytest.fixture(scope="session", autouse=True)
def _built_console() -> None:
    if not (ROOT / "web" / "console" / "dist" / "index.html").is_file():
        pytest.fail("the console is not built: run `make web-build` (make test-ui does it)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # Headless chromium reports en-US otherwise, and a zh-CN-first console would show English.
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1440, "height": 900},
    }


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Where the reviewed screenshots go when `COURTYARD_UI_SCREENSHOTS=1` (make ui-screenshots), else None:
    an ordinary test run leaves the committed pictures alone."""
    if os.environ.get("COURTYARD_UI_SCREENSHOTS") != "1":
        return None
    folder = ROOT / "tests" / "ui" / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder
