"""Every API function that includes its route families lazily reaches, for each route it serves, the family
that serves it: a prefix table that drifted from the routes would answer 404 to a real route."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from courtyard.api import CourtyardResolver
from infra.local.template import ApiEvent, load_template

ROOT = Path(__file__).resolve().parents[2]
API_FUNCTIONS = [f for f in load_template(ROOT / "template.yaml").functions() if f.events_of(ApiEvent)]
LAZY = ("DirectoryFunction", "TicketsFunction", "PaymentsFunction")


def _resolver(handler: str) -> CourtyardResolver:
    app = importlib.import_module(handler.rpartition(".")[0]).app
    assert isinstance(app, CourtyardResolver)
    return app


def test_the_functions_with_many_route_modules_include_them_lazily() -> None:
    lazy = {f.logical_id for f in API_FUNCTIONS if _resolver(f.handler).route_families is not None}
    assert set(LAZY) <= lazy


@pytest.mark.parametrize("function", API_FUNCTIONS, ids=lambda f: f.logical_id)
def test_each_wired_route_s_path_reaches_the_family_that_serves_it(function) -> None:
    app = _resolver(function.handler)
    families = app.route_families
    if families is None:
        pytest.skip("this function imports its routes eagerly")
    app.get_openapi_schema()  # includes every family
    served = {
        (route.openapi_path, route.method.upper()): route.func.__module__
        for route in [*app._static_routes, *app._dynamic_routes]
    }
    for event in function.events_of(ApiEvent):
        owner = served[(event.path, event.method)]
        expected = owner if owner in families.modules else None
        # A request's path: each parameter filled with a value no literal segment has.
        path = re.sub(r"\{[^}]+\}", "x-1", event.path)
        assert families.module_for(path) == expected, f"{event.method} {event.path} is served by {owner}"
