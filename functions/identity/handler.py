"""Identity API: residents' sign-up, sign-in, SMS code, password reset, token refresh, sign-out everywhere,
WeChat login (link, sign in, a first sign-in's phone proof),
and the JWKS that verifies the access tokens. Every route but sign-out and the
WeChat link is public (the caller has no token yet); their rules and limits live in ``service.py``,
``wechat.py`` and ``limits.py``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.errors import Forbidden, Unauthorized
from courtyard.tenancy import verified_claims
from identity import wiring
from identity.app import app, logger, metrics, tracer
from identity.models import (
    CodeConfirm,
    JwksOut,
    RefreshRequest,
    ResetFinish,
    ResetStart,
    SignIn,
    SignInOut,
    SignUp,
    WeChatCode,
    WeChatPhone,
    WeChatPhoneConfirm,
)
from identity.wechat import PhoneNeeded


def _ip() -> str:
    return app.current_event.request_context.identity.source_ip or "unknown"


def _accepted() -> Response[Any]:
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body='{"challenge":"sms_code"}'
    )


@app.post("/identity/sign-up", summary="Open an account with a phone number and a password (texts a code)")
def sign_up(body: SignUp) -> Response[Any]:
    wiring.service().sign_up(body.phone, body.password, body.device_id, _ip())
    return _accepted()


@app.post("/identity/sign-in", summary="Sign in; a new device gets challenge sms_code instead of tokens")
def sign_in(body: SignIn) -> SignInOut:
    return SignInOut.from_tokens(wiring.service().sign_in(body.phone, body.password, body.device_id, _ip()))


@app.post("/identity/confirm", summary="The texted code confirms this device (and a new account)")
def confirm(body: CodeConfirm) -> SignInOut:
    return SignInOut.from_tokens(wiring.service().confirm_device(body.phone, body.code, body.device_id))


@app.post("/identity/reset", summary="Text a reset code to the number (same answer for unknown numbers)")
def start_reset(body: ResetStart) -> Response[Any]:
    device = app.current_event.headers.get("x-device-id") or "reset-without-device-id"
    wiring.service().start_reset(body.phone, device, _ip())
    return _accepted()


@app.post("/identity/reset/finish", summary="The texted code sets a new password and ends other sessions")
def finish_reset(body: ResetFinish) -> SignInOut:
    return SignInOut.from_tokens(
        wiring.service().finish_reset(body.phone, body.code, body.password, body.device_id)
    )


@app.post("/identity/refresh", summary="Spend a refresh token for new tokens (a reused one ends the session)")
def refresh(body: RefreshRequest) -> SignInOut:
    return SignInOut.from_tokens(wiring.service().refresh(body.refresh_token))


@app.post("/identity/sign-out-everywhere", summary="End every session of the caller's resident account")
def sign_out_everywhere() -> Response[Any]:
    claims = verified_claims(app.current_event.raw_event)
    if claims.get("identity") != "courtyard":
        raise Unauthorized("only resident accounts of Courtyard identity sign out here")
    wiring.service().sign_out_everywhere(str(claims["sub"]))
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@app.post(
    "/identity/wechat/bind", summary="Link the WeChat of this login code to the caller's resident account"
)
def link_wechat(body: WeChatCode) -> Response[Any]:
    claims = verified_claims(app.current_event.raw_event)
    if not claims.get("sub"):
        raise Unauthorized("sign in first, then link WeChat")
    if claims.get("identity") != "courtyard":
        raise Forbidden("only residents' Courtyard accounts link WeChat")
    wiring.wechat().link(str(claims["sub"]), body.code)
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@app.post(
    "/identity/wechat/sign-in", summary="Sign in with a WeChat login code (a linked WeChat, no SMS code)"
)
def wechat_sign_in(body: WeChatCode) -> SignInOut:
    """Tokens for a linked WeChat; ``challenge`` = ``phone`` and a ``wechat_ticket`` for an unlinked one."""
    outcome = wiring.wechat().sign_in(body.code, _ip())
    if isinstance(outcome, PhoneNeeded):
        return SignInOut.phone_needed(outcome.ticket)
    return SignInOut.from_tokens(outcome)


@app.post(
    "/identity/wechat/phone",
    summary="Text a code to the phone a first WeChat sign-in names (the ticket of /identity/wechat/sign-in)",
)
def wechat_phone(body: WeChatPhone) -> Response[Any]:
    wiring.wechat().text_code(body.wechat_ticket, body.phone, _ip())
    return _accepted()


@app.post(
    "/identity/wechat/phone/confirm",
    summary="The texted code proves the phone: its account is linked to the WeChat and signed in",
)
def wechat_phone_confirm(body: WeChatPhoneConfirm) -> SignInOut:
    return SignInOut.from_tokens(
        wiring.wechat().confirm_phone(body.wechat_ticket, body.phone, body.code, body.device_id)
    )


@app.get("/identity/jwks", summary="The public keys that verify resident access tokens (JWKS)")
def jwks() -> JwksOut:
    return JwksOut.model_validate(wiring.signing_keys().jwks())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Requests carry phone numbers and passwords: X-Ray must not record them.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
