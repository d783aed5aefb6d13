from typing import Any

import pytest
from botocore.exceptions import ClientError

from courtyard.dynamo import (
    Page,
    cancellation_reasons,
    strip_tenant,
    tenant_key,
    tenant_prefix,
    translate_conditional_failures,
)
from courtyard.errors import Conflict


def client_error(code: str, message: str = "", **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, **extra}
    return ClientError(response, "TransactWriteItems")


def test_tenant_key_joins_parts_under_the_tenant_prefix():
    assert tenant_key("t1", "UNIT", "01ABC") == "T#t1#UNIT#01ABC"
    assert tenant_key("t1", "BILL", 2026, 7) == "T#t1#BILL#2026#7"


def test_empty_last_part_leaves_a_begins_with_prefix():
    assert tenant_key("t1", "TICKET", "") == "T#t1#TICKET#"
    assert tenant_prefix("t1") == "T#t1#"


@pytest.mark.parametrize("tenant", ["", "a#b"])
def test_tenant_key_refuses_empty_or_separator_tenants(tenant: str):
    with pytest.raises(ValueError, match="tenant_id"):
        tenant_key(tenant, "UNIT")


def test_tenant_key_refuses_parts_containing_the_separator():
    with pytest.raises(ValueError, match="must not contain"):
        tenant_key("t1", "UNIT", "a#b")


def test_strip_tenant_returns_the_rest_of_the_key():
    assert strip_tenant("T#t1#UNIT#01ABC", "t1") == "UNIT#01ABC"


@pytest.mark.parametrize("key", ["T#t2#UNIT#01ABC", "T#t10#UNIT", "UNIT#01ABC"])
def test_strip_tenant_refuses_another_tenants_key(key: str):
    with pytest.raises(ValueError, match="tenant"):
        strip_tenant(key, "t1")


def test_conditional_check_failure_becomes_conflict():
    with (
        pytest.raises(Conflict, match="ticket is already closed"),
        translate_conditional_failures("ticket is already closed"),
    ):
        raise client_error("ConditionalCheckFailedException")


def test_transaction_cancelled_by_a_condition_becomes_conflict():
    err = client_error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "failed"}],
    )
    with pytest.raises(Conflict) as caught, translate_conditional_failures("phone already registered"):
        raise err
    assert caught.value.__cause__ is err


def test_transaction_reasons_are_read_from_the_message_when_not_structured():
    err = client_error(
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ConditionalCheckFailed]",
    )
    assert cancellation_reasons(err) == ["None", "ConditionalCheckFailed"]
    with pytest.raises(Conflict), translate_conditional_failures("taken"):
        raise err


def test_transaction_cancelled_for_other_reasons_is_not_a_conflict():
    err = client_error("TransactionCanceledException", CancellationReasons=[{"Code": "TransactionConflict"}])
    with pytest.raises(ClientError) as caught, translate_conditional_failures("x"):
        raise err
    assert caught.value is err


def test_other_errors_pass_through_unchanged():
    err = client_error("ProvisionedThroughputExceededException")
    with pytest.raises(ClientError) as caught, translate_conditional_failures("x"):
        raise err
    assert caught.value is err
    with pytest.raises(KeyError), translate_conditional_failures("x"):
        raise KeyError("not AWS")


def test_nothing_happens_without_an_error():
    with translate_conditional_failures("x"):
        value = 1
    assert value == 1


def test_page_defaults_to_an_empty_last_page():
    page: Page[str] = Page()
    assert page.items == []
    assert page.next_cursor is None
