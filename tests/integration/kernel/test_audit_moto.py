from datetime import UTC, datetime

from courtyard import aws
from courtyard.audit import AuditWriter
from courtyard.clock import FixedClock, epoch
from courtyard.tenancy import Role, TenantContext

TABLE = "audit"
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
DESK = TenantContext(tenant_id="t1", user_id="u-7", roles=frozenset({Role.SERVICE_DESK}))


def create_audit_table() -> None:
    aws.client("dynamodb").create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )


def test_records_are_written_and_read_back_in_time_order(moto: None):
    create_audit_table()
    clock = FixedClock(NOW)
    writer = AuditWriter(TABLE, 400, clock)
    writer.record(DESK, "resident.read_pii", "resident", "01RES", details={"fields": ["phone"]})
    clock.advance(seconds=1)
    writer.record(DESK, "ticket.create", "ticket", "01TCK")

    items = (
        aws.resource("dynamodb")
        .Table(TABLE)
        .query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "T#t1#AUDIT#2026-03-04"})[
            "Items"
        ]
    )

    assert [i["action"] for i in items] == ["resident.read_pii", "ticket.create"]
    first = items[0]
    assert first["actor"] == "u-7"
    assert first["roles"] == ["service_desk"]
    assert first["resource"] == "resident"
    assert first["resource_id"] == "01RES"
    assert first["at"] == "2026-03-04T05:06:07.000Z"
    assert first["expires_at"] == epoch(NOW) + 400 * 86_400


def test_tenants_audit_trails_are_apart(moto: None):
    create_audit_table()
    writer = AuditWriter(TABLE, 180, FixedClock(NOW))
    writer.record(DESK, "a", "r")
    writer.record(None, "a", "r", tenant_id="t2")
    table = aws.resource("dynamodb").Table(TABLE)
    for tenant in ("t1", "t2"):
        items = table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": f"T#{tenant}#AUDIT#2026-03-04"},
        )["Items"]
        assert [i["tenant_id"] for i in items] == [tenant]
