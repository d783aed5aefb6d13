import json
from datetime import UTC, datetime
from typing import Any

import pytest

from courtyard.audit import AuditWriter
from courtyard.clock import FixedClock
from courtyard.ids import is_ulid
from courtyard.tenancy import Role, TenantContext

NOW = datetime(2026, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
MANAGER = TenantContext(tenant_id="t1", user_id="u-1", roles=frozenset({Role.MANAGER, Role.FINANCE}))


class FakeDynamo:
    def __init__(self) -> None:
        self.puts: list[dict[str, Any]] = []

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        self.puts.append(kwargs)
        return {}


def writer(client: FakeDynamo, retention_days: int = 400) -> AuditWriter:
    return AuditWriter("audit", retention_days, FixedClock(NOW), client=client)


def test_record_keys_by_tenant_and_day_and_sorts_by_time():
    client = FakeDynamo()
    record = writer(client).record(MANAGER, "unit.update", "unit", "01UNIT", details={"fields": ["area"]})
    put = client.puts[0]
    item = put["Item"]
    assert put["TableName"] == "audit"
    assert item["pk"] == {"S": "T#t1#AUDIT#2026-03-04"}
    assert item["sk"]["S"].startswith("2026-03-04T05:06:07.890Z#")
    assert is_ulid(item["sk"]["S"].split("#")[1])
    assert record.sk == item["sk"]["S"]


def test_record_carries_actor_roles_action_resource_and_time():
    client = FakeDynamo()
    writer(client).record(MANAGER, "resident.read_pii", "resident", "01RES", details={"fields": ["phone"]})
    item = client.puts[0]["Item"]
    assert item["actor"] == {"S": "u-1"}
    assert item["roles"] == {"L": [{"S": "finance"}, {"S": "manager"}]}
    assert item["action"] == {"S": "resident.read_pii"}
    assert item["resource"] == {"S": "resident"}
    assert item["resource_id"] == {"S": "01RES"}
    assert item["tenant_id"] == {"S": "t1"}
    assert item["at"] == {"S": "2026-03-04T05:06:07.890Z"}
    assert json.loads(item["details"]["S"]) == {"fields": ["phone"]}


def test_expiry_is_the_retention_after_now_in_epoch_seconds():
    client = FakeDynamo()
    writer(client, retention_days=180).record(MANAGER, "a", "r")
    assert int(client.puts[0]["Item"]["expires_at"]["N"]) == int(NOW.timestamp()) + 180 * 86_400


def test_retention_under_180_days_is_refused():
    with pytest.raises(ValueError, match="180"):
        AuditWriter("audit", 179, FixedClock(NOW), client=FakeDynamo())


def test_without_a_context_the_tenant_is_given_and_the_actor_is_the_system():
    client = FakeDynamo()
    writer(client).record(None, "bill.issue", "bill", "01BILL", tenant_id="t2")
    item = client.puts[0]["Item"]
    assert item["pk"]["S"].startswith("T#t2#AUDIT#")
    assert item["actor"] == {"S": "system"}
    assert item["roles"] == {"L": []}
    assert "details" not in item


def test_explicit_actor_wins():
    client = FakeDynamo()
    writer(client).record(MANAGER, "a", "r", actor="device-9")
    assert client.puts[0]["Item"]["actor"] == {"S": "device-9"}


def test_a_tenant_differing_from_the_callers_is_refused():
    with pytest.raises(ValueError, match="tenant"):
        writer(FakeDynamo()).record(MANAGER, "a", "r", tenant_id="t2")


@pytest.mark.parametrize(
    "details",
    [
        {"phone": "13812345678"},
        {"old": "+8613812345678"},
        {"note": "call 13812345678 after six"},
        {"note": "id 11010119900307123X"},
        {"plates": ["粤B·12345"]},
        {"phone": 13812345678},
        {"13812345678": "key"},
    ],
)
def test_personal_data_values_in_details_are_refused(details: dict[str, Any]):
    client = FakeDynamo()
    with pytest.raises(ValueError, match="personal data"):
        writer(client).record(MANAGER, "a", "r", details=details)
    assert client.puts == []


def test_field_names_counts_and_ids_are_fine():
    client = FakeDynamo()
    details = {
        "fields": ["phone", "id_number"],
        "count": 3,
        "unit_id": "01HZX3Y4K5M6N7P8Q9R0S1T2V3",
        "at": 1767225600,
        # A Cognito sub whose last group holds 11 digits that read like a mobile number.
        "on_behalf_of": "5b1f2c3d-9e8f-4a7b-8c6d-a13812345678",
    }
    writer(client).record(MANAGER, "a", "r", details=details)
    assert len(client.puts) == 1


def test_the_transaction_put_is_the_same_record_written_only_if_new_and_nothing_is_sent():
    client = FakeDynamo()
    action = writer(client).put_action(MANAGER, "ticket.create", "ticket", "01T", {"count": 1})
    writer(client).record(MANAGER, "ticket.create", "ticket", "01T", {"count": 1})

    put = action["Put"]
    assert client.puts[0]["Item"].keys() == put["Item"].keys()
    assert put["TableName"] == "audit"
    assert put["ConditionExpression"] == "attribute_not_exists(pk)"
    assert put["Item"]["action"] == {"S": "ticket.create"}
    assert len(client.puts) == 1  # put_action itself writes nothing


def test_the_transaction_put_refuses_personal_data_too():
    with pytest.raises(ValueError, match="personal data"):
        writer(FakeDynamo()).put_action(MANAGER, "a", "r", details={"phone": "13812345678"})
