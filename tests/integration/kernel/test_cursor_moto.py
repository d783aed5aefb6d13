import pytest

from courtyard import aws
from courtyard.aws_calls import count_aws_calls
from courtyard.cursor import CursorCodec, load_cursor_secret


def _parameter(name: str, value: str) -> str:
    aws.client("ssm").put_parameter(Name=name, Value=value, Type="SecureString", KeyId="alias/aws/ssm")
    return name


def test_the_key_is_read_decrypted_once_per_process(moto: None):
    name = _parameter("/courtyard/dev/cursor-key", "k" * 64)
    with count_aws_calls() as calls:
        assert load_cursor_secret(name) == b"k" * 64
        assert load_cursor_secret(name) == b"k" * 64
    assert calls.by_operation() == {("ssm", "GetParameter"): 1}


def test_a_missing_parameter_fails_the_cold_start_instead_of_signing_with_nothing(moto: None):
    with pytest.raises(aws.client("ssm").exceptions.ParameterNotFound):
        load_cursor_secret("/courtyard/dev/missing")


def test_cursors_round_trip_a_real_last_evaluated_key(moto: None):
    dynamo = aws.resource("dynamodb")
    table = dynamo.create_table(
        TableName="tickets",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
    )
    for n in range(5):
        table.put_item(Item={"pk": "T#t1#TICKET", "n": n})
    codec = CursorCodec(load_cursor_secret(_parameter("/courtyard/dev/cursor-key", "k" * 64)))

    seen: list[int] = []
    cursor: str | None = None
    while True:
        start = codec.decode("t1", cursor)
        page = table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": "T#t1#TICKET"},
            Limit=2,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        seen.extend(int(item["n"]) for item in page["Items"])
        cursor = codec.encode("t1", page.get("LastEvaluatedKey"))
        if cursor is None:
            break
    assert seen == [0, 1, 2, 3, 4]
