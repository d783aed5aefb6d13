"""One contract, two export-job stores: the in-memory one the unit tests use (``tests.fakes.exports``) and
the moto-backed ``ExportJobs`` keep the same promises (one pointer per person moved only from the export it
names, one claim per key, ready once), so the fake cannot drift from the table."""

from __future__ import annotations

import pytest

from directory.exports.models import ExportJob, ExportStatus
from directory.exports.repository import RaceLost
from directory.exports.service import Jobs
from tests.fakes.exports import InMemoryExportJobs

EXPIRES = 1_900_000_000


def job(export_id: str, tenant_id: str = "t1", resident_id: str = "R1") -> ExportJob:
    return ExportJob(
        tenant_id, export_id, resident_id, "u1", "2026-12-07T08:00:00.000Z", ExportStatus.RUNNING
    )


@pytest.fixture(params=["memory", "dynamodb"])
def jobs(request: pytest.FixtureRequest) -> Jobs:
    if request.param == "memory":
        return InMemoryExportJobs()
    request.getfixturevalue("handler")  # the DirectoryFunction's environment on moto
    from directory import wiring
    from directory.exports.repository import ExportJobs

    return ExportJobs(wiring.table())


def test_the_pointer_moves_only_from_the_export_it_names(jobs: Jobs) -> None:
    jobs.create(job("E1"), None, "K1", EXPIRES)
    assert (jobs.latest("t1", "R1"), jobs.claimed("t1", "R1", "K1")) == ("E1", "E1")

    with pytest.raises(RaceLost):
        jobs.create(job("E2"), None, None, EXPIRES)  # a racing first request
    with pytest.raises(RaceLost):
        jobs.create(job("E3"), "E0", None, EXPIRES)  # read an older pointer
    with pytest.raises(RaceLost):
        jobs.create(job("E4"), "E1", "K1", EXPIRES)  # the same key again
    jobs.create(job("E5"), "E1", None, EXPIRES)

    assert jobs.latest("t1", "R1") == "E5"
    assert [jobs.get("t1", e) is not None for e in ("E1", "E2", "E3", "E4", "E5")] == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert jobs.get("t2", "E5") is None
    assert jobs.latest("t2", "R1") is None


def test_published_and_ready_once(jobs: Jobs) -> None:
    jobs.create(job("E1"), None, None, EXPIRES)
    jobs.mark_published("t1", "E1")
    first = jobs.mark_ready("t1", "E1", "2026-12-07T08:01:00.000Z")
    again = jobs.mark_ready("t1", "E1", "2026-12-07T08:09:00.000Z")

    stored = jobs.get("t1", "E1")
    assert stored is not None
    assert stored.published
    assert stored.status is ExportStatus.READY
    assert first.ready_at == again.ready_at == stored.ready_at == "2026-12-07T08:01:00.000Z"
