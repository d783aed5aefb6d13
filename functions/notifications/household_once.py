"""A household hears of its bill once (issue 18): a bill, an overdue reminder or a formal arrears letter is a
message to the unit, not to each of its people, so at most one text is bought for it.

- Every resident of the unit and its family proxies still get it in the app's inbox, by push and by WeChat
  as each of them has them (free).
- Only the household's **texter** may be texted: the person who answers for the unit's bills, an owner
  first (one whose primary home it is first), then a renter, then family; ties by record id, so every
  delivery of the same event agrees. A family proxy is the texter only of a unit with no resident.
- And the texter is texted only when nobody of the household is reached without a text: when any resident
  or proxy gets it by push or WeChat (a registered device, or a linked WeChat, that their settings for
  the category allow), nobody is texted. When the texter has push or WeChat themself, the text stands by
  behind it as for every message (``channel_ladder``): it follows only if their app and WeChat fail for good.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from courtyard.directory import UnitMemberView
from notifications.domain import Category
from notifications.preferences import Preferences

# The unit's money messages (notifications.event_messages): BillIssued, PaymentOverdue's two wordings.
HOUSEHOLD_TEMPLATES = frozenset({"bill_issued", "payment_overdue", "payment_formal_notice"})
_RELATION_ORDER = {"owner": 0, "renter": 1, "family": 2}


def texter(members: Sequence[UnitMemberView], proxies: Sequence[str] = ()) -> str | None:
    """The resident id of the household's one person who may be texted for its bills (``proxies``: the
    unit's family proxies' resident ids, used only when the unit has no resident)."""
    if members:
        last = len(_RELATION_ORDER)
        chosen = min(
            members, key=lambda m: (_RELATION_ORDER.get(m.relation, last), not m.primary, m.resident_id)
        )
        return chosen.resident_id
    return min(proxies) if proxies else None


def reached_without_text(
    prefs: Preferences | None, category: Category, *, push_endpoints: int, wechat: bool
) -> bool:
    """Does this person get the message by push or WeChat (free), as their settings for it allow?"""
    settings = (prefs or Preferences()).of(category)
    return (settings.push and push_endpoints > 0) or (settings.wechat and wechat)


def may_text(is_texter: bool, reached_self: bool, others_reached: Iterable[bool]) -> bool:
    """May this household member's message end on a paid text? Only the texter's, and only when nobody
    else of the household is reached without one (``others_reached`` is read lazily: it stops at the
    first person reached). The texter's own push or WeChat goes first anyway, the text standing by."""
    if not is_texter:
        return False
    if reached_self:
        return True
    return not any(others_reached)
