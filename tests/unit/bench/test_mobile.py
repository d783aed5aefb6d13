"""bench/mobile.py counts what the phone loads first: index.html's assets, the home chunk, their imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import mobile


def _dist(tmp_path: Path) -> Path:
    assets = tmp_path / "assets"
    assets.mkdir()
    (tmp_path / "index.html").write_text(
        '<script type="module" src="/m/assets/index-A.js"></script>'
        '<link rel="stylesheet" href="/m/assets/index-A.css">',
        encoding="utf-8",
    )
    (assets / "index-A.js").write_text('import"./vendor-B.js";' + "a" * 500, encoding="utf-8")
    (assets / "index-A.css").write_text("b{}" * 100, encoding="utf-8")
    (assets / "vendor-B.js").write_text("v" * 300, encoding="utf-8")
    (assets / "HomePage-C.js").write_text('import{t}from"./useResource-D.js";', encoding="utf-8")
    (assets / "HomePage-C.css").write_text(".h{}", encoding="utf-8")
    (assets / "useResource-D.js").write_text("r", encoding="utf-8")
    (assets / "useResource-E.css").write_text(".r{}", encoding="utf-8")
    (assets / "BillsPage-F.js").write_text("x" * 100_000, encoding="utf-8")  # lazy, not first
    return tmp_path


def test_the_first_load_is_the_entry_the_home_chunk_and_their_static_imports(tmp_path: Path) -> None:
    names = [p.name for p in mobile.first_load(_dist(tmp_path))]
    assert names == [
        "index-A.js",
        "index-A.css",
        "HomePage-C.js",
        "HomePage-C.css",
        "vendor-B.js",
        "useResource-D.js",
        "useResource-E.css",
    ]
    result = mobile.run(tmp_path)
    assert result.total_gzip_kb < 5
    assert result.within_target


def test_an_unbuilt_app_is_named_plainly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make web-build"):
        mobile.run(tmp_path)
