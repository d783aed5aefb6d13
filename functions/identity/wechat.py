"""Sign-in with WeChat (issue 18: the next identity adapter; free, where an SMS code costs money).

- **Linking** needs a signed-in resident (a Courtyard identity token): the app sends a fresh WeChat login
  code, WeChat names the user, and the user (its ``unionid`` when the firm's apps share one open-platform
  account, and its ``openid``) is linked to the caller's account. One WeChat user, one account: a user
  already linked to another account is 409, and linking again to the same account changes nothing.
- **Signing in** with a code (the residents' default door: the app's 「微信一键登录」, WeChat's web OAuth):
  WeChat names the user, the linked account gets tokens (the same tokens as a password sign-in, no SMS code:
  WeChat already proved the device's owner). A code WeChat refuses (bad, used, expired) is 401
  ``wechat_code_refused`` and counts against the source IP like a failed password (``limits.FAILURES_PER_IP``:
  50 per 15 minutes, then 429), so a code cannot be guessed from one place.
- **The first sign-in** of a WeChat linked to no account answers ``challenge`` = ``phone`` and a
  ``wechat_ticket``: a random secret (its digest stored for 10 minutes with the user's keyed ids) that stands
  for "WeChat vouched for this user a moment ago", since WeChat's code is spent. The app asks for the phone,
  a code is texted to it (bound to the ticket: the usual limits per number and per IP, five wrong tries),
  and the code proves the number: its account (opened if it has none) is linked to the WeChat and signed in.
  The ticket is spent then: one ticket, one link. From then on the WeChat signs in with no code.

The table holds keyed digests of the ids (the blind-index secret), never the ids WeChat sent.

- **WeChat messages** (issue 18): when WeChat names the user of an account bound to a firm's resident (a link
  or a sign-in), the ``openid`` is announced (``ResidentWeChatLinked``), so notifications can send WeChat
  messages ahead of SMS. Identity keeps no openid: a WeChat proved before the account was bound (a first
  sign-in's phone proof, whose code is already spent) reaches notifications at its next WeChat sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from courtyard.clock import Clock
from courtyard.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
from identity import limits
from identity.adapters.wechat_login import WeChatLogin, WeChatRefused, WeChatSession
from identity.limits import Limit
from identity.models import Account, Tokens

TICKET_SECONDS = 600


class WeChatTicketRefused(Unauthorized):
    """The ticket is unknown, expired or already spent: the app starts again at 「微信一键登录」."""

    code = "wechat_ticket_refused"


@dataclass(frozen=True, slots=True)
class PhoneNeeded:
    """WeChat named a user linked to no account: the phone's proof comes next, carried by ``ticket``."""

    ticket: str


class Store(Protocol):
    def account(self, account_id: str) -> Account | None: ...
    def hit(self, limit: Limit, subject: str, now: int) -> bool: ...
    def limited(self, limit: Limit, subject: str, now: int) -> bool: ...
    def wechat_account(self, subject_digest: str) -> str | None: ...
    def link_wechat(self, subject_digest: str, account_id: str, at: int) -> str: ...
    def put_wechat_ticket(self, ticket_digest: str, subjects: list[str], expires: int) -> None: ...
    def wechat_ticket(self, ticket_digest: str) -> tuple[list[str], int] | None: ...
    def spend_wechat_ticket(self, ticket_digest: str) -> bool: ...


class Accounts(Protocol):
    """What the phone's door (``identity.service``) does for WeChat: codes, the proven account, tokens."""

    def tokens_for(self, account: Account) -> Tokens: ...
    def text_wechat_code(self, phone: str, ticket: str, ip: str) -> None: ...
    def account_for_wechat(self, phone: str, code: str, ticket: str, device_id: str) -> Account: ...


class Announcer(Protocol):
    """Tells the other features that ``account`` (bound to a resident) holds the WeChat ``openid``."""

    def wechat_linked(self, account: Account, openid: str) -> None: ...


