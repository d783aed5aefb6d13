"""The staff console in the browser, on the local cloud through its web edge (Debian's chromium, zh-CN).

- First load: the gzip bytes of every JS and CSS file the browser fetches to show Today to a signed-in manager
  (the console's entry and the Today route's chunks, exactly as loaded, not guessed from the build), each
  compressed at gzip level 9 from ``web/console/dist`` as the CDN would serve it. Target: under 400 kB.
- Time to interactive: navigation start (``performance.now()`` is measured from it) to the moment Today's
  first figure is on screen with its number, sampled every animation frame in the page; a fresh browser
  context per run (empty cache, as a first visit of the morning), the session already signed in.

``python -m bench.console`` prints the table; ``--json FILE`` writes the results (``make bench`` runs it in a
process of its own, since it starts a whole local cloud).
"""

from __future__ import annotations

import gzip
import json
import shutil
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from playwright.sync_api import Request

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "console" / "dist"
TARGET_BYTES = 400_000
RUNS = 5
# A figure of Today with its number: the open tickets' count (it follows GET /sites and GET /tickets).
FIGURE_READY = """() => {
  const figure = document.querySelector('[data-testid="open-total"]');
  const shown = figure && figure.offsetParent !== null && figure.textContent.trim() !== '';
  return shown ? performance.now() : false;
}"""


@dataclass(frozen=True)
class ConsoleBench:
    first_load_gzip_bytes: int
    first_load_files: list[str]
    tti_ms_median: float
    tti_ms_runs: list[float]


def asset_names(urls: Iterable[str]) -> list[str]:
    """The console's JS and CSS assets among the URLs a page fetched, once each, in fetch order."""
    names: list[str] = []
    for url in urls:
        path = urlparse(url).path
        if path.startswith("/console/assets/") and path.endswith((".js", ".css")):
            name = path.removeprefix("/console/")
            if name not in names:
                names.append(name)
    return names


def gzip_bytes(names: Iterable[str], dist: Path = DIST) -> int:
    return sum(len(gzip.compress((dist / name).read_bytes(), compresslevel=9)) for name in names)


def _recorder(urls: list[str]) -> Callable[[Request], None]:
    return lambda request: urls.append(request.url)


def run(runs: int = RUNS) -> ConsoleBench:
    import tempfile

    from playwright.sync_api import sync_playwright

    from infra.demo import seed_cloud
    from infra.local.cloud import LocalCloud
    from infra.seed import DEMO_PASSWORD

    if not (DIST / "index.html").is_file():
        raise SystemExit("the console is not built: run `make web-build`")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    context_args = {
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1440, "height": 900},
    }
    with (
        tempfile.TemporaryDirectory() as state,
        LocalCloud(state_dir=Path(state), run_schedules=False) as cloud,
        sync_playwright() as playwright,
    ):
        assert cloud.info is not None
        seed_cloud(cloud)
        web = cloud.info.web_url
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            # Sign in once through the form; each timed run starts from that session in an empty cache.
            signing = browser.new_context(**context_args)  # type: ignore[arg-type]
            page = signing.new_page()
            page.goto(f"{web}/console/signin")
            page.get_by_label("用户名").fill("greenfield-manager")
            page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_function(FIGURE_READY, polling="raf", timeout=120_000)
            session = signing.storage_state()
            signing.close()

            timings: list[float] = []
            files: list[str] = []
            for _ in range(runs):
                context = browser.new_context(storage_state=session, **context_args)  # type: ignore[arg-type]
                page = context.new_page()
                fetched: list[str] = []
                page.on("request", _recorder(fetched))
                page.goto(f"{web}/console/today", wait_until="commit")
                ready = page.wait_for_function(FIGURE_READY, polling="raf", timeout=120_000)
                timings.append(float(ready.json_value()))
                files = asset_names(fetched)
                context.close()
        finally:
            browser.close()
    return ConsoleBench(
        first_load_gzip_bytes=gzip_bytes(files),
        first_load_files=files,
        tti_ms_median=statistics.median(timings),
        tti_ms_runs=[round(t, 1) for t in timings],
    )


def table(result: ConsoleBench) -> list[str]:
    verdict = "ok" if result.first_load_gzip_bytes < TARGET_BYTES else "MISSED"
    out = ["Staff console in chromium on the local cloud (first load: entry + Today; TTI: median of runs)"]
    out.append(
        f"  first load, gzip: {result.first_load_gzip_bytes / 1000:,.1f} kB in "
        f"{len(result.first_load_files)} files (target < {TARGET_BYTES / 1000:.0f} kB: {verdict})"
    )
    largest = sorted(result.first_load_files, key=lambda name: gzip_bytes([name]), reverse=True)[:4]
    out.extend(f"    {name:<44} {gzip_bytes([name]) / 1000:>8.1f} kB" for name in largest)
    runs = ", ".join(f"{t:,.0f}" for t in result.tti_ms_runs)
    out.append(f"  time to interactive (Today's figures): {result.tti_ms_median:,.0f} ms  (runs: {runs})")
    return out


def main(argv: list[str]) -> int:
    result = run()
    print("\n".join(table(result)))
    if argv[:1] == ["--json"] and len(argv) > 1:
        Path(argv[1]).write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
