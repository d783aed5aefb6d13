"""Export jobs in the directory table, and the directory's reads for its own part of an export.

Items (tenant-prefixed, each expiring with the bucket's objects, TTL ``expires_at``):
- ``EXPORT#{export_id}`` / ``EXPORT``: the job (resident, user, requested_at, status, published, ready_at);
- ``EXPORTS#{resident_id}`` / ``RUNNING``: the person's latest export, so a second request while it runs
  answers it; replaced only under a condition on the export it names (two racing requests make one job);
- ``EXPORTS#{resident_id}`` / ``KEY#{digest}``: a client's Idempotency-Key, naming the export it started.
"""

from __future__ import annotations

from typing import Any

from courtyard.dynamo import tenant_key
from courtyard.errors import Conflict
from directory.exports.models import ExportJob, ExportStatus
from directory.table import DirectoryTable


def _job_key(tenant_id: str, export_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "EXPORT", export_id), "sk": "EXPORT"}


def _running_key(tenant_id: str, resident_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "EXPORTS", resident_id), "sk": "RUNNING"}


def _claim_key(tenant_id: str, resident_id: str, key_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "EXPORTS", resident_id), "sk": f"KEY#{key_digest}"}


class RaceLost(Exception):
    """Another request started an export for the person meanwhile (or used the same key)."""


class ExportJobs:
    def __init__(self, table: DirectoryTable) -> None:
        self._table = table

    def get(self, tenant_id: str, export_id: str) -> ExportJob | None:
        item = self._table.get(_job_key(tenant_id, export_id), consistent=True)
        return _job(item) if item else None

    def latest(self, tenant_id: str, resident_id: str) -> str | None:
        """The id of the person's latest export (running or not)."""
        item = self._table.get(_running_key(tenant_id, resident_id), consistent=True)
        return str(item["export_id"]) if item else None

    def claimed(self, tenant_id: str, resident_id: str, key_digest: str) -> str | None:
        item = self._table.get(_claim_key(tenant_id, resident_id, key_digest), consistent=True)
        return str(item["export_id"]) if item else None

    def create(self, job: ExportJob, previous: str | None, key_digest: str | None, expires_at: int) -> None:
        """The job, the person's pointer (only if it still names ``previous``) and the key claim at once."""
        pointer = {
            **_running_key(job.tenant_id, job.resident_id),
            "tenant_id": job.tenant_id,
            "export_id": job.export_id,
            "expires_at": expires_at,
        }
        actions = [
            self._table.put_action(_item(job, expires_at), "attribute_not_exists(pk)"),
            self._table.put_action(
                pointer,
                "attribute_not_exists(pk)" if previous is None else "export_id = :previous",
            ),
        ]
        if previous is not None:
            actions[1]["Put"]["ExpressionAttributeValues"] = {":previous": {"S": previous}}
        if key_digest is not None:
            actions.append(
                self._table.put_action(
                    {
                        **_claim_key(job.tenant_id, job.resident_id, key_digest),
                        "tenant_id": job.tenant_id,
                        "export_id": job.export_id,
                        "expires_at": expires_at,
                    },
                    "attribute_not_exists(pk)",
                )
            )
        try:
            self._table.transact(actions, conflict="export")
        except Conflict as lost:
            raise RaceLost from lost

    def mark_published(self, tenant_id: str, export_id: str) -> None:
        self._table.update(
            _job_key(tenant_id, export_id),
            "SET published = :yes",
            {":yes": True},
            condition="attribute_exists(pk)",
            conflict="export",
        )

    def mark_ready(self, tenant_id: str, export_id: str, at: str) -> ExportJob:
        """Ready once; a second merge (a racing download) keeps the first time."""
        item = self._table.update(
            _job_key(tenant_id, export_id),
            "SET #status = :ready, ready_at = if_not_exists(ready_at, :at)",
            {":ready": ExportStatus.READY.value, ":at": at},
            names={"#status": "status"},
            condition="attribute_exists(pk)",
            conflict="export",
        )
        return _job(item)

    def mark_retried(self, tenant_id: str, export_id: str) -> bool:
        """The one re-send of a running export's request; False when another reader did it first."""
        try:
            self._table.update(
                _job_key(tenant_id, export_id),
                "SET retried = :yes",
                {":yes": True, ":running": ExportStatus.RUNNING.value},
                names={"#status": "status"},
                condition="attribute_exists(pk) AND #status = :running AND attribute_not_exists(retried)",
                conflict="export",
            )
        except Conflict:
            return False
        return True

    def mark_failed(self, tenant_id: str, export_id: str) -> tuple[ExportJob, bool]:
        """A running export past its deadline becomes failed (True); one already ready (a part came in time
        and another reader merged it) or failed stays as it is (False)."""
        try:
            item = self._table.update(
                _job_key(tenant_id, export_id),
                "SET #status = :failed",
                {":failed": ExportStatus.FAILED.value, ":running": ExportStatus.RUNNING.value},
                names={"#status": "status"},
                condition="attribute_exists(pk) AND #status = :running",
                conflict="export",
            )
        except Conflict:
            current = self.get(tenant_id, export_id)
            if current is None:
                raise
            return current, False
        return _job(item), True

    def care_entry(self, tenant_id: str, resident_id: str) -> dict[str, Any] | None:
        """The person's entry on the firm's care list (flags, the desk's note), if any."""
        item = self._table.get({"pk": tenant_key(tenant_id, "CARE"), "sk": f"RES#{resident_id}"})
        if item is None:
            return None
        return {
            "flags": sorted(str(f) for f in item.get("flags") or ()),
            "note": str(item.get("note") or ""),
            "updated_at": item.get("updated_at"),
        }


def _item(job: ExportJob, expires_at: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_job_key(job.tenant_id, job.export_id),
        "tenant_id": job.tenant_id,
        "export_id": job.export_id,
        "resident_id": job.resident_id,
        "user_id": job.user_id,
        "requested_at": job.requested_at,
        "status": job.status.value,
        "published": job.published,
        "expires_at": expires_at,
    }
    return item


def _job(item: dict[str, Any]) -> ExportJob:
    ready_at = item.get("ready_at")
    return ExportJob(
        tenant_id=str(item["tenant_id"]),
        export_id=str(item["export_id"]),
        resident_id=str(item["resident_id"]),
        user_id=str(item["user_id"]),
        requested_at=str(item["requested_at"]),
        status=ExportStatus(str(item["status"])),
        published=bool(item.get("published", False)),
        ready_at=str(ready_at) if ready_at else None,
        retried=bool(item.get("retried", False)),
    )
