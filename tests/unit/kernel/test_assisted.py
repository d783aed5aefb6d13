"""Assisted mode's bounds as pure rules: the declared routes and the reason an agent must give."""

from __future__ import annotations

import pytest

from courtyard.assisted import ASSISTED_ROUTES, accepts_assistance, assist_reason
from courtyard.errors import Invalid


def test_export_erase_and_account_creation_are_never_assisted():
    for route in (("/me/export", "get"), ("/me/erase", "post"), ("/invites/{code}/accept", "post")):
        assert route not in ASSISTED_ROUTES
        assert not accepts_assistance(*route)


def test_a_declared_route_accepts_assistance_whatever_the_methods_case():
    assert accepts_assistance("/tickets", "POST")
    assert not accepts_assistance("/tickets", "GET")


def test_a_percent_encoded_reason_is_read_as_text():
    assert assist_reason("%E4%BB%A3%E5%AE%A2%E6%8A%A5%E4%BF%AE") == "代客报修"
    assert assist_reason("  called the desk  ") == "called the desk"


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "%20", "x" * 201, "line\nbreak", "call 13812345678", "ID 11010519491231002X"],
)
def test_a_missing_long_or_personal_reason_is_refused(raw: str | None):
    with pytest.raises(Invalid):
        assist_reason(raw)
