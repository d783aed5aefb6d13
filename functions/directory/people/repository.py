"""Residents, their unit links, user links and staff records as items of the directory table.

Items (keys from ``courtyard.directory.Keys``; every item also carries ``tenant_id``):
- resident ``Keys.resident``: resident_id, name, phone_enc, phone_digest, id_number_enc, email, user_id,
  username, created_at, updated_at, erased_at; ``gsi1pk`` = ``Keys.residents_index``, ``gsi1sk`` = name
  (both removed on erasure, so erased people leave the directory list).
- phone claim ``Keys.phone_claim(digest)``: resident_id, created_at. One number, one resident per tenant.
- link, twice: ``Keys.unit_member`` (who lives in a unit) and ``Keys.resident_unit`` (where a resident lives):
  unit_id, resident_id, site_id, room_key, relation, primary, since, source, erased_at. The resident side is
  indexed by site: ``gsi1pk`` = ``T#{tenant}#SITE#{site}#RESIDENTS``,
  ``gsi1sk`` = ``{room_key}#{resident_id}``.
- unit ``Keys.unit``: this module only sets or removes ``primary_resident_id`` (the unit's primary contact),
  which makes "one primary contact per unit" a condition DynamoDB can check.
- user link ``Keys.user``: user_id, kind ("resident" | "staff"), person_id, username, created_at.
- Idempotency-Key claim ``idempotency_claim_key`` (the caller's key within the tenant): resident_id,
  request_digest (keyed, the request carries personal data), ttl. Written in the resident's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from courtyard.blind_index import BlindIndex
from courtyard.crypto import FieldCipher
from courtyard.directory import Keys
from courtyard.dynamo import cancellation_reasons, is_conditional_failure, tenant_key
from courtyard.errors import Conflict, NotFound
from directory.people.models import (
    ERASED_NAME,
    LinkSource,
    PersonKind,
    Relation,
    Resident,
    ResidentChanges,
    ResidentLink,
    StaffPerson,
    UnitSlot,
    UserLinkRecord,
)
from directory.table import DirectoryTable, serialize

PROFILE = "PROFILE"
RES_PREFIX = "RES#"
UNIT_PREFIX = "UNIT#"
MAX_TRANSACTION_ITEMS = 100


site_residents_index = Keys.site_residents_index


class TransactionRefused(Exception):
    """A transaction whose conditions failed; ``labels`` names the actions that failed."""

    def __init__(self, labels: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(labels)) or "transaction refused")
        self.labels = labels


class Tx:
    """One TransactWriteItems being built; each action gets a label so a failed condition can be named."""

    def __init__(self, table: DirectoryTable) -> None:
        self._table = table
        self._actions: list[dict[str, Any]] = []
        self._labels: list[str] = []

    def __len__(self) -> int:
        return len(self._actions)

    def put(self, label: str, item: Mapping[str, Any], condition: str | None = None) -> None:
        self._add(label, "Put", {"Item": serialize(item)}, condition, None, None)

    def update(
        self,
        label: str,
        key: Mapping[str, str],
        expression: str,
        values: Mapping[str, Any] | None = None,
        *,
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
    ) -> None:
        self._add(
            label, "Update", {"Key": serialize(key), "UpdateExpression": expression}, condition, values, names
        )

    def delete(
        self,
        label: str,
        key: Mapping[str, str],
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        self._add(label, "Delete", {"Key": serialize(key)}, condition, values, None)

    def check(
        self,
        label: str,
        key: Mapping[str, str],
        condition: str,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self._add(label, "ConditionCheck", {"Key": serialize(key)}, condition, values, names)

    def include(self, label: str, action: dict[str, Any]) -> None:
        """An action built elsewhere (the audit record of ``AuditWriter.put_action``), in this transaction."""
        self._actions.append(action)
        self._labels.append(label)

    def run(self) -> None:
        """Write every action or none; a failed condition raises TransactionRefused with the failed labels."""
        if not self._actions:
            return
        if len(self._actions) > MAX_TRANSACTION_ITEMS:
            raise Conflict("too many changes for one request")
        try:
            self._table.client.transact_write_items(TransactItems=self._actions)
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            reasons = cancellation_reasons(error)
            failed = {self._labels[i] for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
            raise TransactionRefused(frozenset(failed)) from error

    def _add(
        self,
        label: str,
        kind: str,
        body: dict[str, Any],
        condition: str | None,
        values: Mapping[str, Any] | None,
        names: Mapping[str, str] | None,
    ) -> None:
        action: dict[str, Any] = {"TableName": self._table.name, **body}
        if condition:
            action["ConditionExpression"] = condition
        if values:
            action["ExpressionAttributeValues"] = serialize(values)
        if names:
            action["ExpressionAttributeNames"] = dict(names)
        self._actions.append({kind: action})
        self._labels.append(label)


class PeopleRepository:
    def __init__(self, table: DirectoryTable, cipher: FieldCipher, blind_index: BlindIndex) -> None:
        self._table = table
        self._cipher = cipher
        self._blind = blind_index

    # ------------------------------------------------------------ reads

    def resident(self, tenant_id: str, resident_id: str, *, consistent: bool = False) -> Resident | None:
        """The resident with every unit link (one Query: the profile and the links share a partition)."""
        items = self._table.query_all(
            partition=Keys.resident_partition(tenant_id, resident_id), consistent=consistent
        )
        profile = next((i for i in items if i["sk"] == PROFILE), None)
        if profile is None:
            return None
        links = tuple(_link(i) for i in items if str(i["sk"]).startswith(UNIT_PREFIX))
        return self._resident(tenant_id, profile, links)

    def residents(self, tenant_id: str, resident_ids: Iterable[str]) -> dict[str, Resident]:
        """Profiles (without links) by id, in one BatchGetItem per 100."""
        keys = [Keys.resident(tenant_id, rid) for rid in dict.fromkeys(resident_ids)]
        found = self._table.get_many(keys) if keys else []
        return {str(i["resident_id"]): self._resident(tenant_id, i, None) for i in found}

    def resident_id_by_phone(self, tenant_id: str, phone: str) -> str | None:
        return self.resident_id_by_digest(tenant_id, self.phone_digest(tenant_id, phone))

    def resident_id_by_digest(self, tenant_id: str, digest: str) -> str | None:
        claim = self._table.get(Keys.phone_claim(tenant_id, digest), consistent=True)
        return str(claim["resident_id"]) if claim else None

    def names_by_phone(self, tenant_id: str, phones: Iterable[str]) -> dict[str, str]:
        """Phone -> name of the resident holding it, for the numbers the directory knows (erased people
        hold none); two BatchGetItems per 100 numbers, whatever the number of numbers asked."""
        digests = {self.phone_digest(tenant_id, phone): phone for phone in phones}
        if not digests:
            return {}
        claims = self._table.get_many([Keys.phone_claim(tenant_id, d) for d in digests])
        holders = {str(c["resident_id"]): digests[str(c["pk"]).rsplit("#", 1)[-1]] for c in claims}
        profiles = self._table.get_many([Keys.resident(tenant_id, rid) for rid in holders])
        return {
            holders[str(p["resident_id"])]: str(p["name"])
            for p in profiles
            if not p.get("erased_at") and str(p["resident_id"]) in holders
        }

    def phone_digest(self, tenant_id: str, phone: str) -> str:
        return self._blind.digest(tenant_id, "phone", phone)

    def sign_in_phone_digest(self, phone: str) -> str:
        """The digest identity keys a sign-in number by (``ResidentPhoneChanged`` carries it, never the
        number)."""
        return self._blind.sign_in_phone(phone)

    def request_digest(self, tenant_id: str, request: str) -> str:
        """A keyed digest of a request that carries personal data: equal requests, equal digests, and the
        stored digest cannot be used to test a guessed phone number."""
        return self._blind.digest(tenant_id, "request", hashlib.sha256(request.encode()).hexdigest())

    def idempotency_claim(self, tenant_id: str, user_id: str, key_digest: str) -> tuple[str, str] | None:
        """(resident id, request digest) of the caller's Idempotency-Key, if it was used."""
        item = self._table.get(idempotency_claim_key(tenant_id, user_id, key_digest), consistent=True)
        return (str(item["resident_id"]), str(item["request_digest"])) if item else None

    def unit_slot(self, tenant_id: str, unit_id: str) -> UnitSlot | None:
        item = self._table.get(Keys.unit(tenant_id, unit_id), consistent=True)
        if item is None:
            return None
        primary = item.get("primary_resident_id")
        return UnitSlot(
            unit_id=unit_id,
            site_id=str(item["site_id"]),
            room_key=str(item.get("room_key", "")),
            primary_resident_id=str(primary) if primary else None,
        )

    def unit_members(self, tenant_id: str, unit_id: str) -> list[ResidentLink]:
        """Every link of a unit (a unit has a handful of people), erased ones included."""
        items = self._table.query_all(partition=Keys.unit_partition(tenant_id, unit_id), sk_prefix=RES_PREFIX)
        return [_link(i) for i in items]

    def page_all(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[Resident], str | None]:
        page = self._table.query_page(
            tenant_id,
            partition=Keys.residents_index(tenant_id),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope="residents",
        )
        return [self._resident(tenant_id, i, None) for i in page.items], page.next_cursor

    def page_unit(
        self, tenant_id: str, unit_id: str, limit: int, cursor: str | None
    ) -> tuple[list[ResidentLink], str | None]:
        page = self._table.query_page(
            tenant_id,
            partition=Keys.unit_partition(tenant_id, unit_id),
            sk_prefix=RES_PREFIX,
            limit=limit,
            cursor=cursor,
            scope=f"residents:unit:{unit_id}",
        )
        return [_link(i) for i in page.items], page.next_cursor

    def page_site(
        self, tenant_id: str, site_id: str, limit: int, cursor: str | None
    ) -> tuple[list[ResidentLink], str | None]:
        page = self._table.query_page(
            tenant_id,
            partition=site_residents_index(tenant_id, site_id),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope=f"residents:site:{site_id}",
        )
        return [_link(i) for i in page.items], page.next_cursor

    def page_of_ids(
        self, tenant_id: str, ids: list[str], limit: int, cursor: str | None, scope: str
    ) -> tuple[list[str], str | None]:
        """A page of an id list computed in memory (a resident's household), with a sealed cursor."""
        start = self._table.cursors.decode(tenant_id, cursor, scope=scope)
        after = str(start.get("after", "")) if start else ""
        remaining = [i for i in sorted(ids) if i > after]
        page = remaining[:limit]
        more = len(remaining) > limit
        return page, self._table.cursors.encode(tenant_id, {"after": page[-1]}, scope=scope) if more else None

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        return self._table.get(Keys.site(tenant_id, site_id)) is not None

    def user_link(self, tenant_id: str, user_id: str) -> UserLinkRecord | None:
        item = self._table.get(Keys.user(tenant_id, user_id), consistent=True)
        if item is None:
            return None
        return UserLinkRecord(
            user_id=user_id,
            kind=PersonKind(str(item["kind"])),
            person_id=str(item["person_id"]),
            username=str(item["username"]) if item.get("username") else None,
        )

    def staff(self, tenant_id: str, staff_id: str) -> StaffPerson | None:
        item = self._table.get(Keys.staff(tenant_id, staff_id))
        if item is None:
            return None
        phone = item.get("phone_enc")
        return StaffPerson(
            staff_id=staff_id,
            name=str(item.get("name", "")),
            phone=self._cipher.decrypt(tenant_id, str(phone)) if phone else None,
            email=str(item["email"]) if item.get("email") else None,
            roles=tuple(str(r) for r in item.get("roles", ()) or ()),
            zones=tuple(item.get("zones", ()) or ()),
            skills=tuple(str(s) for s in item.get("skills", ()) or ()),
            on_duty=bool(item.get("on_duty", False)),
            created_at=str(item["created_at"]) if item.get("created_at") else None,
        )

    # ------------------------------------------------------------ writes

    def tx(self) -> Tx:
        return Tx(self._table)

    def create(
        self,
        tenant_id: str,
        resident: Resident,
        links: list[tuple[ResidentLink, UnitSlot]],
        claim: tuple[str, str, str] | None = None,
        ttl: int = 0,
        audit: dict[str, Any] | None = None,
    ) -> None:
        """A new resident, their phone claim, unit links and audit record, atomically; with ``claim``
        (user id, key digest, request digest) the Idempotency-Key claim too, so a taken key fails it all."""
        tx = self.tx()
        if claim is not None:
            user_id, key_digest, request_digest = claim
            item = {
                **idempotency_claim_key(tenant_id, user_id, key_digest),
                "tenant_id": tenant_id,
                "resident_id": resident.resident_id,
                "request_digest": request_digest,
                "ttl": ttl,
            }
            tx.put("idempotency", item, "attribute_not_exists(pk)")
        self.add_new_resident(tx, tenant_id, resident)
        for link, slot in links:
            self.add_link(tx, tenant_id, link, slot)
        if audit is not None:
            tx.include("audit", audit)
        self.run(tx, tenant_id, resident.phone)

    def link(self, tenant_id: str, link: ResidentLink, slot: UnitSlot) -> None:
        """Link (or re-link) an existing, not erased resident to a unit."""
        tx = self.tx()
        tx.check(
            "resident",
            Keys.resident(tenant_id, link.resident_id),
            "attribute_exists(pk) AND attribute_not_exists(erased_at)",
        )
        self.add_link(tx, tenant_id, link, slot)
        self.run(tx, tenant_id)

    def update(self, tenant_id: str, current: Resident, changes: ResidentChanges, at: str) -> None:
        tx = self.tx()
        sets = ["updated_at = :at"]
        removes: list[str] = []
        values: dict[str, Any] = {":at": at}
        names: dict[str, str] = {}
        if "name" in changes.fields and changes.name is not None:
            sets += ["#name = :name", "gsi1sk = :name"]
            values[":name"] = changes.name
            names["#name"] = "name"
        if "email" in changes.fields:
            if changes.email is None:
                removes.append("email")
            else:
                sets.append("email = :email")
                values[":email"] = changes.email
        if "id_number" in changes.fields:
            if changes.id_number is None:
                removes.append("id_number_enc")
            else:
                sets.append("id_number_enc = :id")
                values[":id"] = self._cipher.encrypt(tenant_id, changes.id_number)
        if "phone" in changes.fields and changes.phone is not None and changes.phone != current.phone:
            digest = self.phone_digest(tenant_id, changes.phone)
            sets += ["phone_enc = :phone", "phone_digest = :digest"]
            values[":phone"] = self._cipher.encrypt(tenant_id, changes.phone)
            values[":digest"] = digest
            tx.put(
                "phone",
                phone_claim_item(tenant_id, digest, current.resident_id, at),
                "attribute_not_exists(pk)",
            )
            if current.phone:
                tx.delete(
                    "old_phone",
                    Keys.phone_claim(tenant_id, self.phone_digest(tenant_id, current.phone)),
                    "resident_id = :rid",
                    {":rid": current.resident_id},
                )
            if current.user_id:
                # Identity may refuse the new number as their sign-in (another account signs in with it):
                # keep the previous number sealed, and which number replaced it, so the refusal puts it back
                # (directory.phones.refusals). A later change replaces both and clears an old refusal.
                sets.append("phone_follow = :follow")
                values[":follow"] = self.sign_in_phone_digest(changes.phone)
                if current.phone:
                    sets.append("phone_before_enc = :before")
                    values[":before"] = self._cipher.encrypt(tenant_id, current.phone)
                else:
                    removes.append("phone_before_enc")
                removes += ["phone_refused", "phone_refused_at"]
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        tx.update(
            "resident",
            Keys.resident(tenant_id, current.resident_id),
            expression,
            values,
            names=names or None,
            condition="attribute_exists(pk) AND attribute_not_exists(erased_at)",
        )
        self.run(tx, tenant_id, changes.phone)

    def erase(self, tenant_id: str, resident: Resident, at: str) -> None:
        """Anonymise the resident, free their phone number, mark their links erased and drop primary roles."""
        tx = self.tx()
        tx.update(
            "resident",
            Keys.resident(tenant_id, resident.resident_id),
            "SET #name = :name, erased_at = :at, updated_at = :at "
            "REMOVE phone_enc, phone_digest, id_number_enc, email, username, gsi1pk, gsi1sk",
            {":name": ERASED_NAME, ":at": at},
            names={"#name": "name"},
            condition="attribute_exists(pk) AND attribute_not_exists(erased_at)",
        )
        if resident.phone:
            tx.delete(
                "phone",
                Keys.phone_claim(tenant_id, self.phone_digest(tenant_id, resident.phone)),
                "resident_id = :rid",
                {":rid": resident.resident_id},
            )
        for link in resident.current_units:
            for key in (
                Keys.unit_member(tenant_id, link.unit_id, resident.resident_id),
                Keys.resident_unit(tenant_id, resident.resident_id, link.unit_id),
            ):
                tx.update(
                    "link",
                    key,
                    "SET erased_at = :at, #primary = :false REMOVE gsi1pk, gsi1sk",
                    {":at": at, ":false": False},
                    names={"#primary": "primary"},
                    condition="attribute_exists(pk)",
                )
            slot = self.unit_slot(tenant_id, link.unit_id)
            if slot is not None and slot.primary_resident_id == resident.resident_id:
                tx.update(
                    f"unit:{link.unit_id}",
                    Keys.unit(tenant_id, link.unit_id),
                    "REMOVE primary_resident_id",
                    {":rid": resident.resident_id},
                    condition="primary_resident_id = :rid",
                )
        if resident.user_id:
            tx.update(
                "user",
                Keys.user(tenant_id, resident.user_id),
                "REMOVE username",
                condition="attribute_exists(pk)",
            )
        self.run(tx, tenant_id)

    # ------------------------------------------------------------ transaction parts (shared with invites)

    def add_new_resident(self, tx: Tx, tenant_id: str, resident: Resident) -> None:
        item, claim = self.new_resident_items(tenant_id, resident)
        if claim is not None:
            tx.put("phone", claim, "attribute_not_exists(pk)")
        tx.put("resident", item, "attribute_not_exists(pk)")

    def new_resident_items(
        self, tenant_id: str, resident: Resident
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The resident item and, with a phone, its phone claim; written only if new (imports reuse it)."""
        claim: dict[str, Any] | None = None
        item: dict[str, Any] = {
            **Keys.resident(tenant_id, resident.resident_id),
            "tenant_id": tenant_id,
            "resident_id": resident.resident_id,
            "name": resident.name,
            "email": resident.email,
            "user_id": resident.user_id,
            "username": resident.username,
            "created_at": resident.created_at,
            "updated_at": resident.updated_at,
            "gsi1pk": Keys.residents_index(tenant_id),
            "gsi1sk": resident.name,
        }
        if resident.phone:
            digest = self.phone_digest(tenant_id, resident.phone)
            item["phone_enc"] = self._cipher.encrypt(tenant_id, resident.phone)
            item["phone_digest"] = digest
            claim = phone_claim_item(tenant_id, digest, resident.resident_id, resident.created_at)
        if resident.id_number:
            item["id_number_enc"] = self._cipher.encrypt(tenant_id, resident.id_number)
        return item, claim

    def add_link(self, tx: Tx, tenant_id: str, link: ResidentLink, slot: UnitSlot) -> None:
        """Both sides of the link, and the unit's primary contact kept unique with a condition on the unit."""
        for item in link_items(tenant_id, link):
            tx.put("link", item)
        unit_key = Keys.unit(tenant_id, link.unit_id)
        label = f"unit:{link.unit_id}"
        previous = slot.primary_resident_id
        same_primary = (
            "attribute_exists(pk) AND primary_resident_id = :old"
            if previous
            else "attribute_exists(pk) AND attribute_not_exists(primary_resident_id)"
        )
        old = {":old": previous} if previous else {}
        if link.primary and previous != link.resident_id:
            tx.update(
                label,
                unit_key,
                "SET primary_resident_id = :rid",
                {":rid": link.resident_id, **old},
                condition=same_primary,
            )
            if previous:
                # The previous primary contact's links lose the flag in the same transaction.
                for key in (
                    Keys.unit_member(tenant_id, link.unit_id, previous),
                    Keys.resident_unit(tenant_id, previous, link.unit_id),
                ):
                    tx.update(
                        "previous_primary",
                        key,
                        "SET #primary = :false",
                        {":false": False},
                        names={"#primary": "primary"},
                        condition="attribute_exists(pk)",
                    )
        elif not link.primary and previous == link.resident_id:
            tx.update(label, unit_key, "REMOVE primary_resident_id", old, condition=same_primary)
        elif link.primary:
            tx.check(label, unit_key, same_primary, old)
        else:
            tx.check(label, unit_key, "attribute_exists(pk)")

    def add_user_link(self, tx: Tx, tenant_id: str, link: UserLinkRecord, at: str) -> None:
        tx.put(
            "user",
            {
                **Keys.user(tenant_id, link.user_id),
                "tenant_id": tenant_id,
                "user_id": link.user_id,
                "kind": link.kind.value,
                "person_id": link.person_id,
                "username": link.username,
                "created_at": at,
            },
            "attribute_not_exists(pk)",
        )

    def add_account(
        self, tx: Tx, tenant_id: str, resident_id: str, user_id: str, username: str, at: str
    ) -> None:
        """Give an existing resident record its account (it must not have one yet)."""
        tx.update(
            "resident",
            Keys.resident(tenant_id, resident_id),
            "SET user_id = :uid, username = :username, updated_at = :at",
            {":uid": user_id, ":username": username, ":at": at},
            condition="attribute_exists(pk) AND attribute_not_exists(user_id) "
            "AND attribute_not_exists(erased_at)",
        )

    def run(self, tx: Tx, tenant_id: str, phone: str | None = None) -> None:
        """Run ``tx``, turning the failed conditions of the people's actions into domain errors."""
        try:
            tx.run()
        except TransactionRefused as refused:
            raise self.explain(tenant_id, refused, phone) from refused

    def explain(self, tenant_id: str, refused: TransactionRefused, phone: str | None = None) -> Exception:
        """The domain error for a refused transaction; a taken phone number names the resident holding it."""
        labels = refused.labels
        if "idempotency" in labels:
            return Conflict("this Idempotency-Key was already used")
        if "phone" in labels:
            holder = self.resident_id_by_phone(tenant_id, phone) if phone else None
            return Conflict(
                "a resident with this phone number is already registered",
                [{"resident_id": holder}] if holder else None,
            )
        if "resident" in labels:
            return Conflict("the resident was changed, erased or already has an account; reload and retry")
        if "user" in labels:
            return Conflict("this account is already linked to a person")
        for label in sorted(labels):
            if label.startswith("unit:"):
                if self.unit_slot(tenant_id, label.removeprefix("unit:")) is None:
                    return NotFound("unit")
                return Conflict("the unit's primary contact changed meanwhile; reload and retry")
        return Conflict("changed concurrently; reload and retry")

    # ------------------------------------------------------------ mapping

    def _resident(
        self, tenant_id: str, item: Mapping[str, Any], links: tuple[ResidentLink, ...] | None
    ) -> Resident:
        phone = item.get("phone_enc")
        id_number = item.get("id_number_enc")
        return Resident(
            resident_id=str(item["resident_id"]),
            name=str(item["name"]),
            phone=self._cipher.decrypt(tenant_id, str(phone)) if phone else None,
            id_number=self._cipher.decrypt(tenant_id, str(id_number)) if id_number else None,
            email=str(item["email"]) if item.get("email") else None,
            user_id=str(item["user_id"]) if item.get("user_id") else None,
            username=str(item["username"]) if item.get("username") else None,
            created_at=str(item["created_at"]),
            updated_at=str(item.get("updated_at", item["created_at"])),
            erased_at=str(item["erased_at"]) if item.get("erased_at") else None,
            units=links,
        )


def idempotency_claim_key(tenant_id: str, user_id: str, key_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "IDEMPOTENCY", "residents", user_id, key_digest), "sk": "CLAIM"}


