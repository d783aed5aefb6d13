"""Samples weighted to WeChat's stated share of residents (bench/wechat_share.py, issue 18)."""

from __future__ import annotations

import pytest

from bench import identity_cost
from bench.wechat_share import at_share


def test_one_occurrence_at_the_stated_share():
    # Unlinked: 2 occurrences, each one text; linked: 4 occurrences, each one WeChat message.
    got = at_share({"sms": 2.0, "fn": 4.0}, 2, {"wechat.messages": 4.0, "fn": 8.0}, 4, share=0.8)
    assert got == pytest.approx({"sms": 0.2, "wechat.messages": 0.8, "fn": 2.0})


def test_the_default_share_is_identitys_stated_one():
    got = at_share({"sms": 1.0}, 1, {}, 1)
    assert got["sms"] == pytest.approx(1.0 - identity_cost.WECHAT_SHARE)


def test_a_linked_only_sample_would_leave_the_texts_out():
    # What the month did before: the sample's resident linked, no text at all.
    assert "sms" not in at_share({}, 1, {"wechat.messages": 1.0}, 1, share=1.0)


@pytest.mark.parametrize("samples", [(0, 1), (1, 0)])
def test_a_part_that_did_not_run_is_an_error(samples):
    with pytest.raises(ValueError, match="must have run"):
        at_share({"sms": 1.0}, samples[0], {"sms": 1.0}, samples[1])


def test_a_share_outside_zero_to_one_is_an_error():
    with pytest.raises(ValueError, match="not a fraction"):
        at_share({}, 1, {}, 1, share=1.2)
