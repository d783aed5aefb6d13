import base64
import io
import json

import pytest
from aws_lambda_powertools import Logger
from pydantic import BaseModel, Field

from courtyard.api import CourtyardRouter, build_resolver
from courtyard.errors import Conflict, NotFound
from courtyard.tenancy import Role
from tests.factories import api_event, body_of, claims, lambda_context

log_stream = io.StringIO()
logger = Logger(service="kernel-test", stream=log_stream)
app = build_resolver("kernel-test", logger=logger, tenant_lookup=None)


class Thing(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=1)


@app.get("/whoami")
def whoami() -> dict[str, str]:
    ctx = app.tenant()
    logger.info("served whoami")
    return {"tenant_id": ctx.tenant_id, "user_id": ctx.user_id}


@app.post("/things")
def create_thing(thing: Thing) -> dict[str, object]:
    app.tenant().require(Role.MANAGER)
    return {"name": thing.name, "count": thing.count}


@app.get("/missing")
def missing() -> None:
    raise NotFound("thing")


@app.get("/conflict")
def conflict() -> None:
    raise Conflict("already closed")


@app.get("/boom")
def boom() -> None:
    raise RuntimeError("secret internals /var/task/app.py line 3")


@app.get("/public")
def public() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/idem")
def idem() -> dict[str, str | None]:
    return {"key": app.idempotency_key()}


# A route module's Router (Powertools' split routes), included explicitly: its routes get the same tenant,
# headers and error mapping as the resolver's own.
things = CourtyardRouter()


@things.get("/router/whoami")
def router_whoami() -> dict[str, str | None]:
    ctx = things.tenant()
    return {"tenant_id": ctx.tenant_id, "key": things.idempotency_key(), "request_id": things.request_id()}


@things.get("/router/missing")
def router_missing() -> None:
    raise NotFound("thing")


app.include_router(things)


def call(event):
    return app.resolve(event, lambda_context())


def test_tenant_comes_from_claims_not_from_request():
    event = api_event(
        "GET",
        "/whoami",
        claims=claims("t-a", "u-1"),
        headers={"x-tenant-id": "t-b"},
        query={"tenant_id": "t-b"},
    )
    assert body_of(call(event)) == {"tenant_id": "t-a", "user_id": "u-1"}


def test_route_needing_tenant_without_claims_is_401_with_error_body():
    response = call(api_event("GET", "/whoami"))
    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "unauthorized"


def test_public_route_needs_no_claims():
    assert call(api_event("GET", "/public"))["statusCode"] == 200


def test_domain_errors_map_to_status_and_error_body():
    assert call(api_event("GET", "/missing", claims=claims()))["statusCode"] == 404
    response = call(api_event("GET", "/conflict", claims=claims()))
    assert response["statusCode"] == 409
    assert body_of(response) == {"error": {"code": "conflict", "message": "already closed", "details": []}}


def test_role_check_is_403():
    response = call(
        api_event("POST", "/things", claims=claims(roles=(Role.RESIDENT,)), body={"name": "a", "count": 1})
    )
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["code"] == "forbidden"


def test_validation_failure_is_422_with_error_body_and_no_input_echo():
    event = api_event(
        "POST", "/things", claims=claims(roles=(Role.MANAGER,)), body={"name": "", "count": "x13800"}
    )
    response = call(event)
    assert response["statusCode"] == 422
    error = body_of(response)["error"]
    assert error["code"] == "validation_failed"
    assert {tuple(d["loc"]) for d in error["details"]} == {("body", "name"), ("body", "count")}
    assert "x13800" not in response["body"]


def test_a_body_that_is_not_utf8_is_400_not_500():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body="{}")
    event["body"] = base64.b64encode(b"\xff\xfe{bad").decode()
    event["isBase64Encoded"] = True
    response = call(event)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_json"


def test_malformed_json_is_400():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body="{not json")
    response = call(event)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_json"


def test_valid_request_succeeds():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body={"name": "a", "count": 2})
    assert body_of(call(event)) == {"name": "a", "count": 2}


def test_unexpected_exception_is_500_with_request_id_and_no_traceback():
    event = api_event("GET", "/boom", claims=claims())
    response = call(event)
    assert response["statusCode"] == 500
    error = body_of(response)["error"]
    assert error["code"] == "internal"
    assert error["request_id"] == event["requestContext"]["requestId"]
    assert "Traceback" not in response["body"]
    assert "secret internals" not in response["body"]


def test_unknown_route_is_404_with_error_body():
    response = call(api_event("GET", "/nowhere", claims=claims()))
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "route_not_found"


def logged_lines():
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines() if line.startswith("{")]
    log_stream.seek(0)
    log_stream.truncate()
    return lines


