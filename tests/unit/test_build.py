from pathlib import Path

import pytest

from infra.build import build_function, feature_of, runtime_requirements


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
