"""Long work never freezes the reporting service: a rebuild, verify and every report run in
its worker processes (reporting.worker), so /health and other requests are answered while they
run, and a worker that dies fails its own job only. (How fast /health answers meanwhile is
measured by the benchmark, bench/run.py, not here.)"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from bench.run import filled_reporting_store
from fieldwork_testing import ServiceProcess

pytestmark = pytest.mark.integration

EVENTS = 60_000


def fill(data_dir, n: int) -> int:
    app, count = filled_reporting_store(data_dir, n)
    app.projection.catch_up()
    return count


@pytest.fixture
def filled_reporting(broker, tmp_path):
    n = fill(tmp_path, EVENTS)
    service = ServiceProcess("reporting", broker.uri, tmp_path).start(timeout=60)
    yield service, n
    service.stop()


def workers_of(service: ServiceProcess) -> list[int]:
    """The worker processes' ids: children of the service running reporting.worker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                line = cmd.read()
        except OSError:
            continue
        if parent == service.process.pid and b"reporting.worker" in line:
            found.append(int(pid))
    return found


def test_health_and_reports_answer_while_a_rebuild_runs(filled_reporting):
    service, n = filled_reporting
    answers: list[tuple[float, int]] = []  # (when answered, status) of /health, all along
    stop = threading.Event()

    def sample_health():
        while not stop.is_set():
            status = service.get("/health", timeout=5).status_code
            answers.append((time.monotonic(), status))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample_health)
    sampler.start()
    spans = {}

    def timed(name, call):
        began = time.monotonic()
        response = call()
        spans[name] = (began, time.monotonic())
        assert response.status_code == 200, (name, response.text)
        return response.json()

    rebuilt = timed("rebuild", lambda: service.post("/projections/rebuild", timeout=120))
    verified = timed("verify", lambda: service.get("/projections/verify", timeout=120))
    timed("whole history", lambda: service.get("/reports", params={"kind": "annual", "committee": "both", "start": "2000-01-01",
                                                                   "end": "2025-12-31"}, timeout=120))
    stop.set()
    sampler.join(10)
    assert rebuilt["rebuilt_from_events"] == n
    assert verified["equal"] is True and verified["events"] == n
    for name, (began, ended) in spans.items():
        during = [status for moment, status in answers if began < moment < ended]
        # Answered all along (a frozen service answers once it is over, if at all).
        assert len(during) >= 5 and set(during) <= {200}, (name, len(during), round(ended - began, 2))


def test_an_as_of_report_in_the_worker_and_a_worker_killed_mid_job(filled_reporting):
    service, n = filled_reporting
    query = {"kind": "semi-annual", "committee": "both", "year": 2024, "half": 2, "as_of": "2025-06-01T00:00:00+00:00"}
    first = service.get("/reports", params=query, timeout=60)
    assert first.status_code == 200, first.text
    assert 0 < first.json()["provenance"]["events"] < n
    # A worker killed while it rebuilds fails that job alone: the answer says so, the next job
    # starts another worker, and nothing else noticed.
    before = set(workers_of(service))
    assert before, "the service runs its long work in worker processes"
    done: dict = {}
    runner = threading.Thread(target=lambda: done.update(r=service.post("/projections/rebuild",
                                                                          timeout=120)))
    runner.start()
    deadline = time.monotonic() + 30
    while not service.get("/projections/rebuild", timeout=5).json()["running"] and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    for pid in workers_of(service):
        os.kill(pid, signal.SIGKILL)
    runner.join(120)
    assert done["r"].status_code == 500 and "internal error" in done["r"].json()["message"]
    assert service.get("/health", timeout=5).status_code == 200
    again = service.get("/reports", params=query, timeout=60)
    assert again.status_code == 200 and again.json() == first.json()
    assert set(workers_of(service)) - before
    status = service.get("/status", timeout=10).json()
    assert status["workers"]["failed"] >= 1
