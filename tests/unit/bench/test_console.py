import gzip

from bench.console import asset_names, gzip_bytes


def test_first_load_counts_the_consoles_js_and_css_once_each():
    urls = [
        "http://127.0.0.1:5000/console/today",
        "http://127.0.0.1:5000/console/assets/index-a1.js",
        "http://127.0.0.1:5000/console/assets/element-b2.css",
        "http://127.0.0.1:5000/config.json",
        "http://127.0.0.1:5000/api/tickets?status=submitted",
        "http://127.0.0.1:5000/console/assets/TodayPage-c3.js?v=1",
        "http://127.0.0.1:5000/console/assets/index-a1.js",
        "http://127.0.0.1:5000/console/favicon.svg",
    ]

    assert asset_names(urls) == ["assets/index-a1.js", "assets/element-b2.css", "assets/TodayPage-c3.js"]


def test_first_load_bytes_are_the_gzip_of_each_file(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.js").write_bytes(b"console.log(1);" * 100)
    (tmp_path / "assets" / "b.css").write_bytes(b"body{margin:0}" * 50)

    expected = sum(
        len(gzip.compress((tmp_path / "assets" / n).read_bytes(), compresslevel=9)) for n in ("a.js", "b.css")
    )
    assert gzip_bytes(["assets/a.js", "assets/b.css"], tmp_path) == expected
    assert expected < 200  # compressed, not raw
