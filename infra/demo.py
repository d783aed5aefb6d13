"""`make demo`: start the local cloud and walk through what Courtyard does today, checking each step.

The story: every demo user signs in and asks who they are; the API Gateway refuses bad tokens; a platform
operator onboards a new property firm; its manager signs in, creates a community, imports a messy spreadsheet
of units and residents (validate, then commit, twice), invites a resident who signs up and joins; a resident's
repair is dispatched, handled and rated; the tenant named in a request is ignored; writes are audited.
Exits non-zero if any check fails.
"""

from __future__ import annotations

import importlib
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from directory.imports.sample import messy_sample
from infra.http import HttpResponse, post_form, request
from infra.local.cloud import STATE_DIR, LocalCloud, wait_for
from infra.local.functions import StartError
from infra.seed import FIRM_ROLES, PLATFORM, DemoData, seed_stack, sign_in

# The features' own chapters (infra/demo_<feature>.py), in story order: notifications after the others,
# because it shows the messages the earlier steps produced; then one emergency (issue 19).
CHAPTERS: tuple[str, ...] = (
    "payments",
    "wechatpay",
    "counter",
    "visitors",
    "sensors",
    "notifications",
    "emergency",
    "export",
)


class DemoFailed(Exception):
    pass


def seed_cloud(cloud: LocalCloud) -> DemoData:
    assert cloud.stack is not None
    demo = seed_stack(cloud.stack, cloud.client)
    # Every demo firm takes WeChat Pay and Alipay (the sandbox's personas); the second as a sub-merchant.
    for index, (firm, tenant_id) in enumerate(sorted(demo.tenants.items())):
        if firm != PLATFORM:
            cloud.open_merchant(tenant_id, partner=index % 2 == 1)
    return demo


class Story:
    def __init__(self, cloud: LocalCloud) -> None:
        assert cloud.info is not None
        self.cloud = cloud
        self.info = cloud.info
        self.api = cloud.info.api_url
        self.cognito = cloud.client("cognito-idp")
        self.checks = 0

    def check(self, condition: bool, what: str) -> None:
        if not condition:
            raise DemoFailed(what)
        self.checks += 1

    def token(self, username: str, password: str | None = None) -> str:
        if password is None:
            return sign_in(self.cognito, self.info.user_pool_id, self.info.user_pool_client_id, username)
        return sign_in(
            self.cognito, self.info.user_pool_id, self.info.user_pool_client_id, username, password
        )

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> HttpResponse:
        return request(method, f"{self.api}{path}", token=token, **kwargs)

    def first_sign_in(self, username: str, temporary: str, new_password: str) -> str:
        """What the app does on a first sign-in: answer NEW_PASSWORD_REQUIRED with the user's own password."""
        started = self.cognito.admin_initiate_auth(
            UserPoolId=self.info.user_pool_id,
            ClientId=self.info.user_pool_client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": temporary},
        )
        self.check(
            started.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", "a temporary password must be changed"
        )
        answered = self.cognito.admin_respond_to_auth_challenge(
            UserPoolId=self.info.user_pool_id,
            ClientId=self.info.user_pool_client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=started["Session"],
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
        )
        return str(answered["AuthenticationResult"]["IdToken"])


def run_demo(state_dir: Path = STATE_DIR) -> int:
    print("== Courtyard demo: the local cloud (moto + Chalice + MQTT broker + one worker per function)")
    with LocalCloud(state_dir=state_dir, run_schedules=False) as cloud:
        narrate(cloud)
    return 0


