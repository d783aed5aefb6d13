"""People's words in messages: a time as the firm's clock shows it, a unit as residents write it, a device by
its name and place. Pure; the time zone is the firm's (the directory's tenant record)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from courtyard.clock import parse_iso

DEFAULT_TIMEZONE = "Asia/Shanghai"


def zone(name: str | None) -> ZoneInfo:
    """The firm's zone; a missing or unknown name falls back to Beijing time (every firm's default)."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_time(moment: str | datetime, timezone: str | None) -> str:
    """``2026-03-10T02:00:00Z`` in Asia/Shanghai -> ``2026-03-10 10:00``; text that is no time stays as is."""
    if isinstance(moment, datetime):
        instant = moment
    else:
        try:
            instant = parse_iso(moment)
        except ValueError:
            return moment
    return instant.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")


def device_label(name: str | None, location: str | None, fallback: str) -> str:
    """``2号楼电梯``, or ``1号消防泵（地下泵房）`` when the place says more than the name."""
    name, location = (name or "").strip(), (location or "").strip()
    if name and location and location not in name:
        return f"{name}（{location}）"
    return name or location or fallback


# A repair's status as a resident reads it in an SMS or the inbox.
_STATUS_ZH = {
    "submitted": "已受理",
    "assigned": "已派单给维修师傅",
    "accepted": "师傅已接单",
    "in_progress": "正在维修",
    "resolved": "已维修完成，请确认",
    "closed": "已完结",
    "cancelled": "已取消",
}


def status_zh(status: str) -> str:
    return _STATUS_ZH.get(status, status)
