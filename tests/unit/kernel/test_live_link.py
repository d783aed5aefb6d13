"""The condition a resident's write carries on their live unit link (courtyard/live_link.py, issue 17)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from courtyard.dynamo import translate_conditional_failures
from courtyard.errors import Conflict
from courtyard.live_link import LiveLink, LiveLinks, ResidencyEnded

LINK = LiveLink("t1", "r1", "u1")


class Cache:
    def __init__(self) -> None:
        self.forgotten: list[tuple[str, str]] = []

    def forget_links(self, tenant_id: str, resident_id: str) -> None:
        self.forgotten.append((tenant_id, resident_id))


def refused(*reasons: str) -> Conflict:
    """The Conflict a feature's table raises for a transaction cancelled with ``reasons`` (request order)."""
    error = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in reasons],
        },
        "TransactWriteItems",
    )
    try:
        with translate_conditional_failures("already exists"):
            raise error
    except Conflict as conflict:
        return conflict
    raise AssertionError("not translated")


def test_the_check_names_the_residents_side_of_the_link_in_the_directory_table():
    check = LiveLinks("directory").check(LINK)["ConditionCheck"]

    assert check == {
        "TableName": "directory",
        "Key": {"pk": {"S": "T#t1#RES#r1"}, "sk": {"S": "UNIT#u1"}},
        "ConditionExpression": "attribute_exists(pk)",
    }


def test_a_family_proxys_link_is_checked_on_its_proxy_item():
    check = LiveLinks("directory").check(LiveLink("t1", "r1", "u1", proxy=True))["ConditionCheck"]

    assert check["Key"] == {"pk": {"S": "T#t1#RES#r1"}, "sk": {"S": "PROXY#u1"}}


def test_a_transaction_refused_on_the_last_action_is_residency_ended_and_forgets_the_links():
    cache = Cache()

    ended = LiveLinks("directory", cache).refusal(LINK, refused("None", "None", "ConditionalCheckFailed"))

    assert isinstance(ended, ResidencyEnded)
    assert (ended.status, ended.code) == (403, "residency_ended")
    assert cache.forgotten == [("t1", "r1")]


def test_a_write_refused_for_its_own_condition_is_not_a_move_out():
    cache = Cache()
    links = LiveLinks("directory", cache)

    assert links.refusal(LINK, refused("ConditionalCheckFailed", "None", "None")) is None
    assert links.refusal(LINK, Conflict("taken")) is None
    assert cache.forgotten == []
