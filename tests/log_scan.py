"""Personal data must never reach a log: scan every line the local cloud's functions wrote.

The patterns are the audit writer's (mainland mobile numbers, resident ID numbers, licence plates), standing
alone so that digits inside ids and timestamps do not count.
"""

from __future__ import annotations

from pathlib import Path

from courtyard.audit import PERSONAL_DATA_PATTERNS


def personal_data_in_logs(log_dir: Path) -> tuple[int, list[str]]:
    """(lines scanned, findings as "file:line: match") over every ``*.log`` under ``log_dir``."""
    lines = 0
    findings: list[str] = []
    for path in sorted(log_dir.rglob("*.log")):
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            lines += 1
            for pattern in PERSONAL_DATA_PATTERNS:
                match = pattern.search(line)
                if match:
                    findings.append(f"{path.name}:{number}: {match.group()}")
    return lines, findings
