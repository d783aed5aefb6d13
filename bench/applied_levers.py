"""Levers the product applies (issue 18), each priced before -> after from the same run (bench/cost.py).

- **The home keeps its parts** (web/mobile/src/composables/homeCache.ts): the run measures a resident's month
  of opens as the app makes them now (bench/app_opens.py) and, apart, opens that fetch every part each time
  (what the home did before); both priced the same way, edge included.
- **API traces**: X-Ray records the template's ``ApiTraceRate`` of API requests (no reservoir); before, 5 %.
  One percent of a 100-community deployment's requests is still over a hundred thousand traces a month,
  enough for every route's latency and the service map; errors do not depend on traces (they are always
  logged, and the API's alarms count them).
- **WeChat ahead of SMS** (functions/notifications/channel_ladder.py, issue 18): a message that would have
  followed a person to SMS goes by a free WeChat service-account message when their WeChat is linked
  (``WECHAT_SHARE`` of residents), and routine progress no longer texts anyone; priced from the tickets'
  sample (run at that share): its WeChat messages and texts.
"""

from __future__ import annotations

from bench import app_opens, prices
from bench.cost_levers import Lever
from bench.identity_cost import WECHAT_SHARE

TRACE_RATE_BEFORE = 0.05


def home_cache(before_usd: float, after_usd: float) -> Lever:
    return Lever(
        "the home keeps what it showed (a freshness window per part, refetched when due, on pull-to-refresh, "
        "a part's page, a change or a push)",
        before_usd,
        after_usd,
        True,
        f"measured: {app_opens.uncached_requests()} -> {app_opens.month_requests()} API requests "
        f"a resident's month of {app_opens.OPENS_PER_RESIDENT} opens ({app_opens.describe()}); "
        "tests/ui/test_mobile_home_cache.py counts them in the browser",
    )


def api_traces(requests: float, rate: float) -> Lever:
    price = prices.PRICES["xray.traces"]
    return Lever(
        f"X-Ray traces {TRACE_RATE_BEFORE:.0%} -> {rate:.0%} of API requests (template ApiTraceRate)",
        price.cost(TRACE_RATE_BEFORE * requests),
        price.cost(rate * requests),
        rate < TRACE_RATE_BEFORE,
        f"{requests:,.0f} gateway requests a month; a 100-community deployment still records "
        f"{rate * requests * 100:,.0f} traces a month; errors are logged whatever is traced",
    )


def wechat_ahead_of_sms(texts: float, wechat_messages: float) -> Lever:
    price = prices.PRICES["sms.cn"]
    return Lever(
        f"WeChat service-account messages ahead of SMS ({WECHAT_SHARE:.0%} of residents linked); SMS "
        "only for the steps a person acts on",
        price.cost(texts + wechat_messages),
        price.cost(texts),
        True,
        f"measured on the tickets: {wechat_messages:,.0f} WeChat messages (free) and {texts:,.0f} texts a "
        "month; before, each of those WeChat messages was a text (at least: the routine progress now kept in "
        "the inbox for people with neither push nor WeChat is not counted); notifications/channel_ladder.py",
    )
