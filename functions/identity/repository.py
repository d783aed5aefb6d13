"""The identity table: accounts, devices, SMS codes, refresh tokens and rate counters (keys in ``keys.py``).

Every decision that two requests could race on is one conditional write: a number gets one account
(``attribute_not_exists``), a refresh token is spent once (``used = false``), a counter refuses past its
limit. Items that expire (codes, refresh tokens, counters, devices unused for a year) carry ``ttl``.

No secondary index (issue 18): every read is by key (a phone's account, a token, a counter) or one query of an
account's own partition, so no write is copied.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from botocore.exceptions import ClientError

from courtyard.dynamo import is_conditional_failure
from courtyard.errors import Conflict
from courtyard.table import Table, serialize
from identity import keys
from identity.limits import Limit
from identity.models import Account, RefreshRecord, SmsCode

_DEVICE_SECONDS = 365 * 24 * 3600


class IdentityRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # ---------------------------------------------------------------- accounts

    def account_by_phone(self, phone_digest: str) -> Account | None:
        item = self._table.get(keys.phone(phone_digest), consistent=True)
        return _account(item) if item else None

    def account(self, account_id: str) -> Account | None:
        pointer = self._table.get(keys.account(account_id), consistent=True)
        return self.account_by_phone(str(pointer["phone_digest"])) if pointer else None

    def create_account(self, account: Account) -> None:
        self._table.transact(
            [
                self._table.put_action(_item(account), condition="attribute_not_exists(pk)"),
                self._table.put_action(
                    {**keys.account(account.account_id), "phone_digest": account.phone_digest},
                    condition="attribute_not_exists(pk)",
                ),
            ],
            conflict="this phone number already has an account",
        )

    def save_account(self, account: Account) -> None:
        self._table.put(_item(account))
        self._table.put({**keys.account(account.account_id), "phone_digest": account.phone_digest})

    # ---------------------------------------------------------------- devices

    def device_known(self, account_id: str, device_digest: str) -> bool:
        return self._table.get(keys.device(account_id, device_digest)) is not None

    def add_device(self, account_id: str, device_digest: str, at: int) -> None:
        self._table.put(
            {**keys.device(account_id, device_digest), "added_at": at, "ttl": at + _DEVICE_SECONDS}
        )

    # ---------------------------------------------------------------- codes

    def put_code(self, code: SmsCode) -> None:
        self._table.put(
            {
                **keys.code(code.phone_digest),
                "purpose": code.purpose,
                "code_digest": code.code_digest,
                "device_digest": code.device_digest,
                "expires": code.expires,
                "attempts": 0,
                "ttl": code.expires,
            }
        )

    def code(self, phone_digest: str) -> SmsCode | None:
        item = self._table.get(keys.code(phone_digest), consistent=True)
        if item is None:
            return None
        return SmsCode(
            phone_digest,
            _purpose(str(item["purpose"])),
            str(item["code_digest"]),
            str(item["device_digest"]),
            int(item["expires"]),
            int(item.get("attempts", 0)),
        )

    def count_attempt(self, phone_digest: str) -> int:
        try:
            item = self._table.update(
                keys.code(phone_digest),
                "ADD attempts :one",
                {":one": 1},
                condition="attribute_exists(pk)",
            )
        except Conflict:
            return 0
        return int(item.get("attempts", 0))

    def delete_code(self, phone_digest: str) -> None:
        self._table.client.delete_item(TableName=self._table.name, Key=serialize(keys.code(phone_digest)))

    # ---------------------------------------------------------------- rate limits

    def hit(self, limit: Limit, subject: str, now: int) -> bool:
        window = limit.window(now)
        try:
            self._table.update(
                keys.limit(limit.name, subject, window),
                "ADD hits :one SET #ttl = :ttl",
                {":one": 1, ":most": limit.most, ":ttl": window + 2 * limit.window_seconds},
                names={"#ttl": "ttl"},
                condition="attribute_not_exists(hits) OR hits < :most",
            )
        except Conflict:
            return False
        return True

    def limited(self, limit: Limit, subject: str, now: int) -> bool:
        item = self._table.get(keys.limit(limit.name, subject, limit.window(now)))
        return item is not None and int(item.get("hits", 0)) >= limit.most

    # ---------------------------------------------------------------- WeChat links

    def wechat_account(self, subject_digest: str) -> str | None:
        item = self._table.get(keys.wechat(subject_digest), consistent=True)
        return str(item["account_id"]) if item else None

    def link_wechat(self, subject_digest: str, account_id: str, at: int) -> str:
        """Link the WeChat user to the account unless it is linked to another; the account it is linked to.
        The account's own copy of the link is written first: erasure finds every link from the account."""
        self._table.put({**keys.account_wechat(account_id, subject_digest), "linked_at": at})
        try:
            self._table.client.put_item(
                TableName=self._table.name,
                Item=serialize({**keys.wechat(subject_digest), "account_id": account_id, "linked_at": at}),
                ConditionExpression="attribute_not_exists(pk) OR account_id = :a",
                ExpressionAttributeValues=serialize({":a": account_id}),
            )
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
            self._delete(keys.account_wechat(account_id, subject_digest))
            return self.wechat_account(subject_digest) or account_id
        return account_id

    def put_wechat_ticket(self, ticket_digest: str, subjects: list[str], expires: int) -> None:
        self._table.put(
            {**keys.wechat_ticket(ticket_digest), "subjects": subjects, "expires": expires, "ttl": expires},
            condition="attribute_not_exists(pk)",
        )

    def wechat_ticket(self, ticket_digest: str) -> tuple[list[str], int] | None:
        """The WeChat subjects a ticket carries and when it expires (TTL deletes lag: the caller compares)."""
        item = self._table.get(keys.wechat_ticket(ticket_digest), consistent=True)
        return ([str(s) for s in item["subjects"]], int(item["expires"])) if item else None

    def spend_wechat_ticket(self, ticket_digest: str) -> bool:
        """Delete the ticket; False when another request spent it first."""
        try:
            self._table.client.delete_item(
                TableName=self._table.name,
                Key=serialize(keys.wechat_ticket(ticket_digest)),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
            return False
        return True

    # ---------------------------------------------------------------- erasure and a new number

    def forget_account(self, account: Account) -> int:
        """Delete everything the table holds about the account: WeChat links (both copies), devices, revoked
        families, a pending code, the account and its pointer; how many items went. The pointer goes last, so
        a retry after a failure part-way still finds the account. Refresh tokens are left to their TTL: they
        name only the account id, and without the account no refresh succeeds."""
        owned = self._table.query_all(partition=keys.account(account.account_id)["pk"], consistent=True)
        deleted = 0
        for item in owned:
            sk = str(item["sk"])
            if sk.startswith("WECHAT#"):
                self._delete_link(sk.removeprefix("WECHAT#"), account.account_id)
        for item in owned:
            if item["sk"] != "ACCOUNT":
                self._delete({"pk": str(item["pk"]), "sk": str(item["sk"])})
                deleted += 1
        self._delete(keys.code(account.phone_digest))
        self._delete(keys.phone(account.phone_digest))
        self._delete(keys.account(account.account_id))
        return deleted + 2

    def move_phone(self, account: Account, phone_digest: str) -> bool:
        """The account signs in with the new number from now on, in one transaction; False (nothing changed)
        when the number already belongs to an account."""
        moved = replace(account, phone_digest=phone_digest)
        try:
            self._table.transact(
                [
                    self._table.put_action(_item(moved), condition="attribute_not_exists(pk)"),
                    {
                        "Delete": {
                            "TableName": self._table.name,
                            "Key": serialize(keys.phone(account.phone_digest)),
                            "ConditionExpression": "account_id = :a",
                            "ExpressionAttributeValues": serialize({":a": account.account_id}),
                        }
                    },
                    self._table.put_action(
                        {**keys.account(account.account_id), "phone_digest": phone_digest}
                    ),
                ],
                conflict="the number belongs to another account",
            )
        except Conflict:
            return False
        return True

    def _delete_link(self, subject_digest: str, account_id: str) -> None:
        try:
            self._table.client.delete_item(
                TableName=self._table.name,
                Key=serialize(keys.wechat(subject_digest)),
                ConditionExpression="account_id = :a",
                ExpressionAttributeValues=serialize({":a": account_id}),
            )
        except ClientError as err:
            if not is_conditional_failure(err):
                raise

    def _delete(self, key: dict[str, str]) -> None:
        self._table.client.delete_item(TableName=self._table.name, Key=serialize(key))

    # ---------------------------------------------------------------- refresh tokens

    def put_refresh(self, record: RefreshRecord) -> None:
        self._table.put(
            {
                **keys.refresh(record.token_digest),
                "account_id": record.account_id,
                "family_id": record.family_id,
                "issued_at": record.issued_at,
                "expires": record.expires,
                "generation": record.generation,
                "used": False,
                "ttl": record.expires,
            },
            condition="attribute_not_exists(pk)",
        )

    def refresh(self, token_digest: str) -> RefreshRecord | None:
        item = self._table.get(keys.refresh(token_digest), consistent=True)
        if item is None:
            return None
        return RefreshRecord(
            token_digest,
            str(item["account_id"]),
            str(item["family_id"]),
            int(item["issued_at"]),
            int(item["expires"]),
            int(item.get("generation", 0)),
            bool(item.get("used")),
        )

    def use_refresh(self, token_digest: str) -> bool:
        try:
            self._table.update(
                keys.refresh(token_digest),
                "SET used = :yes",
                {":yes": True, ":no": False},
                condition="used = :no",
            )
        except Conflict:
            return False
        return True

    def revoke_family(self, account_id: str, family_id: str) -> None:
        self._table.put({**keys.family(account_id, family_id), "revoked": True})

    def family_revoked(self, account_id: str, family_id: str) -> bool:
        return self._table.get(keys.family(account_id, family_id), consistent=True) is not None


def _purpose(stored: str) -> Literal["device", "reset", "wechat"]:
    if stored == "reset":
        return "reset"
    return "wechat" if stored == "wechat" else "device"


def _item(account: Account) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.phone(account.phone_digest),
        "account_id": account.account_id,
        "password_hash": account.password_hash,
        "verified": account.verified,
        "generation": account.generation,
    }
    if account.tenant_id and account.person_id:
        item.update(tenant_id=account.tenant_id, person_id=account.person_id)
    return item


def _account(item: dict[str, Any]) -> Account:
    return Account(
        account_id=str(item["account_id"]),
        phone_digest=str(item["pk"]).removeprefix("PHONE#"),
        password_hash=str(item["password_hash"]),
        verified=bool(item.get("verified")),
        tenant_id=item.get("tenant_id"),
        person_id=item.get("person_id"),
        generation=int(item.get("generation", 0)),
    )
