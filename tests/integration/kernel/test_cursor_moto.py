from courtyard import aws
from courtyard.aws_calls import count_aws_calls
from courtyard.cursor import CursorCodec, load_cursor_secret


def test_the_secret_is_loaded_once_per_process(moto: None):
    arn = aws.client("secretsmanager").create_secret(Name="cursor", SecretString="k" * 64)["ARN"]
    with count_aws_calls() as calls:
        assert load_cursor_secret(arn) == b"k" * 64
        assert load_cursor_secret(arn) == b"k" * 64
    assert calls.total == 1


def test_a_binary_secret_is_used_as_is(moto: None):
    arn = aws.client("secretsmanager").create_secret(Name="cursor-bin", SecretBinary=b"\x00\x01" * 16)["ARN"]
    assert load_cursor_secret(arn) == b"\x00\x01" * 16


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
    arn = aws.client("secretsmanager").create_secret(Name="cursor", SecretString="k" * 64)["ARN"]
    codec = CursorCodec(load_cursor_secret(arn))

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
