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
        v = visits.post("/visits", {"member_state": "PER", "committee": "1540", "origin": "state_invitation",
                                    "occurred_at": "2025-02-01T09:00:00Z"}).json()["id"]
        for command, body in [("approve", {"occurred_at": "2025-02-03T09:00:00Z"}),
                              ("invite-organization", {"organization": "IAEA", "kind": "un_body",
                                                       "occurred_at": "2025-02-04T09:00:00Z"}),
                              ("schedule", {"starts_on": "2025-03-01", "ends_on": "2025-03-04",
                                            "occurred_at": "2025-02-05T09:00:00Z"}),
                              ("start", {"occurred_at": "2025-03-01T09:00:00Z"})]:
            assert visits.post(f"/visits/{v}/{command}", body).status_code == 200
        meetings.post("/groups/load-reference")
        group = meetings.get("/groups").json()[0]["id"]
        m = meetings.post("/meetings", {"group_id": group, "meeting_kind": "working_group", "title": "Q1",
                                        "starts_at": "2025-03-10T15:00:00Z", "ends_at": "2025-03-10T17:00:00Z",
                                        "occurred_at": "2025-02-20T09:00:00Z"}).json()["id"]
        meetings.post(f"/meetings/{m}/announce", {"occurred_at": "2025-03-01T09:00:00Z"})
        meetings.post(f"/meetings/{m}/hold", {"occurred_at": "2025-03-10T17:00:00Z"})

        source_ids = {e["event_id"] for e in visits.get(f"/visits/{v}/history").json()}
        source_ids |= {e["event_id"] for e in meetings.get(f"/meetings/{m}/history").json()}
        total = len(source_ids) + 4  # and the four working groups
        state = recorded(reporting, total)
        assert state["events_recorded"] == total
        assert state["intake"]["dead_lettered"] == 0
        assert set(state["last_event_by_source"]) == {"visits.events", "meetings.events"}

        report = reporting.get("/reports", params={"kind": "semi-annual", "committee": "both", "year": 2025, "half": 1}).json()
        assert [c["member_state"] for c in report["visits"]["conducted"]] == ["PER"]
        assert report["visits"]["consent"]["by_invitation"] == 1  # proposed 2025-02-01, at its invitation
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
    report = reporting_service.get("/reports", params={"kind": "semi-annual", "committee": "both", "year": 2025, "half": 1}).json()
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
    # kept in the service's record, not left in the broker's dead-letter queue
    assert state["broker"]["reporting.dead-letters"] == {"messages": 0, "consumers": 1}
    health = reporting_service.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["open_dead_letters"] == len(poison)
    assert any("not_json" in warning for warning in health.json()["warnings"])
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
        report = restarted.get("/reports", params={"kind": "semi-annual", "committee": "both", "year": 2025, "half": 1}).json()
        assert report["provenance"]["events"] == 1500
    finally:
        restarted.stop()


def test_a_rebuild_gives_what_the_incremental_path_gave_and_as_of_reports_look_back(broker, reporting_service):
    early, late = proposals(2)
    late["recorded_at"] = (T0 + timedelta(days=30)).isoformat()  # recorded a month after it happened
    publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in (early, late)])
    recorded(reporting_service, 2)
    query = {"kind": "semi-annual", "committee": "both", "year": 2025, "half": 1}
    before = reporting_service.get("/reports", params=query).json()

    assert reporting_service.post("/projections/rebuild").json()["events"] == 2
    assert reporting_service.get("/reports", params=query).json() == before

    as_of = (T0 + timedelta(days=1)).isoformat()
    known_then = reporting_service.get("/reports", params={**query, "as_of": as_of}).json()
    happened_then = reporting_service.get("/reports", params={**query, "as_of": as_of, "basis": "occurred"}).json()
    assert known_then["provenance"]["events"] == 1
    assert happened_then["provenance"]["events"] == 2
    assert known_then["provenance"]["as_of"] == as_of


