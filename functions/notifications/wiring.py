"""The notifications functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(sender, fake)``.
"""

from __future__ import annotations

from courtyard.crypto import FieldCipher
from courtyard.outbox import Outbox
from courtyard.table import Table
from courtyard.wiring import Wiring
from notifications.adapters.ses_email import EmailSender
from notifications.adapters.sns_push import PushRegistry, PushSender, SmsSender
from notifications.adapters.sqs_jobs import JobQueue
from notifications.erasure_repository import PersonItems
from notifications.ladder_repository import LadderRepository
from notifications.links_repository import LinksRepository
from notifications.preferences import QuietHours
from notifications.repository import NotificationsRepository
from notifications.routing import Lanes
from notifications.services.delivery import DeliveryService
from notifications.services.emergency_ladder import EmergencyLadders
from notifications.services.erasure import PersonErasure
from notifications.services.fanout import FanoutService
from notifications.services.inbox import InboxService
from notifications.services.intake import EventIntake
from notifications.services.jobs import DueJobs
from notifications.services.links import LinkResolver
from notifications.services.me import MeService
from notifications.services.notices import NoticeService
from notifications.services.replies import ReplyService
from notifications.settings import NotificationsSettings, settings

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
    return Lanes(delivery_queue(), priority_queue())


def queue_of(source_arn: str) -> JobQueue:
    """The delivery queue a record came from (its ARN ends with the queue's name, as its URL does)."""
    name = source_arn.rsplit(":", 1)[-1]
    for queue in (priority_queue(), delivery_queue()):
        if queue.queue_url.rstrip("/").rsplit("/", 1)[-1] == name:
            return queue
    return delivery_queue()


notices = wiring.factory(
    lambda: NoticeService(
        NotificationsRepository(api_table()),
        wiring.reader(),
        config().fanout_queue_url,
        wiring.audit(),
        wiring.clock,
        # The fan-out command commits with the notice; the outbox only sends it (no events).
        Outbox(api_table(), wiring.clock),
    )
)

# The jobs' view of the pending fan-out commands (``courtyard.outbox``).
outbox_sweeper = wiring.factory(lambda: Outbox(worker_table(), wiring.clock))

link_resolver = wiring.factory(lambda: LinkResolver(LinksRepository(api_table())))

inbox = wiring.factory(lambda: InboxService(NotificationsRepository(api_table()), wiring.clock))


def _me() -> MeService:
    registry = PushRegistry(
        {"fcm": config().push_fcm_application_arn, "apns": config().push_apns_application_arn}
    )
    return MeService(
        NotificationsRepository(api_table()), wiring.reader(), registry, wiring.audit(), wiring.clock
    )


me = wiring.factory(_me)

fanout = wiring.factory(
    lambda: FanoutService(
        NotificationsRepository(worker_table()),
        wiring.reader(),
        delivery_queue(),
        wiring.events(),
        wiring.clock,
    )
)

intake = wiring.factory(lambda: EventIntake(wiring.reader(), lanes()))

sender = wiring.factory(
    lambda: DeliveryService(
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
    )
)


def firm_quiet_hours() -> QuietHours | None:
    window = config().sms_quiet_hours
    if not window:
        return None
    start, end = window.split("-")
    return QuietHours(start=start, end=end)


due_jobs = wiring.factory(
    lambda: DueJobs(NotificationsRepository(worker_table()), fanout_queue(), lanes(), wiring.clock)
)

ladders = wiring.factory(
    lambda: EmergencyLadders(LadderRepository(worker_table()), wiring.reader(), lanes(), wiring.clock)
)

replies = wiring.factory(
    lambda: ReplyService(
        LinksRepository(worker_table()),
        wiring.reader(),
        FieldCipher(config().pii_key_id),
        wiring.events(),
        lanes(),
        wiring.audit(),
        wiring.clock,
    )
)


def _erasure() -> PersonErasure:
    registry = PushRegistry(
        {"fcm": config().push_fcm_application_arn, "apns": config().push_apns_application_arn}
    )
    return PersonErasure(PersonItems(worker_table()), registry)


# ResidentErased: the person's inbox, preferences and push endpoints go (services/erasure.py).
erasure = wiring.factory(_erasure)
