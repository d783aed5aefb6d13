"""Build steps behind `make build`: called by SAM's makefile builders, then `compile` byte-compiles.

Run with `sam build --build-in-source` so these steps can reach the repository (schemas/, pyproject.toml).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script by SAM's builders: make `infra` importable
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORM = "manylinux2014_aarch64"


def feature_of(logical_stem: str, template: Path = ROOT / "template.yaml") -> str:
    """The feature package a function runs: the first part of its Handler in the template
    (DirectoryImportFunction -> "directory.import_worker.lambda_handler" -> "directory")."""
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


def compile_build(build_dir: Path) -> None:
    """Byte-compile shipped code with the runtime's Python: Lambda's code directory is read-only, so
    modules without a matching .pyc recompile on every cold start."""
    python = shutil.which(f"python{LAMBDA_PYTHON}")
    # A pyenv shim exists even when that version is not installed, so ask the interpreter itself.
    if python is not None and subprocess.run([python, "-c", ""], capture_output=True, check=False).returncode:
        python = None
    if python is None:
        print(
            f"warning: python{LAMBDA_PYTHON} not found; skipping compileall (a .pyc from another version is "
            "ignored by the Lambda runtime). `sam build --use-container` builds inside the 3.12 image.",
            file=sys.stderr,
        )
        return
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", str(build_dir)], check=True)


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
