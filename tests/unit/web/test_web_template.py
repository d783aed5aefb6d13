"""The template's side of the web apps: what real Cognito and CloudFront would enforce but the local cloud
cannot (moto ignores an app client's ExplicitAuthFlows; there is no CloudFront locally)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.local.template import Template, load_template

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(ROOT / "template.yaml")


def _one(template: Template, kind: str) -> dict[str, Any]:
    (resource,) = template.resources_of_type(kind).values()
    return dict(resource["Properties"])


def test_the_app_client_allows_the_flows_the_web_apps_use(template: Template) -> None:
    client = _one(template, "AWS::Cognito::UserPoolClient")
    # Password sign-in straight against Cognito's API, and refresh before the ID token expires.
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(client["ExplicitAuthFlows"])
    # Sign-out revokes the refresh token (RevokeToken needs revocation on).
    assert client.get("EnableTokenRevocation") is True
    assert client["GenerateSecret"] is False


def test_the_web_bucket_is_private_and_read_only_by_the_distribution(template: Template) -> None:
    bucket = template.resources["WebBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    policy = template.resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (read,) = [s for s in policy if s["Effect"] == "Allow"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert "WebDistribution" in str(read["Condition"]["StringEquals"]["AWS:SourceArn"])


def test_the_distribution_serves_the_apps_and_forwards_api_calls_without_caching(template: Template) -> None:
    config = _one(template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert "OriginAccessControlId" in origins["web"]
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert {"/api/*", "/console/*", "/m/*", "/config.json"} <= set(behaviours)
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    api = behaviours["/api/*"]
    assert api["TargetOriginId"] == "api"
    assert api["CachePolicyId"] == caching_disabled
    assert {"POST", "PATCH", "DELETE"} <= set(api["AllowedMethods"])
    assert behaviours["/config.json"]["CachePolicyId"] == caching_disabled
    for pattern in ("/console/*", "/m/*"):
        assert behaviours[pattern]["TargetOriginId"] == "web"
        assert behaviours[pattern]["FunctionAssociations"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_the_api_prefix_is_stripped_as_the_local_edge_strips_it(template: Template) -> None:
    code = template.resources["WebApiPrefixFunction"]["Properties"]["FunctionCode"]
    assert 'replace(/^\\/api(?=\\/)/, "")' in code


def test_the_api_allows_the_assisted_mode_header(template: Template) -> None:
    cors = template.resources["CourtyardApi"]["Properties"]["Cors"]
    assert "X-On-Behalf-Of" in cors["AllowHeaders"]


def test_the_visitors_share_link_points_at_the_mobile_app_through_a_parameter(template: Template) -> None:
    # The distribution's domain would be a circular reference (the API sits behind it): a parameter instead.
    parameter = template.parameter_definitions["PassShareBaseUrl"]
    assert parameter["Default"].endswith("/m")
    env = template.resources["VisitorsFunction"]["Properties"]["Environment"]["Variables"]
    assert env["PASS_SHARE_BASE_URL"] == {"Ref": "PassShareBaseUrl"}


def test_the_invitations_share_link_points_at_the_mobile_app_through_the_same_parameter(
    template: Template,
) -> None:
    env = template.resources["DirectoryFunction"]["Properties"]["Environment"]["Variables"]
    assert env["APP_BASE_URL"] == {"Ref": "PassShareBaseUrl"}
