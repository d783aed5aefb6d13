"""Residents' sign-in rules: phone + password, an SMS code only on a new device or a reset, rotating refresh
tokens whose reuse revokes their family, and revocation of every session (sign-out everywhere, move-out,
erase).

A wrong phone and a wrong password answer the same 401, and a reset for an unknown number answers as for a
known one, so the routes do not tell who has an account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace
from typing import Any, Literal, Protocol

from courtyard.clock import Clock
from courtyard.errors import Conflict, TooManyRequests, Unauthorized
from courtyard.ids import new_id
from identity import limits, passwords, tokens
from identity.limits import Limit
from identity.models import Account, RefreshRecord, SmsCode, Tokens
from identity.tokens import SigningKey

# Verified against when a number has no account, so both answers cost one scrypt: a stored hash's shape and
# parameters with a random salt and key, which no password is known to give (and the answer is refused either
# way). Made up rather than hashed: hashing one cost every cold start a scrypt (issue 21).
_DUMMY_HASH = "$".join(
    (
        "scrypt",
        str(passwords.N),
        str(passwords.R),
        str(passwords.P),
        secrets.token_urlsafe(16),
        secrets.token_urlsafe(32),
    )
)
RESIDENT_GROUP = "resident"
CodePurpose = Literal["device", "reset", "wechat"]


class IdentityStore(Protocol):
    def account_by_phone(self, phone_digest: str) -> Account | None: ...
    def account(self, account_id: str) -> Account | None: ...
    def create_account(self, account: Account) -> None: ...  # Conflict when the number is taken
    def save_account(self, account: Account) -> None: ...
    def device_known(self, account_id: str, device_digest: str) -> bool: ...
    def add_device(self, account_id: str, device_digest: str, at: int) -> None: ...
    def put_code(self, code: SmsCode) -> None: ...
    def code(self, phone_digest: str) -> SmsCode | None: ...
    def count_attempt(self, phone_digest: str) -> int: ...
    def delete_code(self, phone_digest: str) -> None: ...
    def hit(self, limit: Limit, subject: str, now: int) -> bool: ...  # counts; False once the window is full
    def limited(self, limit: Limit, subject: str, now: int) -> bool: ...  # reads: is the window full?
    def put_refresh(self, record: RefreshRecord) -> None: ...
    def refresh(self, token_digest: str) -> RefreshRecord | None: ...
    def use_refresh(self, token_digest: str) -> bool: ...  # False if it was already used
    def revoke_family(self, account_id: str, family_id: str) -> None: ...
    def family_revoked(self, account_id: str, family_id: str) -> bool: ...
    def forget_account(self, account: Account) -> int: ...
    def move_phone(self, account: Account, phone_digest: str) -> bool: ...  # False: the number is taken


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str) -> None: ...


class Keys(Protocol):
    def current(self) -> SigningKey: ...


class PhoneDigest(Protocol):
    def __call__(self, phone: str) -> str: ...


class IdentityService:
    def __init__(
        self,
        store: IdentityStore,
        sms: SmsSender,
        keys: Keys,
        phone_digest: PhoneDigest,
        clock: Clock,
        issuer: str,
    ) -> None:
        self._store = store
        self._sms = sms
        self._keys = keys
        self._digest = phone_digest
        self._clock = clock
        self._issuer = issuer

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    # ---------------------------------------------------------------- sign-up and sign-in

    def sign_up(self, phone: str, password: str, device_id: str, ip: str) -> None:
        """A new account, unverified until the code texted to the number comes back from this device."""
        phone_digest = self._digest(phone)
        existing = self._store.account_by_phone(phone_digest)
        if existing is not None and existing.verified:
            raise Conflict("this phone number already has an account: sign in or reset the password")
        account = Account(new_id(), phone_digest, passwords.hash_password(password))
        if existing is None:
            self._store.create_account(account)
        else:  # an abandoned sign-up: whoever proves the number now sets the password
            self._store.save_account(Account(existing.account_id, phone_digest, account.password_hash))
        self._send_code(phone, phone_digest, "device", device_id, ip)

    def sign_in(self, phone: str, password: str, device_id: str, ip: str) -> Tokens | None:
        """Tokens on a known device; None after texting a code when the device is new."""
        now = self._now()
        phone_digest = self._digest(phone)
        self._refuse_when_limited(phone_digest, ip, now)
        account = self._store.account_by_phone(phone_digest)
        if not passwords.password_matches(password, account.password_hash if account else _DUMMY_HASH):
            account = None
        if account is None:
            self._store.hit(limits.FAILURES_PER_NUMBER, phone_digest, now)
            self._store.hit(limits.FAILURES_PER_IP, ip, now)
            raise Unauthorized("wrong phone number or password")
        if account.verified and self._store.device_known(account.account_id, _device(device_id)):
            return self._issue(account, new_id(), now)
        self._send_code(phone, phone_digest, "device", device_id, ip)
        return None

    def confirm_device(self, phone: str, code: str, device_id: str) -> Tokens:
        phone_digest = self._digest(phone)
        self._check_code(phone_digest, code, "device", device_id)
        account = self._store.account_by_phone(phone_digest)
        if account is None:
            raise Unauthorized("the code is wrong or has expired")
        now = self._now()
        if not account.verified:
            account = _with(account, verified=True)
            self._store.save_account(account)
        self._store.add_device(account.account_id, _device(device_id), now)
        return self._issue(account, new_id(), now)

    def start_reset(self, phone: str, device_id: str, ip: str) -> None:
        phone_digest = self._digest(phone)
        if self._store.account_by_phone(phone_digest) is None:
            # The same limits and answer as for a real account; nothing is sent.
            self._limit_codes(phone_digest, ip)
            return
        self._send_code(phone, phone_digest, "reset", device_id, ip)

    def finish_reset(self, phone: str, code: str, password: str, device_id: str) -> Tokens:
        """A new password ends every other session; this device becomes known."""
        phone_digest = self._digest(phone)
        self._check_code(phone_digest, code, "reset", device_id)
        account = self._store.account_by_phone(phone_digest)
        if account is None:
            raise Unauthorized("the code is wrong or has expired")
        now = self._now()
        account = _with(
            account,
            password_hash=passwords.hash_password(password),
            verified=True,
            generation=account.generation + 1,
        )
        self._store.save_account(account)
        self._store.add_device(account.account_id, _device(device_id), now)
        return self._issue(account, new_id(), now)

    # ---------------------------------------------------------------- refresh and revocation

    def refresh(self, refresh_token: str) -> Tokens:
        """Rotate: the token is spent and a new one of the same family returned. A spent token presented
        again means it was copied: the whole family is revoked, the thief's copy and the owner's alike."""
        now = self._now()
        record = self._store.refresh(tokens.digest(refresh_token))
        if record is None or record.expires <= now:
            raise Unauthorized("sign in again")
        if record.used or not self._store.use_refresh(record.token_digest):
            self._store.revoke_family(record.account_id, record.family_id)
            raise Unauthorized("this session was ended: sign in again")
        account = self._store.account(record.account_id)
        if (
            account is None
            or record.generation != account.generation
            or self._store.family_revoked(record.account_id, record.family_id)
        ):
            raise Unauthorized("this session was ended: sign in again")
        return self._issue(account, record.family_id, now)

    def sign_out_everywhere(self, account_id: str) -> None:
        self.end_sessions(account_id)

    def end_sessions(self, account_id: str, *, unbind: bool = False) -> None:
        """Every refresh token issued before now is dead; access tokens expire within 15 minutes."""
        account = self._store.account(account_id)
        if account is None:
            return
        changes: dict[str, Any] = {"generation": account.generation + 1}
        if unbind:
            changes.update(tenant_id=None, person_id=None)
        self._store.save_account(_with(account, **changes))

    def erase(self, account_id: str) -> bool:
        """The person was erased (``ResidentErased``): everything identity holds about the account goes (its
        number's digest, WeChat links, devices); its refresh tokens die with it and an access token lives out
        its 15 minutes. The number can open a new account later, as a stranger's. False: nothing was here."""
        account = self._store.account(account_id)
        if account is None:
            return False
        self._store.forget_account(account)
        return True

    def change_phone(self, account_id: str, phone_digest: str) -> str:
        """The desk changed the person's number (``ResidentPhoneChanged``): the account signs in with the new
        one and no longer with the old. A number that already has an account is refused and nothing changes
        (one number, one account); ``moved``, ``unchanged``, ``refused`` or ``ignored`` (no such account)."""
        account = self._store.account(account_id)
        if account is None:
            return "ignored"
        if account.phone_digest == phone_digest:
            return "unchanged"
        if self._store.account_by_phone(phone_digest) is not None:
            return "refused"
        return "moved" if self._store.move_phone(account, phone_digest) else "refused"

    def bind(self, account_id: str, tenant_id: str, person_id: str) -> bool:
        """The directory registered this account as a resident (an invitation accepted): the next tokens
        carry the firm and the person. False when the account is not one of ours (a Cognito user)."""
        account = self._store.account(account_id)
        if account is None:
            return False
        if account.tenant_id not in (None, tenant_id):
            return False  # one account, one firm: the directory refuses this before, keep the first
        self._store.save_account(_with(account, tenant_id=tenant_id, person_id=person_id))
        return True

    # ---------------------------------------------------------------- WeChat's first sign-in

    def text_wechat_code(self, phone: str, ticket: str, ip: str) -> None:
        """Text a code proving ``phone`` for the WeChat of ``ticket`` (bound to it: no other ticket or device
        spends it). The same limits as every code; the same answer whether or not the number has an
        account."""
        self._send_code(phone, self._digest(phone), "wechat", ticket, ip)

    def account_for_wechat(self, phone: str, code: str, ticket: str, device_id: str) -> Account:
        """The account of the number the texted code proved, opened when the number has none; this device
        becomes known. A sign-up abandoned before its code loses its password: whoever chose it had not
        proved the number, the person who just did has (they set one later by a reset)."""
        phone_digest = self._digest(phone)
        self._check_code(phone_digest, code, "wechat", ticket)
        now = self._now()
        account = self._store.account_by_phone(phone_digest)
        if account is None:
            account = Account(new_id(), phone_digest, _unusable_password(), verified=True)
            try:
                self._store.create_account(account)
            except Conflict:  # opened a moment ago by another request that proved the same number
                account = self._store.account_by_phone(phone_digest)
                if account is None:
                    raise
        elif not account.verified:
            account = _with(account, verified=True, password_hash=_unusable_password())
            self._store.save_account(account)
        self._store.add_device(account.account_id, _device(device_id), now)
        return account

    def tokens_for(self, account: Account) -> Tokens:
        """A new session of ``account`` for a sign-in another door verified (WeChat: ``identity.wechat``)."""
        return self._issue(account, new_id(), self._now())

    # ---------------------------------------------------------------- helpers

    def _issue(self, account: Account, family_id: str, now: int) -> Tokens:
        secret = tokens.new_refresh_token()
        self._store.put_refresh(
            RefreshRecord(
                tokens.digest(secret),
                account.account_id,
                family_id,
                now,
                now + tokens.REFRESH_SECONDS,
                account.generation,
            )
        )
        claims: dict[str, object] = {"sub": account.account_id, "cognito:username": account.username}
        if account.tenant_id and account.person_id:
            claims.update(
                {
                    "custom:tenant_id": account.tenant_id,
                    "cognito:groups": [RESIDENT_GROUP],
                    "person_id": account.person_id,
                }
            )
        access = tokens.access_token(self._keys.current(), self._issuer, claims, now)
        return Tokens(access, secret, tokens.ACCESS_SECONDS)

    def _refuse_when_limited(self, phone_digest: str, ip: str, now: int) -> None:
        for limit, subject in ((limits.FAILURES_PER_NUMBER, phone_digest), (limits.FAILURES_PER_IP, ip)):
            if self._store.limited(limit, subject, now):
                raise TooManyRequests("too many failed sign-ins: try again in 15 minutes")

    def _limit_codes(self, phone_digest: str, ip: str) -> None:
        now = self._now()
        if not self._store.hit(limits.CODES_PER_NUMBER, phone_digest, now):
            raise TooManyRequests("too many codes for this number: try again in an hour")
        if not self._store.hit(limits.CODES_PER_IP, ip, now):
            raise TooManyRequests("too many codes from this network: try again in an hour")

    def _send_code(
        self, phone: str, phone_digest: str, purpose: CodePurpose, device_id: str, ip: str
    ) -> None:
        self._limit_codes(phone_digest, ip)
        code = f"{secrets.randbelow(1_000_000):06d}"
        self._store.put_code(
            SmsCode(
                phone_digest,
                purpose,
                _code_digest(phone_digest, code),
                _device(device_id),
                self._now() + limits.CODE_TTL_SECONDS,
            )
        )
        self._sms.send_code(phone, code)

    def _check_code(self, phone_digest: str, code: str, purpose: CodePurpose, device_id: str) -> None:
        stored = self._store.code(phone_digest)
        if stored is None or stored.expires <= self._now() or stored.purpose != purpose:
            raise Unauthorized("the code is wrong or has expired")
        if stored.attempts >= limits.CODE_ATTEMPTS:
            raise TooManyRequests("too many wrong codes: ask for a new one")
        right = hmac.compare_digest(stored.code_digest, _code_digest(phone_digest, code))
        if not right or stored.device_digest != _device(device_id):
            attempts = self._store.count_attempt(phone_digest)
            if attempts >= limits.CODE_ATTEMPTS:
                self._store.delete_code(phone_digest)
            raise Unauthorized("the code is wrong or has expired")
        self._store.delete_code(phone_digest)


def _unusable_password() -> str:
    """A hash of a random secret nobody knows: the account signs in by WeChat (or a reset) until it sets
    one."""
    return passwords.hash_password(secrets.token_urlsafe(32))


def _code_digest(phone_digest: str, code: str) -> str:
    # Salted with the number's digest: the same code for two numbers stores two different digests.
    return hashlib.sha256(f"{phone_digest}:{code}".encode()).hexdigest()


def _device(device_id: str) -> str:
    return hashlib.sha256(device_id.encode()).hexdigest()


def _with(account: Account, **changes: Any) -> Account:
    return replace(account, **changes)
