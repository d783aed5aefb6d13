"""The browser stories put a demo user's kept tokens back where the console keeps them (tests/ui/console.py):
the key must be the console's own, or a story's reused sign-in would open a signed-out console."""

from __future__ import annotations

import re
from pathlib import Path

from tests.ui.console import AUTH_KEY

COGNITO_TS = Path(__file__).resolve().parents[3] / "web" / "shared" / "src" / "auth" / "cognito.ts"


def test_the_stories_restore_tokens_under_the_consoles_storage_key() -> None:
    [key] = re.findall(r'const STORAGE_KEY = "([^"]+)";', COGNITO_TS.read_text(encoding="utf-8"))
    assert key == AUTH_KEY
