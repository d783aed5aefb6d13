"""Build steps behind `make build`: called by SAM's makefile builders, then `compile` byte-compiles.

Run with `sam build --build-in-source` so these steps can reach the repository (schemas/, pyproject.toml).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
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


class NoRuntimeWheel(SystemExit):
    """A runtime dependency that cannot be had as a wheel for the Lambda runtime (arm64, CPython 3.12): the
    build stops rather than ship a layer that fails at import."""


# Lambda's python3.12 runtime is Amazon Linux 2023: glibc 2.34, so manylinux wheels up to 2_34 run there.
LAMBDA_GLIBC = (2, 34)
LAMBDA_ARCH = "aarch64"
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


def lambda_platforms() -> list[str]:
    """The platform tags of wheels that load on the runtime, newest first (pip prefers the first): every
    ``manylinux_2_N_aarch64`` up to the runtime's glibc, and the legacy ``manylinux2014_aarch64`` (2_17),
    as SAM's python_pip workflow lists them. pip matches the names given literally, so each is named."""
    major, newest = LAMBDA_GLIBC
    return [f"manylinux_{major}_{minor}_{LAMBDA_ARCH}" for minor in range(newest, 16, -1)] + [LAMBDA_PLATFORM]


def pip_platform_options() -> list[str]:
    """What pip must be told to pick distributions for the runtime instead of for this machine."""
    platforms = [option for platform in lambda_platforms() for option in ("--platform", platform)]
    return [*platforms, "--implementation", "cp", "--python-version", LAMBDA_PYTHON]


def wheel_tags(wheel: str) -> list[tuple[str, str, str]]:
    """The (interpreter, abi, platform) triples a wheel's file name claims, compressed tag sets expanded
    (PEP 425: ``cp311-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64`` is two triples)."""
    name = Path(wheel).name
    if not name.endswith(".whl"):
        raise ValueError(f"not a wheel: {name}")
    interpreters, abis, platforms = name[: -len(".whl")].split("-")[-3:]
    return [
        (interpreter, abi, platform)
        for interpreter in interpreters.split(".")
        for abi in abis.split(".")
        for platform in platforms.split(".")
    ]


def is_pure_wheel(wheel: str) -> bool:
    """Pure Python for Python 3 (``py3-none-any``): it runs unchanged on the runtime, whatever built it."""
    return any(
        interpreter.startswith("py3") and abi == "none" and platform == "any"
        for interpreter, abi, platform in wheel_tags(wheel)
    )


def _runs_on_lambda_platform(platform: str) -> bool:
    # linux_* (a wheel built on some machine) promises no glibc and so is not taken.
    if platform in ("any", f"manylinux2014_{LAMBDA_ARCH}"):
        return True
    parts = platform.split("_")
    if len(parts) != 4 or parts[0] != "manylinux" or parts[3] != LAMBDA_ARCH:
        return False
    return (int(parts[1]), int(parts[2])) <= LAMBDA_GLIBC


def _runs_on_lambda_python(interpreter: str, abi: str) -> bool:
    runtime = "cp" + LAMBDA_PYTHON.replace(".", "")
    if abi == "none":
        return interpreter.startswith(("py3", runtime))
    if abi == "abi3":  # the stable ABI: built for 3.N, runs on every later CPython 3
        return interpreter.startswith("cp3") and int(interpreter[2:]) <= int(runtime[2:])
    return interpreter == runtime and abi == runtime


def runs_on_lambda(tag: str) -> bool:
    """Whether a wheel (by file name or by its WHEEL file's ``Tag:`` value) runs on arm64 CPython 3.12."""
    wheel = tag if tag.endswith(".whl") else f"x-0-{tag}.whl"
    return any(
        _runs_on_lambda_python(interpreter, abi) and _runs_on_lambda_platform(platform)
        for interpreter, abi, platform in wheel_tags(wheel)
    )


def sdists(directory: Path) -> list[Path]:
    """The source distributions pip left in ``directory``: requirements published without a wheel that
    runs on the runtime."""
    return sorted(p for p in directory.iterdir() if p.name.endswith(SDIST_SUFFIXES))


