"""template.yaml and the functions' resolvers must list the same routes: neither may drift from the other."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from infra.local.template import ApiEvent, load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
API_FUNCTIONS = [f for f in TEMPLATE.functions() if f.events_of(ApiEvent)]


def resolver_routes(handler_path: str) -> set[tuple[str, str]]:
    module = importlib.import_module(handler_path.rpartition(".")[0])
    schema = module.app.get_openapi_schema()
    return {
        (path, method.upper())
        for path, item in (schema.paths or {}).items()
        for method in ("get", "put", "post", "delete", "patch", "head", "options")
        if getattr(item, method, None) is not None
    }


def test_there_are_api_functions_to_check():
    assert API_FUNCTIONS


@pytest.mark.parametrize("function", API_FUNCTIONS, ids=lambda f: f.logical_id)
def test_every_template_route_is_served_and_every_served_route_is_in_the_template(function):
    declared = {(e.path, e.method) for e in function.events_of(ApiEvent)}
    served = resolver_routes(function.handler)
    assert declared - served == set(), "in template.yaml but no route in the resolver"
    assert served - declared == set(), "in the resolver but not wired in template.yaml"


# The routes that answer without a token, each for its reason: a health check; the visitor-pass public keys
# that offline gates verify with; the visitor's view of a pass, whose signed token in the body is the
# credential; an SMS's short link, whose unguessable code is the credential; payment providers'
# webhooks, which prove themselves by their signature.
PUBLIC_ROUTES = {
    ("/health", "GET"),
    ("/passes/keys", "GET"),
    ("/passes/view", "POST"),
    ("/links/{code}", "GET"),
    ("/payments/webhooks/stripe", "POST"),
    ("/payments/webhooks/sandbox", "POST"),
    # The telephony provider's call reports: verified by their signature (X-Voice-Signature).
    ("/voice/callbacks", "POST"),
    # WeChat Pay / Alipay notifications: verified with the firm's keys the path names.
    ("/payments/webhooks/{provider}/{account}", "POST"),
    # Residents' identity: the caller has no token yet (the password, the texted code or the refresh token
    # is the credential, each rate-limited); the JWKS is public by design.
    ("/identity/sign-up", "POST"),
    ("/identity/sign-in", "POST"),
    ("/identity/confirm", "POST"),
    ("/identity/reset", "POST"),
    ("/identity/reset/finish", "POST"),
    ("/identity/refresh", "POST"),
    ("/identity/jwks", "GET"),
    # WeChat sign-in: the code WeChat handed the app is the credential (used once, failures rate-limited).
    ("/identity/wechat/sign-in", "POST"),
    # The first WeChat sign-in's phone proof: the WeChat ticket and the texted code are the credentials.
    ("/identity/wechat/phone", "POST"),
    ("/identity/wechat/phone/confirm", "POST"),
}


def test_only_declared_public_routes_skip_the_authorizer():
    public = {(e.path, e.method) for f in API_FUNCTIONS for e in f.events_of(ApiEvent) if e.auth_none}
    assert ("/health", "GET") in public
    assert public <= PUBLIC_ROUTES
