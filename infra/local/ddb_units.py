"""DynamoDB request units from real item sizes and every index a write touches (issue 18), for the bench.

The call counter (``courtyard.aws_calls``) sees calls, not sizes: 1 WRU per PutItem is right only for items
under 1 KB that no index copies. On-demand DynamoDB bills a write ``ceil(item KB)`` WRU on the table (the
larger of the item before and after), twice that inside a transaction, plus one write per global secondary
index whose copy changes: ``ceil((projected size + 100 B) / 1 KB)``, two when the item's index key changes
(the old entry is deleted, the new one put). Reads bill ``ceil(KB / 4)`` RRU, halved when eventually
consistent, for the items read.

In a local worker started with ``COURTYARD_METER_DDB_UNITS=1`` (bench/cost.py) this module hooks every boto3
session the handler builds: before a write it reads the item's old image, after it the new image, through a
separate client the hooks do not see (so the metered call counts stay the handler's own), and the table's
indexes and projections come from ``DescribeTable`` (the tables are built from template.yaml). Reads are
sized from the items they return (a projection returns less than it reads: an approximation, marked so).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

ENV_FLAG = "COURTYARD_METER_DDB_UNITS"
INDEX_OVERHEAD_BYTES = 100  # per index entry (AWS: "100 bytes of overhead per item" in an index)
_WRITE_OPS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_READ_OPS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})

Item = Mapping[str, Any]  # an item in the low-level wire shape: {"pk": {"S": "..."}, ...}


# ------------------------------------------------------------------------------------------------ sizes
def value_size(value: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value (developer guide, "Item sizes and formats")."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(raw) if isinstance(raw, bytes | bytearray) else len(str(raw))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in raw)
    if kind == "NS":
        return sum(value_size({"N": v}) for v in raw)
    if kind == "BS":
        return sum(len(v) for v in raw)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in raw.items())
    return 0


def item_size(item: Item | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


# ------------------------------------------------------------------------------------------------ indexes
@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # the index's own key attributes
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()

    def entry(self, item: Item | None, table_keys: Iterable[str]) -> dict[str, Any] | None:
        """The index's copy of ``item`` (None when the item is absent or lacks a key: sparse)."""
        if not item or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        names = {*self.keys, *table_keys, *(self.include if self.projection == "INCLUDE" else ())}
        return {name: item[name] for name in names if name in item}

    def writes(self, old: Item | None, new: Item | None, table_keys: tuple[str, ...]) -> float:
        """Index WRU for a change from ``old`` to ``new`` (either may be None)."""
        before, after = self.entry(old, table_keys), self.entry(new, table_keys)
        if before == after:
            return 0.0
        units = 0.0
        moved = before is not None and after is not None and any(before[k] != after[k] for k in self.keys)
        if before is not None and (after is None or moved):
            units += write_units(item_size(before) + INDEX_OVERHEAD_BYTES)  # the old entry deleted
        if after is not None:
            units += write_units(item_size(after) + INDEX_OVERHEAD_BYTES)
        return units


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]


def shape_of(description: Mapping[str, Any]) -> TableShape:
    table = description["Table"]
    indexes = []
    for gsi in table.get("GlobalSecondaryIndexes") or []:
        projection = gsi.get("Projection") or {}
        indexes.append(
            Index(
                gsi["IndexName"],
                tuple(k["AttributeName"] for k in gsi["KeySchema"]),
                str(projection.get("ProjectionType", "ALL")),
                tuple(projection.get("NonKeyAttributes") or ()),
            )
        )
    return TableShape(tuple(k["AttributeName"] for k in table["KeySchema"]), tuple(indexes))


# ------------------------------------------------------------------------------------------------ meter
def operation_kind(operation: str, kind: str, failed: bool = False) -> str:
    """How a write is attributed: ``PutItem``/``UpdateItem``/``DeleteItem``, ``Transact.<kind>`` (each item
    of a transaction, a ConditionCheck included), ``Batch.<kind>``; `` failed`` when its condition failed
    (billed all the same)."""
    if operation == "TransactWriteItems":
        name = f"Transact.{kind}"
    elif operation == "BatchWriteItem":
        name = f"Batch.{kind}"
    else:
        name = operation
    return f"{name} failed" if failed else name


