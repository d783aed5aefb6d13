"""The rules of a person's export, on fakes: one export at a time, the merge, and what each part keeps."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from notifications.services.export import masked_address, settings_record
from payments.services.export import in_period, is_theirs, payment_record
from tickets.services.export import ticket_record
from visitors.services.export import pass_record

from courtyard.clock import FixedClock
from courtyard.errors import Forbidden, NotFound
from courtyard.personal_export import FEATURES, PartWriter, part_key
from courtyard.tenancy import Role, TenantContext
from directory.exports.directory_part import DirectoryPart, directory_data
from directory.exports.merge import merged_document, valid_part, zipped
from directory.exports.models import ExportStatus
from directory.exports.service import ExportService
from directory.people.models import Export, LinkSource, PersonKind, Relation, Resident, ResidentLink
from directory.residency.models import EndedResidence, EndReason
from schemas.events import ExportedLink, PersonalDataExportRequested
from tests.fakes.exports import InMemoryBucket, InMemoryExportJobs
from tests.fakes.kernel import RecordedAudit, RecordedEvents

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
ME = TenantContext(tenant_id="t1", user_id="u-me", roles=frozenset({Role.RESIDENT}))
PART = DirectoryPart(
    "r-me", "u-me", {"person": {"name": "王芳"}}, (ExportedLink(unit_id="unit1", since="2025"),)
)


class FixedDirectory:
    def read(self, ctx: TenantContext) -> DirectoryPart:
        return PART


def service() -> tuple[ExportService, InMemoryBucket, RecordedEvents, RecordedAudit, InMemoryExportJobs]:
    bucket, events, audit, jobs = InMemoryBucket(), RecordedEvents(), RecordedAudit(), InMemoryExportJobs()
    clock = FixedClock(NOW)
    return ExportService(jobs, bucket, FixedDirectory(), audit, events, clock), bucket, events, audit, jobs


def write_other_parts(bucket: InMemoryBucket, export_id: str, tenant_id: str = "t1") -> None:
    for feature in FEATURES[1:]:
        PartWriter(bucket, feature).write(tenant_id, export_id, NOW, {"rows": [feature]})


def test_starting_writes_the_directory_part_and_asks_every_feature() -> None:
    exports, bucket, events, audit, _ = service()
    progress, started = exports.start(ME, None)
    assert started
    assert progress.job.status is ExportStatus.RUNNING
    assert progress.done == ("directory",)
    assert progress.pending == FEATURES[1:]
    assert part_key("t1", progress.job.export_id, "directory") in bucket.objects
    ((name, event),) = events.published
    assert name == "PersonalDataExportRequested"
    assert isinstance(event, PersonalDataExportRequested)
    assert (event.export_id, event.resident_id, event.user_id) == (progress.job.export_id, "r-me", "u-me")
    assert ("request_personal_data_export", "export", progress.job.export_id) in audit.records


def test_a_second_request_while_one_runs_answers_the_running_one() -> None:
    exports, _, events, _, _ = service()
    first, _ = exports.start(ME, None)
    again, started = exports.start(ME, "another-key-123")
    assert not started
    assert again.job.export_id == first.job.export_id
    assert len(events.published) == 1


def test_the_same_key_answers_the_export_it_started_even_after_it_is_done() -> None:
    exports, bucket, _, audit, _ = service()
    first, _ = exports.start(ME, "key-12345678")
    write_other_parts(bucket, first.job.export_id)
    exports.progress(ME, first.job.export_id)
    again, started = exports.start(ME, "key-12345678")
    assert again.downloads is not None  # links handed out again: audited as a download again
    assert [r[0] for r in audit.records].count("download_personal_data_export") == 2
    assert not started
    assert again.job.export_id == first.job.export_id


def test_a_ready_export_does_not_block_a_new_one() -> None:
    exports, bucket, _, _, _ = service()
    first, _ = exports.start(ME, None)
    write_other_parts(bucket, first.job.export_id)
    exports.progress(ME, first.job.export_id)
    second, started = exports.start(ME, None)
    assert started
    assert second.job.export_id != first.job.export_id


def test_parts_done_then_merged_once_with_five_minute_links_each_download_audited() -> None:
    exports, bucket, _, audit, _ = service()
    progress, _ = exports.start(ME, None)
    export_id = progress.job.export_id
    write_other_parts(bucket, export_id)
    ready = exports.progress(ME, export_id)
    assert ready.job.status is ExportStatus.READY
    assert ready.pending == ()
    assert ready.downloads is not None
    assert "expires=300" in ready.downloads.zip_url
    assert ready.downloads.expires_at == "2026-12-07T08:05:00.000Z"
    merges = [k for k in bucket.puts if k.endswith(("export.json", "export.zip"))]
    exports.progress(ME, export_id)
    assert [k for k in bucket.puts if k.endswith(("export.json", "export.zip"))] == merges  # merged once
    document = json.loads(bucket.objects[f"exports/t1/{export_id}/export.json"])
    assert document["directory"] == {"person": {"name": "王芳"}}
    assert document["visitors"] == {"rows": ["visitors"]}
    downloads = [r for r in audit.records if r[0] == "download_personal_data_export"]
    assert downloads == [("download_personal_data_export", "export", export_id)] * 2


def test_a_part_written_for_another_firm_or_export_stays_pending() -> None:
    exports, bucket, _, _, _ = service()
    progress, _ = exports.start(ME, None)
    export_id = progress.job.export_id
    write_other_parts(bucket, export_id)
    forged = json.loads(bucket.objects[part_key("t1", export_id, "tickets")])
    bucket.objects[part_key("t1", export_id, "tickets")] = json.dumps({**forged, "tenant_id": "t2"}).encode()
    answer = exports.progress(ME, export_id)
    assert answer.pending == ("tickets",)
    assert answer.downloads is None


@pytest.mark.parametrize(
    "someone",
    [
        TenantContext(tenant_id="t1", user_id="u-neighbour", roles=frozenset({Role.RESIDENT})),
        TenantContext(tenant_id="t2", user_id="u-me", roles=frozenset({Role.RESIDENT})),
    ],
)
def test_another_persons_or_firms_export_id_is_not_found(someone: TenantContext) -> None:
    exports, _, _, _, _ = service()
    progress, _ = exports.start(ME, None)
    with pytest.raises(NotFound):
        exports.progress(someone, progress.job.export_id)
    with pytest.raises(NotFound):
        exports.progress(ME, "../../t2/x")


def test_staff_and_assisted_mode_never_start_an_export() -> None:
    exports, _, events, _, _ = service()
    desk = TenantContext(
        tenant_id="t1", user_id="d", roles=frozenset({Role.SERVICE_DESK}), on_behalf_of="r-me"
    )
    for ctx in (desk, TenantContext(tenant_id="t1", user_id="m", roles=frozenset({Role.MANAGER}))):
        with pytest.raises(Forbidden):
            exports.start(ctx, None)
    assert events.published == []


def test_an_unpublished_export_is_published_by_the_next_request() -> None:
    exports, _, events, _, jobs = service()

    class Failing(RecordedEvents):
        def publish_many(self, batch: Any) -> None:
            raise RuntimeError("bus down")

    exports._events = Failing()
    with pytest.raises(RuntimeError):
        exports.start(ME, None)
    exports._events = events
    progress, started = exports.start(ME, None)
    assert not started
    assert events.names() == ["PersonalDataExportRequested"]
    assert jobs.get("t1", progress.job.export_id).published  # type: ignore[union-attr]


# ---------------------------------------------------------------- merge


def test_merged_document_lists_every_feature_and_the_zip_is_stable() -> None:
    parts = {f: {"data": {"n": i}, "written_at": "2026-12-07T08:00:00Z"} for i, f in enumerate(FEATURES)}
    document = merged_document("t1", "e1", "2026-12-07T08:00:00Z", parts)
    assert [k for k in document if k in FEATURES] == list(FEATURES)
    body = json.dumps(document).encode()
    assert zipped(body) == zipped(body)
    with zipfile.ZipFile(io.BytesIO(zipped(body))) as archive:
        assert archive.read("export.json") == body
        assert "说明.txt" in archive.namelist()
    with pytest.raises(ValueError, match="tickets"):
        merged_document("t1", "e1", "x", {f: p for f, p in parts.items() if f != "tickets"})


def test_valid_part_refuses_foreign_and_broken_parts() -> None:
    good = {"tenant_id": "t1", "export_id": "e1", "feature": "tickets", "data": {}}
    assert valid_part(json.dumps(good).encode(), "t1", "e1", "tickets") == good
    assert valid_part(json.dumps(good).encode(), "t1", "e2", "tickets") is None
    assert valid_part(json.dumps(good).encode(), "t1", "e1", "payments") is None
    assert valid_part(b"{not json", "t1", "e1", "tickets") is None
    assert valid_part(None, "t1", "e1", "tickets") is None


# ---------------------------------------------------------------- each part's rule


def test_the_directory_part_names_no_one_else_on_an_ended_link() -> None:
    link = ResidentLink("r-me", "unit1", "s1", "1-1-101", Relation.OWNER, True, "2024-01-01T00:00:00Z")
    resident = Resident(
        "r-me", "王芳", "13800000000", None, None, "u-me", "wf", "2024", "2024", units=(link,)
    )
    export = Export("now", None, "u-me", "wf", PersonKind.RESIDENT, resident=resident, links=(link,))
    ended = EndedResidence(
        "r-me",
        "unit0",
        "s1",
        "1-1-100",
        "renter",
        True,
        "2022",
        "2023",
        EndReason.LEASE_END,
        "desk-9",
        "r-other",
    )
    data = directory_data(export, [ended], [], {"flags": ["elderly"], "note": "", "updated_at": None})
    assert data["person"]["phone"] == "13800000000"
    assert data["units"][0]["until"] is None
    assert data["ended_units"] == [
        {
            "unit_id": "unit0",
            "site_id": "s1",
            "room": "1-1-100",
            "relation": "renter",
            "primary": True,
            "since": "2022",
            "until": "2023",
            "reason": "lease_end",
            "ended_by": "property",
        }
    ]
    assert "r-other" not in json.dumps(data)
    assert "desk-9" not in json.dumps(data)
    assert data["care_list"]["flags"] == ["elderly"]
    assert data["invites_accepted"] == []
    assert link.source is LinkSource.STAFF


def test_a_ticket_keeps_the_persons_words_and_what_the_property_told_them_only() -> None:
    items: list[dict[str, Any]] = [
        {"sk": "TICKET", "ticket_id": "k1", "reporter_user_id": "u-me", "filed_by_user_id": "desk-1",
         "description": "漏水", "photos": [{"photo_id": "p1", "object_key": "t1/k1/p1"}]},
        {"sk": "TL#1", "actor": "u-me", "action": "create", "note": "我的备注", "to_status": "submitted"},
        {"sk": "TL#2", "actor": "tech-1", "action": "resolve", "note": "师傅张三 13900000000"},
        {"sk": "COMMENT#1", "author_user_id": "u-me", "body": "谢谢"},
        {"sk": "COMMENT#2", "author_user_id": "desk-1", "by_staff": True, "body": "明天上门"},
        {"sk": "COMMENT#3", "author_user_id": "desk-1", "by_staff": True, "internal": True, "body": "内部"},
        {"sk": "COMMENT#4", "author_user_id": "u-coresident", "body": "邻居李四 13700000000"},
        {"sk": "PHOTO#p1", "photo_id": "p1", "uploaded_by": "u-me", "filename": "kitchen.jpg"},
    ]  # fmt: skip
    record = ticket_record(items, ["u-me", "resident-r-me"])
    assert record is not None
    assert record["filed_by"] == "property"
    assert record["description"] == "漏水"
    assert [c["body"] for c in record["comments"]] == ["谢谢", "明天上门"]
    assert [e["note"] for e in record["timeline"]] == ["我的备注", None]
    assert record["photos"][0]["filename"] == "kitchen.jpg"
    text = json.dumps(record, ensure_ascii=False)
    assert "13900000000" not in text
    assert "李四" not in text
    assert "tech-1" not in text
    assert "内部" not in text
    assert ticket_record(items, ["u-coresident"]) is None


def test_bills_follow_the_link_period_and_payments_the_payer() -> None:
    lived = ExportedLink(unit_id="unit1", since="2025-03-10T00:00:00Z", until="2025-08-31T00:00:00Z")
    assert [p for p in ("2025-02", "2025-03", "2025-08", "2025-09") if in_period(p, lived)] == [
        "2025-03",
        "2025-08",
    ]
    assert in_period("2030-01", ExportedLink(unit_id="unit1", since="2025-03-10T00:00:00Z"))
    assert is_theirs({"payer_user_id": "u-me"}, "u-me", "r-me")
    assert is_theirs({"payer_user_id": "desk-1", "on_behalf_of": "r-me"}, "u-me", "r-me")
    assert not is_theirs({"payer_user_id": "u-coresident"}, "u-me", "r-me")
    record = payment_record(
        {"payment_id": "p", "payer_user_id": "desk-1", "on_behalf_of": "r-me"}, "u-me", "R-1"
    )
    assert record == {"payment_id": "p", "paid_by": "property", "receipt_no": "R-1"}


def test_a_pass_shows_the_visitor_masked_and_no_token() -> None:
    record = pass_record(
        {"pass_id": "v1", "visitor_name": "访客", "phone_masked": "138****0000", "visitor_phone_enc": "x",
         "token": "secret-token", "phone_digest": "d", "host_user_id": "u-me"}
    )  # fmt: skip
    assert record == {"pass_id": "v1", "visitor_name": "访客", "phone_masked": "138****0000"}


def test_devices_are_masked_and_preferences_kept() -> None:
    arn = "arn:aws:sns:cn-north-1:1:endpoint/GCM/courtyard-dev/0f1e2d3c4b5a"
    record = settings_record(
        [
            {"sk": "PREFS", "preferences": json.dumps({"language": "zh-CN"})},
            {
                "sk": "PUSH#e1",
                "endpoint_id": "e1",
                "platform": "fcm",
                "endpoint_arn": arn,
                "token_digest": "digest-of-token",
            },
        ]
    )
    assert record["preferences"] == {"language": "zh-CN"}
    assert record["push_endpoints"][0]["address"] == masked_address(arn) == "••••••3c4b5a"
    assert "digest-of-token" not in json.dumps(record)
    assert arn not in json.dumps(record)


def test_a_part_that_never_comes_is_asked_for_again_once_then_the_export_fails_and_a_new_one_starts() -> None:
    """An event that never reached a feature no longer leaves the export running for an hour: the first
    read after five minutes sends the request again (once), after fifteen the export is failed (the app
    shows 重试), and the next request starts a new export."""
    bucket, events, audit, jobs = InMemoryBucket(), RecordedEvents(), RecordedAudit(), InMemoryExportJobs()
    clock = FixedClock(NOW)
    exports = ExportService(jobs, bucket, FixedDirectory(), audit, events, clock)
    first, _ = exports.start(ME, None)
    export_id = first.job.export_id
    for feature in FEATURES[1:-1]:  # every part but the last one's
        PartWriter(bucket, feature).write("t1", export_id, NOW, {"rows": [feature]})

    clock.advance(minutes=4)
    assert exports.progress(ME, export_id).job.status is ExportStatus.RUNNING
    assert len(events.published) == 1  # not yet

    clock.advance(minutes=2)
    retried = exports.progress(ME, export_id)
    exports.progress(ME, export_id)
    assert retried.job.status is ExportStatus.RUNNING
    assert retried.pending == (FEATURES[-1],)
    assert [name for name, _ in events.published] == ["PersonalDataExportRequested"] * 2  # once more only
    assert events.published[1][1].export_id == export_id  # type: ignore[attr-defined]

    clock.advance(minutes=10)
    failed = exports.progress(ME, export_id)
    assert (failed.job.status, failed.pending, failed.downloads) == (
        ExportStatus.FAILED,
        (FEATURES[-1],),
        None,
    )
    assert [r[0] for r in audit.records].count("personal_data_export_failed") == 1
    # A part arriving late does not revive it: failed is final.
    PartWriter(bucket, FEATURES[-1]).write("t1", export_id, NOW, {"rows": ["late"]})
    assert exports.progress(ME, export_id).job.status is ExportStatus.FAILED
    assert [r[0] for r in audit.records].count("personal_data_export_failed") == 1

    second, started = exports.start(ME, None)
    assert started
    assert second.job.export_id != export_id


def test_an_export_whose_parts_came_is_never_failed_by_the_deadline() -> None:
    bucket, events, audit, jobs = InMemoryBucket(), RecordedEvents(), RecordedAudit(), InMemoryExportJobs()
    clock = FixedClock(NOW)
    exports = ExportService(jobs, bucket, FixedDirectory(), audit, events, clock)
    first, _ = exports.start(ME, None)
    write_other_parts(bucket, first.job.export_id)
    clock.advance(hours=2)
    assert exports.progress(ME, first.job.export_id).job.status is ExportStatus.READY