def narrate(cloud: LocalCloud) -> DemoData:
    """The demo's story on a started cloud (seeded here): each step checked, DemoFailed at the first that
    fails. `make demo` stops the cloud after it; `demo --stay-up` keeps it serving like `make up`."""
    story = Story(cloud)
    info = story.info
    print(f"   up in {info.startup_s:.2f} s: API {info.api_url}, MQTT {info.mqtt_url}")
    print(f"   AWS endpoint (moto) {info.aws_endpoint}; functions {', '.join(info.functions)}")
    started = time.perf_counter()
    demo = seed_cloud(cloud)
    print(
        f"   seeded a platform operator and 2 firms with {len(demo.users)} users in "
        f"{time.perf_counter() - started:.2f} s"
    )
    _who_am_i(story, demo)
    _gateway(story, demo)
    manager_token, tenant_id = _onboard(story, demo)
    site_id = _community(story, manager_token)
    unit_id = _import(story, manager_token, site_id)
    _invite(story, manager_token, unit_id, tenant_id)
    # The duty roster before the first ticket, as at a firm's go-live (the emergency chapter shows it).
    importlib.import_module("infra.demo_emergency").prepare(story, demo)
    _repair(story, demo)
    for chapter in CHAPTERS:
        importlib.import_module(f"infra.demo_{chapter}").chapter(story, demo)
    _isolation(story, demo)
    _audit(story)
    # Last, so the demo ends with the console's address and sign-ins.
    importlib.import_module("infra.demo_console").chapter(story, demo)
    print(f"\n== Demo passed: {story.checks} checks", flush=True)
    return demo


def _who_am_i(story: Story, demo: DemoData) -> None:
    print("\n== GET /health needs no token; every demo user signs in through Cognito and asks GET /me")
    health = story.call("GET", "/health")
    story.check(health.status == 200, "health answers 200 without a token")
    for user in demo.users:
        me = story.call("GET", "/me", story.token(user.username))
        body: dict[str, Any] = me.json() or {}
        person = body.get("person") or {}
        firm = (body.get("tenant") or {}).get("name")
        print(f"   {me.status} {user.username:<26} {user.role:<14} tenant={firm}")
        story.check(me.status == 200, f"{user.username} reads /me")
        story.check(body.get("tenant_id") == user.tenant_id, f"{user.username} sees their own tenant")
        story.check(body.get("roles") == [user.role], f"{user.username} has role {user.role}")
        if user.firm != PLATFORM:
            story.check(person.get("name") == user.name, f"{user.username} sees their own record")


def _gateway(story: Story, demo: DemoData) -> None:
    print("\n== The API Gateway answers: no token, tampered token, unknown route")
    no_token = story.call("GET", "/me")
    print(f"   no token        -> {no_token.status} {no_token.text}")
    story.check(no_token.status == 401, "no token is 401")
    token = story.token(demo.user("greenfield", "resident").username)
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature])
    bad = story.call("GET", "/me", tampered)
    print(f"   tampered token  -> {bad.status} {bad.text}")
    story.check(bad.status == 401, "tampered token is 401")
    unknown = story.call("GET", "/no-such-route")
    print(f"   unknown route   -> {unknown.status} {unknown.text}")
    story.check(unknown.status == 403, "unknown route gets API Gateway's 403")


def _onboard(story: Story, demo: DemoData) -> tuple[str, str]:
    print("\n== A platform operator onboards a new property firm (idempotent: the retry creates nothing)")
    admin = story.token(demo.user(PLATFORM, "platform_admin").username)
    body = {
        "name": "春风物业 Spring Breeze Property",
        "limits": {"households": 3000, "devices": 300},
        "manager": {"name": "周经理 Manager Zhou", "email": "zhou@springbreeze.example.com"},
    }
    key = {"Idempotency-Key": f"onboard-{uuid.uuid4()}"}
    created = story.call("POST", "/tenants", admin, body=body, headers=key)
    story.check(created.status == 201, f"tenant created: {created.text}")
    tenant = created.json()
    retry = story.call("POST", "/tenants", admin, body=body, headers=key)
    story.check(
        retry.json()["tenant_id"] == tenant["tenant_id"], "a retried onboarding returns the same firm"
    )
    story.check(retry.json()["manager"]["temporary_password"] is None, "the temporary password is shown once")
    manager = tenant["manager"]
    print(
        f"   {created.status} tenant {tenant['tenant_id']} '{tenant['name']}', manager {manager['username']}"
    )
    token = story.first_sign_in(manager["username"], manager["temporary_password"], "Spring-breeze-2026")
    me = story.call("GET", "/me", token).json()
    print(f"   the manager changes the temporary password and signs in: roles={me['roles']}")
    story.check(me["tenant_id"] == tenant["tenant_id"], "the new manager belongs to the new firm")
    denied = story.call("POST", "/tenants", token, body=body)
    story.check(denied.status == 403, "only platform operators onboard firms")
    return token, str(tenant["tenant_id"])


