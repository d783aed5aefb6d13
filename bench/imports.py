"""Bulk import on the local cloud: a 5,000-row spreadsheet validated and committed, rows per second.

The whole path runs as in production: the API creates the job and a presigned form, the file is POSTed to S3
(moto), validate and commit travel through SQS to the import worker's own process, and progress is polled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from directory.imports.sample import clean_sample
from infra.demo import seed_cloud
from infra.http import post_form, request
from infra.local.cloud import LocalCloud, wait_for
from infra.seed import sign_in


@dataclass(frozen=True)
class ImportResult:
    rows: int
    validate_s: float
    commit_s: float

    @property
    def validate_rows_per_s(self) -> float:
        return self.rows / self.validate_s

    @property
    def commit_rows_per_s(self) -> float:
        return self.rows / self.commit_s


def run(rows: int = 5000) -> ImportResult:
    data = clean_sample(rows)
    with LocalCloud(run_schedules=False) as cloud:
        assert cloud.info is not None
        demo = seed_cloud(cloud)
        manager = demo.user("greenfield", "manager")
        token = sign_in(
            cloud.client("cognito-idp"),
            cloud.info.user_pool_id,
            cloud.info.user_pool_client_id,
            manager.username,
        )
        api = cloud.info.api_url
        site = request(
            "POST",
            f"{api}/sites",
            token=token,
            body={"name": "Bench Garden", "address": "1 Bench Rd", "city": "Hangzhou"},
        )
        assert site.status == 201, site.text
        created = request(
            "POST",
            f"{api}/imports",
            token=token,
            body={"site_id": site.json()["site_id"], "filename": "bench.csv", "content_type": "text/csv"},
        ).json()
        form = created["upload"]
        assert post_form(form["url"], form["fields"], "bench.csv", data).status in (200, 204)
        import_id = created["import_id"]

        def status() -> dict[str, Any]:
            job: dict[str, Any] = request("GET", f"{api}/imports/{import_id}", token=token).json()
            return job

        started = time.perf_counter()
        request("POST", f"{api}/imports/{import_id}/validate", token=token)
        assert wait_for(lambda: status()["status"] in {"validated", "failed"}, timeout_s=300, interval_s=0.1)
        validate_s = time.perf_counter() - started
        assert status()["status"] == "validated", status()

        started = time.perf_counter()
        request("POST", f"{api}/imports/{import_id}/commit", token=token)
        assert wait_for(lambda: status()["status"] in {"committed", "failed"}, timeout_s=600, interval_s=0.2)
        commit_s = time.perf_counter() - started
        assert status()["status"] == "committed", status()
    return ImportResult(rows=rows, validate_s=validate_s, commit_s=commit_s)
