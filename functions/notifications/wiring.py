"""The notifications functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(sender, fake)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courtyard.table import Table
from courtyard.wiring import Wiring
from notifications.adapters.sqs_jobs import JobQueue
from notifications.settings import NotificationsSettings, settings

if TYPE_CHECKING:
    from courtyard.outbox import Outbox
    from notifications.adapters.voice_account import VoiceAccount
    from notifications.adapters.wechat_messages import WeChatMessages
    from notifications.preferences import QuietHours
    from notifications.routing import Lanes
    from notifications.services.delivery import DeliveryService, Voice
    from notifications.services.emergency_ladder import EmergencyLadders
    from notifications.services.erasure import PersonErasure
    from notifications.services.export import NotificationsExport
    from notifications.services.fanout import FanoutService
    from notifications.services.inbox import InboxService
    from notifications.services.intake import EventIntake
    from notifications.services.jobs import DueJobs
    from notifications.services.links import LinkResolver
    from notifications.services.me import MeService
    from notifications.services.notices import NoticeService
    from notifications.services.replies import ReplyService
    from notifications.services.voice_acks import VoiceAcks
    from notifications.services.wechat_links import WeChatLinking

# Each function imports the use case it runs (and its adapters) when it first builds it: the event intake
# never loads the sender's channels, the sender never loads notices, the API loads a route's service on its
# first request to it.

wiring = Wiring(settings, source="courtyard.notifications")


def config() -> NotificationsSettings:
    return wiring.config


def api_table() -> Table:
    return wiring.table(config().notifications_table)


def worker_table() -> Table:
    """Workers write no list cursors: a per-process key spares them the cursor secret (and its IAM grant)."""
    return wiring.table(config().notifications_table, cursors=False)


fanout_queue = wiring.factory(lambda: JobQueue(config().fanout_queue_url))
delivery_queue = wiring.factory(lambda: JobQueue(config().delivery_queue_url))
priority_queue = wiring.factory(lambda: JobQueue(config().priority_queue_url))


def lanes() -> Lanes:
    from notifications.routing import Lanes

    return Lanes(delivery_queue(), priority_queue())


def queue_of(source_arn: str) -> JobQueue:
    """The delivery queue a record came from (its ARN ends with the queue's name, as its URL does)."""
    name = source_arn.rsplit(":", 1)[-1]
    for queue in (priority_queue(), delivery_queue()):
        if queue.queue_url.rstrip("/").rsplit("/", 1)[-1] == name:
            return queue
    return delivery_queue()


def _notices() -> NoticeService:
    from courtyard.outbox import Outbox
    from notifications.repository import NotificationsRepository
    from notifications.services.notices import NoticeService

    return NoticeService(
        NotificationsRepository(api_table()),
        wiring.reader(),
        config().fanout_queue_url,
        wiring.audit(),
        wiring.clock,
        # The fan-out command commits with the notice; the outbox only sends it (no events).
        Outbox(api_table(), wiring.clock),
    )


notices = wiring.factory(_notices)


def _outbox_sweeper() -> Outbox:
    from courtyard.outbox import Outbox

    # With the bus: a voice acknowledgment's EmergencyAcknowledged is swept too (services/voice_acks.py).
    return Outbox(worker_table(), wiring.clock, wiring.events())


# The jobs' view of the pending effects: notices' fan-out commands, voice acknowledgments' events.
outbox_sweeper = wiring.factory(_outbox_sweeper)


def _link_resolver() -> LinkResolver:
    from notifications.repositories.links import LinksRepository
    from notifications.services.links import LinkResolver

    return LinkResolver(LinksRepository(api_table()))


link_resolver = wiring.factory(_link_resolver)


def _inbox() -> InboxService:
    from notifications.repository import NotificationsRepository
    from notifications.services.inbox import InboxService

    return InboxService(NotificationsRepository(api_table()), wiring.clock)


inbox = wiring.factory(_inbox)


def _me() -> MeService:
    from notifications.adapters.sns_push import PushRegistry
    from notifications.repository import NotificationsRepository
    from notifications.services.me import MeService

    registry = PushRegistry(
        {"fcm": config().push_fcm_application_arn, "apns": config().push_apns_application_arn}
    )
    return MeService(
        NotificationsRepository(api_table()), wiring.reader(), registry, wiring.audit(), wiring.clock
    )


me = wiring.factory(_me)


def _fanout() -> FanoutService:
    from notifications.repository import NotificationsRepository
    from notifications.services.fanout import FanoutService

    return FanoutService(
        NotificationsRepository(worker_table()),
        wiring.reader(),
        delivery_queue(),
        wiring.events(),
        wiring.clock,
    )


fanout = wiring.factory(_fanout)


def _intake() -> EventIntake:
    from notifications.services.intake import EventIntake

    return EventIntake(wiring.reader(), lanes())


intake = wiring.factory(_intake)


def _voice_account() -> VoiceAccount:
    from notifications.adapters.voice_account import load_voice_account

    return load_voice_account(config().voice_parameter)


# The telephony account (keys, the report signing secret), read on first use, then kept.
voice_account = wiring.factory(_voice_account)


def _voice_caller() -> Voice:
    from notifications.adapters.aliyun_voice import AliyunVoiceCaller

    return AliyunVoiceCaller(config().voice_api_url, voice_account, config().voice_tts_code)


voice_caller = wiring.factory(_voice_caller)


def _wechat_credentials() -> tuple[str, str]:
    from notifications.adapters.wechat_messages import load_credentials

    return load_credentials(config().wechat_parameter)


# The service account's id and secret, read on the first WeChat message, then kept.
wechat_credentials = wiring.factory(_wechat_credentials)


def _wechat_messages() -> WeChatMessages | None:
    from notifications.adapters.wechat_messages import WeChatMessages, parse_templates

    if not config().wechat_parameter or not config().wechat_api_base:
        return None  # no service account: WeChat reaches nobody, the ladder goes from push to SMS
    templates = parse_templates(config().wechat_message_templates)
    return WeChatMessages(wechat_credentials, templates, config().wechat_api_base)


# One per container: the access token it fetched is kept until shortly before it expires.
wechat_messages = wiring.factory(_wechat_messages)


def _wechat_linking() -> WeChatLinking:
    from notifications.repositories.wechat import WeChatLinks
    from notifications.services.wechat_links import WeChatLinking

    return WeChatLinking(WeChatLinks(worker_table()))


wechat_linking = wiring.factory(_wechat_linking)


def _sender() -> DeliveryService:
    from courtyard.crypto import FieldCipher
    from notifications.adapters.ses_email import EmailSender
    from notifications.adapters.sns_push import PushSender, SmsSender
    from notifications.repositories.links import LinksRepository
    from notifications.repository import NotificationsRepository
    from notifications.services.delivery import DeliveryService

    return DeliveryService(
        NotificationsRepository(worker_table()),
        wiring.reader(),
        FieldCipher(config().pii_key_id),
        EmailSender(config().email_from),
        SmsSender(config().sms_sender_id),
        PushSender(),
        wiring.audit(),
        wiring.clock,
        sms_daily_cap=config().sms_daily_cap,
        retention_days=config().inbox_retention_days,
        links=LinksRepository(worker_table()),
        app_base_url=config().app_base_url,
        firm_quiet_hours=firm_quiet_hours(),
        voice=voice_caller(),
        wechat=wechat_messages(),
    )


sender = wiring.factory(_sender)


def firm_quiet_hours() -> QuietHours | None:
    from notifications.preferences import QuietHours

    window = config().sms_quiet_hours
    if not window:
        return None
    start, end = window.split("-")
    return QuietHours(start=start, end=end)


def _due_jobs() -> DueJobs:
    from notifications.repository import NotificationsRepository
    from notifications.services.jobs import DueJobs

    return DueJobs(NotificationsRepository(worker_table()), fanout_queue(), lanes(), wiring.clock)


due_jobs = wiring.factory(_due_jobs)


def _ladders() -> EmergencyLadders:
    from notifications.repositories.ladder import LadderRepository
    from notifications.services.emergency_ladder import EmergencyLadders

    return EmergencyLadders(LadderRepository(worker_table()), wiring.reader(), lanes(), wiring.clock)


ladders = wiring.factory(_ladders)


def _replies() -> ReplyService:
    from courtyard.crypto import FieldCipher
    from notifications.repositories.links import LinksRepository
    from notifications.services.replies import ReplyService

    return ReplyService(
        LinksRepository(worker_table()),
        wiring.reader(),
        FieldCipher(config().pii_key_id),
        wiring.events(),
        lanes(),
        wiring.audit(),
        wiring.clock,
    )


replies = wiring.factory(_replies)


def _voice_acks() -> VoiceAcks:
    from notifications.repositories.ladder import LadderRepository
    from notifications.repositories.links import LinksRepository
    from notifications.services.voice_acks import VoiceAcks

    return VoiceAcks(
        LinksRepository(api_table()),
        LadderRepository(api_table()),
        lambda: voice_account().callback_secret,
        wiring.audit(),
        wiring.clock,
        # The first acknowledgment's EmergencyAcknowledged commits with it (tickets accept, sensors ack).
        wiring.outbox(api_table()),
    )


# POST /voice/callbacks: a keypress on an emergency call acknowledges its ladder.
voice_acks = wiring.factory(_voice_acks)


def _erasure() -> PersonErasure:
    from notifications.adapters.sns_push import PushRegistry
    from notifications.repositories.erasure import PersonItems
    from notifications.services.erasure import PersonErasure

    registry = PushRegistry(
        {"fcm": config().push_fcm_application_arn, "apns": config().push_apns_application_arn}
    )
    return PersonErasure(PersonItems(worker_table()), registry)


# ResidentErased: the person's inbox, preferences and push endpoints go (services/erasure.py).
erasure = wiring.factory(_erasure)


# PersonalDataExportRequested: the person's inbox, preferences and devices as notifications' part.
def _export() -> NotificationsExport:
    from notifications.repositories.export import PersonExportReader
    from notifications.services.export import NotificationsExport

    return NotificationsExport(PersonExportReader(worker_table()), wiring.export_part("notifications"))


export = wiring.factory(_export)