def queue_depth(uri: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


class InProcess:
    """The reporting service's two consumers in process (as ReportingRuntime runs them), on a
    store whose writes the test can refuse."""

    def __init__(self, uri: str, data_dir, refuse=lambda messages: None, store_down=lambda: False) -> None:
        """``refuse(messages)`` raises for writes of some messages (a message's own failure);
        ``store_down()`` says the whole store cannot be written now: every write and the
        consumer's probe of the store (``writable``) fail, as they do on a full disk."""
        from shared.messaging.consumer import QueueConsumer
        from shared.store import StoreSettings
        from reporting.application import ReportingApplication
        from reporting.dependencies import _incoming

        self.app = ReportingApplication(env=StoreSettings(data_dir=str(data_dir)).environment("reporting"))

        def writable():
            if store_down():
                raise OSError("database or disk is full")
            return self.app.intake.writable()

        def handle(messages):
            if store_down():
                raise OSError("database or disk is full")
            refuse(messages)  # raises as a write this message alone cannot make
            return self.app.intake.receive(_incoming(messages))

        self.consumer = QueueConsumer(uri, "reporting.events", handle, writable=writable,
                                      batch_size=50, prefetch=100)
        self.dead_letters = QueueConsumer(uri, "reporting.dead-letters",
                                          lambda messages: self.app.dead_letters.take_back(_incoming(messages)),
                                          writable=self.app.intake.writable)
        self.threads = [threading.Thread(target=c.run_forever, daemon=True) for c in (self.consumer, self.dead_letters)]
        for thread in self.threads:
            thread.start()

    def recorded(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def stop(self) -> None:
        self.consumer.stop()
        self.dead_letters.stop()
        for thread in self.threads:
            thread.join(10)


def test_a_store_that_refuses_writes_for_8_seconds_costs_no_event_and_sends_nothing_back(broker, tmp_path):
    """Before, the batch went back to the queue, and after 5 deliveries (about 3 s) the broker
    dead-lettered good events: 8 s of outage lost them."""
    outage_ends = time.monotonic() + 8
    seen_failing = []
    # the store is down: its writes and the consumer's probe of it fail alike (before, only the
    # writes did, and a message that came alone, in a batch of one, was taken for one failing by
    # itself once the probe wrote: CI saw it delivered twice)
    reporting = InProcess(broker.uri, tmp_path, store_down=lambda: time.monotonic() < outage_ends)
    try:
        publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in proposals(300)])
        while time.monotonic() < outage_ends - 1:
            seen_failing.append(reporting.consumer.store_error)
            time.sleep(0.5)
        wait_for(lambda: reporting.recorded() == 300, timeout=60)
        assert any(error and "disk is full" in error for error in seen_failing)
        assert reporting.consumer.store_error is None  # writes again: health green again
        assert reporting.consumer.retried > 0
        assert reporting.consumer.delivered == 300  # each message handed over once: never sent back
        assert queue_depth(broker.uri, "reporting.dead-letters") == 0
        assert reporting.app.dead_letters.list() == []
        assert reporting.app.intake.counts == {"recorded": 300, "duplicate": 0, "dead_lettered": 0}
    finally:
        reporting.stop()


def test_a_message_that_fails_by_itself_is_dead_lettered_by_the_broker_taken_back_and_replayed(broker, tmp_path):
    envelopes = proposals(30)
    poison = encode_envelope(envelopes[7])

    def refuse(messages):
        if any(m.body == poison for m in messages):
            raise OSError("a write this message alone cannot make")

    reporting = InProcess(broker.uri, tmp_path, refuse)
    try:
        publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in envelopes])

        def taken_back():
            """the poison taken back from the broker's dead-letter queue"""
            return reporting.app.dead_letters.count_by_reason(status="open") == {"broker_delivery_limit": 1}
        wait_for(taken_back, timeout=90)
        assert reporting.recorded() == 29  # the rest of its batches recorded
        assert reporting.consumer.rejected_alone == 6  # returned 5 times, the sixth return over the limit
        (letter,) = reporting.app.dead_letters.list()
        assert (letter["exchange"], letter["routing_key"]) == ("visits.events", "visit_proposed")
        assert queue_depth(broker.uri, "reporting.dead-letters") == 0

        result = reporting.app.intake.replay(letter["id"], by="rita")  # the cause fixed
        assert result["outcomes"] == {"recorded": 1}
        assert reporting.recorded() == 30
        assert reporting.app.dead_letters.count_by_reason(status="open") == {}
    finally:
        reporting.stop()


