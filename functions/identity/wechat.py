"""Sign-in with WeChat (issue 18: the next identity adapter; free, where an SMS code costs money).

- **Linking** needs a signed-in resident (a Courtyard identity token): the app sends a fresh WeChat login
  code, WeChat names the user, and the user (its ``unionid`` when the firm's apps share one open-platform
  account, and its ``openid``) is linked to the caller's account. One WeChat user, one account: a user
  already linked to another account is 409, and linking again to the same account changes nothing.
- **Signing in** with a code: WeChat names the user, the linked account gets tokens (the same tokens as a
  password sign-in, no SMS code: WeChat already proved the device's owner). A code WeChat refuses is 401
  ``wechat_code_refused``; a user linked to no account is 401 ``wechat_not_linked`` (the app offers the
  phone sign-in, then linking). Both failures count against the source IP like failed passwords
  (``limits.FAILURES_PER_IP``: 50 per 15 minutes, then 429), so a code cannot be guessed from one place.

The table holds keyed digests of the ids (the blind-index secret), never the ids WeChat sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from courtyard.clock import Clock
from courtyard.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
from identity import limits
from identity.adapters.wechat_login import WeChatLogin, WeChatRefused, WeChatSession
from identity.limits import Limit
from identity.models import Account, Tokens


class WeChatNotLinked(Unauthorized):
    code = "wechat_not_linked"


class Store(Protocol):
    def account(self, account_id: str) -> Account | None: ...
    def hit(self, limit: Limit, subject: str, now: int) -> bool: ...
    def limited(self, limit: Limit, subject: str, now: int) -> bool: ...
    def wechat_account(self, subject_digest: str) -> str | None: ...
    def link_wechat(self, subject_digest: str, account_id: str, at: int) -> str: ...


class TokenIssuer(Protocol):
    def tokens_for(self, account: Account) -> Tokens: ...


class WeChatSignIn:
    def __init__(
        self,
        login: WeChatLogin,
        store: Store,
        issuer: TokenIssuer,
        subject_digest: Callable[[str], str],
        clock: Clock,
    ) -> None:
        self._login = login
        self._store = store
        self._issuer = issuer
        self._digest = subject_digest
        self._clock = clock

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

    def sign_in(self, code: str, ip: str) -> Tokens:
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
            self._store.hit(limits.FAILURES_PER_IP, ip, now)
            raise WeChatNotLinked(
                "this WeChat is not linked to an account yet: sign in with your phone number once, "
                "then link WeChat in the app"
            )
        return self._issuer.tokens_for(account)

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
