"""The reporting service against the real RabbitMQ: every event recorded once, whatever the
broker does; bad messages dead-lettered with their reason; projections rebuilt and reports
built from them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pika
import pytest

from fieldwork_testing import ServiceProcess
from shared.contract import build_envelope, encode_envelope

pytestmark = pytest.mark.integration

T0 = datetime(2025, 2, 3, 9, tzinfo=timezone.utc)


def proposals(count: int) -> list[dict]:
    """``count`` valid visit_proposed envelopes, each its own visit."""
    return [
        build_envelope(
            event_type="visit_proposed", aggregate_id=uuid.uuid4(), aggregate_version=1,
            occurred_at=T0 + timedelta(minutes=i), recorded_at=T0 + timedelta(minutes=i),
            user="ana", role="visit_coordinator", correlation_id=f"load-{i}",
            payload_source={"member_state": "KEN", "committee": "ctc", "origin": "committee_selection", "purpose": ""},
        )
        for i in range(count)
    ]


def publish(uri: str, messages: list[tuple[bytes, str | None, str]], exchange: str = "visits.events") -> None:
    """Raw pika, persistent, confirmed, mandatory: (body, content type, routing key)."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.confirm_delivery()
    for body, content_type, routing_key in messages:
        channel.basic_publish(exchange, routing_key, body,
                              pika.BasicProperties(content_type=content_type, delivery_mode=2), mandatory=True)
    connection.close()


def wait_for(check, timeout: float = 30.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not reached within {timeout}s: {check.__doc__ or check}")


def status(service) -> dict:
    return service.get("/status").json()


def recorded(service, expected: int):
    def check():
        """all events recorded"""
        return status(service)["events_recorded"] >= expected
    try:
        wait_for(check)
    except AssertionError:
        raise AssertionError(f"{expected} events not recorded: {json.dumps(status(service))}\n{service.log()}") from None
    time.sleep(0.5)  # anything more would show now
    return status(service)


def test_events_of_both_services_are_recorded_once_and_reported(broker, tmp_path):
    visits = ServiceProcess("visits", broker.uri, tmp_path).start()
    meetings = ServiceProcess("meetings", broker.uri, tmp_path).start()
    reporting = ServiceProcess("reporting", broker.uri, tmp_path).start()
    try:
        v = visits.post("/visits", {"member_state": "PER", "committee": "1540", "origin": "state_invitation"}).json()["id"]
        for command, body in [("approve", {}), ("invite-organization", {"organization": "IAEA", "kind": "un_body"}),
                              ("schedule", {"starts_on": "2025-03-01", "ends_on": "2025-03-04"}),
                              ("start", {"occurred_at": "2025-03-01T09:00:00Z"})]:
            assert visits.post(f"/visits/{v}/{command}", body).status_code == 200
        meetings.post("/groups/load-reference")
        group = meetings.get("/groups").json()[0]["id"]
        m = meetings.post("/meetings", {"group_id": group, "meeting_kind": "working_group", "title": "Q1",
                                        "starts_at": "2025-03-10T15:00:00Z", "ends_at": "2025-03-10T17:00:00Z"}).json()["id"]
        meetings.post(f"/meetings/{m}/announce", {"occurred_at": "2025-03-01T09:00:00Z"})
        meetings.post(f"/meetings/{m}/hold", {"occurred_at": "2025-03-10T17:00:00Z"})

        source_ids = {e["event_id"] for e in visits.get(f"/visits/{v}/history").json()}
        source_ids |= {e["event_id"] for e in meetings.get(f"/meetings/{m}/history").json()}
        total = len(source_ids) + 4  # and the four working groups
        state = recorded(reporting, total)
        assert state["events_recorded"] == total
        assert state["intake"]["dead_lettered"] == 0
        assert set(state["last_event_by_source"]) == {"visits.events", "meetings.events"}

        report = reporting.get("/reports", params={"kind": "semi-annual", "year": 2025, "half": 1}).json()
        assert [c["member_state"] for c in report["visits"]["conducted"]] == ["PER"]
        assert report["visits"]["consent"]["by_invitation"] == 0  # proposed today, not in 2025-H1
        group_row = next(g for g in report["meetings"]["by_group"] if g["group_id"] == group)
        assert group_row["meetings_held"] == 1
        assert group_row["meetings_without_documents"] == ["Q1"]
        assert group_row["meetings_lacking_report"] == ["Q1"]
        assert report["provenance"]["events"] == total
        assert reporting.get("/projections/verify").json()["equal"] is True
        assert reporting.get("/health").status_code == 200
    finally:
        for service in (visits, meetings, reporting):
            service.stop()


def test_events_published_before_the_reporting_service_ever_ran_wait_for_it(broker, tmp_path):
    envelopes = proposals(300)
    publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in envelopes])
    reporting = ServiceProcess("reporting", broker.uri, tmp_path).start()
    try:
        assert recorded(reporting, 300)["events_recorded"] == 300
    finally:
        reporting.stop()


