"""Bulk import routes: create a job and its upload form, validate (dry run), commit, follow progress."""

from __future__ import annotations

from courtyard.api import CourtyardRouter
from directory.imports.models import ImportCreate, ImportOut
from directory.wiring import imports as service

router = CourtyardRouter()


@router.post(
    "/imports",
    summary="Start an import of units and residents: returns the job and a presigned upload form",
    responses={201: {"description": "Created"}},
)
def create_import(body: ImportCreate) -> tuple[ImportOut, int]:
    job, upload = service().create(router.tenant(), body)
    return ImportOut.from_domain(job, upload), 201


@router.get("/imports/<import_id>", summary="An import's status, progress and row report")
def get_import(import_id: str) -> ImportOut:
    return ImportOut.from_domain(service().get(router.tenant(), import_id))


@router.post(
    "/imports/<import_id>/validate",
    summary="Validate the uploaded file (dry run) in the background",
    responses={202: {"description": "Accepted"}},
)
def validate_import(import_id: str) -> tuple[ImportOut, int]:
    return ImportOut.from_domain(service().request_validation(router.tenant(), import_id)), 202


@router.post(
    "/imports/<import_id>/commit",
    summary="Commit the validated rows in the background; committing again changes nothing",
    responses={202: {"description": "Accepted"}},
)
def commit_import(import_id: str) -> tuple[ImportOut, int]:
    return ImportOut.from_domain(service().request_commit(router.tenant(), import_id)), 202
