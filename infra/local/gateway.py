"""API Gateway for the template's ``Api`` events: Chalice's local server, our authorizer, REST proxy events.

Chalice matches routes and answers unknown ones as API Gateway does (403 "Missing Authentication Token").
Its event is not a full REST proxy event, so it is rebuilt here; its own Cognito authorizer does not verify
tokens, so ours does (401 without or with a bad token).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Chalice, Response
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

from infra.local.auth import CognitoVerifier, EitherVerifier, TokenRejected, api_gateway_claims

log = logging.getLogger("courtyard.local.gateway")

# Chalice refuses bodies whose content type a route did not declare; API Gateway passes them through.
_CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "text/csv",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/octet-stream",
    "application/xml",
]


@dataclass(frozen=True)
class Route:
    function_id: str
    path: str
    method: str
    authorized: bool


Invoke = Callable[[str, dict[str, Any], str], Any]


class LocalApiGateway:
    def __init__(
        self,
        routes: list[Route],
        invoke: Invoke,
        verifier: CognitoVerifier | EitherVerifier,
        stage: str = "dev",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._routes = routes
        self._invoke = invoke
        self._verifier = verifier
        self._stage = stage
        self._host = host
        self._port = port
        self.requests = 0
        # Body bytes in and out (bench/edge_cost.py prices what the CloudFront distribution carries).
        self.bytes_in = 0
        self.bytes_out = 0
        self._count_lock = threading.Lock()
        self._server: LocalDevServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self._host}:{self._server.server.server_address[1]}"

    def start(self) -> str:
        app = self._build_app()
        config = Config.create(chalice_stage=self._stage, app_name="courtyard", lambda_timeout=30)
        # What chalice.local.create_local_server does, with a request handler that logs quietly.
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
        self._server = LocalDevServer(app, config, self._host, self._port, handler_cls=_QuietRequestHandler)
        self._thread = threading.Thread(target=self._server.server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server.server_close()
            self._server = None

    def _build_app(self) -> Chalice:
        app = Chalice(app_name="courtyard-local-gateway")
        by_path: dict[str, list[Route]] = {}
        for route in self._routes:
            by_path.setdefault(route.path, []).append(route)
        for path, routes in by_path.items():
            for route in routes:
                app.route(
                    path,
                    methods=[route.method],
                    content_types=_CONTENT_TYPES,
                    name=f"{route.function_id}_{route.method}_{path}",
                )(self._view(app, route))
        return app

    def _view(self, app: Chalice, route: Route) -> Callable[..., Response]:
        def view(**_path_params: str) -> Response:
            with self._count_lock:
                self.requests += 1
            assert app.current_request is not None
            raw = app.current_request.to_original_event()
            request_id = str(uuid.uuid4())
            claims: dict[str, str] | None = None
            if route.authorized:
                try:
                    claims = api_gateway_claims(self._verifier.verify(_header(raw, "authorization")))
                except TokenRejected as rejected:
                    log.info("401 for %s %s: %s", route.method, route.path, rejected)
                    return _gateway_error(401, "Unauthorized", request_id)
            event = proxy_event(raw, route, self._stage, request_id, claims)
            try:
                result = self._invoke(route.function_id, event, request_id)
            except Exception:
                log.exception("integration failure for %s %s", route.method, route.path)
                return _gateway_error(502, "Internal server error", request_id)
            response = _to_response(result, request_id)
            with self._count_lock:
                self.bytes_in += _size(raw.get("body"))
                self.bytes_out += _size(response.body)
            return response

        view.__name__ = f"view_{route.function_id}_{route.method}"
        return view


class _QuietRequestHandler(ChaliceRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def proxy_event(
    raw: dict[str, Any], route: Route, stage: str, request_id: str, claims: dict[str, str] | None
) -> dict[str, Any]:
    """Rebuild the REST (v1) proxy event API Gateway sends, from Chalice's partial one."""
    context = raw.get("requestContext", {})
    full_path = context.get("path") or "/"
    path, _, query = full_path.partition("?")
    headers: dict[str, str] = dict(raw.get("headers") or {})
    multi_query = raw.get("multiValueQueryStringParameters") or (parse_qs(query) if query else None)
    raw_body: str | bytes | None = raw.get("body")
    is_base64 = bool(raw.get("isBase64Encoded"))
    body = raw_body if not isinstance(raw_body, bytes) else _text_or_base64(raw_body)
    if isinstance(raw_body, bytes) and body is not None and not _is_utf8(raw_body):
        is_base64 = True
    now = time.time()
    request_context: dict[str, Any] = {
        "resourcePath": route.path,
        "httpMethod": route.method,
        "path": f"/{stage}{path}",
        "stage": stage,
        "requestId": request_id,
        "extendedRequestId": request_id,
        "accountId": "123456789012",
        "apiId": "local",
        "resourceId": "local",
        "protocol": "HTTP/1.1",
        "domainName": headers.get("host", "localhost"),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "identity": {
            "sourceIp": context.get("identity", {}).get("sourceIp", "127.0.0.1"),
            "userAgent": headers.get("user-agent"),
        },
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": route.method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} if multi_query else None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": raw.get("pathParameters") or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _size(body: Any) -> int:
    """A body's length in bytes (text as UTF-8; nothing is 0)."""
    if body is None:
        return 0
    return len(body.encode("utf-8")) if isinstance(body, str) else len(body)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _text_or_base64(data: bytes) -> str:
    # API Gateway passes text bodies as they are and binary ones base64-encoded.
    return data.decode("utf-8") if _is_utf8(data) else base64.b64encode(data).decode("ascii")


def _header(raw: dict[str, Any], name: str) -> str | None:
    headers = raw.get("headers") or {}
    value = headers.get(name)
    return str(value) if value is not None else None


def _gateway_error(status: int, message: str, request_id: str) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    return Response(
        body=json.dumps({"message": message}),
        status_code=status,
        headers=headers,
    )


def _to_response(result: Any, request_id: str) -> Response:
    if not isinstance(result, dict) or "statusCode" not in result:
        return _gateway_error(502, "Internal server error", request_id)
    headers: dict[str, str | list[str]] = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if values:
            headers[str(name)] = ",".join(str(v) for v in values)
    headers.setdefault("x-amzn-RequestId", request_id)
    body = result.get("body")
    if result.get("isBase64Encoded") and isinstance(body, str):
        payload: str | bytes = base64.b64decode(body)
    else:
        payload = body if body is not None else ""
    return Response(body=payload, status_code=int(result["statusCode"]), headers=headers)
