"""Samples at WeChat's stated share of residents (issue 18): a sample that messages a resident is run for a
resident without WeChat and for one with it, and its usage per occurrence is weighted by ``WECHAT_SHARE``
(imported, never copied), so the residents who get a text instead of a free WeChat message are in the month.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.identity_cost import WECHAT_SHARE


def at_share(
    unlinked: Mapping[str, float],
    unlinked_sample: float,
    linked: Mapping[str, float],
    linked_sample: float,
    share: float = WECHAT_SHARE,
) -> dict[str, float]:
    """Usage of ONE occurrence at ``share`` of residents WeChat-linked: each part's usage per occurrence,
    weighted ``share`` (linked) and ``1 - share`` (unlinked). An empty part is an error, not a zero: a sample
    that did not run must not pull the month down."""
    if unlinked_sample <= 0 or linked_sample <= 0:
        raise ValueError("both the linked and the unlinked sample must have run")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share {share} is not a fraction")
    out: dict[str, float] = {}
    for weight, usage, sample in ((1.0 - share, unlinked, unlinked_sample), (share, linked, linked_sample)):
        for key, value in usage.items():
            out[key] = out.get(key, 0.0) + weight * value / sample
    return out