def test_the_same_event_delivered_twice_and_out_of_order_is_recorded_once(broker, reporting_service):
    envelopes = proposals(50)
    # a visit's later events before its first, and everything twice
    visit = envelopes[0]["aggregate_id"]
    later = [
        build_envelope(event_type=t, aggregate_id=uuid.UUID(visit), aggregate_version=n, occurred_at=T0 + timedelta(days=n),
                       recorded_at=T0 + timedelta(days=n), user="ana", role="visit_coordinator", correlation_id="c",
                       payload_source={})
        for n, t in [(2, "visit_approved"), (3, "consent_requested")]
    ]
    stream = list(reversed(later)) + envelopes + envelopes[::-1] + later
    publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in stream])
    state = recorded(reporting_service, 52)
    assert state["events_recorded"] == 52
    assert state["intake"]["recorded"] == 52 and state["intake"]["duplicate"] == len(stream) - 52
    assert reporting_service.get("/projections/verify").json()["equal"] is True
    report = reporting_service.get("/reports", params={"kind": "semi-annual", "year": 2025, "half": 1}).json()
    assert report["visits"]["consent"]["requested"] == 1


POISON = [
    (b"not json at all", "application/json", "not_json"),
    (b'{"event_type": "visit_approved"}', "application/json", "invalid_envelope"),
    (b"<xml/>", "text/xml", "wrong_content_type"),
]


def test_poison_messages_are_dead_lettered_with_their_reason_and_good_ones_still_recorded(broker, reporting_service):
    good = proposals(20)
    wrong_type = dict(good[0], aggregate_version="one", event_id=str(uuid.uuid4()))
    unknown_version = dict(good[1], schema_version=99, event_id=str(uuid.uuid4()))
    unknown_type = dict(good[2], event_type="visit_teleported", event_id=str(uuid.uuid4()))
    missing_field = {k: v for k, v in good[3].items() if k != "actor"}
    missing_field["event_id"] = str(uuid.uuid4())
    poison = POISON + [
        (json.dumps(wrong_type).encode(), "application/json", "invalid_envelope"),
        (json.dumps(unknown_version).encode(), "application/json", "unknown_schema_version"),
        (json.dumps(unknown_type).encode(), "application/json", "unknown_event_type"),
        (json.dumps(missing_field).encode(), "application/json", "invalid_envelope"),
    ]
    messages = []
    for i, e in enumerate(good):
        messages.append((encode_envelope(e), "application/json", e["event_type"]))
        if i < len(poison):
            messages.append((poison[i][0], poison[i][1], "visit_proposed"))
    publish(broker.uri, messages)

    def settled():
        """all messages decided"""
        s = status(reporting_service)
        return s["intake"]["recorded"] + s["intake"]["dead_lettered"] >= len(messages)
    wait_for(settled)
    state = status(reporting_service)
    assert state["events_recorded"] == 20
    expected = {}
    for _, _, reason in poison:
        expected[reason] = expected.get(reason, 0) + 1
    assert state["dead_letters"] == expected
    letters = reporting_service.get("/dead-letters").json()
    assert {letter["body"] for letter in letters} >= {"not json at all", "<xml/>"}
    assert state["broker"]["reporting.dead-letters"]["messages"] == len(poison)

    connection = pika.BlockingConnection(pika.URLParameters(broker.uri))
    method, properties, body = connection.channel().basic_get("reporting.dead-letters", auto_ack=False)
    assert properties.headers["x-fieldwork-reason"] in expected
    connection.close()
    assert "dead-lettered a message" in reporting_service.log()  # an ERROR line naming the reason
    assert "ERROR" in reporting_service.log()


