"""Every function can build its settings from exactly the environment template.yaml gives it.

A required setting missing from one function's environment fails only when that function starts (the tickets
job and alarm consumers once lacked PHOTO_BUCKET and failed on every run); this finds it before a deploy.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from infra.local.provision import Stack
from infra.local.template import Template, load_template

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = [f.logical_id for f in load_template(ROOT / "template.yaml").functions()]


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_the_function_builds_its_settings_from_its_template_environment(
    function_id: str, stack: Stack, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    every_name = {name for f in template.functions() for name in stack.function_environment(f)}
    for name in every_name:
        monkeypatch.delenv(name, raising=False)
    function = template.function(function_id)
    for name, value in stack.function_environment(function).items():
        monkeypatch.setenv(name, value)
    module = importlib.import_module(f"{function.handler.partition('.')[0]}.settings")
    module.settings.cache_clear()
    try:
        assert module.settings() is not None
    finally:
        module.settings.cache_clear()
