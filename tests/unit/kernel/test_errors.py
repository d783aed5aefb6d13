import pytest

from courtyard.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthorized, Unprocessable


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Invalid("bad cursor"), 400, "invalid"),
        (Unauthorized("who are you"), 401, "unauthorized"),
        (Forbidden("no"), 403, "forbidden"),
        (NotFound("ticket"), 404, "not_found"),
        (Conflict("closed"), 409, "conflict"),
        (Unprocessable("rule broken"), 422, "unprocessable"),
    ],
)
def test_each_error_has_its_status_and_code(error: DomainError, status: int, code: str):
    assert error.status == status
    assert error.body() == {"error": {"code": code, "message": error.message, "details": []}}


def test_not_found_names_the_resource_only():
    assert NotFound("ticket").body()["error"]["message"] == "ticket not found"


def test_details_are_carried():
    error = Invalid("bad", details=[{"field": "limit"}])
    assert error.body()["error"]["details"] == [{"field": "limit"}]
