"""The system run the way the README runs it: `fieldwork up` starts the three services and the
web console as supervised processes, the console answers a signed-in call, the demo drives the
services, the report is written; a service that dies comes back; Ctrl-C stops everything."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from fieldwork_testing import free_port, until_all_up

pytestmark = pytest.mark.integration


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _pid_listening(port: int) -> int:
    out = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def test_fieldwork_up_runs_the_system_the_demo_writes_the_report_and_ctrl_c_stops_it(broker, tmp_path):
    ports = {name: free_port() for name in ("visits", "meetings", "reporting", "notifications", "console")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ, "AMQP_URI": broker.uri, "FIELDWORK_DATA_DIR": str(tmp_path / "data"),
        **{f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{port}" for name, port in ports.items()},
        **{f"FIELDWORK_{name.upper()}_URL": url for name, url in urls.items() if name != "console"},
    }
    # in a process group of its own, as a terminal runs it
    up = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "up"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path, start_new_session=True)
    try:
        lines = until_all_up(up)
        assert all(any(url in line for line in lines) for url in urls.values()), lines

        # the web console, as a new user opens it after the README's first command: its page,
        # and a call through it signed in with a development token
        page = requests.get(urls["console"], timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
        tokens = json.loads((tmp_path / "data" / "dev-tokens.json").read_text())
        me = requests.get(f"{urls['console']}/api/visits/whoami", timeout=10,
                          headers={"Authorization": f"Bearer {tokens['visit_coordinator']}"})
        assert me.status_code == 200 and me.json()["role"] == "visit_coordinator"

        demo = subprocess.run([sys.executable, "-m", "shared.cli.main", "demo", "--output-dir", str(tmp_path / "reports")],
                              capture_output=True, text=True, env=env, timeout=180)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        for html, pdf in zip(*[iter(demo.stdout.strip().splitlines()[-4:])] * 2):  # the CTC's, the 1540 Committee's
            assert open(html, "rb").read().startswith(b"<!DOCTYPE html>")
            assert open(pdf, "rb").read().startswith(b"%PDF")
        assert (tmp_path / "data" / "reporting.sqlite").exists()  # the event stores in the data folder

        # kill -9 a service: the supervisor starts it again
        os.kill(_pid_listening(ports["meetings"]), signal.SIGKILL)
        deadline = time.monotonic() + 40
        time.sleep(1)
        while time.monotonic() < deadline and not _healthy(urls["meetings"]):
            time.sleep(0.5)
        assert _healthy(urls["meetings"])
    finally:
        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C in a terminal: every process of the group gets it
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0
    assert "stopped" in output
    assert "killed" not in output  # each service stopped on its own, none had to be killed
    assert not any(_healthy(url) for url in urls.values())


def _two_free_ports_ten_apart() -> int:
    import socket

    while True:
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10))
            except OSError:
                continue
        return port


def test_fieldwork_up_with_two_reporting_replicas_shares_the_intake_between_them(broker, tmp_path):
    """`fieldwork up --reporting-replicas 2`: a second reporting process on the same store, 10
    ports above the first; both consume the queue, and the projection counts every event once."""
    ports = {"visits": free_port(), "meetings": free_port(), "reporting": _two_free_ports_ten_apart(), "notifications": free_port(),
             "console": free_port()}
    env = {
        **os.environ, "AMQP_URI": broker.uri, "FIELDWORK_DATA_DIR": str(tmp_path / "data"),
        **{f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{port}" for name, port in ports.items()},
    }
    replicas = [f"http://127.0.0.1:{ports['reporting']}", f"http://127.0.0.1:{ports['reporting'] + 10}"]
    up = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "up", "--reporting-replicas", "2"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    try:
        lines = until_all_up(up)
        assert any(line.startswith("reporting-2") and replicas[1] in line for line in lines), lines
        tokens = json.loads((tmp_path / "data" / "dev-tokens.json").read_text())
        coordinator = {"Authorization": f"Bearer {tokens['visit_coordinator']}"}
        staff = {"Authorization": f"Bearer {tokens['reporting_staff']}"}
        for _ in range(40):
            requests.post(f"http://127.0.0.1:{ports['visits']}/visits", json={"member_state": "KEN", "committee": "ctc"},
                          headers=coordinator, timeout=10).raise_for_status()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            states = [requests.get(f"{url}/status", headers=staff, timeout=10).json() for url in replicas]
            if all(s["projection"]["events"] == 40 for s in states):  # every event stored and projected
                break
            time.sleep(0.3)
        assert [s["broker"]["reporting.events"]["consumers"] for s in states] == [2, 2], states
        assert sum(s["intake"]["recorded"] for s in states) == 40, states  # each event recorded by one of them
        assert all(s["intake"]["recorded"] > 0 for s in states), states  # both took a share
        assert all(s["projection"]["events"] == 40 and s["events_recorded"] == 40 for s in states), states
    finally:
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0 and "stopped" in output and "killed" not in output
    assert not any(_healthy(url) for url in replicas)


def test_a_service_with_nothing_to_do_stops_on_sigterm(tmp_path):
    """The web console, idle (no request, no timer, no broker connection: eventlet's hub has
    nothing to wake it), stops when sent SIGTERM instead of waiting for a request until it is
    killed; and Ctrl-C reaching it beside the supervisor (SIGINT) is left to the supervisor."""
    from shared.messaging.topology import PROJECT_ROOT
    from shared.supervisor import ServiceProcess, stop_all, wait_healthy

    url = f"127.0.0.1:{free_port()}"
    console = ServiceProcess(name="console", module="console.service", health_url=f"http://{url}/health",
                             config=PROJECT_ROOT / "services/console/config.yml", log_path=tmp_path / "console.log",
                             env={"CONSOLE_HTTP_ADDRESS": url})
    console.start()
    said: list[str] = []
    try:
        assert wait_healthy(console), console.log_path.read_text()
        console.process.send_signal(signal.SIGINT)
        time.sleep(3)  # idle: whatever the health check left pending has run
        assert console.alive() and console.healthy()
        time.sleep(3)
    finally:
        stop_all([console], said.append, timeout=20)
    assert said == [] and console.process.returncode == 0, (said, console.log_path.read_text())


def test_fieldwork_up_restarts_a_service_that_stops_answering_its_health_check(broker, tmp_path):
    """A service frozen (SIGSTOP: alive, answering nothing) is killed and started again, as
    one that exits is; checks every second here (every 10 s by default)."""
    ports = {name: free_port() for name in ("visits", "meetings", "reporting", "notifications", "console")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ, "AMQP_URI": broker.uri, "FIELDWORK_DATA_DIR": str(tmp_path / "data"),
        "FIELDWORK_HEALTH_EVERY": "1", "FIELDWORK_HEALTH_TIMEOUT": "1", "FIELDWORK_UNRESPONSIVE_AFTER": "3",
        **{f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{port}" for name, port in ports.items()},
    }
    up = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "up"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path, start_new_session=True)
    try:
        lines = until_all_up(up)
        frozen = _pid_listening(ports["meetings"])
        os.kill(frozen, signal.SIGSTOP)
        deadline = time.monotonic() + 60
        while not any("meetings has not answered its health check" in line for line in lines):
            line = up.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(lines)
            lines.append(line)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _healthy(urls["meetings"]):
            time.sleep(0.5)
        assert _healthy(urls["meetings"]) and _pid_listening(ports["meetings"]) != frozen
        assert all(_healthy(urls[name]) for name in ("visits", "reporting", "console"))  # the others untouched
    finally:
        os.killpg(up.pid, signal.SIGINT)
        up.communicate(timeout=60)
    assert up.returncode == 0
