"""The demo's last chapter: the staff console on the local web edge, the same origin CloudFront gives it
in AWS, and the address and sign-ins to open it with."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from infra.http import request
from infra.seed import DEMO_PASSWORD, PLATFORM, DemoData

if TYPE_CHECKING:
    from infra.demo import Story


# Who opens the phone app: residents, and the field staff (technicians' jobs, guards' gate).
APP_ROLES = ("resident", "technician", "guard")


def console_lines(web_url: str, demo: DemoData) -> list[str]:
    """What `make demo` and `make up` print: where the console and the phone app are, and who signs in."""
    firm_users = [user for user in demo.users if user.firm != PLATFORM]
    lines = [f"   the staff console: {web_url}/console/  (password {DEMO_PASSWORD} for every demo user)"]
    lines += [f"     {user.username:<26} {user.role}" for user in firm_users if user.role != "resident"]
    lines += [f"   the phone app (open it at a phone's width): {web_url}/m/  (same password)"]
    lines += [f"     {user.username:<26} {user.role}" for user in firm_users if user.role in APP_ROLES]
    return lines


def chapter(story: Story, demo: DemoData) -> None:
    print("\n== The staff console: the web edge serves it, the API and Cognito on one origin")
    web = story.info.web_url
    page = request("GET", f"{web}/console/tickets", headers={"Accept": "text/html"})
    served = page.status == 200 and 'id="app"' in page.text
    story.check(served, "the edge serves the console (history fallback)")
    config = request("GET", f"{web}/config.json").json()
    story.check(config["userPoolClientId"] == story.info.user_pool_client_id, "config.json names the client")
    manager = demo.user("greenfield", "manager")
    signed_in = request(
        "POST",
        f"{web}/_cognito/",
        body=json.dumps(
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": config["userPoolClientId"],
                "AuthParameters": {"USERNAME": manager.username, "PASSWORD": DEMO_PASSWORD},
            }
        ),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
    )
    token = signed_in.json()["AuthenticationResult"]["IdToken"]
    me = request("GET", f"{web}/api/me", token=token)
    story.check(me.status == 200 and me.json()["tenant_id"] == manager.tenant_id, "the console calls the API")
    print(f"   {manager.username} signed in as the console does (USER_PASSWORD_AUTH), GET /api/me -> 200")
    print("\n".join(console_lines(web, demo)))
    print("   (the demo stops its cloud now; `make up` keeps one running with the console)")
