"""The tickets vocabulary shared by lifecycle, SLA, dispatch and KPIs: kinds, priorities, statuses, etc.

Pure values only; no AWS, no HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class TicketKind(StrEnum):
    REPAIR = "repair"  # 报修
    COMPLAINT = "complaint"  # 投诉
    SOS = "sos"  # 一键求助


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class TicketStatus(StrEnum):
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# No action leaves these. "Open" ones count against a technician's load and run an SLA clock.
TERMINAL_STATUSES = frozenset({TicketStatus.CLOSED, TicketStatus.CANCELLED})
OPEN_STATUSES = frozenset(TicketStatus) - TERMINAL_STATUSES - {TicketStatus.RESOLVED}


class Action(StrEnum):
    ASSIGN = "assign"
    ACCEPT = "accept"
    START = "start"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"


class Skill(StrEnum):
    """The directory's staff skills (directory.staff.rules.Skill); mirrored because features never import
    each other. The values are the contract."""

    PLUMBING = "plumbing"
    ELECTRICAL = "electrical"
    ELEVATOR = "elevator"
    CLEANING = "cleaning"
    SECURITY = "security"
    GENERAL = "general"


class Category(StrEnum):
    """What a ticket is about, in the words a Chinese community's service desk files it under."""

    PLUMBING = "plumbing"  # 给排水: leaks, blocked drains, no water
    ELECTRICAL = "electrical"  # 电路照明: power cuts, stairwell lights
    ELEVATOR = "elevator"  # 电梯: stuck, faults, trapped passengers
    DOOR_ACCESS = "door_access"  # 门禁对讲: gates, intercoms, unit doors' access
    FIRE_SAFETY = "fire_safety"  # 消防: blocked fire lanes, extinguishers, alarms
    PUBLIC_FACILITY = "public_facility"  # 公共设施: railings, benches, windows of common areas
    CLEANING = "cleaning"  # 保洁: rubbish, stains, sorting stations
    PEST_CONTROL = "pest_control"  # 消杀: rats, cockroaches, mosquitoes
    GREENING = "greening"  # 绿化: trees, lawns, fallen branches
    SECURITY = "security"  # 安防秩序: strangers, high-altitude throwing
    NOISE = "noise"  # 噪音扰民
    PARKING = "parking"  # 停车: occupied spaces, blocked garages
    RENOVATION = "renovation"  # 装修: rule-breaking renovation work, debris
    OTHER = "other"


# The default category -> skill rules; a tenant overrides them in its dispatch rules. Departments follow a
# typical 物业 organisation: 工程部 (plumbing, electrical, elevator, general), 保洁部 (cleaning, also pest
# control), 秩序维护部 (security: also fire patrols, noise, parking, renovation inspections).
DEFAULT_CATEGORY_SKILLS: Mapping[Category, Skill] = MappingProxyType(
    {
        Category.PLUMBING: Skill.PLUMBING,
        Category.ELECTRICAL: Skill.ELECTRICAL,
        Category.ELEVATOR: Skill.ELEVATOR,
        # Intercoms and access readers are low-voltage (弱电) work, done by the electricians.
        Category.DOOR_ACCESS: Skill.ELECTRICAL,
        Category.FIRE_SAFETY: Skill.SECURITY,
        Category.PUBLIC_FACILITY: Skill.GENERAL,
        Category.CLEANING: Skill.CLEANING,
        Category.PEST_CONTROL: Skill.CLEANING,
        # Gardeners are general workers in small firms; larger ones contract greening out.
        Category.GREENING: Skill.GENERAL,
        Category.SECURITY: Skill.SECURITY,
        Category.NOISE: Skill.SECURITY,
        Category.PARKING: Skill.SECURITY,
        Category.RENOVATION: Skill.SECURITY,
        Category.OTHER: Skill.GENERAL,
    }
)


def effective_priority(kind: TicketKind, requested: Priority | None = None) -> Priority:
    """The priority a ticket gets: an SOS is always an emergency; otherwise what was asked, else normal."""
    if kind is TicketKind.SOS:
        return Priority.EMERGENCY
    return requested or Priority.NORMAL


def default_category(kind: TicketKind) -> Category:
    """The category of a one-tap ticket filed without one: an SOS goes to the guards, who are on duty 24x7."""
    return Category.SECURITY if kind is TicketKind.SOS else Category.OTHER


def assisted_reporter(resident_id: str) -> str:
    """The reporter the desk files for when the resident has no login (assisted mode, often an elderly
    person who rang the office): named by their record, so follow-ups and an erasure can still find it."""
    return f"resident-{resident_id}"
