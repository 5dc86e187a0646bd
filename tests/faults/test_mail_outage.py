"""The mail server down while meetings are announced and their documents circulated, and the
notifications service killed (-9) in the middle of it: when the server is back, every
notification arrives once. Counted against the events the meetings service stored: each
announcement and circulation, times the delegations in the directory."""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from fieldwork_testing import COUNCIL, MailServer, ServiceProcess, free_port, list_delegations

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEETINGS = int(os.environ.get("FIELDWORK_FAULT_MEETINGS", "60"))
STATES = COUNCIL


def test_a_mail_server_down_and_the_service_killed_mid_stream_lose_nothing_and_double_nothing(broker, tmp_path,
                                                                                              capsys):
    mail = MailServer(free_port())  # not started: the server is down from the first event
    env = {"MAIL_URL": mail.url, "MAIL_RETRY_FIRST": "1", "MAIL_RETRY_MAX": "4"}
    meetings = ServiceProcess("meetings", broker.uri, tmp_path).start()
    notifications = ServiceProcess("notifications", broker.uri, tmp_path, env)
    notifications.start()
    try:
        list_delegations(notifications, STATES)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        group = meetings.post("/groups", {"name": f"Outage group {uuid.uuid4().hex[:6]}", "committee": "1540",
                                          "mandate_area": "faults",
                                          "occurred_at": (now - timedelta(days=1)).isoformat()}).json()
        began = time.monotonic()
        killed_at = None
        for n in range(MEETINGS):
            starts = now + timedelta(days=20 + n)
            meeting = meetings.post("/meetings", {
                "group_id": group["id"], "meeting_kind": "working_group", "title": f"Meeting {n + 1}",
                "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}).json()
            assert meetings.post(f"/meetings/{meeting['id']}/announce", {}).status_code == 200
            assert meetings.post(f"/meetings/{meeting['id']}/circulate-document",
                                 {"document_id": "D-1", "title": "Agenda"}).status_code == 200
            if n == MEETINGS // 2:
                notifications.kill()  # kill -9 while it records and defers
                killed_at = n
                time.sleep(1)
                # back once it consumes again; the events sent while it was down wait meanwhile
                # (CI once saw it take over 30 s to answer 200 under the whole suite's load)
                notifications.start(timeout=120)
        stream_seconds = time.monotonic() - began
        expected_total = 2 * MEETINGS * len(STATES)

        def recorded() -> list[dict]:
            return notifications.get("/notifications", timeout=30).json()
        deadline = time.monotonic() + 120
        while len(recorded()) < expected_total and time.monotonic() < deadline:
            time.sleep(0.5)
        before = recorded()
        assert len(before) == expected_total
        assert {n["status"] for n in before} <= {"recorded", "deferred"}  # nothing could be sent; nothing given up
        deferred_attempts = sum(n["attempts"] for n in before)
        down_seconds = time.monotonic() - began
        mail.start()
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                settled = recorded()
                if all(n["status"] == "sent" for n in settled) and len(mail.messages) >= expected_total:
                    break
                time.sleep(0.5)
            time.sleep(2)  # anything sent a second time would have arrived by now
        finally:
            mail.stop()
        settled = recorded()
        arrived = mail.by_message_id()
        expected = {f"<{n['id']}@fieldwork>" for n in settled}
        lost = expected - set(arrived)
        doubled = {k: v for k, v in arrived.items() if v > 1}
        strangers = set(arrived) - expected
        with capsys.disabled():
            print(f"\nmail server down {down_seconds:.0f} s (stream of {MEETINGS} meetings in {stream_seconds:.0f} s, "
                  f"notifications killed -9 after meeting {killed_at}): {2 * MEETINGS} events x {len(STATES)} "
                  f"delegations = {expected_total} expected, {len(settled)} recorded, {len(arrived)} arrived, "
                  f"{len(lost)} lost, {len(doubled)} doubled, {deferred_attempts} attempts deferred while down, max attempts {max(n['attempts'] for n in settled)}")
        assert len(settled) == expected_total and not lost and not doubled and not strangers
        assert {n["status"] for n in settled} == {"sent"}
    finally:
        notifications.stop()
        meetings.stop()
