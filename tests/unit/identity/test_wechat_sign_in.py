"""WeChat sign-in rules on an in-memory store and a fake WeChat: link, sign in, the first sign-in's phone
proof (ticket), refusals, the per-IP limit, and erasure taking the links."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
from identity import limits
from identity.adapters.wechat_login import WeChatRefused, WeChatSession
from identity.models import Account
from identity.service import IdentityService
from identity.wechat import PhoneNeeded, WeChatSignIn, WeChatTicketRefused

from courtyard.clock import FixedClock
from courtyard.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
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
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))


@pytest.fixture
def sms() -> SmsOutbox:
    return SmsOutbox()


@pytest.fixture
def accounts(store: InMemoryIdentity, sms: SmsOutbox, clock: FixedClock) -> IdentityService:
    return IdentityService(store, sms, StaticKeys(), phone_digest, clock, "https://identity.test")


@pytest.fixture
def door(
    store: InMemoryIdentity, wechat: FakeWeChat, accounts: IdentityService, clock: FixedClock
) -> WeChatSignIn:
    return WeChatSignIn(wechat, store, accounts, lambda subject: f"digest:{subject}", clock)


def _sub(tokens: object) -> str:
    return str(jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"])  # type: ignore[attr-defined]


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
    assert isinstance(door.sign_in(wechat.code_for("open-stranger"), IP), PhoneNeeded)
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
    assert isinstance(door.sign_in(code, "198.51.100.7"), PhoneNeeded)


DEVICE = "device-wwwwwwwwwwwwwwww"


def test_a_first_wechat_sign_in_proves_the_phone_then_links_and_the_next_needs_no_code(
    store, accounts, door, wechat, sms
) -> None:
    account_id = _account(store, accounts)  # the resident has an account by phone already
    first = door.sign_in(wechat.code_for("open-chen", "union-chen"), IP)
    assert isinstance(first, PhoneNeeded)
    assert store.wechat_links == {}  # nothing linked before the phone is proven
    assert first.ticket not in str(store.wechat_tickets)  # the table holds the ticket's digest only

    door.text_code(first.ticket, "13800138000", IP)
    tokens = door.confirm_phone(first.ticket, "13800138000", sms.last_code(), DEVICE)

    assert _sub(tokens) == account_id
    assert set(store.wechat_links.values()) == {account_id}
    texted = len(sms.sent)
    again = door.sign_in(wechat.code_for("open-chen", "union-chen"), IP)
    assert _sub(again) == account_id
    assert len(sms.sent) == texted  # the second sign-in texts nothing
    with pytest.raises(WeChatTicketRefused):  # the ticket was spent: one ticket, one link
        door.text_code(first.ticket, "13800138000", IP)


def test_a_first_sign_in_with_a_new_number_opens_a_verified_account(store, door, wechat, sms) -> None:
    first = door.sign_in(wechat.code_for("open-wang"), IP)
    assert isinstance(first, PhoneNeeded)
    door.text_code(first.ticket, "13600136000", IP)
    tokens = door.confirm_phone(first.ticket, "13600136000", sms.last_code(), DEVICE)
    account = store.accounts[phone_digest("13600136000")]
    assert account.verified
    assert _sub(tokens) == account.account_id


def test_a_wrong_code_an_expired_or_foreign_ticket_links_nothing(
    store, accounts, door, wechat, sms, clock
) -> None:
    _account(store, accounts)
    first = door.sign_in(wechat.code_for("open-chen"), IP)
    other = door.sign_in(wechat.code_for("open-li"), IP)
    assert isinstance(first, PhoneNeeded)
    assert isinstance(other, PhoneNeeded)
    door.text_code(first.ticket, "13800138000", IP)
    code = sms.last_code()
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(Unauthorized):
        door.confirm_phone(first.ticket, "13800138000", wrong, DEVICE)
    with pytest.raises(Unauthorized):  # the code is bound to the ticket it was texted for
        door.confirm_phone(other.ticket, "13800138000", code, DEVICE)
    with pytest.raises(WeChatTicketRefused):
        door.confirm_phone("not-a-ticket-" + "x" * 30, "13800138000", code, DEVICE)
    assert store.wechat_links == {}

    clock.advance(seconds=601)
    with pytest.raises(WeChatTicketRefused):
        door.confirm_phone(first.ticket, "13800138000", code, DEVICE)
    assert store.wechat_links == {}


def test_an_abandoned_sign_up_loses_its_password_to_whoever_proves_the_number(
    store, accounts, door, wechat, sms
) -> None:
    accounts.sign_up("13500135000", "squatter pass 1", "device-ssssssssssssssss", "198.51.100.9")
    first = door.sign_in(wechat.code_for("open-owner"), IP)
    assert isinstance(first, PhoneNeeded)
    door.text_code(first.ticket, "13500135000", IP)
    door.confirm_phone(first.ticket, "13500135000", sms.last_code(), DEVICE)
    with pytest.raises(Unauthorized):
        accounts.sign_in("13500135000", "squatter pass 1", "device-ssssssssssssssss", "198.51.100.9")


def test_erasing_the_person_removes_their_wechat_links(store, accounts, door, wechat) -> None:
    account_id = _account(store, accounts)
    door.link(account_id, wechat.code_for("open-chen", "union-chen"))

    assert accounts.erase(account_id)

    assert store.wechat_links == {}
    assert isinstance(door.sign_in(wechat.code_for("open-chen", "union-chen"), IP), PhoneNeeded)


class Announced:
    """What the door tells the other features (``ResidentWeChatLinked`` on the bus, in the function)."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str | None, str | None, str]] = []

    def wechat_linked(self, account: Account, openid: str) -> None:
        self.links.append((account.account_id, account.tenant_id, account.person_id, openid))


def test_a_bound_residents_link_and_sign_in_announce_the_openid_an_unbound_accounts_do_not(
    store, accounts, wechat, clock
) -> None:
    announced = Announced()
    door = WeChatSignIn(wechat, store, accounts, lambda subject: f"digest:{subject}", clock, announced)
    account_id = _account(store, accounts)
    door.link(account_id, wechat.code_for("open-chen"))
    assert announced.links == []  # not yet a firm's resident: notifications could not key it

    accounts.bind(account_id, "tenant-1", "resident-1")
    door.sign_in(wechat.code_for("open-chen"), IP)
    assert announced.links == [(account_id, "tenant-1", "resident-1", "open-chen")]
