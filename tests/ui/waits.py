"""How long a story waits for the page's state: every story's `expect` waits up to 30 s (autouse in
tests/ui/conftest.py), not Playwright's default five seconds.

A story waits for what the page shows (a row, a status, a heading), never for a fixed time, and Playwright
polls that state as soon as the page changes; so a story on a quiet machine is as fast as before, and on a
loaded one (`make test` runs the stories beside other stages, other engineers share the cores) a page that
reads several lists from the API at once is not failed after five seconds. A ceiling on waiting, not a speed
claim: speed lives in bench/. A story that waits longer than this for one thing says so with `timeout=`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

PATIENCE_MS = 30_000
DEFAULT_MS = 5_000


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    expect.set_options(timeout=PATIENCE_MS)
    yield
    expect.set_options(timeout=DEFAULT_MS)
