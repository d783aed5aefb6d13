"""Message templates per event type and locale, rendered without any way to reach into Python objects.

Rendering is ``string.Template.safe_substitute``: placeholders are plain ``$name``/``${name}``, there is
no attribute access, indexing or format spec, and substitution is a single pass, so a value that itself
contains ``${...}`` or ``{0.__class__}`` is copied literally. Values are cleaned first: converted to
text, control characters dropped, cut to ``MAX_VALUE_CHARS``. Unknown placeholders stay as written.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping

from notifications.domain import Content, Locale, Text
from notifications.ladder_templates import LADDER_TEMPLATES

MAX_VALUE_CHARS = 120
MAX_TITLE_CHARS = 120
MAX_BODY_CHARS = 2000

TEMPLATES: dict[str, dict[Locale, tuple[str, str]]] = {
    "ticket_assigned": {
        Locale.ZH_CN: ("新工单 ${ticket_ref}", "您有一张新的${priority}工单待处理（${ticket_ref}）。"),
        Locale.EN: (
            "New work order ${ticket_ref}",
            "A ${priority} work order was assigned to you (${ticket_ref}).",
        ),
    },
    "ticket_status_changed": {
        Locale.ZH_CN: ("报修进度更新", "您${unit}的报修 ${ticket_ref} 于 ${at} ${status_zh}。"),
        Locale.EN: ("Repair update", "Your request ${ticket_ref}${unit_en} is ${to_status} (${at})."),
    },
    "ticket_sla_breached": {
        Locale.ZH_CN: (
            "工单超时 ${ticket_ref}",
            "工单 ${ticket_ref}（${priority}）已超过${target}时限 ${due_at}。",
        ),
        Locale.EN: (
            "SLA breached: ${ticket_ref}",
            "Work order ${ticket_ref} (${priority}) missed its ${target} deadline of ${due_at}.",
        ),
    },
    "ticket_escalated": {
        Locale.ZH_CN: (
            "工单升级 ${ticket_ref}",
            "工单 ${ticket_ref}（${priority}）已升级给您：${reason}。请尽快安排处理。",
        ),
        Locale.EN: (
            "Work order escalated: ${ticket_ref}",
            "Work order ${ticket_ref} (${priority}) was escalated to you: ${reason}. Please see to it.",
        ),
    },
    "alarm_raised": {
        Locale.ZH_CN: (
            "告警：${rule_name}",
            "${severity} 告警：${rule_name}（${device}，${kind}）。请立即处理。",
        ),
        Locale.EN: (
            "Alarm: ${rule_name}",
            "${severity} alarm: ${rule_name} (${device}, ${kind}). Please act now.",
        ),
    },
    "alarm_residents": {
        Locale.ZH_CN: ("紧急通知：${rule_name}", "您所在楼栋发生${kind}告警，请保持冷静，听从物业指引。"),
        Locale.EN: (
            "Emergency: ${rule_name}",
            "A ${kind} alarm was raised in your building. Stay calm and follow the staff's instructions.",
        ),
    },
    "bill_issued": {
        Locale.ZH_CN: (
            "${period} 账单已出",
            "您的 ${unit} ${period} 物业账单 ${amount} 已于 ${at} 生成，请于 ${due_date} 前缴纳。",
        ),
        Locale.EN: (
            "Your ${period} bill",
            "Your ${period} bill for ${unit} of ${amount} (issued ${at}) is due on ${due_date}.",
        ),
    },
    "payment_succeeded": {
        Locale.ZH_CN: ("缴费成功", "已收到您的付款 ${amount}（${paid_at}），感谢！收据编号 ${payment_id}。"),
        Locale.EN: (
            "Payment received",
            "We received your payment of ${amount} (${paid_at}). Receipt ${payment_id}.",
        ),
    },
    "payment_overdue": {
        Locale.ZH_CN: (
            "缴费提醒",
            "截至 ${at}，您的 ${unit} ${period} 账单 ${amount} 应于 ${due_date} 缴纳，"
            "目前逾期 ${days_overdue} 天。",
        ),
        Locale.EN: (
            "Payment reminder",
            "Your ${period} bill for ${unit} of ${amount} was due on ${due_date} "
            "(${days_overdue} days overdue at ${at}).",
        ),
    },
    "payment_formal_notice": {
        Locale.ZH_CN: (
            "催缴通知书",
            "您的 ${unit} ${period} 物业费 ${amount} 已逾期 ${days_overdue} 天，请尽快缴纳。",
        ),
        Locale.EN: (
            "Formal payment notice",
            "Your ${period} fee for ${unit} of ${amount} is ${days_overdue} days overdue. "
            "Please pay without delay.",
        ),
    },
    "pass_issued": {
        Locale.ZH_CN: (
            "访客通行证",
            "${visitor_name}您好，您的访客通行证：${share_url} 有效期至 ${valid_until}。",
        ),
        Locale.EN: (
            "Visitor pass",
            "Hello ${visitor_name}, your visitor pass: ${share_url} valid until ${valid_until}.",
        ),
    },
    "sos_family": {
        Locale.ZH_CN: (
            "家人紧急求助",
            "您代办的 ${unit} 于 ${at} 发出一键求助，物业已收到并正在处理。",
        ),
        Locale.EN: (
            "Your family member called for help",
            "An SOS was raised from ${unit} at ${at}; the property staff have it and are on their way.",
        ),
    },
    "sms_reply_to_desk": {
        Locale.ZH_CN: ("居民短信回复", "${who}${unit}回复短信（关于 ${subject}）：“${text}”。${ask}"),
        Locale.EN: ("SMS reply", '${who}${unit} replied by SMS (about ${subject}): "${text}". ${ask}'),
    },
    "visitor_arrived": {
        Locale.ZH_CN: ("访客已到达", "您的访客 ${visitor_name} 已于 ${arrived_at} 到达${gate}。"),
        Locale.EN: (
            "Your visitor has arrived",
            "Your visitor ${visitor_name} arrived at ${arrived_at}${gate}.",
        ),
    },
}
TEMPLATES.update(LADDER_TEMPLATES)  # the emergency ladder keeps its words in its own module


# Links must arrive whole (a pass link carries a signed token); every other value is a short label.
LONG_VALUES = {"share_url": 2048}


def clean_value(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """Text safe to place in a message: no control characters, at most ``limit`` characters."""
    text = " ".join(str(value).split())  # newlines and tabs become single spaces
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(template_name: str, locale: Locale, params: Mapping[str, object]) -> Text:
    """The template in ``locale`` (English when missing) with ``params`` substituted safely."""
    variants = TEMPLATES[template_name]
    title, body = variants.get(locale) or variants[Locale.EN]
    values = {
        name: clean_value(value, LONG_VALUES.get(name, MAX_VALUE_CHARS)) for name, value in params.items()
    }
    return Text(
        title=_cut(string.Template(title).safe_substitute(values), MAX_TITLE_CHARS),
        body=_cut(string.Template(body).safe_substitute(values), MAX_BODY_CHARS),
    )


def text_for(content: Content, locale: Locale, fallback: Locale) -> Text:
    """What a recipient reads: their language, else the tenant's, else whichever variant exists."""
    if content.template is not None:
        return render(content.template, locale, content.params)
    for wanted in (locale, fallback):
        if wanted.value in content.variants:
            return content.variants[wanted.value]
    return next(iter(content.variants.values()))


def money(minor: int, currency: str) -> str:
    """Integer minor units as text (``12345, CNY`` -> ``¥123.45``), without floats."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}.get(currency, f"{currency} ")
    return f"{sign}{symbol}{whole:,}.{cents:02d}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
