import inspect
import re
import shutil
import subprocess
import tarfile
import tomllib
from pathlib import Path

import pytest

from infra.build import (
    LAMBDA_PYTHON,
    PYC_TAG,
    ROOT,
    NoRuntimePython,
    NoRuntimeWheel,
    build_function,
    build_pure_wheel,
    check_installed,
    compile_build,
    feature_of,
    install_runtime_dependencies,
    is_pure_wheel,
    requires_dist,
    runs_on_lambda,
    runtime_python,
    runtime_requirements,
    sdists,
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


# --- Wheels for the runtime: tiny distributions made here, pip run offline against a folder of them. ---


def write_wheel(directory, name, tag, requires=()):
    """A minimal wheel (one module, METADATA, WHEEL, RECORD), also written by the tiny sdists' backend:
    so it imports what it needs itself."""
    import base64 as b64
    import hashlib as hl
    import zipfile as zf

    dist_info = f"{name}-1.0.dist-info"
    files = {
        f"{name}/__init__.py": "VALUE = 1\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n",
    }
    record = [
        f"{path},sha256={b64.urlsafe_b64encode(hl.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
        f"{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    filename = f"{name}-1.0-{tag}.whl"
    with zf.ZipFile(f"{directory}/{filename}", "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return filename


def write_sdist(
    directory: Path, name: str, tag: str = "py3-none-any", requires: tuple[str, ...] = ()
) -> Path:
    """An sdist whose in-tree build backend (no build requirements, so pip needs no index) builds a wheel
    tagged ``tag``: ``py3-none-any`` for pure Python, a platform tag for one that compiles code."""
    backend = "\n".join(
        [
            inspect.getsource(write_wheel),
            "def get_requires_for_build_wheel(config_settings=None):\n    return []\n",
            "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):",
            f"    return write_wheel(wheel_directory, {name!r}, {tag!r}, {requires!r})\n",
        ]
    )
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": backend,
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
    }
    source = directory / f"{name}-src" / f"{name}-1.0"
    source.mkdir(parents=True)
    for path, text in files.items():
        (source / path).write_text(text, encoding="utf-8")
    sdist = directory / f"{name}-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(source, arcname=f"{name}-1.0")
    shutil.rmtree(source.parent)
    return sdist


def offline(index: Path) -> tuple[str, ...]:
    return ("--no-index", "--find-links", str(index))


@pytest.mark.parametrize(
    "wheel",
    [
        "boto3-1.44.18-py3-none-any.whl",
        "openpyxl-3.1.5-py2.py3-none-any.whl",
        "cryptography-50.0.2-cp311-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        "pydantic_core-2.50.5-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "pillow-12.2.0-cp312-cp312-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl",
    ],
)
def test_pure_and_arm64_cpython_312_wheels_run_on_lambda(wheel: str):
    assert runs_on_lambda(wheel)


@pytest.mark.parametrize(
    "wheel",
    [
        "pydantic_core-2.50.5-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",  # the wrong CPU
        "pydantic_core-2.50.5-cp311-cp311-manylinux_2_17_aarch64.whl",  # another Python's ABI
        "cryptography-50.0.2-cp313-abi3-manylinux_2_17_aarch64.whl",  # stable ABI from a later Python
        "tiny-1.0-cp312-cp312-manylinux_2_39_aarch64.whl",  # a newer glibc than Amazon Linux 2023's
        "tiny-1.0-cp312-cp312-linux_aarch64.whl",  # built on some machine: no glibc promise
        "tiny-1.0-py2-none-any.whl",
    ],
)
def test_wheels_for_another_cpu_python_or_glibc_do_not(wheel: str):
    assert not runs_on_lambda(wheel)


def test_only_py3_none_any_counts_as_pure():
    assert is_pure_wheel("python_alipay_sdk-3.4.0-py3-none-any.whl")
    assert is_pure_wheel("openpyxl-3.1.5-py2.py3-none-any.whl")
    assert not is_pure_wheel("wrapt-2.5.2-cp312-cp312-manylinux_2_17_aarch64.whl")
    assert not is_pure_wheel("tiny-1.0-cp311-cp311-linux_x86_64.whl")


def test_only_source_distributions_count_as_sdists(tmp_path: Path):
    for name in ("a-1.0.tar.gz", "b-1.0.zip", "c-1.0-py3-none-any.whl", "notes.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert [p.name for p in sdists(tmp_path)] == ["a-1.0.tar.gz", "b-1.0.zip"]


def test_a_pure_python_sdist_is_built_into_a_py3_none_any_wheel(tmp_path: Path):
    sdist = write_sdist(tmp_path, "tinypure", requires=("tinydep>=1",))

    wheel = build_pure_wheel(sdist, tmp_path / "wheels", offline(tmp_path))

    assert wheel.name == "tinypure-1.0-py3-none-any.whl"
    assert wheel.parent == tmp_path / "wheels"
    assert requires_dist(wheel) == ["tinydep>=1"]


def test_an_sdist_that_compiles_code_stops_the_build_with_its_name(tmp_path: Path):
    sdist = write_sdist(tmp_path, "tinynative", tag="cp311-cp311-linux_x86_64")

    with pytest.raises(NoRuntimeWheel, match=r"tinynative-1\.0\.tar\.gz .*not pure Python.*aarch64"):
        build_pure_wheel(sdist, tmp_path / "wheels", offline(tmp_path))
    assert not (tmp_path / "wheels").exists()


def test_requires_dist_leaves_out_extras_requirements(tmp_path: Path):
    wheel = tmp_path / write_wheel(
        tmp_path, "tinyextra", "py3-none-any", ("a>=1", 'b; extra == "x"', "c; python_version>'3'")
    )
    assert requires_dist(wheel) == ["a>=1", "c; python_version>'3'"]


def test_the_layer_installs_sdist_only_dependencies_as_wheels_built_here_and_the_rest_for_arm64(
    tmp_path: Path,
):
    index = tmp_path / "index"
    index.mkdir()
    # Source only, and so is one of its own requirements: both are built here into pure wheels.
    write_sdist(index, "tinypure", requires=("tinydep>=1", "tinyarm"))
    write_sdist(index, "tinydep")
    # Published for Amazon Linux 2023's glibc only (newer than manylinux2014), and for this machine's CPU.
    write_wheel(index, "tinyarm", "cp312-cp312-manylinux_2_28_aarch64")
    write_wheel(index, "tinyarm", "cp312-cp312-manylinux_2_17_x86_64")
    write_wheel(index, "tinypublished", "py3-none-any")
    target = tmp_path / "python"

    install_runtime_dependencies(target, ["tinypure", "tinypublished"], offline(index))

    for name in ("tinypure", "tinydep", "tinyarm", "tinypublished"):
        assert (target / name / "__init__.py").exists()
    assert "Tag: py3-none-any" in (target / "tinydep-1.0.dist-info" / "WHEEL").read_text(encoding="utf-8")
    assert "aarch64" in (target / "tinyarm-1.0.dist-info" / "WHEEL").read_text(encoding="utf-8")


def test_a_dependency_with_no_wheel_for_the_runtime_fails_the_build_with_its_name(tmp_path: Path):
    index = tmp_path / "index"
    index.mkdir()
    write_wheel(index, "tinyx86", "cp312-cp312-manylinux_2_17_x86_64")
    write_wheel(index, "tinyx86", "cp312-cp312-manylinux_2_39_aarch64")  # a newer glibc than the runtime's

    with pytest.raises(NoRuntimeWheel, match="No matching distribution found for tinyx86"):
        install_runtime_dependencies(tmp_path / "python", ["tinyx86"], offline(index))
    assert not (tmp_path / "python").exists()


def test_an_installed_distribution_not_built_for_the_runtime_is_refused(tmp_path: Path):
    for name, tag in (("good", "py3-none-any"), ("bad", "cp311-cp311-manylinux_2_17_x86_64")):
        dist_info = tmp_path / f"{name}-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "WHEEL").write_text(f"Wheel-Version: 1.0\nTag: {tag}\n", encoding="utf-8")

    with pytest.raises(NoRuntimeWheel, match=r"bad-1\.0\.dist-info") as refused:
        check_installed(tmp_path)
    assert "good" not in str(refused.value)


# --- The artifact of the last `make build` (slow, needs python3.12: never run by `make test` itself). ---

BUILT = ROOT / ".aws-sam" / "build"
LAYER = BUILT / "CourtyardLayer" / "python"
ELF_MACHINE_AARCH64 = 183  # e_machine in the ELF header


def _built_or_skip() -> Path:
    if not (BUILT / "template.yaml").is_file():
        pytest.skip("no .aws-sam/build here: `make build` has not run (it is not part of `make test`)")
    return BUILT


def test_the_last_build_shipped_a_runtime_pyc_for_every_module():
    built = _built_or_skip()
    assert uncompiled(built) == []


def test_the_last_build_s_layer_holds_the_runtime_dependencies_built_for_arm64():
    _built_or_skip()
    assert (LAYER / "alipay" / "__init__.py").exists()  # published as an sdist only: built here, pure
    assert list((LAYER / "pydantic_core").glob(f"_pydantic_core.{PYC_TAG}-aarch64-linux-gnu.so"))
    native = sorted(LAYER.rglob("*.so"))
    assert native
    assert [so.relative_to(LAYER) for so in native if _elf_machine(so) != ELF_MACHINE_AARCH64] == []
    check_installed(LAYER)


def _elf_machine(library: Path) -> int:
    with library.open("rb") as elf:
        header = elf.read(20)
    assert header[:4] == b"\x7fELF", library
    return int.from_bytes(header[18:20], "little")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_last_build_s_layer_ships_no_dev_dependency():
    _built_or_skip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dev = {
        _normalized(re.split(r"[\[<>=;! ]", r, maxsplit=1)[0])
        for r in project["optional-dependencies"]["dev"]
    }
    dev -= {"pillow"}  # also reportlab's own requirement (it draws the receipts' images): a runtime one
    shipped = {
        _normalized(d.name.split("-", 1)[0]) for d in LAYER.glob("*.dist-info")
    }  # name-version.dist-info
    assert {"boto3", "pydantic", "python-alipay-sdk", "pillow"} <= shipped
    assert shipped & dev == set()
