"""Request bodies sent chunked (no Content-Length): read with a streaming limit. The service
reads at most MAX_BODY_BYTES + 1 bytes and answers 413 as soon as a body is over, without
waiting for (or holding) the rest; a small chunked body is read like any other.

The 10 MB chunked body sent whole with requests is in test_fuzz.py
(``test_a_10_mb_body_sent_chunked_is_refused_with_413_too``)."""
from __future__ import annotations

import json
import socket
import time

import pytest
import requests

from shared.http import MAX_BODY_BYTES

pytestmark = pytest.mark.integration


def events_stored(service) -> int:
    return requests.get(f"{service.url}/health", timeout=10).json()["events_stored"]


def signed_in(service) -> dict:
    return {"Authorization": f"Bearer {service.token('ana', 'visit_coordinator')}", "Content-Type": "application/json"}


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def peak_memory_kb(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in kB."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def test_a_small_chunked_body_is_read_and_the_visit_stored(broker, visits_service):
    parts = [b'{"member_state": "KEN", ', b'"committee": "ctc", ', b'"purpose": "sent in three chunks"}']
    answer = requests.post(f"{visits_service.url}/visits", data=iter(parts), timeout=30,
                           headers=signed_in(visits_service))
    assert answer.status_code == 201, answer.text
    assert "Content-Length" not in answer.request.headers and answer.request.headers["Transfer-Encoding"] == "chunked"
    assert answer.json()["purpose"] == "sent in three chunks"
    assert [v["id"] for v in visits_service.get("/visits").json()] == [answer.json()["id"]]


def test_a_chunked_body_over_the_limit_is_refused_before_the_rest_is_sent(broker, visits_service):
    """The client sends a little more than the limit and then waits, the body unfinished (no
    last chunk): the 413 comes at once, so the service did not wait for the whole body."""
    before = events_stored(visits_service)
    head = (f"POST /visits HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: {signed_in(visits_service)['Authorization']}\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", visits_service.port), timeout=10) as connection:
        connection.sendall(head + chunk(b'{"member_state": "KEN", "committee": "ctc", "purpose": "'))
        sent = 0
        while sent <= MAX_BODY_BYTES:
            connection.sendall(chunk(b"x" * 65536))
            sent += 65536
        answer = b""
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            assert time.monotonic() < deadline, f"no whole answer within 10 s; got {answer[:300]!r}"
            try:
                piece = connection.recv(65536)
            except TimeoutError:
                pytest.fail(f"no answer within 10 s while the body was unfinished; got {answer[:300]!r}")
            if not piece:
                break
            answer += piece
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413", answer[:500]
    body = rest.partition(b"\r\n\r\n")[2]
    if b"chunked" in rest.partition(b"\r\n\r\n")[0].lower():  # the answer itself may come chunked
        body = body.partition(b"\r\n")[2].rpartition(b"\r\n0\r\n")[0]
    assert json.loads(body)["error"] == "too_large"
    assert events_stored(visits_service) == before
    assert visits_service.get("/visits").json() == []


def test_a_10_mb_chunked_body_is_not_held_in_memory(broker, visits_service):
    """The service's peak memory hardly moves for a 10 MB chunked body (read to the limit, the
    rest discarded in small pieces by the server): reading it whole would add 10 MB or more."""
    headers = signed_in(visits_service)

    def ten_mb():
        yield b'{"member_state": "KEN", "committee": "ctc", "purpose": "'
        for _ in range(160):
            yield b"x" * 65536
        yield b'"}'

    url = f"{visits_service.url}/visits"
    small = requests.post(url, data=iter([b'{"member_state": "KEN", "committee": "ctc"}']), headers=headers, timeout=30)
    assert small.status_code == 201  # the code paths warmed up, with a small body
    before = peak_memory_kb(visits_service.process.pid)
    answer = requests.post(url, data=ten_mb(), headers=headers, timeout=60)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large", answer.text[:300]
    grown = peak_memory_kb(visits_service.process.pid) - before
    assert grown < 5_000, f"peak memory grew by {grown} kB for a 10 MB chunked body"
    assert [v["id"] for v in visits_service.get("/visits").json()] == [small.json()["id"]]
