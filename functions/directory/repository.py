"""DynamoDB access for the directory; items stay private to this module.

Keys: the tenant is ``T#{tenant}#TENANT / TENANT``; a profile is ``T#{tenant}#USER#{sub} / PROFILE``.
"""

from __future__ import annotations

from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from courtyard import aws
from courtyard.dynamo import tenant_key
from directory.models import PersonKind, Profile, Tenant

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class Cipher(Protocol):
    def encrypt(self, tenant_id: str, plaintext: str) -> str: ...
    def decrypt(self, tenant_id: str, token: str) -> str: ...


class DirectoryRepository:
    def __init__(self, table_name: str, cipher: Cipher, client: Any | None = None) -> None:
        self._table = table_name
        self._cipher = cipher
        self._client = client or aws.client("dynamodb")

    def get_identity(self, tenant_id: str, user_id: str) -> tuple[Tenant | None, Profile | None]:
        """The caller's tenant and profile in one round trip."""
        keys = [_key(_tenant_keys(tenant_id)), _key(_profile_keys(tenant_id, user_id))]
        response = self._client.batch_get_item(
            RequestItems={self._table: {"Keys": [_serialize(k) for k in keys], "ConsistentRead": True}}
        )
        items = [_deserialize(i) for i in response.get("Responses", {}).get(self._table, [])]
        # BatchGetItem may return keys unprocessed under throttling; fetch those one by one.
        for key in response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", []):
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            if item:
                items.append(_deserialize(item))
        tenant = next((_tenant_from(i) for i in items if i["sk"] == "TENANT"), None)
        profile = next((self._profile_from(i) for i in items if i["sk"] == "PROFILE"), None)
        return tenant, profile

    def put_tenant(self, tenant: Tenant) -> None:
        item = {**_tenant_keys(tenant.tenant_id), "name": tenant.name, "status": tenant.status}
        self._client.put_item(TableName=self._table, Item=_serialize(item))

    def put_profile(self, profile: Profile) -> None:
        item: dict[str, Any] = {
            **_profile_keys(profile.tenant_id, profile.user_id),
            "user_id": profile.user_id,
            "name": profile.name,
            "kind": profile.kind.value,
        }
        if profile.email:
            item["email"] = profile.email
        if profile.phone:
            item["phone_enc"] = self._cipher.encrypt(profile.tenant_id, profile.phone)
        self._client.put_item(TableName=self._table, Item=_serialize(item))

    def _profile_from(self, item: dict[str, Any]) -> Profile:
        tenant_id = str(item["tenant_id"])
        phone_enc = item.get("phone_enc")
        return Profile(
            tenant_id=tenant_id,
            user_id=str(item["user_id"]),
            name=str(item["name"]),
            kind=PersonKind(item["kind"]),
            email=item.get("email"),
            phone=self._cipher.decrypt(tenant_id, str(phone_enc)) if phone_enc else None,
        )


def _tenant_keys(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "TENANT"), "sk": "TENANT", "tenant_id": tenant_id}


def _profile_keys(tenant_id: str, user_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "USER", user_id), "sk": "PROFILE", "tenant_id": tenant_id}


def _key(item: dict[str, str]) -> dict[str, str]:
    return {"pk": item["pk"], "sk": item["sk"]}


def _tenant_from(item: dict[str, Any]) -> Tenant:
    return Tenant(tenant_id=str(item["tenant_id"]), name=str(item["name"]), status=str(item["status"]))


def _serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}
