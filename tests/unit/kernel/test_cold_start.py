"""The cold-start levers hold for every function: what its handler's import leaves unloaded and unbuilt.

No timing here (bench/cold_import.py measures); these are the facts the figures rest on, checked in a fresh
interpreter as Lambda would import the handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.template import ApiEvent, load_template

ROOT = Path(__file__).resolve().parents[3]
HANDLERS = sorted({f.handler.rpartition(".")[0] for f in load_template(ROOT / "template.yaml").functions()})

# Loaded by no handler's import: the X-Ray SDK (built by a sampled invocation), pydantic-settings, Powertools'
# batch utility and parser (24 models built at import; ``courtyard.batch`` answers the partial batch), the QR
# library (the first pass rendered), the PDF library (the first receipt) and the payment providers' SDKs and
# adapters (the first checkout).
LAZY = (
    "aws_xray_sdk",
    "pydantic_settings",
    "dotenv",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.parser",
    "segno",
    "reportlab",
    "stripe",
    "wechatpayv3",
    "alipay",
    "payments.adapters.wechatpay",
    "payments.adapters.alipay",
    "payments.adapters.stripe",
    "payments.adapters.pay_sandbox",
)

_PROBE = """
import json, sys
import pydantic
LAZY = {lazy}
{imports}
def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)
from courtyard.models import Model
ours = [m for m in subclasses(pydantic.BaseModel) if m.__module__.split(".")[0] in {features}]
print(json.dumps({{
    "outside": sorted(m.__module__ + "." + m.__name__ for m in ours if not issubclass(m, Model)),
    "built": sorted(m.__module__ + "." + m.__name__ for m in ours if m.__pydantic_complete__),
    "models": len(ours),
    "loaded": sorted(n for n in LAZY if n in sys.modules),
}}))
"""


@pytest.fixture(scope="module")
def imported() -> dict[str, dict[str, object]]:
    """Each feature's handler modules imported in a fresh interpreter, with tracing on as in the template
    (one interpreter a feature, not a handler: the unit suite stays quick, and a model no handler builds is
    unbuilt whichever of them imports it)."""
    features = sorted({h.split(".")[0] for h in HANDLERS} | {"schemas", "courtyard"})
    found = {}
    for feature in sorted({h.split(".")[0] for h in HANDLERS}):
        modules = [h for h in HANDLERS if h.split(".")[0] == feature]
        imports = "\n".join(f"import {m}" for m in modules)
        probe = _PROBE.format(imports=imports, features=set(features), lazy=LAZY)
        found.update(dict.fromkeys(modules, _run(probe)))
    return found


def _run(probe: str) -> dict[str, object]:
    """``probe``'s last line of output, run in a fresh interpreter as Lambda runs a handler."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(
        PYTHONPATH=os.pathsep.join(
            [
                str(ROOT / "bench" / "lambda_runtime"),
                str(ROOT / "functions"),
                str(ROOT / "layers/courtyard"),
                str(ROOT),
            ]
        ),
        LAMBDA_TASK_ROOT=str(ROOT / "functions"),
        POWERTOOLS_TRACE_DISABLED="false",
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("module", HANDLERS)
def test_a_handler_s_import_builds_none_of_its_models(imported, module: str) -> None:
    assert imported[module]["models"], "the probe found no model at all"
    assert imported[module]["built"] == []


@pytest.mark.parametrize("module", HANDLERS)
def test_every_model_a_handler_imports_inherits_the_kernel_s_deferred_base(imported, module: str) -> None:
    """Built on first use by inheritance (``courtyard.models.Model``), not by a global change to pydantic."""
    assert imported[module]["outside"] == []


@pytest.mark.parametrize("module", HANDLERS)
def test_a_handler_s_import_loads_none_of_the_lazy_libraries(imported, module: str) -> None:
    assert imported[module]["loaded"] == []


# The floor of bench/cold_import.py: what any Python API function on Lambda imports anyway.
_FLOOR = """
import json, sys
import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
APIGatewayRestResolver(enable_validation=True)
print(json.dumps({"modules": len(sys.modules)}))
"""
_API_PROBE = """
import json, sys
import {module} as handler
families = handler.app.route_families
print(json.dumps({{
    "modules": len(sys.modules),
    "families": list(families.modules) if families is not None else [],
    "loaded": sorted(m for m in (families.modules if families is not None else ()) if m in sys.modules),
    "event_contracts": "schemas.events" in sys.modules,
}}))
"""
API_HANDLERS = sorted(
    f.handler.rpartition(".")[0]
    for f in load_template(ROOT / "template.yaml").functions()
    if f.events_of(ApiEvent)
)
# Modules an API handler's import may load beyond the floor's (about 660): the kernel (about 35), the
# feature's door, models and wiring. A module count is no timing, but it moves with the import's cost and not
# with the machine's load: the directory API loaded 759 (every route family) before its families were
# imported per request, the others 709-734 (bench/cold_import.py times them).
API_MODULES_OVER_FLOOR = 80
DIRECTORY_MODULES_OVER_FLOOR = 50


@pytest.fixture(scope="module")
def api_imported() -> dict[str, dict[str, object]]:
    """Each API handler imported alone in a fresh interpreter (counts are per function), and the floor."""
    found = {module: _run(_API_PROBE.format(module=module)) for module in API_HANDLERS}
    found["floor"] = _run(_FLOOR)
    return found


def _over_floor(found: dict[str, dict[str, object]], module: str) -> int:
    modules, floor = found[module]["modules"], found["floor"]["modules"]
    assert isinstance(modules, int)
    assert isinstance(floor, int)
    return modules - floor


@pytest.mark.parametrize("module", API_HANDLERS)
def test_an_api_handler_s_import_loads_few_modules_beyond_the_floor(api_imported, module: str) -> None:
    assert _over_floor(api_imported, module) <= API_MODULES_OVER_FLOOR


@pytest.mark.parametrize("module", API_HANDLERS)
def test_an_api_handler_s_import_loads_no_event_contract(api_imported, module: str) -> None:
    """schemas/events.py defines every feature's events; an API imports them when it first publishes one
    (reads, most first requests, publish none)."""
    assert api_imported[module]["event_contracts"] is False


def test_the_directory_api_s_import_loads_none_of_its_route_families(api_imported) -> None:
    """The directory serves twelve route families; a cold start imports the one its first request needs."""
    found = api_imported["directory.handler"]
    assert len(found["families"]) >= 12
    assert found["loaded"] == []
    assert _over_floor(api_imported, "directory.handler") <= DIRECTORY_MODULES_OVER_FLOOR


def test_the_tickets_api_s_import_loads_none_of_its_split_routes(api_imported) -> None:
    found = api_imported["tickets.handler"]
    assert found["families"] == ["tickets.followup_routes", "tickets.photo_routes", "tickets.stats_routes"]
    assert found["loaded"] == []
