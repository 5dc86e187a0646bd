"""Clients that send their headers and half a body, then nothing: each holds only its own
connection, never one of the service's workers, so that ``/health`` and every other client
are answered meanwhile; a client that stays silent past the read timeout is answered 408 and
its connection closed. Before, 10 such clients (nameko's 10 workers) blocked a whole service,
``/health`` included, for as long as they stayed open."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from fieldwork_testing import ServiceProcess

pytestmark = pytest.mark.integration


def stall(service, token: str, count: int) -> list[socket.socket]:
    """``count`` connections, each with a POST's headers and half of its body."""
    body = b'{"member_state": "KEN", "committee": "ctc"}'
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", service.port), timeout=10)
        s.sendall(b"POST /visits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + token.encode() + b"\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body[: len(body) // 2])
        sockets.append(s)
    return sockets


def test_50_stalled_bodies_leave_health_and_other_clients_answered(broker, tmp_path):
    service = ServiceProcess("visits", broker.uri, tmp_path, extra_env={"FIELDWORK_HTTP_READ_TIMEOUT": "3"}).start()
    stalled = []
    try:
        token = service.token("ana", "visit_coordinator")
        stalled = stall(service, token, 50)
        time.sleep(0.5)  # every stalled request is in the service by now
        for _ in range(5):
            assert requests.get(f"{service.url}/health", timeout=2).status_code == 200
        proposed = requests.post(f"{service.url}/visits", json={"member_state": "NGA", "committee": "ctc"},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=2)
        assert proposed.status_code == 201, proposed.text

        # past the read timeout, each stalled client is told and its connection closed
        stalled[0].settimeout(10)
        answer = stalled[0].recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request_timeout" in answer
        visits = requests.get(f"{service.url}/visits", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert [v["member_state"] for v in visits.json()] == ["NGA"]  # nothing of the stalled ones stored
    finally:
        for s in stalled:
            s.close()
        service.stop()
