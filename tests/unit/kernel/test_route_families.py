"""Route families (courtyard.route_families): a request imports and includes only the family serving its path;
the OpenAPI document lists every family's routes, as the eager includes did."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest

from courtyard.api import CourtyardRouter, build_resolver
from courtyard.route_families import RouteFamilies
from tests.factories import api_event, lambda_context

FAMILIES = {
    "fam_people": ("/me", "/residents"),
    "fam_proxies": ("/me/proxies", "/units/{unit_id}/proxies"),
    "fam_places": ("/units", "/sites"),
    "fam_stats": ("/tickets/stats",),
    "fam_followup": ("/tickets/{ticket_id}/return-visit",),
}


class _Recorder:
    def __init__(self) -> None:
        self.included: list[object] = []

    def include_router(self, router: object, prefix: str | None = None) -> None:
        self.included.append(router)


@pytest.fixture
def modules() -> Iterator[dict[str, types.ModuleType]]:
    """A module per family, each with a router that answers its first path with the family's name."""
    made = {}
    for name, prefixes in FAMILIES.items():
        module = types.ModuleType(name)
        router = CourtyardRouter()
        path = prefixes[0].replace("{unit_id}", "<unit_id>").replace("{ticket_id}", "<ticket_id>")

        def answer(family: str = name) -> dict[str, str]:
            return {"family": family}

        if "<" in path:  # the path's parameter is the function's

            def answer(ticket_id: str, family: str = name) -> dict[str, str]:  # type: ignore[misc]
                return {"family": family}

        answer.__module__ = name  # as a function defined in the family's module
        router.get(path)(answer)
        module.router = router  # type: ignore[attr-defined]
        made[name] = module
    sys.modules.update(made)
    yield made
    for name in made:
        sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/me", "fam_people"),
        ("/me/erase", "fam_people"),
        ("/me/proxies", "fam_proxies"),  # the longer prefix wins
        ("/units/u-1", "fam_places"),
        ("/units/u-1/proxies", "fam_proxies"),  # a placeholder stands for any one segment
        ("/units/u-1/proxies/p-1/revoke", "fam_proxies"),
        ("/tickets/stats", "fam_stats"),
        ("/tickets/t-1/return-visit", "fam_followup"),
        ("/tickets/t-1", None),  # the handler's own route: no family
        ("/health", None),
        ("/", None),
        ("/mex", None),  # segments, not characters
        ("/units/u-1/proxiesx", "fam_places"),
    ],
)
def test_a_path_belongs_to_the_family_with_the_longest_matching_prefix(path: str, family: str | None) -> None:
    assert RouteFamilies(FAMILIES).module_for(path) == family


def test_a_literal_segment_beats_a_placeholder_of_the_same_length() -> None:
    families = RouteFamilies({"by_id": ("/tickets/{ticket_id}",), "stats": ("/tickets/stats",)})
    assert families.module_for("/tickets/stats") == "stats"
    assert families.module_for("/tickets/t-1") == "by_id"


def test_a_request_includes_only_its_family_and_each_family_once(modules) -> None:
    families, app = RouteFamilies(FAMILIES), _Recorder()
    families.include_for(app, "/me/proxies")
    families.include_for(app, "/units/u-1/proxies")
    families.include_for(app, "/health")
    families.include_for(app, None)
    assert app.included == [modules["fam_proxies"].router]


def test_include_all_includes_every_family_once_in_the_order_given(modules) -> None:
    families, app = RouteFamilies(FAMILIES), _Recorder()
    families.include_for(app, "/sites")
    families.include_all(app)
    families.include_all(app)
    order = ["fam_places", *(name for name in FAMILIES if name != "fam_places")]
    assert app.included == [modules[name].router for name in order]


def test_a_family_without_a_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="fam_empty"):
        RouteFamilies({"fam_people": ("/me",), "fam_empty": ()})


def test_the_resolver_answers_a_family_s_route_after_importing_only_that_family(modules) -> None:
    app = build_resolver("families", tenant_lookup=None, assist_audit=None)
    app.get("/health")(lambda: {"status": "ok"})
    app.include_families(FAMILIES)

    health = app.resolve(api_event("GET", "/health"), lambda_context())
    assert health["statusCode"] == 200
    assert all(module.router.api_resolver is None for module in modules.values())

    answered = app.resolve(api_event("GET", "/me/proxies"), lambda_context())
    assert answered["statusCode"] == 200
    assert '"fam_proxies"' in answered["body"]
    included = [name for name, module in modules.items() if module.router.api_resolver is app]
    assert included == ["fam_proxies"]

    unknown = app.resolve(api_event("GET", "/tickets/t-1/nowhere"), lambda_context())
    assert unknown["statusCode"] == 404


def test_the_document_lists_every_family_first_in_the_order_given_whatever_was_included_before(
    modules,
) -> None:
    app = build_resolver("families", tenant_lookup=None, assist_audit=None)
    app.get("/health")(lambda: {"status": "ok"})
    app.include_families(FAMILIES)
    app.resolve(api_event("GET", "/sites"), lambda_context())

    paths = list(app.get_openapi_schema().paths or {})
    assert paths == [
        "/tickets/{ticket_id}/return-visit",  # Powertools lists the routes with parameters first
        "/me",
        "/me/proxies",
        "/units",
        "/tickets/stats",
        "/health",
    ]
