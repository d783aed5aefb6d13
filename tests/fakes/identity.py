"""Identity's store in memory (``identity.service.IdentityStore``), an SMS outbox and static signing keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from identity.limits import Limit
from identity.models import Account, RefreshRecord, SmsCode
from identity.tokens import SigningKey, signing_key

from courtyard.errors import Conflict


@dataclass
class InMemoryIdentity:
    accounts: dict[str, Account] = field(default_factory=dict)  # by phone digest
    devices: set[tuple[str, str]] = field(default_factory=set)
    codes: dict[str, SmsCode] = field(default_factory=dict)
    refreshes: dict[str, RefreshRecord] = field(default_factory=dict)
    families: set[tuple[str, str]] = field(default_factory=set)
    counters: dict[tuple[str, str, int], int] = field(default_factory=dict)
    wechat_links: dict[str, str] = field(default_factory=dict)
    wechat_tickets: dict[str, tuple[list[str], int]] = field(default_factory=dict)

    def account_by_phone(self, phone_digest: str) -> Account | None:
        return self.accounts.get(phone_digest)

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.account_id == account_id), None)

    def create_account(self, account: Account) -> None:
        if account.phone_digest in self.accounts:
            raise Conflict("this phone number already has an account")
        self.accounts[account.phone_digest] = account

    def save_account(self, account: Account) -> None:
        self.accounts[account.phone_digest] = account

    def device_known(self, account_id: str, device_digest: str) -> bool:
        return (account_id, device_digest) in self.devices

    def add_device(self, account_id: str, device_digest: str, at: int) -> None:
        self.devices.add((account_id, device_digest))

    def put_code(self, code: SmsCode) -> None:
        self.codes[code.phone_digest] = code

    def code(self, phone_digest: str) -> SmsCode | None:
        return self.codes.get(phone_digest)

    def count_attempt(self, phone_digest: str) -> int:
        code = self.codes.get(phone_digest)
        if code is None:
            return 0
        self.codes[phone_digest] = replace(code, attempts=code.attempts + 1)
        return code.attempts + 1

    def delete_code(self, phone_digest: str) -> None:
        self.codes.pop(phone_digest, None)

    def hit(self, limit: Limit, subject: str, now: int) -> bool:
        key = (limit.name, subject, limit.window(now))
        if self.counters.get(key, 0) >= limit.most:
            return False
        self.counters[key] = self.counters.get(key, 0) + 1
        return True

    def limited(self, limit: Limit, subject: str, now: int) -> bool:
        return self.counters.get((limit.name, subject, limit.window(now)), 0) >= limit.most

    def put_refresh(self, record: RefreshRecord) -> None:
        self.refreshes[record.token_digest] = record

    def refresh(self, token_digest: str) -> RefreshRecord | None:
        return self.refreshes.get(token_digest)

    def use_refresh(self, token_digest: str) -> bool:
        record = self.refreshes[token_digest]
        if record.used:
            return False
        self.refreshes[token_digest] = replace(record, used=True)
        return True

    def revoke_family(self, account_id: str, family_id: str) -> None:
        self.families.add((account_id, family_id))

    def family_revoked(self, account_id: str, family_id: str) -> bool:
        return (account_id, family_id) in self.families

    # WeChat links (identity.wechat.Store)
    def wechat_account(self, subject_digest: str) -> str | None:
        return self.wechat_links.get(subject_digest)

    def link_wechat(self, subject_digest: str, account_id: str, at: int) -> str:
        return self.wechat_links.setdefault(subject_digest, account_id)

    def put_wechat_ticket(self, ticket_digest: str, subjects: list[str], expires: int) -> None:
        self.wechat_tickets[ticket_digest] = (list(subjects), expires)

    def wechat_ticket(self, ticket_digest: str) -> tuple[list[str], int] | None:
        return self.wechat_tickets.get(ticket_digest)

    def spend_wechat_ticket(self, ticket_digest: str) -> bool:
        return self.wechat_tickets.pop(ticket_digest, None) is not None

    # Erasure and a new number
    def forget_account(self, account: Account) -> int:
        owned = [s for s, a in self.wechat_links.items() if a == account.account_id]
        devices = {d for d in self.devices if d[0] == account.account_id}
        families = {f for f in self.families if f[0] == account.account_id}
        for subject in owned:
            del self.wechat_links[subject]
        self.devices -= devices
        self.families -= families
        self.codes.pop(account.phone_digest, None)
        self.accounts.pop(account.phone_digest, None)
        return len(owned) + len(devices) + len(families) + 1

    def move_phone(self, account: Account, phone_digest: str) -> bool:
        if phone_digest in self.accounts:
            return False
        del self.accounts[account.phone_digest]
        self.accounts[phone_digest] = replace(account, phone_digest=phone_digest)
        return True


@dataclass
class SmsOutbox:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send_code(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))

    def last_code(self) -> str:
        return self.sent[-1][1]


@dataclass
class StaticKeys:
    key: SigningKey = field(default_factory=lambda: signing_key("test-seed"))

    def current(self) -> SigningKey:
        return self.key


def phone_digest(phone: str) -> str:
    return hashlib.sha256(f"test:{phone}".encode()).hexdigest()
