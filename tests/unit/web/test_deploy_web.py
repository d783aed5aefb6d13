"""The deploy helper: config.json from the stack's outputs, and the caching each uploaded file gets."""

from __future__ import annotations

from pathlib import Path

from infra.deploy_web import uploads, web_config
from infra.local.edge import IMMUTABLE, NO_CACHE


def test_config_json_comes_from_the_stacks_outputs_and_calls_cognito_directly() -> None:
    config = web_config({"UserPoolId": "eu-west-1_abc", "UserPoolClientId": "client"}, "eu-west-1", "prod")
    assert config.userPoolId == "eu-west-1_abc"
    assert config.userPoolClientId == "client"
    assert config.apiBase == "/api"
    assert config.cognitoEndpoint == "https://cognito-idp.eu-west-1.amazonaws.com/"
    assert config.stage == "prod"


def test_hashed_assets_are_immutable_and_entry_points_revalidate(tmp_path: Path) -> None:
    dist = tmp_path / "console" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html></html>", encoding="utf-8")
    (dist / "assets" / "index-abc.js").write_text("", encoding="utf-8")
    found = {key: cache for _, key, cache in uploads(tmp_path)}
    assert found == {"console/index.html": NO_CACHE, "console/assets/index-abc.js": IMMUTABLE}
