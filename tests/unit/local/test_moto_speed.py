"""The local cloud's moto server finds a request's backend without listing its package folder each time, and
the list it finds it in is the one moto would have listed."""

from __future__ import annotations

import os

import pytest
from moto import backends

from infra.local import moto_speed


def test_moto_lists_its_package_folder_once_and_answers_the_same(monkeypatch: pytest.MonkeyPatch):
    expected = sorted(
        name
        for name in os.listdir(os.path.dirname(backends.__file__))
        if os.path.isdir(os.path.join(os.path.dirname(backends.__file__), name)) and not name.startswith("__")
    )
    moto_speed.install()
    assert list(backends.list_of_moto_modules()) == expected
    assert "dynamodb" in backends.list_of_moto_modules()

    listings: list[str] = []
    real_listdir = os.listdir

    def listdir(path: str = ".") -> list[str]:
        listings.append(str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    for _ in range(3):
        assert "sqs" in backends.list_of_moto_modules()
    assert listings == []