def phone_claim_item(tenant_id: str, digest: str, resident_id: str, at: str) -> dict[str, Any]:
    return {
        **Keys.phone_claim(tenant_id, digest),
        "tenant_id": tenant_id,
        "resident_id": resident_id,
        "created_at": at,
    }


def link_items(tenant_id: str, link: ResidentLink) -> list[dict[str, Any]]:
    """Both sides of a resident-unit link: seen from the unit, and from the resident (indexed by site)."""
    return [
        link_item(tenant_id, link, Keys.unit_member(tenant_id, link.unit_id, link.resident_id)),
        {
            **link_item(tenant_id, link, Keys.resident_unit(tenant_id, link.resident_id, link.unit_id)),
            "gsi1pk": site_residents_index(tenant_id, link.site_id),
            "gsi1sk": f"{link.room_key}#{link.resident_id}",
        },
    ]


def link_item(tenant_id: str, link: ResidentLink, key: Mapping[str, str]) -> dict[str, Any]:
    return {
        **key,
        "tenant_id": tenant_id,
        "unit_id": link.unit_id,
        "resident_id": link.resident_id,
        "site_id": link.site_id,
        "room_key": link.room_key,
        "relation": link.relation.value,
        "primary": link.primary,
        "since": link.since,
        "source": link.source.value,
    }


def _link(item: Mapping[str, Any]) -> ResidentLink:
    return ResidentLink(
        resident_id=str(item["resident_id"]),
        unit_id=str(item["unit_id"]),
        site_id=str(item.get("site_id", "")),
        room_key=str(item.get("room_key", "")),
        relation=Relation(str(item.get("relation", Relation.FAMILY.value))),
        primary=bool(item.get("primary", False)),
        since=str(item.get("since", "")),
        source=LinkSource(str(item.get("source", LinkSource.STAFF.value))),
        erased=bool(item.get("erased_at")),
    )
