"""WeChat sign-in rules on an in-memory store and a fake WeChat: link, sign in, refusals, the per-IP limit."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
from identity import limits
from identity.adapters.wechat_login import WeChatRefused, WeChatSession
from identity.service import IdentityService
from identity.wechat import WeChatNotLinked, WeChatSignIn

from courtyard.clock import FixedClock
from courtyard.errors import Conflict, Forbidden, TooManyRequests
from tests.fakes.identity import InMemoryIdentity, SmsOutbox, StaticKeys, phone_digest

IP = "203.0.113.7"


class FakeWeChat:
    """WeChat's code exchange: each code names a user once (``codes``), anything else is refused."""

    def __init__(self) -> None:
        self.codes: dict[str, WeChatSession] = {}

    def code_for(self, openid: str, unionid: str | None = None) -> str:
        code = f"code-{len(self.codes)}"
        self.codes[code] = WeChatSession(openid, unionid)
        return code

    def code_to_session(self, code: str) -> WeChatSession:
        session = self.codes.pop(code, None)
        if session is None:
            raise WeChatRefused("WeChat did not accept the login code")
        return session


@pytest.fixture
def store() -> InMemoryIdentity:
    return InMemoryIdentity()


@pytest.fixture
def wechat() -> FakeWeChat:
    return FakeWeChat()


@pytest.fixture
def accounts(store: InMemoryIdentity) -> IdentityService:
    clock = FixedClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    return IdentityService(store, SmsOutbox(), StaticKeys(), phone_digest, clock, "https://identity.test")


@pytest.fixture
def door(store: InMemoryIdentity, wechat: FakeWeChat, accounts: IdentityService) -> WeChatSignIn:
    clock = FixedClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    return WeChatSignIn(wechat, store, accounts, lambda subject: f"digest:{subject}", clock)


def _account(store: InMemoryIdentity, accounts: IdentityService, phone: str = "13800138000") -> str:
    sms = SmsOutbox()
    service = IdentityService(store, sms, StaticKeys(), phone_digest, FixedClock(), "https://identity.test")
    service.sign_up(phone, "correct horse 1", "device-aaaaaaaaaaaaaaaa", "198.51.100.1")
    tokens = service.confirm_device(phone, sms.last_code(), "device-aaaaaaaaaaaaaaaa")
    return str(jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"])


def test_a_linked_wechat_signs_in_to_its_account(store, accounts, door, wechat) -> None:
    account_id = _account(store, accounts)
    door.link(account_id, wechat.code_for("open-chen", "union-chen"))

    tokens = door.sign_in(wechat.code_for("open-chen", "union-chen"), IP)

    assert jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"] == account_id
    # Keyed digests only, the open-platform id and the app's id both.
    assert set(store.wechat_links) == {"digest:union:union-chen", "digest:open:open-chen"}


def test_the_unionid_finds_the_account_from_another_app_of_the_firm(store, accounts, door, wechat) -> None:
    account_id = _account(store, accounts)
    door.link(account_id, wechat.code_for("open-in-miniprogram", "union-chen"))

    tokens = door.sign_in(wechat.code_for("open-in-official-account", "union-chen"), IP)

    assert jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"] == account_id


def test_refusals_unlinked_taken_and_not_a_resident_account(store, accounts, door, wechat) -> None:
    with pytest.raises(WeChatRefused):
        door.sign_in("never-issued", IP)
    with pytest.raises(WeChatNotLinked):
        door.sign_in(wechat.code_for("open-stranger"), IP)
    first = _account(store, accounts)
    second = _account(store, accounts, phone="13900139000")
    door.link(first, wechat.code_for("open-chen"))
    with pytest.raises(Conflict):
        door.link(second, wechat.code_for("open-chen"))
    with pytest.raises(Forbidden):
        door.link("cognito-user", wechat.code_for("open-wang"))


def test_failed_sign_ins_count_per_ip_and_refuse_before_asking_wechat(store, door, wechat) -> None:
    for _ in range(limits.FAILURES_PER_IP.most):
        with pytest.raises(WeChatRefused):
            door.sign_in("guess", IP)
    code = wechat.code_for("open-stranger")
    with pytest.raises(TooManyRequests):
        door.sign_in(code, IP)
    assert code in wechat.codes  # refused before the exchange: WeChat was not asked
    with pytest.raises(WeChatNotLinked):
        door.sign_in(code, "198.51.100.7")
