"""A process and its descendants, read from /proc: which are alive and how much memory they hold (RSS).

The local cloud is one process (moto server, gateway, broker, pollers are its threads) plus one worker
process per function; its memory is the sum over that tree. Linux only, like the local cloud's benches.
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        parent = _parent_of(entry)
        if parent is not None:
            children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    frontier = [pid]
    while frontier:
        below = children.get(frontier.pop(), [])
        found.extend(below)
        frontier.extend(below)
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (0 if it is gone)."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return 0


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants."""
    return sum(rss_bytes(p) for p in [pid, *descendants(pid)])


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _parent_of(entry: Path) -> int | None:
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces: the fields after its closing parenthesis are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[1]) if len(fields) > 1 else None