class WeChatSignIn:
    def __init__(
        self,
        login: WeChatLogin,
        store: Store,
        issuer: Accounts,
        subject_digest: Callable[[str], str],
        clock: Clock,
        announcer: Announcer | None = None,
    ) -> None:
        self._login = login
        self._store = store
        self._issuer = issuer
        self._digest = subject_digest
        self._clock = clock
        self._announcer = announcer

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    def link(self, account_id: str, code: str) -> None:
        """Link the WeChat user of ``code`` to the signed-in resident's account."""
        account = self._store.account(account_id)
        if account is None:
            raise Forbidden("only residents' Courtyard accounts link WeChat")
        session = self._login.code_to_session(code)
        now = self._now()
        for subject in self._subjects(session):
            if self._store.link_wechat(subject, account_id, now) != account_id:
                raise Conflict("this WeChat is already linked to another account")
        self._announce(account, session)

    def sign_in(self, code: str, ip: str) -> Tokens | PhoneNeeded:
        now = self._now()
        if self._store.limited(limits.FAILURES_PER_IP, ip, now):
            raise TooManyRequests("too many failed sign-ins from this network: try again in 15 minutes")
        try:
            session = self._login.code_to_session(code)
        except WeChatRefused:
            self._store.hit(limits.FAILURES_PER_IP, ip, now)
            raise
        account = self._linked_account(session)
        if account is None:
            return self._ticket(session, now)
        self._announce(account, session)
        return self._issuer.tokens_for(account)

    def text_code(self, ticket: str, phone: str, ip: str) -> None:
        """Text a code to ``phone`` for the WeChat of a live ticket."""
        self._live_ticket(ticket)
        self._issuer.text_wechat_code(phone, ticket, ip)

    def confirm_phone(self, ticket: str, phone: str, code: str, device_id: str) -> Tokens:
        """The texted code proved ``phone``: link the ticket's WeChat to its account, spend the ticket, sign
        in. A WeChat linked to another account meanwhile (another phone won the race) is 409."""
        subjects = self._live_ticket(ticket)
        account = self._issuer.account_for_wechat(phone, code, ticket, device_id)
        if not self._store.spend_wechat_ticket(_ticket_digest(ticket)):
            raise WeChatTicketRefused("this sign-in was already finished: start again with WeChat")
        now = self._now()
        for subject in subjects:
            if self._store.link_wechat(subject, account.account_id, now) != account.account_id:
                raise Conflict("this WeChat is already linked to another account")
        return self._issuer.tokens_for(account)

    def _announce(self, account: Account, session: WeChatSession) -> None:
        # Only a bound account names a firm's resident; notifications keys the openid by them.
        if self._announcer is not None and account.tenant_id and account.person_id:
            self._announcer.wechat_linked(account, session.openid)

    def _ticket(self, session: WeChatSession, now: int) -> PhoneNeeded:
        ticket = secrets.token_urlsafe(32)
        self._store.put_wechat_ticket(_ticket_digest(ticket), self._subjects(session), now + TICKET_SECONDS)
        return PhoneNeeded(ticket)

    def _live_ticket(self, ticket: str) -> list[str]:
        found = self._store.wechat_ticket(_ticket_digest(ticket))
        if found is None or found[1] <= self._now():
            raise WeChatTicketRefused("this WeChat sign-in has expired: start again with WeChat")
        return found[0]

    def _linked_account(self, session: WeChatSession) -> Account | None:
        for subject in self._subjects(session):
            account_id = self._store.wechat_account(subject)
            if account_id is not None:
                return self._store.account(account_id)
        return None

    def _subjects(self, session: WeChatSession) -> list[str]:
        """The user's digests, the open-platform one (the same in every app of the firm) first."""
        ids = ([f"union:{session.unionid}"] if session.unionid else []) + [f"open:{session.openid}"]
        return [self._digest(subject) for subject in ids]


def _ticket_digest(ticket: str) -> str:
    # Random and 256 bits: a plain hash is enough (nothing to guess), and the table never holds the secret.
    return hashlib.sha256(ticket.encode()).hexdigest()
