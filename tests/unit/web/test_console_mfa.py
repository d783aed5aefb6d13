"""The console asks for TOTP exactly for the roles the API refuses without it (courtyard.mfa)."""

from __future__ import annotations

import re
from pathlib import Path

from courtyard.mfa import MFA_REQUIRED_ROLES

CONSOLE_MFA = Path(__file__).resolve().parents[3] / "web" / "console" / "src" / "mfa.ts"


def test_the_consoles_totp_roles_are_the_apis() -> None:
    declared = re.search(r"MFA_ROLES[^=]*=\s*\[([^\]]*)\]", CONSOLE_MFA.read_text(encoding="utf-8"))
    assert declared is not None
    assert set(re.findall(r'"([a-z_]+)"', declared.group(1))) == {role.value for role in MFA_REQUIRED_ROLES}
