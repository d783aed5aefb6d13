"""A longer wait for the community, import, staff and settings stories: their pages read several lists from
the API at once (units, residents, arrears, open tickets), which on a loaded 2-core machine can take longer
than Playwright's default five seconds. A ceiling on waiting, not a speed claim: speed lives in bench/."""

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
