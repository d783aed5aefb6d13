"""Publish the built web apps to a deployed stack: ``python -m infra.deploy_web STACK_NAME``.

Reads the stack's outputs (web bucket, distribution, user pool, client), writes ``config.json`` from them
(so one build serves every stage), uploads ``web/<app>/dist`` under ``<prefix>/`` with the caching the
distribution honours (hashed assets immutable, ``index.html`` and ``config.json`` no-cache), then invalidates
the entry points. `make deploy-web STACK=...` runs it after `sam deploy`.

Push in the mobile app (a technician's new job) needs the Firebase web app whose FCM credentials the SNS
"GCM" platform application holds: ``--push-config push.json`` (``{"firebase": {apiKey, projectId,
messagingSenderId, appId}, "vapidKey": ...}``, public identifiers) adds it to config.json as ``push``; without
it the app asks for no push permission.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.local.edge import APPS, IMMUTABLE, NO_CACHE, WEB_ROOT, WebConfig
from infra.secure_parameters import parameter_name

# The template's stand-in until the operator writes WeChat's console values into the secret.
PLACEHOLDER_APP_ID = "wx0000000000000000"


def web_config(outputs: dict[str, str], region: str, stage: str, wechat_app_id: str = "") -> WebConfig:
    """config.json for a stage: the apps call the API under /api on their own origin and Cognito directly
    (Cognito's JSON API answers CORS; moto's does not, which is why the local edge forwards it instead)."""
    return WebConfig(
        apiBase="/api",
        region=region,
        userPoolId=outputs["UserPoolId"],
        userPoolClientId=outputs["UserPoolClientId"],
        cognitoEndpoint=f"https://cognito-idp.{region}.amazonaws.com/",
        stage=stage,
        # The stack's RequireMfa (an output); a stack without the output requires it, the safe side.
        requireMfa=outputs.get("RequireMfa", "true") == "true",
        # The residents' 「微信一键登录」 redirects to WeChat's OAuth page for the stack's WeChat app.
        wechatAppId=wechat_app_id,
    )


def wechat_app_id(session: Any, stage: str) -> str:
    """The app id in the stage's ``wechat-login`` parameter (public: WeChat puts it in every authorize URL);
    empty while the operator has not written WeChat's credentials, and the app then offers the phone sign-in
    only."""
    try:
        raw = session.client("ssm").get_parameter(
            Name=parameter_name(stage, "wechat-login"), WithDecryption=True
        )
    except ClientError:  # no such parameter, or no access: publish without WeChat
        return ""
    app_id = str(json.loads(raw["Parameter"]["Value"]).get("app_id") or "")
    return "" if app_id in ("", PLACEHOLDER_APP_ID) else app_id


def config_document(config: WebConfig, push: dict[str, Any] | None = None) -> bytes:
    """The body of config.json: the stage's settings, and the mobile app's push settings when given."""
    body = json.loads(config.to_json())
    if push is not None:
        if not isinstance(push.get("firebase"), dict) or not push.get("vapidKey"):
            raise ValueError("push config needs a firebase web app and a vapidKey")
        body["push"] = {"firebase": push["firebase"], "vapidKey": push["vapidKey"]}
    return json.dumps(body).encode()


def uploads(web_root: Path = WEB_ROOT) -> Iterator[tuple[Path, str, str]]:
    """(file, object key, Cache-Control) of every built app's files."""
    for prefix, folder in APPS.items():
        dist = web_root / folder / "dist"
        if not dist.is_dir():
            continue
        for file in sorted(p for p in dist.rglob("*") if p.is_file()):
            relative = file.relative_to(dist)
            cache = IMMUTABLE if relative.parts[0] == "assets" else NO_CACHE
            yield file, f"{prefix}/{relative.as_posix()}", cache


def publish(stack_name: str, session: Any, push: dict[str, Any] | None = None) -> str:
    cloudformation = session.client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    stage = next(
        (p["ParameterValue"] for p in stack.get("Parameters", []) if p["ParameterKey"] == "Stage"), "dev"
    )
    s3 = session.client("s3")
    bucket = outputs["WebBucketName"]
    for file, key, cache in uploads():
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        s3.upload_file(str(file), bucket, key, ExtraArgs={"ContentType": kind, "CacheControl": cache})
    config = web_config(outputs, session.region_name, stage, wechat_app_id(session, stage))
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=config_document(config, push),
        ContentType="application/json",
        CacheControl=NO_CACHE,
    )
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 3, "Items": ["/config.json", "/console/*", "/m/*"]},
            "CallerReference": f"deploy-web-{time.time_ns()}",
        },
    )
    return str(outputs["WebUrl"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_web", description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--region")
    parser.add_argument("--push-config", type=Path, help="the Firebase web app and VAPID key (JSON)")
    args = parser.parse_args(argv)
    push = json.loads(args.push_config.read_text(encoding="utf-8")) if args.push_config else None
    url = publish(args.stack, boto3.session.Session(region_name=args.region), push)
    print(json.dumps({"console": f"{url}/console/"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
