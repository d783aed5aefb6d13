"""Staff records and their sign-in accounts: the directory items (via DirectoryTable) and Cognito extras.

Items: ``Keys.staff(t, staff_id)`` (the profile; ``gsi1pk = Keys.staff_index(t)``, ``gsi1sk = name``) and the
user link ``Keys.user(t, sub)`` (kind "staff", person_id = staff_id) that ``DirectoryReader.user`` reads.
The phone is stored only as ``phone_enc`` (FieldCipher, tenant-bound) and ``phone_digest`` (blind index).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from courtyard.directory import Keys
from courtyard.dynamo import tenant_key
from courtyard.idempotency import KeyUse
from courtyard.tenancy import Role
from directory.staff.models import Staff
from directory.staff.rules import Skill, Zone
from directory.table import DirectoryTable

STAFF_KIND = "staff"


class Cipher(Protocol):
    def encrypt(self, tenant_id: str, plaintext: str) -> str: ...
    def decrypt(self, tenant_id: str, token: str) -> str: ...


class Digester(Protocol):
    def digest(self, tenant_id: str, kind: str, value: str) -> str: ...


class StaffRepository:
    def __init__(self, table: DirectoryTable, cipher: Cipher, blind_index: Digester) -> None:
        self._table = table
        self._cipher = cipher
        self._blind_index = blind_index

    def add(
        self, staff: Staff, *, replace: bool = False, claim: KeyUse | None = None, claim_ttl: int = 0
    ) -> None:
        """The record and its user link, both or neither; ``replace`` lets onboarding retries rewrite them.

        ``claim``: the caller's Idempotency-Key, claimed in the same transaction (a taken key fails it all).
        """
        condition = None if replace else "attribute_not_exists(pk)"
        actions = [
            self._table.put_action(self._item(staff), condition),
            self._table.put_action(_link_item(staff), condition),
        ]
        if claim is not None:
            item = {
                **_claim_key(staff.tenant_id, claim.key_digest),
                "tenant_id": staff.tenant_id,
                "staff_id": staff.staff_id,
                "request_digest": claim.request_digest,
                "ttl": claim_ttl,
            }
            actions.append(self._table.put_action(item, "attribute_not_exists(pk)"))
        self._table.transact(actions, conflict="this staff member or account is already registered")

    def claimed(self, tenant_id: str, key_digest: str) -> tuple[str, str] | None:
        """(staff id, request digest) of the caller's Idempotency-Key, if it was used."""
        item = self._table.get(_claim_key(tenant_id, key_digest), consistent=True)
        return (str(item["staff_id"]), str(item["request_digest"])) if item else None

    def request_digest(self, tenant_id: str, digest: str) -> str:
        """A keyed digest of a request carrying personal data (phone, email): it cannot test a guess."""
        return self._blind_index.digest(tenant_id, "request", digest)

    def remove(self, staff: Staff) -> None:
        """Undo ``add`` (a compensation when a later step of a creation failed)."""
        self._table.transact(
            [
                self._table.delete_action(Keys.staff(staff.tenant_id, staff.staff_id)),
                self._table.delete_action(Keys.user(staff.tenant_id, staff.user_id)),
            ]
        )

    def get(self, tenant_id: str, staff_id: str, *, consistent: bool = False) -> Staff | None:
        item = self._table.get(Keys.staff(tenant_id, staff_id), consistent=consistent)
        return self._staff(tenant_id, item) if item else None

    def staff_id_of_user(self, tenant_id: str, user_id: str) -> str | None:
        """The staff record a signed-in user is, if they are staff of this tenant."""
        item = self._table.get(Keys.user(tenant_id, user_id))
        if not item or item.get("kind") != STAFF_KIND:
            return None
        return str(item["person_id"])

    def page(self, tenant_id: str, *, limit: int, cursor: str | None) -> tuple[list[Staff], str | None]:
        """One page of the tenant's staff in name order."""
        page = self._table.query_page(
            tenant_id,
            partition=Keys.staff_index(tenant_id),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope="staff",
        )
        return [self._staff(tenant_id, item) for item in page.items], page.next_cursor

    def update(self, before: Staff, after: Staff) -> Staff:
        """Write the changed record if nobody changed it since ``before`` was read (else Conflict)."""
        values: dict[str, Any] = {
            "name": after.name,
            "gsi1sk": after.name,
            "roles": [r.value for r in after.roles],
            "zones": _zone_items(after.zones),
            "skills": [s.value for s in after.skills],
            "on_duty": after.on_duty,
            "active": after.active,
            "updated_at": after.updated_at,
            "version": before.version + 1,
        }
        if after.phone is not None and after.phone != before.phone:
            values.update(self._phone_attributes(after.tenant_id, after.phone))
        names = {f"#a{i}": name for i, name in enumerate(values)}
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
        placeholders: dict[str, Any] = {f":a{i}": value for i, value in enumerate(values.values())}
        placeholders[":expected"] = before.version
        names["#version"] = "version"
        item = self._table.update(
            Keys.staff(before.tenant_id, before.staff_id),
            expression,
            placeholders,
            names=names,
            condition="attribute_exists(pk) AND #version = :expected",
            conflict="the staff record changed meanwhile; read it again and retry",
        )
        return self._staff(before.tenant_id, item)

    def missing_places(
        self, tenant_id: str, zones: Sequence[Zone]
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """The zones' sites, then (site, building) pairs, that do not exist in this tenant."""
        site_ids = sorted({z.site_id for z in zones})
        pairs = sorted({(z.site_id, b) for z in zones for b in z.building_ids})
        keys = [Keys.site(tenant_id, s) for s in site_ids] + [
            Keys.building(tenant_id, s, b) for s, b in pairs
        ]
        found = {(item["pk"], item["sk"]) for item in self._table.get_many(keys)} if keys else set()
        missing_sites = [s for s in site_ids if _pair(Keys.site(tenant_id, s)) not in found]
        missing_buildings = [
            (s, b)
            for s, b in pairs
            if s not in missing_sites and _pair(Keys.building(tenant_id, s, b)) not in found
        ]
        return missing_sites, missing_buildings

    def _item(self, staff: Staff) -> dict[str, Any]:
        item: dict[str, Any] = {
            **Keys.staff(staff.tenant_id, staff.staff_id),
            "kind": STAFF_KIND,
            "tenant_id": staff.tenant_id,
            "staff_id": staff.staff_id,
            "name": staff.name,
            "email": staff.email,
            "username": staff.username,
            "user_id": staff.user_id,
            "roles": [r.value for r in staff.roles],
            "zones": _zone_items(staff.zones),
            "skills": [s.value for s in staff.skills],
            "on_duty": staff.on_duty,
            "active": staff.active,
            "created_at": staff.created_at,
            "created_by": staff.created_by,
            "updated_at": staff.updated_at,
            "version": staff.version,
            "gsi1pk": Keys.staff_index(staff.tenant_id),
            "gsi1sk": staff.name,
        }
        if staff.phone:
            item.update(self._phone_attributes(staff.tenant_id, staff.phone))
        return item

    def _phone_attributes(self, tenant_id: str, phone: str) -> dict[str, str]:
        return {
            "phone_enc": self._cipher.encrypt(tenant_id, phone),
            "phone_digest": self._blind_index.digest(tenant_id, "phone", phone),
        }

    def _staff(self, tenant_id: str, item: dict[str, Any]) -> Staff:
        phone_enc = item.get("phone_enc")
        return Staff(
            tenant_id=tenant_id,
            staff_id=str(item["staff_id"]),
            name=str(item["name"]),
            email=str(item["email"]) if item.get("email") else None,
            username=str(item["username"]),
            user_id=str(item["user_id"]),
            roles=tuple(Role(r) for r in item.get("roles", [])),
            zones=tuple(
                Zone(site_id=str(z["site_id"]), building_ids=tuple(str(b) for b in z.get("building_ids", [])))
                for z in item.get("zones", [])
            ),
            skills=tuple(Skill(s) for s in item.get("skills", [])),
            phone=self._cipher.decrypt(tenant_id, str(phone_enc)) if phone_enc else None,
            on_duty=bool(item.get("on_duty", False)),
            active=bool(item.get("active", True)),
            created_at=str(item.get("created_at", "")),
            created_by=str(item.get("created_by", "")),
            updated_at=str(item.get("updated_at", "")),
            version=int(item.get("version", 1)),
        )


def _link_item(staff: Staff) -> dict[str, Any]:
    return {
        **Keys.user(staff.tenant_id, staff.user_id),
        "tenant_id": staff.tenant_id,
        "user_id": staff.user_id,
        "kind": STAFF_KIND,
        "person_id": staff.staff_id,
        "username": staff.username,
    }


def _zone_items(zones: Iterable[Zone]) -> list[dict[str, Any]]:
    return [{"site_id": z.site_id, "building_ids": list(z.building_ids)} for z in zones]


def _pair(key: dict[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]


def _claim_key(tenant_id: str, key_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "IDEMPOTENCY", "staff", key_digest), "sk": "CLAIM"}
