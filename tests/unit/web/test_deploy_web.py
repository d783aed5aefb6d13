"""The deploy helper: config.json from the stack's outputs, and the caching each uploaded file gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.deploy_web import config_document, uploads, web_config, wechat_app_id
from infra.local.edge import IMMUTABLE, NO_CACHE


def test_config_json_comes_from_the_stacks_outputs_and_calls_cognito_directly() -> None:
    config = web_config({"UserPoolId": "eu-west-1_abc", "UserPoolClientId": "client"}, "eu-west-1", "prod")
    assert config.userPoolId == "eu-west-1_abc"
    assert config.userPoolClientId == "client"
    assert config.apiBase == "/api"
    assert config.cognitoEndpoint == "https://cognito-idp.eu-west-1.amazonaws.com/"
    assert config.stage == "prod"
    # The console asks for TOTP unless the stack says otherwise.
    assert config.requireMfa is True
    outputs = {"UserPoolId": "eu-west-1_abc", "UserPoolClientId": "client", "RequireMfa": "false"}
    assert web_config(outputs, "eu-west-1", "dev").requireMfa is False


def test_the_wechat_app_id_comes_from_the_login_parameter_and_the_placeholder_offers_no_wechat() -> None:
    class Session:
        def __init__(self, app_id: str) -> None:
            self.app_id = app_id

        def client(self, name: str) -> object:
            session = self

            class Client:
                def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, object]:
                    assert (Name, WithDecryption) == ("/courtyard/prod/wechat-login", True)
                    return {"Parameter": {"Value": json.dumps({"app_id": session.app_id, "app_secret": "s"})}}

            return Client()

    assert wechat_app_id(Session("wx5f2a9c0d1e3b4a67"), "prod") == "wx5f2a9c0d1e3b4a67"
    assert wechat_app_id(Session("wx0000000000000000"), "prod") == ""
    outputs = {"UserPoolId": "p", "UserPoolClientId": "c"}
    config = web_config(outputs, "eu-west-1", "prod", "wx5f2a9c0d1e3b4a67")
    body = json.loads(config_document(config))
    assert body["wechatAppId"] == "wx5f2a9c0d1e3b4a67"
    assert body["wechatAuthorizeUrl"] == "https://open.weixin.qq.com/connect/oauth2/authorize"


def test_push_settings_reach_config_json_only_when_given_and_whole() -> None:
    config = web_config({"UserPoolId": "eu-west-1_abc", "UserPoolClientId": "client"}, "eu-west-1", "prod")
    assert "push" not in json.loads(config_document(config))
    firebase = {"apiKey": "k", "projectId": "p", "messagingSenderId": "1", "appId": "1:1:web:a"}
    body = json.loads(config_document(config, {"firebase": firebase, "vapidKey": "BKey", "secret": "no"}))
    assert body["push"] == {"firebase": firebase, "vapidKey": "BKey"}
    assert body["userPoolId"] == "eu-west-1_abc"
    with pytest.raises(ValueError, match="vapidKey"):
        config_document(config, {"firebase": firebase})


def test_hashed_assets_are_immutable_and_entry_points_revalidate(tmp_path: Path) -> None:
    dist = tmp_path / "console" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html></html>", encoding="utf-8")
    (dist / "assets" / "index-abc.js").write_text("", encoding="utf-8")
    found = {key: cache for _, key, cache in uploads(tmp_path)}
    assert found == {"console/index.html": NO_CACHE, "console/assets/index-abc.js": IMMUTABLE}
