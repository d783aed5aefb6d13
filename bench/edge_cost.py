"""The edge in front of the API, priced (issue 18): AWS WAF and the CloudFront distribution.

- **CloudFront**: the apps call the API on their own origin, so every API request goes through the web
  distribution's ``/api/*`` behaviour (template.yaml ``WebDistribution``: caching disabled, every answer is
  per caller) and its viewer-request CloudFront Function (``WebApiPrefixFunction``, which strips the prefix).
  Each is an HTTPS request, a function invocation, the answer's bytes out to the phone and the request's bytes
  to the origin. Bodies are metered at the local gateway (``apigw.bytes_in``/``apigw.bytes_out``, before
  compression: an upper bound); headers are a stated allowance. The free tier (10 M requests, 1 TB) is
  ignored like every other (``bench/prices.py``): a deployment of 100 communities outgrows it.
- **AWS WAF**: the API stage's web ACL (``ApiWebAcl``) inspects every API request; the distribution's web ACL
  (``infra/waf-cloudfront.yaml``) too when ``CloudFrontWebAclArn`` is set. Requests are the community's;
  the ACL-months and rule-months (a managed rule group counts as one rule) are the deployment's fixed charge.
  The rules stay under WAF's 1,500 capacity units, so no capacity surcharge applies.
- Identity's requests (bench/identity_cost.py, a model: one refresh per open) go through the same edge; they
  are added here as a modelled quantity.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import prices

ROOT = Path(__file__).resolve().parents[1]
CLOUDFRONT_WAF_TEMPLATE = ROOT / "infra" / "waf-cloudfront.yaml"
# A deployment that sets CloudFrontWebAclArn (the local cloud cannot: the ACL lives in us-east-1's CLOUDFRONT
# scope) is priced with it by giving the bench the same ARN.
CLOUDFRONT_WAF_ENV = "COURTYARD_CLOUDFRONT_WEB_ACL_ARN"
# Header bytes per request, beyond the metered bodies: to the origin the Authorization bearer token (about
# 900 bytes), the user agent and the accept headers; back to the phone the status line and response headers.
REQUEST_HEADER_BYTES = 1_400
RESPONSE_HEADER_BYTES = 500

Add = Callable[..., None]


@dataclass(frozen=True)
class WebAcl:
    name: str  # the logical id, or the separate stack's
    rules: int
    front: str  # what it protects


def _rules(resource: Mapping[str, Any]) -> int:
    return len((resource.get("Properties") or {}).get("Rules") or [])


def cloudfront_acl_set(template: Any) -> bool:
    """Whether the distribution has a web ACL: the parameter's default, or the ARN given to the bench."""
    default = (template.parameter_definitions.get("CloudFrontWebAclArn") or {}).get("Default") or ""
    return bool(default or os.environ.get(CLOUDFRONT_WAF_ENV))


def web_acls(template: Any, cloudfront: bool | None = None) -> list[WebAcl]:
    """The web ACLs a deployment of ``template`` pays for: its own, and the distribution's when set."""
    acls = [
        WebAcl(logical_id, _rules(resource), "API stage")
        for logical_id, resource in template.resources_of_type("AWS::WAFv2::WebACL").items()
    ]
    if cloudfront if cloudfront is not None else cloudfront_acl_set(template):
        acls += cloudfront_acls()
    return acls


def cloudfront_acls() -> list[WebAcl]:
    """The distribution's web ACL, from its own stack (infra/waf-cloudfront.yaml)."""
    from infra.local.template import load_yaml

    stack = load_yaml(CLOUDFRONT_WAF_TEMPLATE.read_text(encoding="utf-8"))
    return [
        WebAcl(f"waf-cloudfront {logical_id}", _rules(resource), "CloudFront distribution")
        for logical_id, resource in (stack.get("Resources") or {}).items()
        if resource.get("Type") == "AWS::WAFv2::WebACL"
    ]


def unset_acl_note(acls: list[WebAcl], requests: float, communities: int) -> str:
    """What the distribution's web ACL would add when the deployment leaves it out ("" when it is priced)."""
    if any(acl.front == "CloudFront distribution" for acl in acls):
        return ""
    extra = cloudfront_acls()
    per_request = prices.PRICES["waf.requests"].cost(requests * len(extra))
    fixed = sum(prices.PRICES[key].cost(n) for key, n in acl_months(extra).items())
    return (
        f"CloudFrontWebAclArn is not set, so the distribution's web ACL (infra/waf-cloudfront.yaml) is not "
        f"priced; with it: +{per_request + fixed / communities:.2f} per community at {communities} "
        f"communities, +{per_request + fixed:.2f} alone (set {CLOUDFRONT_WAF_ENV} to price it in)"
    )


def add_edge(
    usage: Mapping[str, float], add: Add, acls: list[WebAcl], identity_requests: float = 0.0
) -> None:
    """The per-request edge lines of ``usage`` (its gateway requests and bytes) and of identity's requests."""
    for requests, whose, estimate in (
        (usage.get("apigw", 0.0), "API requests", False),
        (identity_requests, "identity's requests (modelled: bench/identity_cost.py)", True),
    ):
        if requests <= 0:
            continue
        add(
            "cloudfront.https_requests",
            f"{whose} through the distribution (/api/*, not cached)",
            requests,
            estimate,
        )
        add("cloudfront.function_invocations", f"{whose}: the /api/* prefix function", requests, estimate)
        for acl in acls:
            add("waf.requests", f"{whose} inspected by {acl.name} ({acl.front})", requests, estimate)
    requests = usage.get("apigw", 0.0) + identity_requests
    if requests <= 0:
        return
    out = usage.get("apigw.bytes_out", 0.0) + RESPONSE_HEADER_BYTES * requests
    into = usage.get("apigw.bytes_in", 0.0) + REQUEST_HEADER_BYTES * requests
    what = "bodies metered uncompressed + {} header bytes a request"
    add("cloudfront.data_out_gb", what.format(RESPONSE_HEADER_BYTES) + " (to the phones)", out / 1e9, True)
    add("cloudfront.data_to_origin_gb", what.format(REQUEST_HEADER_BYTES) + " (to the API)", into / 1e9, True)


def acl_months(acls: list[WebAcl]) -> dict[str, float]:
    """The deployment's fixed WAF charge: price key -> months."""
    return {"waf.web_acl_month": float(len(acls)), "waf.rule_month": float(sum(acl.rules for acl in acls))}
