"""A feature's DynamoDB table for its repositories: item (de)serialisation, tenant-bound pages, transactions.

Repositories build their items and keys; this adapter is the one place that speaks DynamoDB's wire format
and turns its conditional failures into domain errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from courtyard import aws
from courtyard.cursor import CursorCodec
from courtyard.dynamo import translate_conditional_failures

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

MAX_PAGE = 100


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


@dataclass(frozen=True)
class ItemPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


class Table:
    def __init__(self, table_name: str, cursors: CursorCodec, client: Any | None = None) -> None:
        self.name = table_name
        self.cursors = cursors
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("dynamodb")
        return self._client

    def get(self, key: Mapping[str, str], consistent: bool = False) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.name, Key=serialize(key), ConsistentRead=consistent)
        item = response.get("Item")
        return deserialize(item) if item else None

    def get_many(self, keys: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
        """BatchGetItem in chunks of 100, retrying unprocessed keys; order is not preserved."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            pending: list[dict[str, Any]] = [serialize(k) for k in keys[start : start + 100]]
            while pending:
                response = self.client.batch_get_item(RequestItems={self.name: {"Keys": pending}})
                found.extend(deserialize(i) for i in response.get("Responses", {}).get(self.name, []))
                pending = response.get("UnprocessedKeys", {}).get(self.name, {}).get("Keys", [])
        return found

    def put(
        self, item: Mapping[str, Any], *, condition: str | None = None, conflict: str = "already exists"
    ) -> None:
        """Put an item; with ``condition`` (``attribute_not_exists(pk)``) a failed check is a Conflict."""
        params: dict[str, Any] = {"TableName": self.name, "Item": serialize(item)}
        if condition:
            params["ConditionExpression"] = condition
        with translate_conditional_failures(conflict):
            self.client.put_item(**params)

    def put_many(self, items: Sequence[Mapping[str, Any]]) -> None:
        """BatchWriteItem in chunks of 25, retrying unprocessed items; unconditional puts only."""
        for start in range(0, len(items), 25):
            pending: list[dict[str, Any]] = [
                {"PutRequest": {"Item": serialize(item)}} for item in items[start : start + 25]
            ]
            while pending:
                response = self.client.batch_write_item(RequestItems={self.name: pending})
                pending = response.get("UnprocessedItems", {}).get(self.name, [])

    def update(
        self,
        key: Mapping[str, str],
        expression: str,
        values: Mapping[str, Any],
        *,
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
        conflict: str = "changed concurrently",
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize(key),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": serialize(values),
            "ReturnValues": "ALL_NEW",
        }
        if names:
            params["ExpressionAttributeNames"] = dict(names)
        if condition:
            params["ConditionExpression"] = condition
        with translate_conditional_failures(conflict):
            response = self.client.update_item(**params)
        return deserialize(response.get("Attributes", {}))

    def transact(self, actions: Iterable[Mapping[str, Any]], conflict: str = "already exists") -> None:
        """TransactWriteItems of actions built with ``put_action`` and ``delete_action``."""
        items = list(actions)
        if not items:
            return
        with translate_conditional_failures(conflict):
            self.client.transact_write_items(TransactItems=items)

    def put_action(self, item: Mapping[str, Any], condition: str | None = None) -> dict[str, Any]:
        action: dict[str, Any] = {"TableName": self.name, "Item": serialize(item)}
        if condition:
            action["ConditionExpression"] = condition
        return {"Put": action}

    def update_action(
        self,
        key: Mapping[str, str],
        expression: str,
        values: Mapping[str, Any],
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        action: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize(key),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": serialize(values),
        }
        if names:
            action["ExpressionAttributeNames"] = dict(names)
        if condition:
            action["ConditionExpression"] = condition
        return {"Update": action}

    def delete_action(self, key: Mapping[str, str], condition: str | None = None) -> dict[str, Any]:
        action: dict[str, Any] = {"TableName": self.name, "Key": serialize(key)}
        if condition:
            action["ConditionExpression"] = condition
        return {"Delete": action}

    def query_page(
        self,
        tenant_id: str,
        *,
        partition: str,
        sk_prefix: str | None = None,
        index: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        scope: str = "",
        forward: bool = True,
    ) -> ItemPage:
        """One page of a partition (table or ``gsi1``); the cursor is bound to the tenant and to ``scope``."""
        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        expression = f"{pk_name} = :pk"
        values: dict[str, Any] = {":pk": partition}
        if sk_prefix is not None:
            expression += f" AND begins_with({sk_name}, :prefix)"
            values[":prefix"] = sk_prefix
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": serialize(values),
            "Limit": max(1, min(limit, MAX_PAGE)),
            "ScanIndexForward": forward,
        }
        if index:
            params["IndexName"] = index
        start = self.cursors.decode(tenant_id, cursor, scope=scope)
        if start:
            params["ExclusiveStartKey"] = serialize(start)
        response = self.client.query(**params)
        last = response.get("LastEvaluatedKey")
        return ItemPage(
            items=[deserialize(i) for i in response.get("Items", [])],
            next_cursor=self.cursors.encode(tenant_id, deserialize(last), scope=scope) if last else None,
        )

    def query_all(
        self,
        *,
        partition: str,
        sk_prefix: str | None = None,
        index: str | None = None,
        consistent: bool = False,
    ) -> list[dict[str, Any]]:
        """Every item of a (small) partition, following pages; for bounded sets such as a unit's residents."""
        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        expression = f"{pk_name} = :pk"
        values: dict[str, Any] = {":pk": partition}
        if sk_prefix is not None:
            expression += f" AND begins_with({sk_name}, :prefix)"
            values[":prefix"] = sk_prefix
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": serialize(values),
        }
        if index:
            params["IndexName"] = index
        elif consistent:
            params["ConsistentRead"] = True
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(**params)
            items.extend(deserialize(i) for i in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            params["ExclusiveStartKey"] = last