def test_logs_carry_tenant_and_correlation_id():
    event = api_event("GET", "/whoami", claims=claims("t-log", "u-log"))
    logged_lines()
    call(event)
    lines = logged_lines()
    served = next(line for line in lines if line.get("message") == "served whoami")
    assert served["tenant_id"] == "t-log"
    assert served["correlation_id"] == event["requestContext"]["requestId"]


def test_log_keys_do_not_leak_into_the_next_request():
    call(api_event("GET", "/whoami", claims=claims("t-first", "u")))
    logged_lines()
    logger.info("between requests")
    line = logged_lines()[-1]
    assert "tenant_id" not in line


def test_idempotency_key_shape_is_checked():
    ok = call(api_event("GET", "/idem", claims=claims(), headers={"Idempotency-Key": "abcdefgh-1234"}))
    assert body_of(ok) == {"key": "abcdefgh-1234"}
    bad = call(api_event("GET", "/idem", claims=claims(), headers={"Idempotency-Key": "short"}))
    assert bad["statusCode"] == 400


def test_cors_headers_present():
    response = call(api_event("GET", "/public", headers={"origin": "https://app.example"}))
    headers = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    assert "access-control-allow-origin" in headers


def _with_content_type(event, content_type):
    # A browser's fetch() with a string body and no header declares text/plain;charset=UTF-8.
    headers = {k: v for k, v in event["headers"].items() if k.lower() != "content-type"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    event["headers"] = headers
    event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return event


def test_json_body_declared_as_text_plain_is_accepted():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body={"name": "a", "count": 2})
    response = call(_with_content_type(event, "text/plain;charset=UTF-8"))
    assert response["statusCode"] == 200
    assert body_of(response) == {"name": "a", "count": 2}


def test_json_body_without_content_type_is_accepted():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body={"name": "a", "count": 2})
    response = call(_with_content_type(event, None))
    assert response["statusCode"] == 200
    assert body_of(response) == {"name": "a", "count": 2}


def test_text_plain_body_that_is_not_json_is_400():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body="name=a&count=2")
    response = call(_with_content_type(event, "text/plain"))
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_json"


def test_json_nested_a_thousand_deep_is_400_not_500():
    deep = "[" * 1000 + "]" * 1000
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body="{}")
    event["body"] = '{"name": "a", "count": 1, "extra": ' + deep + "}"
    response = call(event)
    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert error["code"] == "invalid_json"
    assert "deep" in error["message"]


def test_json_nested_deep_as_text_plain_is_400_not_500():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body="{}")
    event["body"] = '{"a": ' * 1000 + "1" + "}" * 1000
    response = call(_with_content_type(event, "text/plain"))
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "a", "count": 1, "extra": [' + ",".join(["0"] * 500_000) + "]}",  # a 1 MB array
        "{" + ",".join(f'"k{i}": 1' for i in range(100_000)) + "}",  # 100,000 keys
        '{"name": "' + "x" * 3_000_000 + '", "count": 1}',  # a 3 MB string
        '{"name": "a", "count": 1' + "9" * 5_000 + "}",  # an integer beyond Python's str/int limit
        '{"name": "a", "count": 1e999999}',
    ],
    ids=["long-array", "many-keys", "long-string", "huge-integer", "huge-exponent"],
)
def test_oversized_json_never_answers_500(body: str):
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body="{}")
    event["body"] = body
    response = call(event)
    # The route's own model may accept a long value (this one has no limits): the promise is no 500.
    assert response["statusCode"] < 500, body_of(response)


def test_brackets_inside_strings_do_not_count_towards_the_depth():
    name = "[" * 100 + '\\"{' * 100
    event = api_event(
        "POST", "/things", claims=claims(roles=(Role.MANAGER,)), body={"name": name, "count": 1}
    )
    response = call(event)
    assert response["statusCode"] == 200
    assert body_of(response)["name"] == name


def test_a_router_route_sees_the_callers_tenant_and_headers():
    event = api_event(
        "GET", "/router/whoami", claims=claims("t-a", "u-1"), headers={"Idempotency-Key": "key-12345678"}
    )
    body = body_of(call(event))
    assert body["tenant_id"] == "t-a"
    assert body["key"] == "key-12345678"
    assert body["request_id"]


def test_a_router_route_without_claims_is_401_and_its_domain_errors_map_as_the_resolvers():
    assert call(api_event("GET", "/router/whoami"))["statusCode"] == 401
    response = call(api_event("GET", "/router/missing", claims=claims("t-a", "u-1")))
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "not_found"


def test_a_router_not_yet_included_has_no_request_to_answer_for():
    loose = CourtyardRouter()
    with pytest.raises(RuntimeError):
        loose.tenant()


def test_an_integer_too_long_for_python_is_400_invalid_json():
    event = api_event("POST", "/things", claims=claims(roles=(Role.MANAGER,)), body="{}")
    event["body"] = '{"name": "a", "count": 1' + "9" * 5_000 + "}"
    response = call(event)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_json"
