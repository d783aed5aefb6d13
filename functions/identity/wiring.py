"""The identity functions' collaborators, built once per cold start by the kernel's wiring."""

from __future__ import annotations

from courtyard.events import EventPublisher
from courtyard.wiring import Wiring
from identity.adapters.signing_keys import SecretSigningKeys
from identity.adapters.sms import SnsCodeSender
from identity.adapters.wechat_login import CodeExchange, SecretCredentials, WeChatLogin
from identity.models import Account
from identity.repository import IdentityRepository
from identity.service import IdentityService, SmsSender
from identity.settings import settings
from identity.wechat import WeChatSignIn

wiring = Wiring(settings, source="courtyard.identity")

# The identity table is read by key only: it writes no list cursors, so it needs no cursor secret.
repository = wiring.factory(
    lambda: IdentityRepository(wiring.table(wiring.config.identity_table, cursors=False))
)
signing_keys = wiring.factory(lambda: SecretSigningKeys(wiring.config.identity_signing_parameter))


def _sms() -> SmsSender:
    return SnsCodeSender(wiring.config.sms_sender_id)


sms = wiring.factory(_sms)


def _phone_digest(phone: str) -> str:
    # Keyed (the deployment's blind-index secret): a leaked table does not give the numbers back.
    return wiring.blind_index().sign_in_phone(phone)


service = wiring.factory(
    lambda: IdentityService(
        repository(), sms(), signing_keys(), _phone_digest, wiring.clock, wiring.config.identity_issuer
    )
)


def _wechat_login() -> WeChatLogin:
    config = wiring.config
    credentials = SecretCredentials(config.wechat_login_parameter)
    return CodeExchange(credentials, config.wechat_login_kind, config.wechat_api_base)


wechat_login = wiring.factory(_wechat_login)


def _wechat_digest(subject: str) -> str:
    # Keyed like the phone numbers: a leaked table does not name anyone's WeChat.
    return wiring.blind_index().digest("identity", "wechat", subject)


class EventAnnouncer:
    """``ResidentWeChatLinked`` on the bus: notifications keeps the openid for WeChat messages (issue 18)."""

    def wechat_linked(self, account: Account, openid: str) -> None:
        from schemas.events import ResidentWeChatLinked

        event = ResidentWeChatLinked(
            tenant_id=str(account.tenant_id),
            resident_id=str(account.person_id),
            user_id=account.account_id,
            openid=openid,
            occurred_at=wiring.clock.now(),
        )
        wiring.events().publish("ResidentWeChatLinked", event)


wechat = wiring.factory(
    lambda: WeChatSignIn(
        wechat_login(), repository(), service(), _wechat_digest, wiring.clock, EventAnnouncer()
    )
)


def events() -> EventPublisher:
    """The bus identity answers the directory on (``ResidentPhoneChangeRefused``)."""
    return wiring.events()
