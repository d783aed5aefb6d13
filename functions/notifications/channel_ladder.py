"""The order in which a message follows a person outside the app, and which messages may cost a text.

The ladder (issue 18): **app push** (when a device is registered) -> **WeChat** (a service-account template
message to the resident's openid: free) -> **SMS** (paid). The first rung a person has goes out; the rungs
behind it stand by (delivery record ``skipped`` with a standby reason) and follow only when every rung ahead
failed for good (all devices refused, WeChat answered "refused"/"not following"). SMS stays for:
- urgent messages and alarms (and visitors), as before: they may always end on a text; the emergency ladder
  keeps its own rules (SOS and critical alarms still escalate to SMS and voice until someone acknowledges);
- people with neither push nor WeChat;
- and, of the routine traffic, only the steps a person must act on (``sms_worthy``): a bill, an arrears
  letter, a staff member's new job, the repair's final "done, please confirm". A routine ticket update
  (accepted, in progress, closed), a payment receipt or a visitor's arrival reaches a person by push or
  WeChat, or waits in the app's inbox: it never buys a text.
"""

from __future__ import annotations

from collections.abc import Mapping

from notifications.domain import Channel

LADDER = (Channel.PUSH, Channel.WECHAT, Channel.SMS)
# The delivery record's reason while a rung waits behind another (``push_standby`` predates WeChat).
PUSH_STANDBY = "push_standby"
WECHAT_STANDBY = "wechat_standby"
STANDBY_REASONS = frozenset({PUSH_STANDBY, WECHAT_STANDBY})

# The one repair step a resident acts on (``已维修完成，请确认``): the final "done", answerable by SMS reply.
_ACT_ON_TICKET_STATUS = "resolved"
# Messages that are a record, not a call to act, always in the app's inbox: the receipt, and a visitor's
# arrival (the gate has let them in already; nothing waits on the host). Arrivals were the month's largest
# text line for residents without push or WeChat (600 of 715 texts, bench/cost.py at WeChat's share).
_RECORD_TEMPLATES = frozenset({"payment_succeeded", "visitor_arrived"})


def sms_worthy(template: str | None, params: Mapping[str, str]) -> bool:
    """May this message end on a paid text when neither push nor WeChat reaches the person?

    False for routine ticket progress (every status but ``resolved``, which asks the resident to confirm) and
    for receipts and visitors' arrivals; True for everything else (the rules before WeChat)."""
    if template == "ticket_status_changed":
        return params.get("to_status") == _ACT_ON_TICKET_STATUS
    return template not in _RECORD_TEMPLATES


def standby_reason(send: tuple[Channel, ...] | list[Channel]) -> str:
    """The reason a rung behind the ones that go records: behind push, or behind WeChat alone."""
    return PUSH_STANDBY if Channel.PUSH in send else WECHAT_STANDBY


def next_rung(failed: Channel, standing_by: set[Channel]) -> Channel | None:
    """The rung that follows when ``failed`` failed for good: the nearest one behind it on standby."""
    if failed not in LADDER:
        return None
    for rung in LADDER[LADDER.index(failed) + 1 :]:
        if rung in standing_by:
            return rung
    return None
