"""The intake under hostile messages, conflicting ids and replays, on a real SQLite store:
each message decided alone, a dead letter kept once, a recorded id never silently overwritten
or dropped, and every dead letter replayable once its cause is fixed."""
from __future__ import annotations

import sqlite3

import pytest

from shared.contract import encode_envelope
from shared.store import StoreSettings
from reporting.application import ReportingApplication
from reporting.intake import BODY_SHOWN, DUPLICATE, RECORDED, DeadLetter, Incoming


@pytest.fixture
def app(tmp_path):
    return ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))


def message(envelope: dict, reporting, **overrides) -> Incoming:
    fields = {"exchange": reporting.exchange_of(envelope), "routing_key": envelope["event_type"], **overrides}
    return Incoming(body=encode_envelope(envelope), content_type="application/json", **fields)


NESTED = b"[" * 5000 + b"]" * 5000


def test_a_message_nested_5000_deep_is_a_dead_letter_alone_and_the_batch_is_decided_once(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN").approved("2025-02-05")
    first, second = stream.envelopes
    batch = [message(first, reporting), Incoming(b"not json", "application/json", "visits.events", "visit_proposed"),
             Incoming(NESTED, "application/json", "visits.events", "visit_proposed"), message(second, reporting)]
    decisions = app.intake.receive(batch)
    assert decisions[0] == decisions[3] == RECORDED
    assert [d.reason for d in decisions[1:3]] == ["not_json", "not_json"]
    assert app.intake.counts == {RECORDED: 2, DUPLICATE: 0, "dead_lettered": 2}

    # The whole batch delivered again (a consumer killed before its ack): nothing twice.
    again = app.intake.receive(batch)
    assert again[0] == again[3] == DUPLICATE
    letters = app.dead_letters.list()
    assert len(letters) == 2 and {letter["deliveries"] for letter in letters} == {2}
    assert app.recorder.max_notification_id() == 2


def test_a_failure_while_deciding_one_message_dead_letters_it_alone(app, reporting, stream, monkeypatch):
    stream.visit(1).proposed("2025-02-03", "KEN").approved("2025-02-05")
    first, second = stream.envelopes
    import reporting.intake as intake

    real = intake.canonical_envelope

    def breaks_on_approvals(envelope):
        if envelope["event_type"] == "visit_approved":
            raise RecursionError("maximum recursion depth exceeded")
        return real(envelope)

    monkeypatch.setattr(intake, "canonical_envelope", breaks_on_approvals)
    decisions = app.intake.receive([message(first, reporting), message(second, reporting)])
    assert decisions[0] == RECORDED
    assert decisions[1].reason == "undecodable" and "RecursionError" in decisions[1].detail
    assert [letter["reason"] for letter in app.dead_letters.list()] == ["undecodable"]


def test_a_routing_key_that_is_not_the_event_type_is_a_dead_letter(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN")
    (envelope,) = stream.envelopes
    decisions = app.intake.receive([message(envelope, reporting, routing_key="visit_approved")])
    assert decisions[0].reason == "wrong_routing_key"
    assert "visit_approved" in decisions[0].detail and "visit_proposed" in decisions[0].detail
    assert app.recorder.max_notification_id() is None


@pytest.mark.parametrize("exchange", ["meetings.events", ""])
def test_an_event_on_another_services_exchange_is_a_dead_letter(app, reporting, stream, exchange):
    stream.visit(1).proposed("2025-02-03", "KEN")
    (envelope,) = stream.envelopes
    decisions = app.intake.receive([message(envelope, reporting, exchange=exchange)])
    assert decisions[0].reason == "wrong_exchange" and "visits.events" in decisions[0].detail
    assert app.recorder.max_notification_id() is None


def test_a_recorded_event_id_with_other_content_is_a_conflicting_duplicate(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN")
    (original,) = stream.envelopes
    assert app.intake.receive([message(original, reporting)]) == [RECORDED]
    other = {**original, "payload": {**original["payload"], "member_state": "NGA"}}

    decisions = app.intake.receive([message(original, reporting), message(other, reporting)])
    assert decisions[0] == DUPLICATE  # the same event again: silent
    assert isinstance(decisions[1], DeadLetter) and decisions[1].reason == "conflicting_duplicate"
    assert "payload" in decisions[1].detail
    (letter,) = app.dead_letters.list()
    assert letter["reason"] == "conflicting_duplicate" and letter["status"] == "open"
    app.projection.catch_up()
    assert app.projection.records()[original["aggregate_id"]]["member_state"] == "KEN"  # not overwritten


def test_two_contents_under_one_id_in_one_batch_are_caught_too(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN")
    (original,) = stream.envelopes
    other = {**original, "recorded_at": "2025-02-04T09:05:00+00:00"}
    decisions = app.intake.receive([message(original, reporting), message(original, reporting),
                                    message(other, reporting)])
    assert decisions[:2] == [RECORDED, DUPLICATE]
    assert decisions[2].reason == "conflicting_duplicate" and "recorded_at" in decisions[2].detail


def test_a_listing_caps_each_body_and_one_letter_gives_it_whole(app):
    body = b'{"x": "' + b"a" * 10_000 + b'"'  # not JSON: a dead letter
    app.intake.receive([Incoming(body, "application/json", "visits.events", "visit_proposed")])
    (listed,) = app.dead_letters.list()
    assert len(listed["body"]) == BODY_SHOWN and listed["body_truncated"] and listed["body_bytes"] == len(body)
    assert app.dead_letters.find(listed["id"])["body_base64"]


def broker_dead_letter(envelope: dict, reporting) -> Incoming:
    """As RabbitMQ hands a message it dead-lettered on to reporting.dead-letters."""
    return Incoming(encode_envelope(envelope), "application/json", "fieldwork.dead-letters", envelope["event_type"],
                    {"x-death": [{"reason": "delivery_limit", "queue": "reporting.events", "count": 1,
                                  "exchange": reporting.exchange_of(envelope), "routing-keys": [envelope["event_type"]]}]})


def test_a_message_the_broker_dead_lettered_is_taken_back_and_replayed_into_the_record(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN").approved("2025-02-05")
    first, second = stream.envelopes
    app.dead_letters.take_back([broker_dead_letter(first, reporting), broker_dead_letter(second, reporting)])
    app.dead_letters.take_back([broker_dead_letter(first, reporting)])  # handed on twice: one letter
    letters = app.dead_letters.list()
    assert sorted((x["reason"], x["exchange"], x["status"]) for x in letters) == [
        ("broker_delivery_limit", "visits.events", "open")] * 2
    assert app.dead_letters.count_by_reason(status="open") == {"broker_delivery_limit": 2}
    assert app.recorder.max_notification_id() is None

    result = app.intake.replay(reason="broker_delivery_limit", by="rita")
    assert result["replayed"] == 2 and result["outcomes"] == {RECORDED: 2}
    assert app.recorder.max_notification_id() == 2
    assert app.dead_letters.count_by_reason(status="open") == {}
    (one, *_) = app.dead_letters.list()
    assert one["status"] == "dealt_with" and one["last_outcome"] == RECORDED and one["replays"] == 1
    assert [(r["replayed_by"], r["outcome"]) for r in app.dead_letters.replays_of(one["id"])] == [("rita", RECORDED)]
    app.projection.catch_up()
    assert app.projection.records()[first["aggregate_id"]]["status"] == "approved"

    # Nothing open is left to replay; replaying again changes nothing.
    assert app.intake.replay(by="rita") == {"replayed": 0, "outcomes": {}, "letters": []}


def test_a_replayed_letter_still_refused_stays_open_with_its_reason_now(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN")
    (envelope,) = stream.envelopes
    app.intake.receive([message(envelope, reporting, routing_key="wrong")])
    (letter,) = app.dead_letters.list()
    result = app.intake.replay(letter["id"], by="rita")
    assert result["letters"][0]["outcome"] == "dead_letter:wrong_routing_key"
    again = app.dead_letters.find(letter["id"])
    assert again["status"] == "open" and again["replays"] == 1 and again["deliveries"] == 1
    assert app.recorder.max_notification_id() is None


def test_a_replay_of_an_event_recorded_meanwhile_deals_with_the_letter_as_a_duplicate(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN")
    (envelope,) = stream.envelopes
    app.dead_letters.take_back([broker_dead_letter(envelope, reporting)])
    app.intake.receive([message(envelope, reporting)])  # re-published by its relay meanwhile
    assert app.intake.replay(by="rita")["outcomes"] == {DUPLICATE: 1}
    assert app.dead_letters.count_by_reason(status="open") == {}


def test_the_probe_says_when_the_store_cannot_be_written(app, tmp_path):
    app.intake.writable()  # writes
    lock = sqlite3.connect(tmp_path / "reporting.sqlite", timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(Exception, match="locked"):
            app.intake.writable()
    finally:
        lock.rollback()
        lock.close()
    app.intake.writable()


def test_dead_letters_kept_by_an_earlier_release_are_still_listed(tmp_path):
    path = tmp_path / "reporting.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE dead_letters (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, reason TEXT NOT NULL, "
                "detail TEXT NOT NULL, exchange TEXT NOT NULL, routing_key TEXT NOT NULL, content_type TEXT NOT NULL, "
                "body_base64 TEXT NOT NULL)")
    old.execute("INSERT INTO dead_letters VALUES ('a', '2026-11-01T00:00:00+00:00', 'not_json', 'x', 'visits.events', "
                "'visit_proposed', 'application/json', 'eHg=')")
    old.commit()
    old.close()
    app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
    (letter,) = app.dead_letters.list()
    assert (letter["body"], letter["status"], letter["deliveries"]) == ("xx", "open", 1)


def test_a_restored_sources_new_event_replaces_the_events_it_lost(app, reporting, stream):
    """The source stored v3 and v4, was restored to v2, and stored another v3 (a new id): the
    record is v1, v2 and the new v3, incrementally, rebuilt and verified alike."""
    visit = stream.visit(1).proposed("2025-02-03", "KEN").approved("2025-02-05")
    visit.consent_requested("2025-02-06", "2025-03-31").consent_granted("2025-02-20")
    v1, v2, v3, v4 = stream.envelopes
    other = reporting.Stream()
    other.visit(1).proposed("2025-02-03", "KEN").approved("2025-02-05").consent_requested("2025-02-07", "2025-04-30")
    new_v3 = {**other.envelopes[2], "event_id": "00000000-0000-4000-8000-000000000003"}
    assert app.intake.receive([message(e, reporting) for e in (v1, v2, v3, v4)]) == [RECORDED] * 4
    app.projection.catch_up()
    assert app.projection.records()[v1["aggregate_id"]]["status"] == "consented"

    assert app.intake.receive([message(new_v3, reporting)]) == [RECORDED]
    app.projection.catch_up()
    record = app.projection.records()[v1["aggregate_id"]]
    assert (record["status"], record["consent"]["due_on"], record["version"]) == ("awaiting_consent", "2025-04-30", 3)
    assert app.projection.verify() == []
    app.projection.rebuild()
    assert app.projection.records()[v1["aggregate_id"]] == record


def test_a_failing_projection_is_tried_again_and_shown_while_the_intake_goes_on(app, reporting, stream, monkeypatch):
    import threading
    import time

    from reporting.projection import ProjectionRunner

    stream.visit(1).proposed("2025-02-03", "KEN").approved("2025-02-05")
    runner = ProjectionRunner(app.projection, every=0.05)
    runner.FIRST_RETRY = 0.01
    real, failing = app.projection.catch_up, [True]

    def catch_up():
        if failing[0]:
            raise OSError("disk I/O error")
        return real()

    monkeypatch.setattr(app.projection, "catch_up", catch_up)
    thread = threading.Thread(target=runner.run_forever, daemon=True)
    thread.start()
    try:
        assert app.intake.receive([message(e, reporting) for e in stream.envelopes]) == [RECORDED] * 2
        deadline = time.monotonic() + 5
        while runner.failures < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "disk I/O error" in runner.state()["error"] and runner.state()["failing_since"]
        assert app.projection.position == 0 and app.recorder.max_notification_id() == 2  # recorded all the same
        failing[0] = False
        runner.wake()
        while (runner.error or app.projection.position < 2) and time.monotonic() < deadline + 5:
            time.sleep(0.01)
        assert runner.state()["error"] is None and app.projection.position == 2
    finally:
        runner.stop()
        thread.join(5)
