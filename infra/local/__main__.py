"""The local cloud's commands: ``up``, ``demo``, ``token USER``, ``invoke FN --event FILE``, ``fire FN``,
``outbox``."""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from infra.local.cloud import DEFAULT_TEMPLATE, STATE_DIR, CloudInfo, LocalCloud
from infra.local.functions import StartError
from infra.seed import DEMO_ROOMS, DemoData


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("COURTYARD_STATE_DIR", str(STATE_DIR))),
        help="where a running cloud keeps cloud.json and its logs (default .local, or $COURTYARD_STATE_DIR)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the local cloud with demo data and keep it running")
    up.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    up.add_argument("--api-port", type=int, default=0)
    up.add_argument("--mqtt-port", type=int, default=0)
    up.add_argument("--web-port", type=int, default=0, help="the web edge's port (the console's address)")
    up.add_argument("--no-seed", action="store_true", help="start empty, without the demo firms and users")
    demo = commands.add_parser("demo", help="start the local cloud, walk through what it does, stop")
    demo.add_argument(
        "--stay-up",
        action="store_true",
        help="after the story, keep the cloud running as `up` does until Ctrl-C (its data kept; the tests "
        "run the memory workload and the stop on it: one start for three proofs)",
    )
    token = commands.add_parser("token", help="print a bearer (ID) token for a demo user")
    token.add_argument("user")
    invoke = commands.add_parser("invoke", help="invoke a function with an event file")
    invoke.add_argument("function")
    invoke.add_argument("--event", type=Path, required=True)
    fire = commands.add_parser("fire", help="run a scheduled function now")
    fire.add_argument("function")
    fire.add_argument("--name", help="which of the function's schedules (default: its first)")
    commands.add_parser(
        "outbox", help="list the emails, SMS, pushes and voice calls the local cloud captured"
    )
    args = parser.parse_args(argv)

    if args.command == "up":
        ports = (args.api_port, args.mqtt_port, args.web_port)
        code = _up(args.template, args.state_dir, ports, seed=not args.no_seed)
        # Everything is stopped and written: tearing down moto's heap object by object would only add
        # seconds (a minute once it held gigabytes) to Ctrl-C.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if args.command == "demo" and args.stay_up:
        code = _up(DEFAULT_TEMPLATE, args.state_dir, (0, 0, 0), seed=True, story=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if args.command == "demo":
        from infra.demo import main as run_demo_main

        return run_demo_main(args.state_dir)
    if args.command == "token":
        return _token(args.state_dir, args.user)
    if args.command == "invoke":
        event = json.loads(args.event.read_text(encoding="utf-8"))
        return _print_control(args.state_dir, f"/invoke/{args.function}", event)
    if args.command == "outbox":
        from infra.local.outbox import read_outbox

        state = _state(args.state_dir)
        print("\n".join(read_outbox(state.aws_endpoint, voice_url=state.voice_url).lines()))
        return 0
    if args.command == "fire":
        suffix = f"?name={args.name}" if args.name else ""
        return _print_control(args.state_dir, f"/fire/{args.function}{suffix}", {})
    return 2


def _up(
    template: Path, state_dir: Path, ports: tuple[int, int, int], *, seed: bool, story: bool = False
) -> int:
    """``make up``; with ``story`` the demo's story is told on the cloud first (it seeds it), which then
    serves and stops exactly as ``make up`` does (``demo --stay-up``)."""
    from infra.demo import DemoFailed, narrate, seed_cloud

    # `kill -USR1 PID` prints every thread's stack to stderr: what a stuck start or stop is waiting for.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # Ctrl-C and SIGTERM both end the wait below; from then on the stop is not interrupted by a second one.
    # The handler only records the signal: it runs in the main thread between two bytecodes, possibly while
    # that thread holds a lock (Event.set there can deadlock), and the wait below wakes up regularly
    # because the kernel may deliver the signal to another thread, which never interrupts a blocked wait.
    received: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    api_port, mqtt_port, web_port = ports
    # The demo's story runs without schedules (`make demo`'s choice: nothing fires between its steps).
    cloud = LocalCloud(
        template,
        state_dir=state_dir,
        api_port=api_port,
        mqtt_port=mqtt_port,
        web_port=web_port,
        run_schedules=not story,
    )
    if story:
        print("== Courtyard demo: the local cloud (moto + Chalice + MQTT broker + one worker per function)")
    try:
        info = cloud.start()
    except StartError as error:
        print(f"The local cloud did not start: {error}", file=sys.stderr)
        return 1
    try:
        if story:
            try:
                info.demo = narrate(cloud).to_json()
            except DemoFailed as failure:
                print(f"\n!! demo check failed: {failure}", flush=True)
                return 1
            cloud.write_state()
        else:
            if seed and "DirectoryTable" in cloud.template.resources:
                demo = seed_cloud(cloud)
                info.demo = demo.to_json()
                cloud.write_state()
            _print_addresses(cloud, info)
        print("Press Ctrl-C to stop.", flush=True)
        while not received:
            time.sleep(0.2)
        print("Stopping ...", flush=True)
    finally:
        cloud.stop()
    return 0


def _print_addresses(cloud: LocalCloud, info: CloudInfo) -> None:
    print(f"Courtyard local cloud is up in {info.startup_s:.2f} s")
    print(f"  API          {info.api_url}")
    print(f"  MQTT         {info.mqtt_url}")
    print(f"  AWS endpoint {info.aws_endpoint}  (region {info.region})")
    print(f"  control      {info.control_url}")
    print(f"  console      {info.web_url}/console/  (the web edge: /api/*, /_cognito/, /config.json)")
    print(f"  functions    {', '.join(info.functions)}")
    print(f"  logs         {cloud.state_dir / 'logs'}")
    if info.demo:
        for line in demo_lines(DemoData.from_json(info.demo)):
            print(line)
        print(f"  open {info.web_url}/console/ and sign in as a firm's manager, desk, technician, ...")


def demo_lines(demo: DemoData) -> list[str]:
    """The demo users, and the ids of each firm's community, building and units a curl needs."""
    lines = [
        "  demo users (password Courtyard-demo-2026; `python -m infra.local token USER` prints a token):"
    ]
    lines += [f"    {u.username:<28} {u.role:<15} tenant {u.tenant_id}" for u in demo.users]
    lines.append("  demo places (ids for curl; the resident lives in the first unit):")
    for firm, site_id in demo.sites.items():
        lines.append(f"    {firm:<12} community {site_id}  building 1栋 {demo.buildings.get(firm, '-')}")
        for room, unit_id in zip(DEMO_ROOMS, demo.units.get(firm, []), strict=False):
            lines.append(f"    {'':<12} unit {room:<9} {unit_id}")
    return lines


def _state(state_dir: Path) -> CloudInfo:
    path = state_dir / "cloud.json"
    if not path.exists():
        sys.exit("the local cloud is not running: start it with `make up`")
    return CloudInfo.load(path)


def _token(state_dir: Path, username: str) -> int:
    import boto3

    from infra.local.cloud import FAKE_CREDENTIALS, REGION
    from infra.seed import sign_in

    info = _state(state_dir)
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=info.aws_endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    print(sign_in(cognito, info.user_pool_id, info.user_pool_client_id, username))
    return 0


def _print_control(state_dir: Path, path: str, payload: dict[str, Any]) -> int:
    info = _state(state_dir)
    request = urllib.request.Request(
        info.control_url + path,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        print(error.read().decode(), file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 1 if "error" in answer else 0


if __name__ == "__main__":
    sys.exit(main())