def test_a_reporting_service_killed_mid_stream_records_every_event_once_after_restart(broker, tmp_path):
    envelopes = proposals(1500)
    reporting = ServiceProcess("reporting", broker.uri, tmp_path).start()
    publisher = threading.Thread(target=publish, args=(
        broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in envelopes]))
    publisher.start()
    wait_for(lambda: status(reporting)["events_recorded"] > 100)
    reporting.kill()
    publisher.join()
    restarted = ServiceProcess("reporting", broker.uri, tmp_path).start()
    try:
        state = recorded(restarted, 1500)
        assert state["events_recorded"] == 1500
        assert restarted.get("/projections/verify").json()["equal"] is True
        report = restarted.get("/reports", params={"kind": "semi-annual", "year": 2025, "half": 1}).json()
        assert report["provenance"]["events"] == 1500
    finally:
        restarted.stop()


def test_a_rebuild_gives_what_the_incremental_path_gave_and_as_of_reports_look_back(broker, reporting_service):
    early, late = proposals(2)
    late["recorded_at"] = (T0 + timedelta(days=30)).isoformat()  # recorded a month after it happened
    publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in (early, late)])
    recorded(reporting_service, 2)
    query = {"kind": "semi-annual", "year": 2025, "half": 1}
    before = reporting_service.get("/reports", params=query).json()

    assert reporting_service.post("/projections/rebuild").json()["events"] == 2
    assert reporting_service.get("/reports", params=query).json() == before

    as_of = (T0 + timedelta(days=1)).isoformat()
    known_then = reporting_service.get("/reports", params={**query, "as_of": as_of}).json()
    happened_then = reporting_service.get("/reports", params={**query, "as_of": as_of, "basis": "occurred"}).json()
    assert known_then["provenance"]["events"] == 1
    assert happened_then["provenance"]["events"] == 2
    assert known_then["provenance"]["as_of"] == as_of


def test_a_transient_failure_is_retried_and_then_recorded(broker, tmp_path):
    """The queue consumer in process, with a store that fails once."""
    from shared.messaging.consumer import QueueConsumer
    from shared.store import StoreSettings
    from reporting.application import ReportingApplication
    from reporting.intake import DeadLetter, Incoming

    app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
    failures = []

    def handle(messages):
        if not failures:
            failures.append(len(messages))
            raise OSError("disk briefly unavailable")
        return app.intake.receive([Incoming(m.body, m.content_type) for m in messages])

    consumer = QueueConsumer(broker.uri, "reporting.events", handle, dead_letter_exchange="fieldwork.dead-letters",
                             is_dead_letter=lambda d: isinstance(d, DeadLetter), batch_size=10)
    worker = threading.Thread(target=consumer.run_forever, daemon=True)
    worker.start()
    publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in proposals(5)])
    wait_for(lambda: (app.recorder.max_notification_id() or 0) == 5)
    consumer.stop()
    worker.join(5)
    assert failures and consumer.retried == failures[0]
    assert app.intake.counts["recorded"] == 5


def test_reporting_staff_build_the_semi_annual_report_with_the_cli(broker, reporting_service, tmp_path):
    publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in proposals(3)])
    recorded(reporting_service, 3)
    env = {**os.environ, "FIELDWORK_REPORTING_URL": reporting_service.url,
           "FIELDWORK_TOKEN": reporting_service.token("rita", "reporting_staff")}
    for fmt, magic in [("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF"), ("md", b"# Semi-annual"), ("json", b"{")]:
        result = subprocess.run(
            [sys.executable, "-m", "shared.cli.main", "reports", "build", "--kind", "semi-annual", "--year", "2025",
             "--half", "1", "--format", fmt, "-o", str(tmp_path / f"report.{fmt}")],
            capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(tmp_path / f"report.{fmt}")
        assert (tmp_path / f"report.{fmt}").read_bytes().startswith(magic)
    bad = subprocess.run([sys.executable, "-m", "shared.cli.main", "reports", "build", "--kind", "semi-annual",
                          "--year", "2025"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "half" in bad.stderr
    rebuilt = subprocess.run([sys.executable, "-m", "shared.cli.main", "reports", "rebuild"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout[rebuilt.stdout.index("{"):])["events"] == 3
