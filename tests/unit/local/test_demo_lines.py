"""What `make demo` prints at its end: where a newcomer opens the console and the phone app, and as whom."""

from __future__ import annotations

from infra.demo_console import console_lines
from infra.seed import DemoData, DemoUser


def _user(username: str, role: str, firm: str = "harbour") -> DemoUser:
    return DemoUser(username, "T1", firm, role, username, f"{username}@example.com", "+8613800000000")


def test_the_demo_names_the_console_and_the_phone_app_with_who_signs_in_to_each() -> None:
    demo = DemoData(
        tenants={"harbour": "T1", "platform": "T0"},
        users=[
            _user("mgr", "manager"),
            _user("fixer", "technician"),
            _user("granny", "resident"),
            _user("ops", "platform_admin", firm="platform"),
        ],
    )
    lines = console_lines("http://127.0.0.1:8080", demo)
    text = "\n".join(lines)

    console = next(i for i, line in enumerate(lines) if "/console/" in line)
    app = next(i for i, line in enumerate(lines) if "http://127.0.0.1:8080/m/" in line)
    assert console < app
    assert "granny" not in "\n".join(lines[console:app])  # residents have no console
    assert {"granny", "fixer"} <= {line.split()[0] for line in lines[app + 1 :]}
    assert "mgr" not in "\n".join(lines[app + 1 :])  # managers work in the console
    assert "ops" not in text  # the platform operator is not a firm's user