def _pip(*arguments: str, what: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise NoRuntimeWheel(
            f"make build: {what} failed (pip exited {done.returncode}):\n{done.stderr.strip()[-3000:]}"
        )


def build_pure_wheel(sdist: Path, wheel_dir: Path, pip_options: tuple[str, ...] = ()) -> Path:
    """Build a source-only dependency into a wheel here, as SAM's python_pip workflow does, and keep it
    only if it is pure Python: a wheel compiled on this machine (x86_64, this Python) would not load on
    the runtime, so a dependency that needs compiling stops the build with its name."""
    with tempfile.TemporaryDirectory() as scratch:
        _pip(
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            scratch,
            *pip_options,
            str(sdist),
            what=f"building {sdist.name} into a wheel",
        )
        built = sorted(Path(scratch).glob("*.whl"))
        if len(built) != 1:
            raise NoRuntimeWheel(f"make build: building {sdist.name} gave {len(built)} wheels, expected one")
        wheel = built[0]
        if not is_pure_wheel(wheel.name):
            raise NoRuntimeWheel(
                f"make build: {sdist.name} is published without a {LAMBDA_PLATFORM} wheel and builds into "
                f"{wheel.name}, which is not pure Python: it needs compiling for {LAMBDA_ARCH} / CPython "
                f"{LAMBDA_PYTHON}. Build in the SAM build image (`sam build --use-container`) or pick a "
                "version of it that publishes aarch64 wheels."
            )
        wheel_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.move(str(wheel), wheel_dir / wheel.name))


def requires_dist(wheel: Path) -> list[str]:
    """A wheel's own runtime requirements (its METADATA's ``Requires-Dist``, extras' ones left out)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(metadata).decode("utf-8").splitlines()
    requirements = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:")]
    return [r for r in requirements if "extra" not in r.partition(";")[2]]


def local_wheels(requirements: list[str], scratch: Path, pip_options: tuple[str, ...] = ()) -> Path:
    """A folder of wheels for the requirements that have no runtime wheel anywhere: pip picks, for the
    runtime's platform, a wheel where one is published and the sdist otherwise; each sdist is built into a
    pure wheel, and its own requirements are looked at the same way. Returns the folder, to be given to
    ``pip install --find-links`` (the downloaded wheels are in it too, so they are not fetched twice)."""
    wheels = scratch / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    built: set[str] = set()
    pending = list(requirements)
    rounds = 0
    while pending:  # ends: a round goes on only when it built an sdist not built before
        rounds += 1
        downloads = scratch / f"downloads-{rounds}"
        _pip(
            "download",
            "--quiet",
            "--no-deps",
            "--dest",
            str(downloads),
            *pip_platform_options(),
            *pip_options,
            *pending,
            what="finding the runtime's distributions of " + ", ".join(pending),
        )
        for wheel in downloads.glob("*.whl"):
            shutil.move(str(wheel), wheels / wheel.name)
        pending = []
        for sdist in sdists(downloads):
            if sdist.name in built:
                continue
            built.add(sdist.name)
            pending += requires_dist(build_pure_wheel(sdist, wheels, pip_options))
    return wheels


def check_installed(target: Path) -> None:
    """Every distribution installed in the layer runs on the runtime (its WHEEL file's tags say so)."""
    wrong = []
    for wheel_file in sorted(target.glob("*.dist-info/WHEEL")):
        tags = _wheel_file_tags(wheel_file)
        if not any(runs_on_lambda(tag) for tag in tags):
            wrong.append(f"{wheel_file.parent.name} ({', '.join(tags) or 'no tag'})")
    if wrong:
        raise NoRuntimeWheel(f"make build: not built for {LAMBDA_ARCH} / CPython {LAMBDA_PYTHON}: {wrong}")


def _wheel_file_tags(wheel_file: Path) -> list[str]:
    lines = wheel_file.read_text(encoding="utf-8").splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]


def install_runtime_dependencies(
    target: Path, requirements: list[str], pip_options: tuple[str, ...] = ()
) -> None:
    """The runtime dependencies as wheels for the runtime only (``--only-binary=:all:``), from the index
    and from the pure wheels built here for the source-only ones."""
    with tempfile.TemporaryDirectory() as scratch:
        wheels = local_wheels(requirements, Path(scratch), pip_options)
        _pip(
            "install",
            "--quiet",
            "--target",
            str(target),
            *pip_platform_options(),
            "--only-binary=:all:",
            "--find-links",
            str(wheels),
            *pip_options,
            *requirements,
            what=f"installing the runtime dependencies as {LAMBDA_PLATFORM} wheels",
        )
    check_installed(target)


def build_layer(artifacts: Path) -> None:
    target = artifacts / "python"
    target.mkdir(parents=True, exist_ok=True)
    install_runtime_dependencies(target, runtime_requirements())
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
