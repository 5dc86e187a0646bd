"""Connections cut by the broker: the services come back by themselves and nothing is lost."""
from __future__ import annotations

import subprocess
import time

import pytest

from fieldwork_testing import ServiceProcess

pytestmark = pytest.mark.integration


def test_after_the_broker_cuts_every_connection_services_publish_and_consume_again(broker, tmp_path):
    visits = ServiceProcess("visits", broker.uri, tmp_path).start()
    reporting = ServiceProcess("reporting", broker.uri, tmp_path).start()
    try:
        visits.post("/visits", {"member_state": "KEN", "committee": "ctc"})
        cut = subprocess.run(["rabbitmqctl", "-q", "close_all_connections", "-p", broker.vhost, "test: cut"],
                             capture_output=True, text=True, timeout=60)
        assert cut.returncode == 0, cut.stderr
        for _ in range(10):
            assert visits.post("/visits", {"member_state": "PER", "committee": "1540"}).status_code == 201
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if reporting.get("/status").json()["events_recorded"] == 11:
                break
            time.sleep(0.3)
        assert reporting.get("/status").json()["events_recorded"] == 11
        assert visits.process.poll() is None and reporting.process.poll() is None
        assert visits.get("/health").status_code == 200
        assert reporting.get("/health").status_code == 200
    finally:
        visits.stop()
        reporting.stop()