def _community(story: Story, token: str) -> str:
    print("\n== The manager creates a community")
    site = story.call(
        "POST",
        "/sites",
        token,
        body={"name": "春风里 Spring Lane", "address": "88 Spring Rd", "city": "Hangzhou"},
    )
    story.check(site.status == 201, f"site created: {site.text}")
    site_id = str(site.json()["site_id"])
    for code in ("1", "2", "3", "4", "5", "6", "7", "8", "A"):
        name = f"{code}座" if code == "A" else f"{code}栋"
        building = story.call(
            "POST", f"/sites/{site_id}/buildings", token, body={"name": name, "floors": 30, "entrances": 4}
        )
        story.check(building.status == 201, f"building {name} created: {building.text}")
    print(f"   201 site {site_id} with 9 buildings (1栋 .. 8栋, A座)")
    return site_id


def _import(story: Story, token: str, site_id: str) -> str:
    print("\n== ...and imports the firm's messy spreadsheet of units and residents")
    data, planted = messy_sample(320)
    job = _upload(story, token, site_id, data)
    validated = _run(story, token, job, "validate", "validated")
    codes = Counter(e["code"] for e in validated["errors"])
    print(
        f"   validated {validated['rows_total']} rows: {validated['rows_valid']} good, "
        f"{validated['errors_count']} refused ({', '.join(f'{c} x{n}' for c, n in sorted(codes.items()))})"
    )
    story.check(
        {(e["line"], e["code"]) for e in validated["errors"]} == {(p.line, p.code) for p in planted},
        "the report names exactly the planted errors",
    )
    committed = _run(story, token, job, "commit", "committed")
    summary = committed["summary"]
    print(
        f"   committed: {summary['units_created']} units, {summary['residents_created']} residents, "
        f"{summary['links_created']} links"
    )
    story.check(summary["units_created"] > 150, "the good rows became units")
    again = _run(story, token, _upload(story, token, site_id, data), "validate", "validated")
    again = _run(story, token, again["import_id"], "commit", "committed")
    print(
        f"   the same file again: {again['summary']['units_created']} units, "
        f"{again['summary']['residents_created']} residents created"
    )
    story.check(
        again["summary"]["units_created"] == again["summary"]["residents_created"] == 0,
        "re-import is a no-op",
    )
    units = story.call("GET", f"/sites/{site_id}/units", token).json()
    first = units["items"][0]
    labels = ", ".join(u["label"] for u in units["items"][:4])
    print(f"   GET /sites/{{site}}/units lists them in room order: {labels} ...")
    return str(first["unit_id"])


def _upload(story: Story, token: str, site_id: str, data: bytes) -> str:
    created = story.call(
        "POST",
        "/imports",
        token,
        body={"site_id": site_id, "filename": "业主名册.csv", "content_type": "text/csv"},
    )
    story.check(created.status == 201, f"import created: {created.text}")
    form = created.json()["upload"]
    uploaded = post_form(form["url"], form["fields"], "业主名册.csv", data)
    story.check(uploaded.status in (200, 204), f"presigned POST accepted: {uploaded.status} {uploaded.text}")
    return str(created.json()["import_id"])


