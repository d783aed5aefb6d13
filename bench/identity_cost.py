"""Identity's month, priced explicitly (issue 18): residents on Courtyard's own identity service, staff on
Cognito at the tier template.yaml declares (``UserPoolTier``).

The local cloud's sample does not sign residents in (the demo's tokens are minted once), so identity is a
model, every line of it marked as an estimate: its Lambda (refresh, authorizer, scrypt sign-ins, WeChat
sign-ins), DynamoDB (keys per call from ``functions/identity/repository.py``), API Gateway requests of the
refresh and sign-in routes, and the SMS of codes at a stated rate: WeChat is the default sign-in for a stated
share of residents (``WECHAT_SHARE``), who need a code only to prove their phone once.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench import prices

# A resident opens the app 20 times a month (bench/workload.md); the access token (15 min) has expired by
# the next open, so each open spends one refresh, and the new token is one authorizer call (cached 5 min).
OPENS_PER_RESIDENT = 20.0
# SMS codes per resident and month: a new phone every two years (1/24), move-ins signing up (2 % a month),
# password resets (0.5 %). Refresh tokens live 90 days and devices stay known a year, so a code is rare.
SMS_PER_RESIDENT = 1 / 24 + 0.02 + 0.005
# Stated rate of one SMS to a mainland number: a domestic provider's list price, 0.045 yuan (about 0.0063
# USD; e.g. Alibaba Cloud SMS). AWS End User Messaging's China rate is several times that: check before
# quoting, and send codes through the cheaper provider.
SMS_USD = prices.PRICES["sms.cn"].usd
# Per refresh (identity/service.py): reads of the token, the account pointer, the account and the family
# (strongly consistent: 1 RRU each), writes of the spent mark and the new token (1 WRU each).
REFRESH_RRU, REFRESH_WRU = 4.0, 2.0
# Per sign-in with a code: limits (2), code (2), device (1), account (1), token (1) writes; 4 reads.
SIGN_IN_RRU, SIGN_IN_WRU = 4.0, 7.0
# Lambda at the template's 512 MB: refresh and authorizer about 30 ms warm; a sign-in's scrypt about 150 ms.
MEMORY_GB = 0.5
REFRESH_S, AUTHORIZER_S, SIGN_IN_S = 0.030, 0.010, 0.150
# WeChat sign-in is the residents' default path (issue 18): the app leads with 「微信一键登录」
# (web/mobile/src/pages/SignIn.vue) and WeChat's web OAuth comes back to the app's WeChatCallback.vue
# (server: functions/identity/wechat.py). WECHAT_SHARE is a stated 80 %, not a measurement (no production
# traffic yet): residents who use WeChat daily and open the app inside it; the rest keep the phone sign-in
# (no WeChat, another browser, or their choice). The headline month uses it, since WeChat is now the default.
WECHAT_SHARE = 0.8
# A WeChat resident needs one texted code in their life here: the first WeChat sign-in proves the phone
# (a move-in, SIGN_UPS_PER_RESIDENT). A new phone keeps the WeChat account, and no password means no reset.
# (WeChat's own phone-number check, 0.03 CNY, is a mini-program API: the web OAuth has none, so it is an SMS.)
SIGN_UPS_PER_RESIDENT = 0.02
# WeChat sign-ins a month: when the 90-day refresh token has lapsed (about 1 in 3 residents a month), plus
# the phone and confirm calls of a first sign-in. Each waits on api.weixin.qq.com's code exchange (free).
WECHAT_SIGN_INS_PER_RESIDENT = 1 / 3
WECHAT_SIGN_IN_S = 0.120
# Per WeChat sign-in: reads of the link and the account (2 links + pointer + account), one token write.
WECHAT_RRU, WECHAT_WRU = 4.0, 1.0
STAFF_PER_COMMUNITY = 12.0
COGNITO_FREE_MAU = 10_000.0


@dataclass(frozen=True)
class IdentityMonth:
    lines: list[tuple[str, float]]  # (what, USD per 1,000 households per month), every one an estimate
    residents_usd: float
    staff_usd: float
    tier: str
    staff_mau: float

    @property
    def usd(self) -> float:
        return self.residents_usd + self.staff_usd


def identity_month(
    residents: float,
    communities: int,
    tier: str,
    *,
    wechat_share: float = WECHAT_SHARE,
    http_api: bool = False,
) -> IdentityMonth:
    """``residents``: one community's monthly active residents; staff MAU are the deployment's.
    ``wechat_share`` of residents sign in with WeChat (the default path; 0.0: everyone by phone);
    ``http_api``: priced as an HTTP API. The API Gateway line stays last (the HTTP API lever reads it)."""
    price = prices.PRICES
    refreshes = residents * OPENS_PER_RESIDENT
    on_wechat = residents * wechat_share
    sms = (residents - on_wechat) * SMS_PER_RESIDENT + on_wechat * SIGN_UPS_PER_RESIDENT
    wechat = on_wechat * (WECHAT_SIGN_INS_PER_RESIDENT + 2 * SIGN_UPS_PER_RESIDENT)
    gateway = price["apigw.http_requests" if http_api else "apigw.rest_requests"]
    invocations = 2 * refreshes + sms + wechat
    gb_s = MEMORY_GB * (refreshes * (REFRESH_S + AUTHORIZER_S) + sms * SIGN_IN_S + wechat * WECHAT_SIGN_IN_S)
    lines = [
        (
            f"SMS codes: {sms:,.0f} at {SMS_USD} USD (phone sign-ins' new devices, sign-ups, resets; "
            f"a WeChat resident's one proof of the phone)",
            sms * SMS_USD,
        ),
        (
            f"Lambda: {invocations:,.0f} invocations (refresh, authorizer, sign-ins), {gb_s:,.0f} GB-s",
            price["lambda.requests"].cost(invocations) + price["lambda.gb_s_arm64"].cost(gb_s),
        ),
        (
            "DynamoDB: identity table (refresh rotation, sign-ins, WeChat links, limits)",
            price["dynamodb.rru"].cost(refreshes * REFRESH_RRU + sms * SIGN_IN_RRU + wechat * WECHAT_RRU)
            + price["dynamodb.wru"].cost(refreshes * REFRESH_WRU + sms * SIGN_IN_WRU + wechat * WECHAT_WRU),
        ),
        (
            f"API Gateway: {refreshes + sms + wechat:,.0f} identity requests ({wechat:,.0f} WeChat)",
            gateway.cost(refreshes + sms + wechat),
        ),
    ]
    staff_mau = STAFF_PER_COMMUNITY * communities
    key = "cognito.mau_lite" if tier.upper() == "LITE" else "cognito.mau_essentials"
    # The deployment's staff MAU above the free tier, shared by its communities.
    staff_usd = price[key].cost(max(0.0, staff_mau - COGNITO_FREE_MAU)) / communities
    return IdentityMonth(lines, sum(usd for _, usd in lines), staff_usd, tier, staff_mau)
