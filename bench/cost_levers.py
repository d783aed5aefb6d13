"""Levers on the honest month (issue 18): each printed as before -> after, applied or modelled.

A lever is *applied* when the product already works that way (the month above measured it) and *modelled*
when it prices a change the product has not made yet, from the same run's counters: the table says which.
Every after-figure comes from the run's own quantities (requests, uploads, per-function duration, CPU time
and memory), not from a guessed percentage; the assumptions each one needs are in its ``basis``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bench import cost_model, prices
from bench.identity_cost import WECHAT_SHARE, identity_month
from iot.link import BREAK_EVEN_S, cheaper_mode

MIN_MEMORY_MB = 128
MEMORY_HEADROOM = 1.5  # the memory a function is given over its measured resident size
WAITED_MEMORY_MB = 512  # the Globals' memory, kept by the functions a person waits on


@dataclass(frozen=True)
class Lever:
    what: str
    before: float  # USD per 1,000 households per month, the lever's own lines
    after: float
    applied: bool
    basis: str
    scope: str = "per community"  # or "1 community alone" (a deployment's fixed charges)

    @property
    def saves(self) -> float:
        return self.before - self.after


def right_size(rss_mb: float) -> int:
    """The smallest Lambda memory (64 MB steps from 128) that holds the measured resident size x headroom."""
    return max(MIN_MEMORY_MB, math.ceil(rss_mb * MEMORY_HEADROOM / 64.0) * 64)


def memory_lever(usage: Mapping[str, float], functions: Mapping[str, Any]) -> Lever:
    before = after = 0.0
    moved: list[str] = []
    gb_s = prices.PRICES["lambda.gb_s_arm64"]
    for function_id, meta in functions.items():
        if not usage.get(f"fn:{function_id}") or not getattr(meta, "rss_mb", 0.0):
            continue
        if meta.memory_mb < WAITED_MEMORY_MB:  # right-sized already (applied_levers.async_memory)
            continue
        memory = min(meta.memory_mb, right_size(meta.rss_mb))
        ms_before = cost_model.duration_ms(usage, function_id, meta.memory_mb)
        before += gb_s.cost(prices.gb_seconds(ms_before, meta.memory_mb))
        after += gb_s.cost(prices.gb_seconds(cost_model.duration_ms(usage, function_id, memory), memory))
        if memory != meta.memory_mb:
            moved.append(f"{function_id} {meta.memory_mb}->{memory}")
    basis = (
        "not applied to API functions and the priority lane (the async ones are, above): a smaller share "
        "of a vCPU makes the CPU-bound cold starts 3-4x slower where a person waits; "
        f"memory = measured worker RSS x {MEMORY_HEADROOM} (64 MB steps, at least {MIN_MEMORY_MB}); waiting "
        "time scales with memory, CPU time does not below 1,769 MB (it only gets slower): "
        + (", ".join(moved[:6]) + (" ..." if len(moved) > 6 else "") if moved else "nothing to move")
    )
    what = "Lambda memory right-sized for the waited-on functions too (arm64 already)"
    return Lever(what, before, after, False, basis)


def levers(
    usage: Mapping[str, float],
    functions: Mapping[str, Any],
    *,
    residents: float,
    communities: int,
    tier: str,
    devices: int,
    uploads: float,
    minutes: float,
    index_copies_usd: float,
    fixed: Mapping[str, float],
) -> list[Lever]:
    price = prices.PRICES
    now = identity_month(residents, communities, tier)
    phone_only = identity_month(residents, communities, tier, wechat_share=0.0)
    requests = usage.get("apigw", 0.0)
    out = [
        Lever(
            "SMS codes only on a new device or a reset: devices trusted 365 days, refresh tokens 90 days",
            now.usd,
            now.usd,
            True,
            "functions/identity (repository _DEVICE_SECONDS, tokens.REFRESH_SECONDS): what is left is new "
            "phones (1 in 24 a month), sign-ups (2 %) and resets (0.5 %)",
        ),
        Lever(
            f"WeChat sign-in as the default path ({WECHAT_SHARE:.0%} of residents, stated): one SMS in "
            "their life here, to prove the phone",
            phone_only.usd,
            now.usd,
            True,
            "web/mobile/src/pages/SignIn.vue leads with 「微信一键登录」, pages/WeChatCallback.vue finishes "
            "WeChat's OAuth (functions/identity/wechat.py); the code exchange is free",
        ),
        Lever(
            "an HTTP API with a JWT authorizer instead of the REST API (identity's requests too)",
            price["apigw.rest_requests"].cost(requests)
            + identity_month(residents, communities, tier).lines[-1][1],
            price["apigw.http_requests"].cost(requests)
            + identity_month(residents, communities, tier, http_api=True).lines[-1][1],
            False,
            f"{requests:,.0f} gateway requests a month measured, + identity's refreshes; not applied: "
            "issue 17 needs AWS WAF and a usage plan on the API, which an HTTP API cannot have",
        ),
        Lever(
            "devices connect for each upload instead of staying connected",
            price["iot.connect_minutes"].cost(devices * minutes),
            price["iot.connect_minutes"].cost(uploads) + price["iot.messages"].cost(uploads),
            cheaper_mode(minutes * 60 * devices / uploads) == "per-upload",
            f"{uploads:,.0f} uploads a month, each a CONNECT (metered as a message) + 1 billed minute (the "
            f"minimum), instead of {devices} x {minutes:,.0f} minutes: cheaper only for uploads over "
            f"{BREAK_EVEN_S / 60:g} minutes apart (iot/link.py), so ten-minute uploads stay connected "
            "(the measured line above); a change or an alarm goes out at once either way",
        ),
        memory_lever(usage, functions),
        Lever(
            "index projections KEYS_ONLY/INCLUDE where a full copy is not read",
            index_copies_usd,
            index_copies_usd,
            False,
            "measured: every index copy of the month together; items are under 1 KB, and a write unit is "
            "1 KB, so a keys-only copy costs the same 1 WRU as a full one: no saving at these item sizes",
        ),
    ]
    kms, idle = fixed.get("kms", 0.0), fixed.get("idle", 0.0)
    out += [
        Lever(
            "no stage pass key (StagePassKey=none; its old passes verify from PassRetiredPublicKeys)",
            kms,
            min(kms, price["kms.key_month"].cost(1)),
            False,
            "PiiKey stays customer managed (field encryption calls GenerateDataKey, which an AWS managed key "
            "refuses; it also encrypts the secure parameters); the stage's pass key only verifies old passes "
            "once firms sign: a parameter a new deployment sets, the default keeps an existing key",
            "1 community alone",
        ),
        Lever(
            "EventBridge rules invoke the consumers directly (async, on-failure destination) instead of "
            "through SQS",
            idle,
            0.0,
            False,
            "the SQS event source mappings' idle long polls (5 pollers x 20 s each)",
            "1 community alone",
        ),
    ]
    return out


def as_dicts(found: list[Lever]) -> list[dict[str, Any]]:
    return [{**asdict(lever), "saves": lever.saves} for lever in found]


def table(result: Any) -> list[str]:
    """The levers' lines of the printed month, and the totals with every lever."""
    out = ["  levers (USD per 1,000 households per month: before -> after; = applied, ~ modelled):"]
    for lever in result.lever_lines:
        mark = "=" if lever["applied"] else "~"
        scope = "" if lever["scope"] == "per community" else f" [{lever['scope']}]"
        out.append(
            f"   {mark} {lever['before']:>6.2f} -> {lever['after']:>6.2f} ({-lever['saves']:+.2f}){scope}  "
            f"{lever['what']}"
        )
        out.append(f"       {lever['basis']}")
    target = result.target_usd
    for label, usd in (
        (f"{result.communities} communities per deployment", result.levers_total_usd),
        ("1 community alone on its deployment", result.levers_alone_usd),
    ):
        verdict = "under" if usd < target else "OVER"
        out.append(
            f"  TOTAL WITH IDENTITY and every lever, {label}: {usd:.2f} ({verdict} the {target:.2f} USD)"
        )
    return out