def _run(story: Story, token: str, import_id: str, action: str, done: str) -> dict[str, Any]:
    started = story.call("POST", f"/imports/{import_id}/{action}", token)
    story.check(started.status == 202, f"{action} accepted: {started.text}")
    state: dict[str, Any] = {}

    def finished() -> bool:
        state.update(story.call("GET", f"/imports/{import_id}", token).json())
        return state["status"] in {done, "failed"}

    story.check(wait_for(finished, timeout_s=120, interval_s=0.1), f"{action} finished in time")
    story.check(state["status"] == done, f"import {done}: {state.get('failure')}")
    return state


def _invite(story: Story, token: str, unit_id: str, tenant_id: str) -> None:
    print("\n== The manager invites a resident, who signs up in the app and joins with the code")
    invite = story.call("POST", "/invites", token, body={"unit_id": unit_id, "relation": "family"})
    story.check(invite.status == 201, f"invite created: {invite.text}")
    code = invite.json()["code"]
    print(f"   201 invitation {invite.json()['share_link']} (expires {invite.json()['expires_at']})")
    username, password = f"newcomer-{uuid.uuid4().hex[:8]}", "Newcomer-2026-pass"
    story.cognito.sign_up(
        ClientId=story.info.user_pool_client_id,
        Username=username,
        Password=password,
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "name", "Value": "吴小姐 Ms Wu"},
        ],
    )
    story.cognito.admin_confirm_sign_up(UserPoolId=story.info.user_pool_id, Username=username)
    before = story.call("GET", "/me", story.token(username, password))
    print(f"   a fresh account has no firm yet: GET /me -> {before.status}")
    accepted = story.call("POST", f"/invites/{code}/accept", story.token(username, password), body={})
    story.check(accepted.status in (200, 201), f"invitation accepted: {accepted.text}")
    reused = story.call("POST", f"/invites/{code}/accept", story.token(username, password), body={})
    me = story.call("GET", "/me", story.token(username, password)).json()
    units = me["person"]["units"]
    print(f"   accepted; after a token refresh GET /me -> tenant {me['tenant_id']}, unit {units[0]['room']}")
    story.check(
        me["tenant_id"] == tenant_id and units[0]["unit_id"] == unit_id, "the resident joined the unit"
    )
    story.check(reused.status in (200, 201, 409), "a used code does not make a second resident")


