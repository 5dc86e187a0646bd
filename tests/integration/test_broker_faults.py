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


def test_the_correlation_id_of_a_command_is_in_the_logs_of_every_service_it_reaches(broker, tmp_path):
    import json as _json

    env = {"FIELDWORK_LOG_FORMAT": "json", "FIELDWORK_LOG_LEVEL": "DEBUG"}
    visits = ServiceProcess("visits", broker.uri, tmp_path, extra_env=env).start()
    reporting = ServiceProcess("reporting", broker.uri, tmp_path, extra_env=env).start()
    try:
        answer = visits.post("/visits", {"member_state": "KEN", "committee": "ctc"},
                             headers={"X-Correlation-Id": "trace-4711"})
        assert answer.status_code == 201

        def traced(service) -> list[str]:
            lines = [_json.loads(line) for line in service.log().splitlines() if line.startswith("{")]
            return [line["message"] for line in lines if line.get("correlation_id") == "trace-4711"]

        def seen() -> bool:
            return (any("POST /visits answered 201" in m for m in traced(visits))
                    and any(m.startswith("published visit_proposed") for m in traced(visits))
                    and any(m.startswith("received visit_proposed") for m in traced(reporting)))

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not seen():
            time.sleep(0.2)
        assert seen(), (traced(visits), traced(reporting))
    finally:
        visits.stop()
        reporting.stop()
