"""TOTP for managers, finance and platform operators: a token of those roles without the mark is refused."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Response

from courtyard.api import CourtyardResolver, build_resolver
from courtyard.mfa import MfaRequired, require_mfa
from courtyard.tenancy import Role
from tests.factories import api_event, claims, lambda_context


@pytest.mark.parametrize("role", [Role.MANAGER, Role.FINANCE, Role.PLATFORM_ADMIN])
def test_a_role_that_needs_totp_is_refused_without_the_mark(role: Role) -> None:
    with pytest.raises(MfaRequired):
        require_mfa({role}, {"sub": "u"})
    with pytest.raises(MfaRequired):
        require_mfa({Role.GUARD, role}, {"sub": "u", "mfa": "sms"})
    require_mfa({role}, {"sub": "u", "mfa": "totp"})


@pytest.mark.parametrize("role", [Role.SERVICE_DESK, Role.TECHNICIAN, Role.GUARD, Role.RESIDENT])
def test_other_roles_may_sign_in_without_totp(role: Role) -> None:
    require_mfa({role}, {"sub": "u"})


def _app() -> CourtyardResolver:
    app = build_resolver("mfa-probe", tenant_lookup=None)

    @app.get("/probe")
    def probe() -> Response[str]:
        return Response(status_code=200, content_type="text/plain", body=app.tenant().tenant_id)

    return app


def _call(token_claims: dict[str, str]) -> dict[str, object]:
    return dict(_app().resolve(api_event("GET", "/probe", claims=token_claims), lambda_context()))


def test_the_resolver_refuses_a_manager_token_without_totp_on_every_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUIRE_MFA", "true")
    without = claims(roles=(Role.MANAGER,))
    del without["mfa"]

    refused = _call(without)
    allowed = _call(claims(roles=(Role.MANAGER,)))
    guard = _call({k: v for k, v in claims(roles=(Role.GUARD,)).items() if k != "mfa"})

    assert refused["statusCode"] == 403
    assert json.loads(str(refused["body"]))["error"]["code"] == "mfa_required"
    assert (allowed["statusCode"], guard["statusCode"]) == (200, 200)


def test_a_stage_that_turns_enforcement_off_accepts_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUIRE_MFA", "false")
    without = claims(roles=(Role.FINANCE,))
    del without["mfa"]

    assert _call(without)["statusCode"] == 200