def _repair(story: Story, demo: DemoData) -> None:
    print(
        "\n== A resident reports a leak with a photo; it is dispatched, accepted, resolved, rated and closed"
    )
    resident = story.token(demo.user("greenfield", "resident").username)
    technician_user = demo.user("greenfield", "technician")
    technician = story.token(technician_user.username)
    filed = story.call(
        "POST",
        "/tickets",
        resident,
        body={"kind": "repair", "category": "plumbing", "description": "厨房水管漏水 Kitchen pipe leaking"},
        headers={"Idempotency-Key": f"leak-{uuid.uuid4()}"},
    )
    story.check(filed.status == 201, f"ticket filed: {filed.text}")
    ticket = filed.json()
    ticket_id = ticket["ticket_id"]
    print(f"   201 ticket {ticket_id}: {ticket['status']}, respond by {ticket['respond_by']}")
    story.check(ticket["assignee_staff_id"] == technician_user.person_id, "dispatched to the on-duty plumber")
    photo = story.call("POST", f"/tickets/{ticket_id}/photos", resident, body={"content_type": "image/jpeg"})
    story.check(photo.status == 201, f"photo slot: {photo.text}")
    form = photo.json()["upload"]
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 2048 + b"\xff\xd9"
    story.check(
        post_form(form["url"], form["fields"], "leak.jpg", jpeg).status in (200, 204), "photo uploaded"
    )
    confirmed = story.call(
        "POST", f"/tickets/{ticket_id}/photos/{photo.json()['photo_id']}/confirm", resident
    )
    story.check(confirmed.status == 200, f"photo attached: {confirmed.text}")
    photos = story.call("GET", f"/tickets/{ticket_id}", technician).json()["photos"]
    story.check(len(photos) == 1 and photos[0]["url"].startswith("http"), "the technician sees the photo")
    print(
        f"   a photo went up by presigned POST, was checked and attached: {len(photos)} link for the plumber"
    )
    for action, who in (("accept", technician), ("start", technician), ("resolve", technician)):
        done = story.call("POST", f"/tickets/{ticket_id}/actions", who, body={"action": action})
        story.check(done.status == 200, f"{action}: {done.text}")
        print(f"   {action:<8} -> {done.json()['status']}")
    rated = story.call(
        "POST", f"/tickets/{ticket_id}/rating", resident, body={"score": 5, "comment": "很快 quick"}
    )
    story.check(rated.status in (200, 201), f"rated: {rated.text}")
    closed = story.call("POST", f"/tickets/{ticket_id}/actions", resident, body={"action": "close"})
    story.check(closed.json()["status"] == "closed", "the reporter closes the loop")
    timeline = story.call("GET", f"/tickets/{ticket_id}/timeline", resident).json()["timeline"]
    print(f"   rated 5, closed; timeline: {' -> '.join(e['to_status'] for e in timeline)}")
    neighbour = story.token(demo.user("harbour", "resident").username)
    story.check(
        story.call("GET", f"/tickets/{ticket_id}", neighbour).status == 404, "others' tickets are 404"
    )
    desk = story.token(demo.user("greenfield", "service_desk").username)
    visit = story.call(
        "POST", f"/tickets/{ticket_id}/return-visit", desk, body={"note": "回访：已修好", "satisfied": True}
    )
    story.check(visit.status == 200, f"return visit recorded: {visit.text}")
    stats = story.call("GET", "/tickets/stats", desk)
    story.check(stats.status == 200, f"KPIs: {stats.text}")
    story.check(bool(stats.json()["sites"]), "the community has KPIs")
    for site in stats.json()["sites"]:
        print(
            f"   return visit recorded; KPIs of the community: {site['tickets']} ticket(s), response p50 "
            f"{_shown(site['response_p50_minutes'], ' min')}, SLA met {_shown(site['sla_met_pct'], '%')}, "
            f"timeliness {_shown(site['timeliness_pct'], '%')}, "
            f"satisfaction {_shown(site['satisfaction_avg'])}"
        )


def _shown(value: float | None, unit: str = "") -> str:
    """A KPI as a person reads it: n/a before there is data (e.g. timeliness before any ticket fell due)."""
    return "n/a" if value is None else f"{value:.1f}{unit}"


def _isolation(story: Story, demo: DemoData) -> None:
    print("\n== The tenant comes only from the token, never from the request")
    harbour = demo.user("harbour", "manager")
    greenfield = demo.tenants["greenfield"]
    token = story.token(harbour.username)
    sneaky = story.call("GET", f"/me?tenant_id={greenfield}", token, headers={"X-Tenant-Id": greenfield})
    print(f"   harbour manager asking for greenfield -> tenant {sneaky.json()['tenant_id']}")
    story.check(
        sneaky.json()["tenant_id"] == harbour.tenant_id, "a tenant override in the request is ignored"
    )
    site = story.call("GET", f"/sites/{demo.sites['greenfield']}", token)
    print(f"   harbour manager reading greenfield's community -> {site.status}")
    story.check(site.status == 404, "another tenant's ids answer 404")
    for role in FIRM_ROLES:
        story.check(demo.user("harbour", role).tenant_id == harbour.tenant_id, "seed data is per firm")


def _audit(story: Story) -> None:
    print("\n== Every write and every personal-data read is audited")
    assert story.cloud.stack is not None
    records = story.cloud.client("dynamodb").scan(
        TableName=story.cloud.stack.ref("AuditTable"), Select="COUNT"
    )
    print(f"   {records['Count']} audit records")
    story.check(records["Count"] > 20, "audit records were written")


def main(state_dir: Path = STATE_DIR) -> int:
    try:
        return run_demo(state_dir)
    except DemoFailed as failure:
        print(f"\n!! demo check failed: {failure}")
        return 1
    except StartError as error:
        print(f"\n!! the local cloud did not start: {error}")
        return 1
