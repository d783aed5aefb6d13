"""GET /me in a warm container: one AWS call (issue 18), and what it still reads fresh."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.integration.calls import warm_calls

# The resident and their firm, as test_me builds them (fixtures).
from tests.integration.directory.test_me import Call, manager, resident, tenant  # noqa: F401


def test_get_me_is_one_aws_call_when_warm(call: Call, resident: dict[str, Any]) -> None:  # noqa: F811
    # The token names the person (person_id), as Courtyard identity's tokens do.
    me = replace(resident["caller"], person_id=resident["resident_id"])
    reply, calls = warm_calls(lambda: call("GET", "/me", as_=me))

    assert reply.status == 200
    assert reply.body["person"]["name"] == "陈业主"
    assert reply.body["person"]["units"][0]["unit_id"] == resident["unit_id"]
    assert calls.total <= 1, calls.calls
