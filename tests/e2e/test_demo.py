"""`make demo` is a promise in the README: its whole story must keep passing, as a newcomer runs it."""

import subprocess
import sys
from pathlib import Path

from tests.log_scan import personal_data_in_logs

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_story_passes(tmp_path: Path):
    # Its own process: moto's state is per process, and the session's cloud already uses the same names.
    completed = subprocess.run(
        [sys.executable, "-m", "infra.local", "--state-dir", str(tmp_path), "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Demo passed" in completed.stdout
    # It ends with where the console and the phone app are and who signs in there (`make demo` builds both).
    ending = completed.stdout.rpartition("the staff console: http://127.0.0.1:")[2]
    assert "greenfield-manager" in ending
    assert "greenfield-technician" in ending
    app = ending.partition("the phone app (open it at a phone's width): http://127.0.0.1:")[2]
    assert "/m/" in app
    assert "greenfield-resident" in app
    assert ending.count("\n") < 30
    assert "the same file again: 0 units, 0 residents created" in completed.stdout
    # 导出我的数据: every feature's part came and the merged files are offered.
    assert "== 导出我的数据" in completed.stdout
    assert "ready: export.json and export.zip" in completed.stdout
    # The counter's cash payment and its PDF receipt, kept to open.
    kept = completed.stdout.partition("   open it: ")[2].partition("\n")[0]
    assert kept.endswith(".pdf")
    assert (tmp_path / "receipts").is_dir()
    assert Path(kept).read_bytes().startswith(b"%PDF")
    # Every function's log of the whole story: phones, ID numbers and plates went through it, none came out.
    lines, findings = personal_data_in_logs(tmp_path / "logs")
    assert lines > 50
    assert findings == []
