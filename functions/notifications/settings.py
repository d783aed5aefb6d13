"""The notifications functions' environment, read once per cold start (each function gets what it uses)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from courtyard.settings import FunctionSettings


class NotificationsSettings(FunctionSettings):
    notifications_table: str
    # Fan-out commands (notice ids) and delivery jobs (one recipient each); absent where unused.
    fanout_queue_url: str = ""
    delivery_queue_url: str = ""
    # The priority lane's delivery queue (alarms, SOS, visitors, receipts: ``notifications.routing``).
    priority_queue_url: str = ""
    # Verified SES identity the emails come from.
    email_from: str = "noreply@courtyard.example.com"
    sms_sender_id: str = "Courtyard"
    # SNS platform applications of the app (CloudFormation has no resource type for them: created once
    # per account and stage, see the README).
    push_fcm_application_arn: str = ""
    push_apns_application_arn: str = ""
    # Per tenant per local day; beyond it an SMS delivery fails with reason sms_daily_cap.
    sms_daily_cap: int = Field(default=500, ge=0)
    # Must equal the delivery queue's maxReceiveCount: the last attempt records the failure before the DLQ.
    delivery_max_attempts: int = Field(default=4, ge=1)
    # Backoff of a failed delivery: base * 2^(attempt-1) seconds via the message's visibility.
    retry_base_seconds: int = Field(default=30, ge=0)
    inbox_retention_days: int = Field(default=180, ge=1)
    # The mobile app on the web origin (``https://<web domain>/m``): SMS carry ``{this}/s/{code}`` links.
    app_base_url: str = ""
    # The firm's quiet hours for SMS (local time, ``HH:MM-HH:MM``): a non-urgent SMS to someone who set
    # none of their own waits till they end. Empty: none.
    sms_quiet_hours: str = Field(default="21:00-08:00", pattern=r"^$|^\d{2}:\d{2}-\d{2}:\d{2}$")

    # The telephony API for voice calls (Aliyun VMS, ``https://dyvmsapi.aliyuncs.com``; locally the voice
    # persona), the secret holding its keys and the report signing secret, and the approved TTS template.
    voice_api_url: str = ""
    voice_parameter: str = ""
    voice_tts_code: str = "TTS_EMERGENCY"

    # WeChat's API (``https://api.weixin.qq.com``; locally the pay sandbox's WeChat persona), the service
    # account's {"app_id", "app_secret"} SecureString parameter (the one residents sign in with: its openids)
    # and the template id per message kind (JSON, ``{"default": ..., "ticket_status_changed": ...}``).
    # Empty: no WeChat channel.
    wechat_api_base: str = ""
    wechat_parameter: str = ""
    wechat_message_templates: str = ""


@lru_cache(maxsize=1)
def settings() -> NotificationsSettings:
    return NotificationsSettings.from_environment()
