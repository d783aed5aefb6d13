import json
from typing import Any

from courtyard import aws
from courtyard.events import DomainEvent, EventPublisher

BUS = "courtyard-test"


class TicketCreated(DomainEvent):
    ticket_id: str


def bus_to_queue() -> str:
    """A bus with a rule forwarding courtyard.tickets events to an SQS queue; returns the queue URL."""
    events, sqs = aws.client("events"), aws.client("sqs")
    events.create_event_bus(Name=BUS)
    url = sqs.create_queue(QueueName="tickets-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="to-queue", EventBusName=BUS, EventPattern=json.dumps({"source": ["courtyard.tickets"]})
    )
    events.put_targets(Rule="to-queue", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": arn}])
    return str(url)


def drain(url: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while True:
        messages = aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return received
        received.extend(json.loads(m["Body"]) for m in messages)


def test_published_events_reach_a_rule_target(moto: None):
    url = bus_to_queue()
    events = [TicketCreated(tenant_id="t1", ticket_id=f"ticket-{n}") for n in range(23)]

    EventPublisher(BUS, "courtyard.tickets").publish_many([("TicketCreated", e) for e in events])

    received = drain(url)
    assert len(received) == 23
    assert {r["detail"]["event_id"] for r in received} == {e.event_id for e in events}
    first = next(r for r in received if r["detail"]["event_id"] == events[0].event_id)
    assert first["source"] == "courtyard.tickets"
    assert first["detail-type"] == "TicketCreated"
    assert first["detail"] == events[0].model_dump(mode="json")
    assert first["detail"]["occurred_at"].endswith("Z")
