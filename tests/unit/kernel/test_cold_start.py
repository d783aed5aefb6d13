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

from infra.local.template import load_template

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
    found = {}
    for feature in sorted({h.split(".")[0] for h in HANDLERS}):
        modules = [h for h in HANDLERS if h.split(".")[0] == feature]
        imports = "\n".join(f"import {m}" for m in modules)
        probe = _PROBE.format(imports=imports, features=set(features), lazy=LAZY)
        output = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        ).stdout
        found.update(dict.fromkeys(modules, json.loads(output.strip().splitlines()[-1])))
    return found


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