class UnitMeter:
    """Request units by ``"wru:<table>"``, ``"wru:<table>/<index>"`` and ``"rru:<operation>"`` (priced), the
    same units again for attribution (not priced; bench/ddb_units.py prints them): writes by operation kind
    (``"wop:<table>:<kind>"`` on the table, ``"wix:<table>/<index>:<kind>"`` per index copy) and reads by
    table (``"rtb:<table>[/<index>]:<operation>"``), and the SMS sent (``"sms:Publish"``: an SNS Publish to
    a phone number)."""

    def __init__(self, client: Any = None) -> None:
        self._client = client
        self._shapes: dict[str, TableShape] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        self.units: dict[str, float] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.session.Session().client("dynamodb")  # no hooks: unmetered
        return self._client

    def install(self, events: Any) -> None:
        # before-parameter-build carries the API parameters (before-call only the serialised request).
        events.register(
            "before-parameter-build.dynamodb", self._before, unique_id="courtyard-ddb-units-before"
        )
        events.register("after-call.dynamodb", self._after, unique_id="courtyard-ddb-units-after")
        # An SNS Publish to a phone number is an SMS, priced per message (bench/cost_model.add_sms).
        events.register("before-parameter-build.sns.Publish", self._sms, unique_id="courtyard-sms-count")

    def take(self) -> dict[str, float]:
        with self._lock:
            out = {k: round(v, 3) for k, v in self.units.items() if v}
            self.units.clear()
        return out

    def add(self, key: str, units: float) -> None:
        with self._lock:
            self.units[key] = self.units.get(key, 0.0) + units

    def shape(self, table: str) -> TableShape:
        if table not in self._shapes:
            self._shapes[table] = shape_of(self.client.describe_table(TableName=table))
        return self._shapes[table]

    # -- writes: the old images before the call, the new ones after it
    def _targets(self, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """(table, kind, key) of every item a write touches; kind is Put/Update/Delete/ConditionCheck."""
        out: list[tuple[str, str, dict[str, Any]]] = []
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = str(params["TableName"])
            kind = operation.removesuffix("Item")
            key = params.get("Key") or self._key_of(table, params.get("Item") or {})
            out.append((table, kind, dict(key)))
        elif operation == "TransactWriteItems":
            for entry in params.get("TransactItems") or []:
                for kind, body in entry.items():
                    key = body.get("Key") or self._key_of(body["TableName"], body.get("Item") or {})
                    out.append((str(body["TableName"]), kind, dict(key)))
        elif operation == "BatchWriteItem":
            for table, requests in (params.get("RequestItems") or {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        out.append((table, "Put", self._key_of(table, request["PutRequest"]["Item"])))
                    elif "DeleteRequest" in request:
                        out.append((table, "Delete", dict(request["DeleteRequest"]["Key"])))
        return out

    def _key_of(self, table: str, item: Item) -> dict[str, Any]:
        return {name: item[name] for name in self.shape(table).keys if name in item}

    def _image(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        if not key:
            return None
        found = self.client.get_item(TableName=table, Key=dict(key), ConsistentRead=True).get("Item")
        return dict(found) if found else None

    def _sms(self, params: Any = None, **_: Any) -> None:
        if isinstance(params, Mapping) and params.get("PhoneNumber"):
            self.add("sms:Publish", 1.0)

    def _before(self, model: Any = None, params: Any = None, **_: Any) -> None:
        if model is None or not isinstance(params, Mapping):
            return
        if model.name in _READ_OPS:
            self._local.consistent = bool(params.get("ConsistentRead"))
            self._local.read_from = read_target(model.name, params)
            return
        if model.name not in _WRITE_OPS:
            return
        try:
            targets = self._targets(model.name, params)
            self._local.pending = [(t, kind, key, self._image(t, key)) for t, kind, key in targets]
        except Exception:  # metering must never break the handler
            self._local.pending = []

    def _after(self, model: Any = None, parsed: Any = None, http_response: Any = None, **_: Any) -> None:
        if model is None or not isinstance(parsed, Mapping):
            return
        failed = http_response is not None and getattr(http_response, "status_code", 200) >= 400
        try:
            if model.name in _WRITE_OPS:
                self._writes(model.name, failed)
            elif model.name in _READ_OPS and not failed:
                self._reads(model.name, parsed)
        except Exception:  # metering must never break the handler; a miss only under-counts  # noqa: S110
            pass
        finally:
            if model.name in _WRITE_OPS:
                self._local.pending = []

    def _writes(self, operation: str, failed: bool) -> None:
        factor = 2.0 if operation == "TransactWriteItems" else 1.0
        for table, kind, key, old in getattr(self._local, "pending", []):
            new = None if failed or kind in ("Delete", "ConditionCheck") else self._image(table, key)
            if failed or kind == "ConditionCheck":
                new = old
            size = max(item_size(old), item_size(new), 1)
            op = operation_kind(operation, kind, failed)
            self.add(f"wru:{table}", factor * write_units(size))
            self.add(f"wop:{table}:{op}", factor * write_units(size))
            if failed or kind == "ConditionCheck":
                continue
            shape = self.shape(table)
            for index in shape.indexes:
                if units := index.writes(old, new, shape.keys):
                    self.add(f"wru:{table}/{index.name}", units)
                    self.add(f"wix:{table}/{index.name}:{op}", units)

    def _read(self, operation: str, table: str, units: float) -> None:
        # Priced by operation (the price does not depend on the table); attributed by table too.
        self.add(f"rru:{operation}", units)
        self.add(f"rtb:{table or '?'}:{operation}", units)

    def _reads(self, operation: str, parsed: Mapping[str, Any]) -> None:
        consistent = bool(getattr(self._local, "consistent", False))
        source = getattr(self._local, "read_from", "")
        if operation == "GetItem":
            self._read(operation, source, read_units(item_size(parsed.get("Item")), consistent))
        elif operation in ("Query", "Scan"):
            items = parsed.get("Items") or []
            returned = max(1, len(items))
            scanned = max(returned, int(parsed.get("ScannedCount") or 0))
            size = sum(item_size(i) for i in items) * scanned / returned
            self._read(operation, source, read_units(int(size), consistent))
        elif operation == "BatchGetItem":
            for table, items in (parsed.get("Responses") or {}).items():
                for item in items:
                    self._read(operation, str(table), read_units(item_size(item), False))
        elif operation == "TransactGetItems":
            for response in parsed.get("Responses") or []:
                units = 2 * read_units(item_size(response.get("Item")), True)
                self._read(operation, source, units)


def read_target(operation: str, params: Mapping[str, Any]) -> str:
    """The table (``<table>/<index>`` for an index query) a read is attributed to; a transaction's first."""
    if operation == "TransactGetItems":
        gets = [entry.get("Get") or {} for entry in params.get("TransactItems") or []]
        return str(gets[0].get("TableName", "")) if gets else ""
    table = str(params.get("TableName") or "")
    return f"{table}/{params['IndexName']}" if params.get("IndexName") else table
