"""The edge in front of the API, priced (bench/edge_cost.py): CloudFront and AWS WAF per request, the web
ACLs' months as the deployment's fixed charge, the distribution's ACL only when the deployment sets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import cost, edge_cost, prices
from infra.local.template import load_template

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


def test_the_templates_api_acl_is_priced_and_the_distributions_only_when_set(monkeypatch):
    template = load_template(TEMPLATE)
    monkeypatch.delenv(edge_cost.CLOUDFRONT_WAF_ENV, raising=False)
    [api] = edge_cost.web_acls(template)
    assert (api.name, api.rules, api.front) == ("ApiWebAcl", 3, "API stage")
    monkeypatch.setenv(edge_cost.CLOUDFRONT_WAF_ENV, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1")
    acls = edge_cost.web_acls(template)
    assert [acl.front for acl in acls] == ["API stage", "CloudFront distribution"]
    assert acls[1].rules == 3


def test_every_api_request_pays_cloudfront_its_function_and_each_acls_inspection():
    acls = [edge_cost.WebAcl("Api", 3, "API stage"), edge_cost.WebAcl("Web", 3, "CloudFront distribution")]
    usage = {"apigw": 1_000_000.0, "apigw.bytes_out": 1e9, "apigw.bytes_in": 0.0}
    lines = cost.lines_of(usage, {}, modelled=False, acls=acls)
    usd = {
        service: sum(line.usd for line in lines if line.service == service)
        for service in ("WAF", "CloudFront")
    }
    assert usd["WAF"] == pytest.approx(2 * 0.60)
    out_gb = (1e9 + edge_cost.RESPONSE_HEADER_BYTES * 1e6) / 1e9
    to_origin_gb = edge_cost.REQUEST_HEADER_BYTES * 1e6 / 1e9
    assert usd["CloudFront"] == pytest.approx(
        1.20 + 0.10 + out_gb * 0.120 + to_origin_gb * prices.PRICES["cloudfront.data_to_origin_gb"].usd
    )
    # The requests are counted at the gateway (measured); only the bytes carry an allowance (modelled).
    requests = next(line for line in lines if line.unit.startswith("HTTPS request"))
    assert not requests.estimate


def test_identitys_requests_go_through_the_same_edge_marked_as_modelled():
    acls = [edge_cost.WebAcl("Api", 3, "API stage")]
    lines = cost.lines_of({}, {}, acls=acls, identity_requests=30_000.0, devices=0)
    waf = [line for line in lines if line.service == "WAF"]
    assert [line.quantity for line in waf] == [30_000.0]
    assert all(line.estimate for line in waf)


def test_the_web_acls_months_are_the_deployments_fixed_charge():
    acls = [edge_cost.WebAcl("Api", 3, "API stage")]
    result = cost.summarise(
        [], {}, kms_keys=0, secrets=0, monthly_active_users=12, run_s=1.0, communities=100, acls=acls
    )
    fixed = [line for line in result.lines if line["service"] == "WAF" and line["shared"]]
    assert sum(line["usd"] for line in fixed) == pytest.approx(5.00 + 3 * 1.00)
    assert result.deployment_usd == pytest.approx(8.00)
    # Alone on its deployment a community carries the whole ACL; the note prices the unset distribution ACL.
    assert result.alone_usd - result.community_usd == pytest.approx(8.00)
    assert "CloudFrontWebAclArn is not set" in result.edge_note
