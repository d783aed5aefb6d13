"""Build steps behind `make build`: called by SAM's makefile builders, then `compile` byte-compiles.

Run with `sam build --build-in-source` so these steps can reach the repository (schemas/, pyproject.toml).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script by SAM's builders: make `infra` importable
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORM = "manylinux2014_aarch64"
PYC_TAG = "cpython-" + LAMBDA_PYTHON.replace(".", "")


def feature_of(logical_stem: str, template: Path = ROOT / "template.yaml") -> str:
    """The feature package a function runs: the first part of its Handler in the template
    (DirectoryImportFunction -> "directory.imports_handler.lambda_handler" -> "directory")."""
    from infra.local.template import load_template

    return load_template(template).function(f"{logical_stem}Function").handler.split(".")[0]


def build_function(logical_stem: str, artifacts: Path) -> None:
    feature = feature_of(logical_stem)
    source = ROOT / "functions" / feature
    if not (source / "__init__.py").exists():
        sys.exit(f"no feature package functions/{feature} for {logical_stem}Function")
    shutil.copytree(source, artifacts / feature, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"])


def build_layer(artifacts: Path) -> None:
    target = artifacts / "python"
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "--platform",
            LAMBDA_PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON,
            "--only-binary=:all:",
            *runtime_requirements(),
        ],
        check=True,
    )
    # iot/ carries the topic scheme and the per-thing policy the sensors function provisions devices with.
    for package in (ROOT / "layers" / "courtyard" / "courtyard", ROOT / "schemas", ROOT / "iot"):
        shutil.copytree(package, target / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


class NoRuntimePython(SystemExit):
    """No interpreter of the runtime's version: the build stops rather than ship code without .pyc."""


def runtime_python(version: str = LAMBDA_PYTHON) -> str:
    """An interpreter of the Lambda runtime's version: ``python3.12`` on PATH, or one installed by pyenv
    (its shim on PATH fails when that version is not the selected one, so the versions folder is searched).
    """
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted((pyenv_root / "versions").glob(f"{version}.*/bin/python{version}"))]
    for python in candidates:
        if python is None:
            continue
        answer = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return python
    raise NoRuntimePython(
        f"make build: no python{version} here, so the functions cannot be byte-compiled for the Lambda "
        f"runtime ({version}). Without matching .pyc every cold start recompiles the code (Lambda's code "
        f"directory is read-only). Install Python {version} (pyenv, or your distribution's python{version}) "
        "or build in the SAM build image: `sam build --use-container`."
    )


def compile_build(build_dir: Path) -> None:
    """Byte-compile shipped code with the runtime's Python: Lambda's code directory is read-only, so
    modules without a matching .pyc recompile on every cold start. Fails when that Python is missing or a
    module is left without its .pyc."""
    python = runtime_python()
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", str(build_dir)], check=True)
    missing = uncompiled(build_dir)
    if missing:
        raise SystemExit(f"make build: {len(missing)} module(s) without a {PYC_TAG} .pyc, e.g. {missing[0]}")


def uncompiled(build_dir: Path, tag: str = "") -> list[Path]:
    """The shipped modules under ``build_dir`` that have no .pyc for the runtime (``cpython-312``)."""
    tag = tag or PYC_TAG
    return [
        source
        for source in sorted(build_dir.rglob("*.py"))
        if not (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").exists()
    ]


def main(argv: list[str]) -> int:
    match argv:
        case ["function", stem, artifacts]:
            build_function(stem, Path(artifacts))
        case ["layer", artifacts]:
            build_layer(Path(artifacts))
        case ["compile", build_dir]:
            compile_build(Path(build_dir))
        case _:
            print(
                "usage: build.py function STEM ARTIFACTS | layer ARTIFACTS | compile BUILD_DIR",
                file=sys.stderr,
            )
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
