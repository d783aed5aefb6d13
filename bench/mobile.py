"""The residents' app's first load: what a phone downloads (gzip, as CloudFront serves it) to show the
home after signing in: the entry script and stylesheet index.html names (with anything it preloads), the
home screen's lazy chunk, and every chunk those import statically. Target: under 250 kB.

Reads the built app (``make web-build``); it measures bytes, not time, so it is the same on any machine."""

from __future__ import annotations

import argparse
import gzip
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "mobile" / "dist"
TARGET_KB = 250.0
FIRST_SCREEN = "HomePage"
_ASSET = re.compile(r'(?:src|href)="/m/(assets/[^"]+\.(?:js|css))"')
_STATIC_IMPORT = re.compile(r'(?:\bimport|\bfrom)\s*["\']\./([\w.-]+\.js)["\']')


@dataclass(frozen=True)
class MobileResult:
    files: list[str]
    js_gzip_kb: float
    css_gzip_kb: float
    total_gzip_kb: float
    target_kb: float
    within_target: bool


def _gzip_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1000


def first_load(dist: Path = DIST) -> list[Path]:
    """The files of the first load, entry first; fails plainly when the app is not built."""
    index = dist / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"{index} is missing: run `make web-build` first")
    assets = dist / "assets"
    wanted = [dist / name for name in _ASSET.findall(index.read_text(encoding="utf-8"))]
    wanted += sorted(assets.glob(f"{FIRST_SCREEN}-*.js")) + sorted(assets.glob(f"{FIRST_SCREEN}-*.css"))
    seen: list[Path] = []
    while wanted:
        path = wanted.pop(0)
        if path in seen or not path.is_file():
            continue
        seen.append(path)
        if path.suffix == ".js":
            for name in _STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
                chunk = assets / name
                wanted.append(chunk)
                # A shared chunk's own styles are emitted under the same name stem.
                wanted += sorted(assets.glob(f"{name.split('-')[0]}-*.css"))
    return seen


def run(dist: Path = DIST) -> MobileResult:
    files = first_load(dist)
    js = sum(_gzip_kb(f) for f in files if f.suffix == ".js")
    css = sum(_gzip_kb(f) for f in files if f.suffix == ".css")
    return MobileResult(
        files=[str(f.relative_to(dist)) for f in files],
        js_gzip_kb=round(js, 1),
        css_gzip_kb=round(css, 1),
        total_gzip_kb=round(js + css, 1),
        target_kb=TARGET_KB,
        within_target=js + css < TARGET_KB,
    )


def table(result: MobileResult) -> list[str]:
    verdict = "within" if result.within_target else "OVER"
    return [
        "Mobile app first load (web/mobile/dist, gzip -9: entry, preloads, home screen and their imports)",
        f"  JS {result.js_gzip_kb:.1f} kB + CSS {result.css_gzip_kb:.1f} kB = {result.total_gzip_kb:.1f} kB "
        f"({verdict} the {result.target_kb:.0f} kB target; {len(result.files)} files)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    result = run()
    print("\n".join(table(result)))
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
