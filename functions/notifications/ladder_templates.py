"""The emergency ladder's message templates (merged into ``notifications.templates.TEMPLATES``)."""

from __future__ import annotations

from notifications.domain import Locale

LADDER_TEMPLATES: dict[str, dict[Locale, tuple[str, str]]] = {
    "emergency_call": {
        Locale.ZH_CN: (
            "紧急：${what}",
            "${place}${what}（${since}起）。请立即响应并在系统中接单/确认。${step}",
        ),
        Locale.EN: (
            "Emergency: ${what}",
            "${what} at ${place} (since ${since}). Respond now and accept or acknowledge it. ${step}",
        ),
    },
    # The voice call's words (Aliyun VMS: registered as the TTS template ``VOICE_TTS_CODE``, with the same
    # variables); short, as the callee hears it twice.
    "emergency_voice": {
        Locale.ZH_CN: ("紧急呼叫", "物业紧急通知：${who}${place}${what}，请立即处理。确认请按1。"),
        Locale.EN: ("Emergency call", "Emergency: ${what} ${who} ${place}. Press 1 to acknowledge."),
    },
    "emergency_family": {
        Locale.ZH_CN: (
            "家人紧急求助",
            "您的家人在 ${place} 发出了紧急求助（${since}），物业值班人员已收到通知并正在处理。",
        ),
        Locale.EN: (
            "A family member called for help",
            "Your family member at ${place} called for help (${since}); the staff on duty have been alerted.",
        ),
    },
}
