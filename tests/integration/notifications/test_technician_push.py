"""A technician's phone registered for push (the mobile app's `POST /me/push-endpoints` with its FCM token)
gets a new job as a push: the TicketAssigned event, through the bus, the events and delivery queues and SNS,
lands on that phone's platform endpoint (moto's outbox), carrying the ticket for the jobs page to open."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3

from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas import events as contracts
from tests.integration.notifications.conftest import Community, People, Pump, Reply, deliveries, outbox
from tests.integration.notifications.test_events import inbox, publish

Call = Callable[..., Reply]
TOKEN = "web-fcm-token-of-the-technicians-phone-0001"


def _endpoint_arn(env: dict[str, str], token: str) -> str:
    sns = boto3.client("sns")
    endpoints = sns.list_endpoints_by_platform_application(
        PlatformApplicationArn=env["PUSH_FCM_APPLICATION_ARN"]
    )["Endpoints"]
    [arn] = [e["EndpointArn"] for e in endpoints if e["Attributes"].get("Token") == token]
    return str(arn)


def _assigned(world: Community, ticket_id: str, assignee: str, priority: str) -> contracts.TicketAssigned:
    return contracts.TicketAssigned(
        tenant_id=world.tenant_id,
        ticket_id=ticket_id,
        site_id=world.site_id,
        priority=priority,
        assignee_staff_id=world.staff_ids[assignee],
        assignee_user_id=world.people[assignee].user_id,
        by="system",
    )


def test_a_job_assigned_to_a_technician_is_pushed_to_the_phone_they_registered(
    call: Call,
    pump: Pump,
    seed: Callable[..., Community],
    people: People,
    stack: Stack,
    env: dict[str, str],
) -> None:
    world = seed()
    people.staff(world, "tech", Role.TECHNICIAN, skills=("plumbing",))
    people.staff(world, "other_tech", Role.TECHNICIAN, skills=("plumbing",))
    registered = call(
        "POST", "/me/push-endpoints", as_=world.people["tech"], body={"platform": "fcm", "token": TOKEN}
    )
    assert registered.status == 201, registered.body
    arn = _endpoint_arn(env, TOKEN)

    publish(stack, _assigned(world, "TICKET000321", "tech", "normal"))
    pump()

    pushes = [p for p in outbox().pushes if p.endpoint_arn == arn]
    assert [p.title for p in pushes] == ["新工单 #000321"]
    # What FCM hands the phone's service worker: the notification and the ticket it opens.
    fcm = json.loads(json.loads(pushes[0].raw)["GCM"])
    assert fcm["data"] == {"ticket_id": "TICKET000321"}
    assert fcm["notification"]["title"] == "新工单 #000321"
    [message] = inbox(call, world.people["tech"])
    record = deliveries(stack, world.tenant_id, message["message_id"])["push"]
    assert record["status"] == "sent"

    # Another technician's job does not reach this phone.
    publish(stack, _assigned(world, "TICKET000322", "other_tech", "normal"))
    pump()
    assert [p.title for p in outbox().pushes if p.endpoint_arn == arn] == ["新工单 #000321"]
