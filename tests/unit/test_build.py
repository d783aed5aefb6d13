import shutil
import subprocess
from pathlib import Path

import pytest

from infra.build import (
    LAMBDA_PYTHON,
    PYC_TAG,
    ROOT,
    NoRuntimePython,
    build_function,
    compile_build,
    feature_of,
    runtime_python,
    runtime_requirements,
    uncompiled,
)


@pytest.mark.parametrize(("stem", "feature"), [("Directory", "directory"), ("DirectoryImport", "directory")])
def test_functions_map_to_the_feature_package_of_their_handler(stem: str, feature: str):
    assert feature_of(stem) == feature


def test_a_function_ships_only_its_own_feature(tmp_path: Path):
    build_function("Directory", tmp_path)
    shipped = {p.name for p in tmp_path.iterdir()}
    assert shipped == {"directory"}
    assert (tmp_path / "directory" / "handler.py").exists()
    assert not list(tmp_path.rglob("__pycache__"))


def test_layer_requirements_are_the_projects_runtime_dependencies_only():
    requirements = runtime_requirements()
    names = {r.split("[")[0].split(">")[0].split("<")[0].split("=")[0] for r in requirements}
    assert {"aws-lambda-powertools", "pydantic", "boto3"} <= names
    assert not names & {"moto", "chalice", "amqtt", "awsiotsdk", "pytest"}


def _runtime_python_or_skip() -> str:
    try:
        return runtime_python()
    except NoRuntimePython as missing:
        pytest.skip(f"no python{LAMBDA_PYTHON} on this machine: {missing}")


def test_the_build_finds_an_interpreter_of_the_runtime_s_version():
    python = _runtime_python_or_skip()
    version = subprocess.run([python, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith(f"Python {LAMBDA_PYTHON}.")


def test_compiling_a_build_leaves_a_runtime_pyc_beside_every_module(tmp_path: Path):
    _runtime_python_or_skip()
    package = tmp_path / "visitors"
    package.mkdir()
    for name in ("__init__.py", "handler.py"):
        (package / name).write_text("VALUE = 1\n", encoding="utf-8")
    assert uncompiled(tmp_path)  # sources only, nothing compiled yet

    compile_build(tmp_path)

    assert uncompiled(tmp_path) == []
    assert (package / "__pycache__" / f"handler.{PYC_TAG}.pyc").exists()


def test_without_the_runtime_s_python_the_build_fails_instead_of_shipping_no_pyc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "handler.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))

    with pytest.raises(NoRuntimePython, match=f"no python{LAMBDA_PYTHON}"):
        compile_build(tmp_path)
    assert uncompiled(tmp_path)


def test_the_last_build_shipped_a_runtime_pyc_for_every_module():
    built = ROOT / ".aws-sam" / "build"
    if not built.is_dir():
        pytest.skip("no .aws-sam/build here: `make build` has not run")
    assert uncompiled(built) == []