def test_dead_letters_are_replayed_over_http_and_the_cli_and_health_turns_green(broker, reporting_service, tmp_path):
    good = proposals(3)
    wrong_key = good[2]
    publish(broker.uri, [(encode_envelope(good[0]), "application/json", "visit_proposed"),
                         (b"not json", "application/json", "visit_proposed"),
                         (encode_envelope(wrong_key), "application/json", "visit_approved"),
                         (encode_envelope(good[1]), "application/json", "visit_proposed")])
    wait_for(lambda: status(reporting_service)["intake"]["dead_lettered"] == 2)
    assert reporting_service.get("/health").json()["status"] == "degraded"
    letters = {x["reason"]: x for x in reporting_service.get("/dead-letters", params={"status": "open"}).json()}
    assert set(letters) == {"not_json", "wrong_routing_key"}
    assert reporting_service.get("/dead-letters", params={"status": "nope"}).status_code == 400
    assert reporting_service.post("/dead-letters/replay", {"all": True, "reason": "x"}).status_code == 400
    assert reporting_service.post("/dead-letters/replay", {"id": str(uuid.uuid4())}).status_code == 404

    # The wrong routing key was the publisher's fault and stays so: replayed, still refused.
    answer = reporting_service.post("/dead-letters/replay", {"id": letters["wrong_routing_key"]["id"]}).json()
    assert answer["outcomes"] == {"dead_letter:wrong_routing_key": 1}
    one = reporting_service.get(f"/dead-letters/{letters['wrong_routing_key']['id']}").json()
    assert one["status"] == "open" and [r["outcome"] for r in one["replays"]] == ["dead_letter:wrong_routing_key"]
    assert one["replays"][0]["replayed_by"] == "rita"

    env = {**os.environ, "FIELDWORK_REPORTING_URL": reporting_service.url,
           "FIELDWORK_TOKEN": reporting_service.token("rita", "reporting_staff")}
    cli = [sys.executable, "-m", "shared.cli.main", "reports", "dead-letters"]
    listed = subprocess.run([*cli, "--status", "open"], capture_output=True, text=True, env=env, timeout=60)
    assert listed.returncode == 0 and "not_json" in listed.stdout and "wrong_routing_key" in listed.stdout
    usage = subprocess.run([*cli, "replay"], capture_output=True, text=True, env=env, timeout=60)
    assert usage.returncode == 2 and "exactly one of --id, --reason or --all" in usage.stderr
    replayed = subprocess.run([*cli, "replay", "--all"], capture_output=True, text=True, env=env, timeout=60)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 2: 1 dead_letter:not_json, 1 dead_letter:wrong_routing_key" in replayed.stdout
    assert status(reporting_service)["events_recorded"] == 2


def test_reporting_staff_build_the_semi_annual_report_with_the_cli(broker, reporting_service, tmp_path):
    publish(broker.uri, [(encode_envelope(e), "application/json", e["event_type"]) for e in proposals(3)])
    recorded(reporting_service, 3)
    env = {**os.environ, "FIELDWORK_REPORTING_URL": reporting_service.url,
           "FIELDWORK_TOKEN": reporting_service.token("rita", "reporting_staff")}
    for fmt, magic in [("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF"), ("md", b"United Nations"), ("json", b"{"),
                       ("docx", b"PK"), ("xlsx", b"PK"), ("csv", b"PK")]:
        result = subprocess.run(
            [sys.executable, "-m", "shared.cli.main", "reports", "build", "--kind", "semi-annual", "--committee", "both", "--year", "2025",
             "--half", "1", "--format", fmt, "-o", str(tmp_path / f"report.{fmt}")],
            capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(tmp_path / f"report.{fmt}")
        assert (tmp_path / f"report.{fmt}").read_bytes().startswith(magic)
    # by default, a file named by Committee, kind, period and date of issue given
    named = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "reports", "build", "--kind", "semi-annual", "--committee", "both",
         "--year", "2025", "--half", "1", "--format", "docx", "--issued-on", "2025-07-15", "--symbol", "S/2025/500"],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == str(tmp_path / "reports" / "both-semi-annual-report-2025-01-01-to-2025-06-30.docx")
    import docx
    text = [p.text for p in docx.Document(named.stdout.strip()).paragraphs]
    assert any(t.startswith("Semi-annual report of the Counter-Terrorism Committee and the 1540 Committee") for t in text)
    assert "S/2025/500" in docx.Document(named.stdout.strip()).tables[0].cell(0, 1).text
    bad = subprocess.run([sys.executable, "-m", "shared.cli.main", "reports", "build", "--kind", "semi-annual",
                          "--year", "2025"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 3 and "half" in bad.stderr  # bad input, the service names the field
    rebuilt = subprocess.run([sys.executable, "-m", "shared.cli.main", "reports", "rebuild", "--json"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout[rebuilt.stdout.index("{"):])["events"] == 3
