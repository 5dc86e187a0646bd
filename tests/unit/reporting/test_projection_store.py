"""The reporting service on a real SQLite store: intake (recorded once, duplicates counted,
poison messages dead-lettered with their reason and raw body), the projection (incremental,
rebuilt, verified), and the reports from it, now and "as the record stood" at a moment.

The scenario is the one with known answers (conftest.py); the figures of the as-of reports are
worked out by hand from its timeline.
"""
from __future__ import annotations

import json
import os
import random
from datetime import datetime, timedelta, timezone
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from shared.contract import canonical_envelope, encode_envelope, validate_envelope
from shared.store import StoreSettings
from reporting.application import ReportingApplication
from reporting.domain import ReceivedEvent, plain_json, received
from reporting.intake import DUPLICATE, RECORDED, DeadLetter, Incoming
from reporting import projection as projection_module
from reporting.projection import EMPTY_HASH, chain
from reporting.reports import annual, build_report, semi_annual

H1_2025 = semi_annual(2025, 1)
PERIODS = [("semi-annual", H1_2025), ("annual", annual(2025)), ("annual", annual(2024, starts_in_month=6))]
JULY_1 = datetime(2025, 7, 1, tzinfo=timezone.utc)


@pytest.fixture
def app(tmp_path):
    return ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))


def message(envelope: dict, reporting) -> Incoming:
    return Incoming(body=encode_envelope(envelope), content_type="application/json",
                    exchange=reporting.exchange_of(envelope), routing_key=envelope["event_type"])


def deliveries(envelopes: list[dict], seed: int = 2025) -> list[dict]:
    """Every event twice, in a shuffled order."""
    delivered = list(envelopes) * 2
    random.Random(seed).shuffle(delivered)
    return delivered


def batches(items: list, sizes=(1, 7, 40, 3, 64, 25)):
    i, k = 0, 0
    while i < len(items):
        size = sizes[k % len(sizes)]
        yield items[i:i + size]
        i, k = i + size, k + 1


def feed(app, reporting, envelopes: list[dict], seed: int = 2025) -> list[dict]:
    """Delivers the scenario as a broker might: shuffled, each event twice, in batches, with the
    projection catching up between batches. Returns the deliveries in order."""
    delivered = deliveries(envelopes, seed)
    for batch in batches(delivered):
        app.intake.receive([message(e, reporting) for e in batch])
        app.projection.catch_up()
    return delivered


def without_provenance(report: dict) -> dict:
    """The figures: not the provenance, nor the title (an as-of report's says as of when)."""
    return {k: {**v, "title": None} if k == "report" else v for k, v in report.items() if k != "provenance"}


def as_stored(records: dict) -> dict:
    return json.loads(json.dumps(records, sort_keys=True))


def first_seen(delivered: list[dict]) -> list[str]:
    return list(dict.fromkeys(e["event_id"] for e in delivered))


def hash_of(event_ids: list[str]) -> str:
    h = EMPTY_HASH
    for event_id in event_ids:
        h = chain(h, event_id)
    return h


# -- intake and projection ---------------------------------------------------------------------


def test_each_event_is_recorded_once_whatever_the_order_and_the_duplicates(app, reporting, scenario):
    n = len(scenario.envelopes)
    delivered = deliveries(scenario.envelopes)
    decisions = []
    within_batch = across_batches = 0
    recorded_before: set[str] = set()
    for batch in batches(delivered):
        ids = [e["event_id"] for e in batch]
        within_batch += len(ids) - len(set(ids))
        across_batches += len(set(ids) & recorded_before)
        recorded_before |= set(ids)
        decisions += app.intake.receive([message(e, reporting) for e in batch])
        app.projection.catch_up()
    # Both kinds of duplicates happened: in one batch, and of an event recorded earlier.
    assert within_batch > 0 and across_batches > 0 and within_batch + across_batches == n
    assert app.intake.counts == {RECORDED: n, DUPLICATE: n, "dead_lettered": 0}
    # The first delivery of an event is recorded, the second is a duplicate (in the same batch
    # or a later one).
    seen = set()
    for envelope, decision in zip(delivered, decisions):
        assert decision == (DUPLICATE if envelope["event_id"] in seen else RECORDED)
        seen.add(envelope["event_id"])
    assert app.dead_letters.list() == []
    # The projection's records are the records folded in memory from the events.
    assert app.projection.verify() == []
    assert app.projection.records() == as_stored(reporting.records(scenario.envelopes))
    # Built from n events, in the order they were first recorded.
    assert app.projection.provenance() == {"events": n, "stream_position": n,
                                           "events_hash": hash_of(first_seen(delivered))}


def test_rebuild_gives_the_same_records(app, reporting, scenario):
    feed(app, reporting, scenario.envelopes)
    before, provenance = app.projection.records(), app.projection.provenance()
    assert app.projection.rebuild() == len(scenario.envelopes)
    assert app.projection.records() == before
    assert app.projection.provenance() == provenance
    assert app.projection.verify() == []


def test_events_in_version_order_or_shuffled_give_the_same_records(tmp_path, reporting, scenario):
    """In order (each record takes its next event as it comes) or shuffled and twice (records
    folded again from the store): the records of a fold in memory, before and after a rebuild."""
    expected = as_stored(reporting.records(scenario.envelopes))
    for name, delivered in (("in-order", scenario.envelopes), ("shuffled", deliveries(scenario.envelopes))):
        app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path / name)).environment("reporting"))
        for batch in batches(delivered):
            app.intake.receive([message(e, reporting) for e in batch])
            app.projection.catch_up()
        assert app.projection.records() == expected, name
        assert app.projection.rebuild() == len(scenario.envelopes)
        assert app.projection.records() == expected, name


def test_of_two_events_with_one_version_the_one_recorded_later_counts(tmp_path, reporting, scenario):
    """Two different events as one version of a visit (a source store restored from a backup
    stored another event at a version it had published): the record keeps the one recorded
    later, and leaves out the events of later versions recorded before it, in catch-up
    (whether the twin came in the same batch or later) and in a rebuild alike."""
    visit = next(e["aggregate_id"] for e in scenario.envelopes if e["event_type"] == "visit_approved")
    events = sorted((e for e in scenario.envelopes if e["aggregate_id"] == visit), key=lambda e: e["aggregate_version"])
    approved = next(e for e in events if e["event_type"] == "visit_approved")
    assert events[-1]["aggregate_version"] > approved["aggregate_version"]  # events after it, to drop
    twin = {**approved, "event_id": "6f1c2d3e-0000-4000-8000-00000000abcd", "occurred_at": "2020-01-01T00:00:00+00:00"}
    for name, delivered, sizes in (("twin-later", [*events, twin], (len(events), 1)),
                                   ("twin-in-batch", [*events, twin], (100,)),
                                   ("twin-first", [twin, *events], (1, 100))):
        app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path / name)).environment("reporting"))
        for batch in batches(delivered, sizes):
            app.intake.receive([message(e, reporting) for e in batch])
            app.projection.catch_up()
        last = approved if name == "twin-first" else twin
        version = events[-1]["aggregate_version"] if name == "twin-first" else approved["aggregate_version"]
        record = app.projection.records()[visit]
        assert (record["approved_at"], record["version"]) == (last["occurred_at"], version), name
        assert app.projection.verify() == [], name
        app.projection.rebuild()
        assert app.projection.records()[visit] == record, name


def test_the_store_outlives_the_application(app, reporting, scenario, tmp_path):
    feed(app, reporting, scenario.envelopes)
    again = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
    assert again.projection.records() == app.projection.records()
    assert again.projection.provenance() == app.projection.provenance()
    # Delivered once more (a broker redelivering after a restart): nothing new.
    decisions = again.intake.receive([message(e, reporting) for e in scenario.envelopes[:20]])
    assert decisions == [DUPLICATE] * 20
    assert again.projection.catch_up() == 0


@pytest.mark.parametrize("kind, period", PERIODS)
def test_the_reports_from_the_store_are_the_reports_built_in_memory(app, reporting, scenario, kind, period):
    delivered = feed(app, reporting, scenario.envelopes)
    stored = app.report(kind, period)
    in_memory = reporting.report(scenario.envelopes, kind, period)
    assert without_provenance(stored) == without_provenance(in_memory)
    n = len(scenario.envelopes)
    assert stored["provenance"] == {"period": period.as_dict(), "as_of": None, "basis": "recorded", "events": n,
                                    "stream_position": n, "events_hash": hash_of(first_seen(delivered))}


def test_the_report_catches_up_with_what_arrived(app, reporting, scenario):
    """A report never lags the store: ``app.report`` applies what was recorded first."""
    app.intake.receive([message(e, reporting) for e in scenario.envelopes])  # no catch_up
    assert app.report("semi-annual", H1_2025)["provenance"]["events"] == len(scenario.envelopes)


def test_two_stores_fed_in_different_orders_give_the_same_figures(tmp_path, reporting, scenario):
    """The figures are the same; the provenance names each store's own log (its positions and
    the hash chained over event ids in the order that store recorded them)."""
    one = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path / "one")).environment("reporting"))
    two = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path / "two")).environment("reporting"))
    feed(one, reporting, scenario.envelopes, seed=1)
    feed(two, reporting, scenario.envelopes, seed=2)
    a, b = one.report("annual", annual(2025)), two.report("annual", annual(2025))
    assert without_provenance(a) == without_provenance(b)
    assert a["provenance"]["events"] == b["provenance"]["events"] == len(scenario.envelopes)


# -- poison messages ------------------------------------------------------------------------------


def test_poison_messages_become_dead_letters_and_the_good_ones_are_still_recorded(app, reporting, stream):
    kaz = stream.visit(1).proposed("2025-02-03", "KAZ", "1540", "state_invitation").approved("2025-02-05")
    good_1, good_2 = stream.envelopes
    unknown_type = {**good_1, "event_type": "visit_teleported"}
    version_99 = {**good_1, "schema_version": 99}
    missing_event_id = {k: v for k, v in good_1.items() if k != "event_id"}
    missing_payload_field = {**good_1, "payload": {k: v for k, v in good_1["payload"].items() if k != "member_state"}}
    version_as_text = {**good_1, "aggregate_version": "1"}
    committee_as_number = {**good_1, "payload": {**good_1["payload"], "committee": 1540}}

    def raw(body: bytes, content_type: str | None = "application/json") -> Incoming:
        return Incoming(body=body, content_type=content_type, exchange="visits.events", routing_key="visit_proposed")

    messages = [
        message(good_1, reporting),
        raw(b"{this is not json"),
        raw(encode_envelope(good_1), "text/plain"),
        raw(encode_envelope(missing_event_id)),
        raw(encode_envelope(missing_payload_field)),
        raw(encode_envelope(version_as_text)),
        raw(encode_envelope(committee_as_number)),
        raw(encode_envelope(unknown_type)),
        raw(encode_envelope(version_99)),
        raw(b"[1, 2, 3]"),
        message(good_2, reporting),
    ]
    expected = [
        (None, None),
        ("not_json", "expected a string key"),  # the parser's own words
        ("wrong_content_type", "text/plain"),
        ("invalid_envelope", "event_id"),
        ("invalid_payload", "member_state"),
        ("invalid_envelope", "aggregate_version"),
        ("invalid_payload", "committee"),
        ("unknown_event_type", "visit_teleported"),
        ("unknown_schema_version", "visit_proposed v99"),
        ("not_an_object", "list"),
        (None, None),
    ]
    decisions = app.intake.receive(messages)
    for decision, (reason, detail) in zip(decisions, expected):
        if reason is None:
            assert decision == RECORDED
        else:
            assert isinstance(decision, DeadLetter) and decision.reason == reason, decision
            assert detail in decision.detail
    assert app.intake.counts == {RECORDED: 2, DUPLICATE: 0, "dead_lettered": 9}

    letters = app.dead_letters.list()
    assert len(letters) == 9
    by_body = {letter["body"]: letter for letter in letters}
    for m, (reason, detail) in zip(messages, expected):
        if reason is None:
            continue
        letter = by_body[m.body.decode()]  # the raw body, as it came
        assert (letter["reason"], letter["exchange"], letter["routing_key"], letter["content_type"]) == (
            reason, "visits.events", "visit_proposed", m.content_type)
        assert detail in letter["detail"]
    assert app.dead_letters.count_by_reason() == {
        "invalid_envelope": 2, "invalid_payload": 2, "not_an_object": 1, "not_json": 1,
        "unknown_event_type": 1, "unknown_schema_version": 1, "wrong_content_type": 1,
    }
    # The good ones are in the projection.
    app.projection.catch_up()
    record = app.projection.records()[str(kaz.id)]
    assert (record["member_state"], record["status"], record["version"]) == ("KAZ", "approved", 2)
    assert app.projection.provenance()["events"] == 2


def test_a_body_that_is_not_utf8_is_kept_as_it_came(app):
    decisions = app.intake.receive([Incoming(body=b"\xff\xfe\x00garbage", content_type="application/json",
                                             exchange="visits.events", routing_key="visit_proposed")])
    assert isinstance(decisions[0], DeadLetter) and decisions[0].reason == "not_json"
    assert app.dead_letters.list()[0]["body"] == b"\xff\xfe\x00garbage".decode("utf-8", errors="replace")


def test_content_type_with_charset_or_unset_is_accepted(app, reporting, stream):
    stream.visit(1).proposed("2025-02-03", "KEN").approved("2025-02-05")
    first, second = stream.envelopes
    decisions = app.intake.receive([
        Incoming(body=encode_envelope(first), content_type="application/json; charset=utf-8"),
        Incoming(body=encode_envelope(second), content_type=None),
    ])
    assert decisions == [RECORDED, RECORDED]


# -- as of a moment -------------------------------------------------------------------------------


def test_as_recorded_on_1_july_the_late_consent_and_later_events_are_left_out(app, reporting, scenario):
    delivered = feed(app, reporting, scenario.envelopes)
    report = app.report("semi-annual", H1_2025, as_of=JULY_1, basis="recorded")
    assert report["visits"]["consent"] == {
        "requested": 6,
        # PHL's consent (granted 06-26) was recorded only on 07-03: not known on 1 July.
        "granted_on_request": 3,  # KEN, VNM, TUN
        "declined": 1,  # MAR
        "by_invitation": 1,  # KAZ
        "granted": 4,
        "withdrawn": 0,
        "pending_at_end": 2,  # IDN and PHL
        # KEN 10, MAR 21, VNM 28, TUN 3.4: mean 62.4 / 4 = 15.6; median (10 + 21) / 2 = 15.5; max 28.
        "time_to_answer": {"count": 4, "mean_days": 15.6, "median_days": 15.5, "max_days": 28.0},
    }
    # TUN was still under way (completed 07-04).
    assert [(x["member_state"], x["completed_on"]) for x in report["visits"]["conducted"]] == [
        ("KEN", "2025-03-14"), ("KAZ", "2025-04-10"), ("TUN", None)]
    # M5 (held 06-27) had not been reported yet (07-03).
    wg1, wg2 = report["meetings"]["by_group"]
    assert wg2["meetings_lacking_report"] == ["WG2 meeting 1/2025", "WG2 meeting 2/2025"]
    assert report["meetings"]["totals"]["meetings_lacking_report"] == 2
    assert report["key_figures"]["consent granted"] == 4  # KEN, VNM, TUN on request; KAZ by invitation
    # Built from what was recorded by then, and says so.
    kept = [e for e in scenario.envelopes if e["recorded_at"] <= "2025-07-01T00:00:00+00:00"]
    log_order = {event_id: i for i, event_id in enumerate(first_seen(delivered), start=1)}
    kept_ids = sorted((e["event_id"] for e in kept), key=log_order.get)
    assert report["provenance"] == {
        "period": {"start": "2025-01-01", "end": "2025-06-30", "time_zone": "UTC"}, "as_of": "2025-07-01T00:00:00+00:00",
        "basis": "recorded", "events": len(kept), "stream_position": log_order[kept_ids[-1]],
        "events_hash": hash_of(kept_ids),
    }
    assert len(kept) < len(scenario.envelopes)
    # The same as a report built in memory from those events.
    assert without_provenance(report) == without_provenance(reporting.report(kept, "semi-annual", H1_2025))


def test_as_happened_by_1_july_the_late_consent_counts(app, reporting, scenario):
    feed(app, reporting, scenario.envelopes)
    report = app.report("semi-annual", H1_2025, as_of=JULY_1, basis="occurred")
    full = app.report("semi-annual", H1_2025)
    # PHL's consent happened on 06-26: as in the full report.
    assert report["visits"]["consent"] == full["visits"]["consent"]
    assert report["visits"]["consent"]["granted_on_request"] == 4
    assert report["visits"]["consent"]["pending_at_end"] == 1
    # But nothing that happened after 1 July: TUN's completion, M5's report.
    assert report["visits"]["conducted"][2]["completed_on"] is None
    assert report["meetings"]["by_group"][1]["meetings_lacking_report"] == ["WG2 meeting 1/2025", "WG2 meeting 2/2025"]
    assert report["provenance"]["basis"] == "occurred"
    happened = [e for e in scenario.envelopes if e["occurred_at"] <= "2025-07-01T00:00:00+00:00"]
    assert report["provenance"]["events"] == len(happened)
    assert without_provenance(report) == without_provenance(reporting.report(happened, "semi-annual", H1_2025))


def test_as_of_the_end_of_march(app, reporting, scenario):
    feed(app, reporting, scenario.envelopes)
    report = app.report("semi-annual", H1_2025, as_of=datetime(2025, 4, 1, tzinfo=timezone.utc), basis="occurred")
    assert report["key_figures"] == {
        "visits conducted": 1,  # KEN (KAZ started 04-07)
        "consent requested": 4,  # VNM, KEN, JOR, TUN (PHL, IDN later)
        "consent granted": 4,  # KEN, VNM, TUN on request; KAZ (02-03) by invitation
        "consent granted at the State's invitation": 1,
        "consent declined": 1,  # MAR
        "pre-visit information received late": 0,  # OSCE (KAZ) 04-08, Interpol (TUN) 06-30 later
        "needs identified": 3,  # KEN v1 (03-20): KEN-01, KEN-02, KEN-03
        "needs assessments shared": 0,
        "meetings held": 1,  # M1 (M2 04-07)
        "outcomes logged": 3,  # M8-R1, M1-D1, M1-R1
        "reports to the Committee": 2,  # M8 01-03, M1 02-06
        "outcomes communicated": 1,  # M1-D1 02-25
        "States reached by the outcomes communicated": 2,
        "open meetings held": 1,  # 03-05
        "meetings held with every delegation notified": 0,
    }


def test_as_of_after_everything_gives_the_full_report(app, reporting, scenario):
    feed(app, reporting, scenario.envelopes)
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)
    for basis in ("recorded", "occurred"):
        report = app.report("annual", annual(2025), as_of=later, basis=basis)
        full = app.report("annual", annual(2025))
        assert without_provenance(report) == without_provenance(full)
        assert {k: v for k, v in report["provenance"].items() if k not in ("as_of", "basis")} == \
               {k: v for k, v in full["provenance"].items() if k not in ("as_of", "basis")}


def test_an_unknown_basis_is_refused(app):
    with pytest.raises(ValueError):
        app.report("semi-annual", H1_2025, as_of=JULY_1, basis="imagined")


def test_the_store_read_straight_from_sqlite_is_what_the_mapper_decodes(app, reporting, scenario):
    """The projection reads SQLite's events table itself (one JSON parse a row); the
    eventsourcing mapper must give the same envelopes and times, in order and by position."""
    feed(app, reporting, scenario.envelopes)
    projection = app.projection
    assert projection._plain_json
    fast = projection.received(1, 10_000)
    assert list(projection.all_received(batch=7)) == fast  # decoded as taken, a read of 7 rows at a time
    with projection.sql.transaction(commit=False) as c:
        fast_at = projection._stored_at(c, [position for position, _, _ in fast][::3])
    projection._plain_json = False
    by_mapper = projection.received(1, 10_000)
    assert list(projection.all_received(batch=7)) == by_mapper
    with projection.sql.transaction(commit=False) as c:
        mapper_at = projection._stored_at(c, [position for position, _, _ in fast][::3])
    assert fast == by_mapper
    assert fast_at == mapper_at and len(fast_at) == len(fast[::3])
    assert len(by_mapper) == len(scenario.envelopes)


def test_a_row_the_fast_read_cannot_decode_goes_to_the_mapper(app, reporting, scenario, monkeypatch):
    """A stored state not laid out as the fast read expects (here: its time tagged otherwise,
    or JSON the strict parser refuses) is decoded by the mapper, in its place in the log."""
    feed(app, reporting, scenario.envelopes[:5])
    projection = app.projection
    expected = projection.received(1, 100)
    real_loads = projection_module.orjson.loads

    def odd_third(state):
        decoded = real_loads(state)
        if decoded["envelope"]["event_id"] == expected[2][1]["event_id"]:
            decoded["timestamp"] = decoded["timestamp"]["_data_"]
        if decoded["envelope"]["event_id"] == expected[4][1]["event_id"]:
            raise projection_module.orjson.JSONDecodeError("not strict JSON", "", 0)
        return decoded

    monkeypatch.setattr(projection_module.orjson, "loads", odd_third)
    assert projection.received(1, 100) == expected
    assert [position for position, _, _ in expected] == [1, 2, 3, 4, 5]


def test_the_intake_stores_each_event_as_the_mapper_would(app, reporting, scenario):
    """The intake writes a received event's state itself (one orjson call): every row is the
    JSON document the eventsourcing mapper writes for the event ``received()`` makes, its
    timestamp in UTC."""
    feed(app, reporting, scenario.envelopes)
    with app.projection.sql.transaction(commit=False) as c:
        c.execute("SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid")
        rows = [StoredEvent(originator_id=UUID(str(r["originator_id"])), originator_version=r["originator_version"],
                            topic=r["topic"], state=bytes(r["state"])) for r in c.fetchall()]
    assert len(rows) == len(scenario.envelopes)
    for row in rows:
        event = app.mapper.to_domain_event(row)
        assert type(event) is ReceivedEvent.Received and event.originator_id == row.originator_id
        assert event.exchange == reporting.exchange_of(event.envelope)
        assert event.timestamp.utcoffset() == timedelta(0)
        reference = received(event.envelope, event.exchange)
        object.__setattr__(reference, "timestamp", event.timestamp)  # the one value that differs
        assert orjson.loads(app.mapper.to_stored_event(reference).state) == orjson.loads(row.state)
    assert sorted(json.dumps(app.mapper.to_domain_event(r).envelope, sort_keys=True) for r in rows) == sorted(
        json.dumps(canonical_envelope(validate_envelope(json.loads(encode_envelope(e)))), sort_keys=True)
        for e in scenario.envelopes)


def test_a_compressed_store_is_written_and_read_by_the_mapper(tmp_path, reporting, scenario):
    """Where the store compresses (or encrypts) its events, the intake and the projection leave
    them to the mapper, and the records are the same."""
    environment = StoreSettings(data_dir=str(tmp_path / "plain")).environment("reporting")
    plain = ReportingApplication(env=environment)
    compressed = ReportingApplication(env={**StoreSettings(data_dir=str(tmp_path / "zlib")).environment("reporting"),
                                           "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor"})
    assert not plain_json(compressed.mapper) and not compressed.projection._plain_json
    for application in (plain, compressed):
        feed(application, reporting, scenario.envelopes)
    assert compressed.projection.records() == plain.projection.records()
    assert compressed.projection.rebuild() == len(scenario.envelopes)
    assert compressed.projection.records() == plain.projection.records()


# The projection's tables as the previous versions left them: records without their first and
# last day, a row a day in projection_days (VERSION 4, and the markers it kept), and a copy of
# every event in projection_events (before VERSION 3).
EARLIER_LAYOUT = (
    "DROP TABLE projection_records",
    "CREATE TABLE projection_records (aggregate_id TEXT PRIMARY KEY, kind TEXT NOT NULL, record TEXT NOT NULL)",
    "CREATE TABLE projection_days (day TEXT NOT NULL, aggregate_id TEXT NOT NULL, PRIMARY KEY (day, aggregate_id))",
    "CREATE INDEX projection_days_aggregate ON projection_days (aggregate_id)",
    "CREATE TABLE projection_events (aggregate_id TEXT, aggregate_version INTEGER, kind TEXT, position BIGINT, "
    "envelope TEXT)",
    "DELETE FROM projection_sources",
    "DELETE FROM projection_position WHERE name = 'version'",
    "INSERT INTO projection_position (name, position, events, events_hash) VALUES ('fold', 4, 0, ''), "
    "('calendar', 2, 0, '')",
)


def test_a_projection_built_by_an_earlier_version_is_rebuilt_when_opened(tmp_path, reporting, scenario, caplog):
    """A store whose projection an earlier version built, in tables laid out otherwise (a row
    a day; a copy of every event) and holding other records: opened by this version, the
    earlier tables are dropped, the records folded again from the store and indexed by day, and
    catch-up goes on from there."""
    from reporting.projection import VERSION

    env = StoreSettings(data_dir=str(tmp_path)).environment("reporting")
    old = ReportingApplication(env=env)
    assert "another version" not in caplog.text  # a new store is not said to be rebuilt
    half = len(scenario.envelopes) // 2
    old.intake.receive([message(e, reporting) for e in scenario.envelopes[:half]])
    old.projection.catch_up()
    with old.projection.sql.transaction() as c:
        for statement in EARLIER_LAYOUT:
            c.execute(statement)
        c.executemany("INSERT INTO projection_records (aggregate_id, kind, record) VALUES (?, 'visit', ?)",
                      [(a, '{"stale": true}') for a in reporting.records(scenario.envelopes[:half])])
        c.execute("INSERT INTO projection_days SELECT '2025-03-01', aggregate_id FROM projection_records")
    reopened = ReportingApplication(env=env)
    assert "projection built by another version: rebuilding it from the store" in caplog.text
    with reopened.projection.sql.transaction(commit=False) as c:
        c.execute("SELECT name FROM sqlite_master WHERE name IN ('projection_events', 'projection_days')")
        assert c.fetchall() == []
        c.execute("SELECT name, position FROM projection_position WHERE name != 'records'")
        assert [tuple(row) for row in c.fetchall()] == [("version", VERSION)]
    assert reopened.projection.records() == as_stored(reporting.records(scenario.envelopes[:half]))
    assert without_provenance(reopened.report("semi-annual", semi_annual(2025, 1))) == without_provenance(
        build_report(reporting.records(scenario.envelopes[:half]), "semi-annual", semi_annual(2025, 1), {}))
    reopened.intake.receive([message(e, reporting) for e in scenario.envelopes[half:]])
    reopened.projection.catch_up()
    assert reopened.projection.records() == as_stored(reporting.records(scenario.envelopes))
    assert reopened.projection.verify() == []


def test_a_store_the_release_before_the_version_mark_also_ran_on_is_rebuilt_when_opened(tmp_path, reporting,
                                                                                          scenario, caplog):
    """Rolled back to the release before the version mark and forward again: that release
    leaves this one's mark alone, adds its own (``fold``, ``calendar``) and writes records
    without their first and last day, which no report would find. Its marks make the
    projection stale: it is rebuilt when opened, and the report has every visit again."""
    env = StoreSettings(data_dir=str(tmp_path)).environment("reporting")
    app = ReportingApplication(env=env)
    app.intake.receive([message(e, reporting) for e in scenario.envelopes])
    app.projection.catch_up()
    expected = without_provenance(build_report(reporting.records(scenario.envelopes), "semi-annual", H1_2025, {}))
    assert without_provenance(app.report("semi-annual", H1_2025)) == expected
    with app.projection.sql.transaction() as c:  # what the earlier release leaves
        c.execute("INSERT INTO projection_position (name, position, events, events_hash) VALUES ('fold', 4, 0, ''), "
                  "('calendar', 2, 0, '')")
        c.execute("UPDATE projection_records SET first_day = NULL, last_day = NULL")
    assert without_provenance(app.report("semi-annual", H1_2025)) != expected  # what it would cost
    reopened = ReportingApplication(env=env)
    assert "projection built by another version: rebuilding it from the store" in caplog.text
    assert without_provenance(reopened.report("semi-annual", H1_2025)) == expected
    with reopened.projection.sql.transaction(commit=False) as c:
        c.execute("SELECT name FROM projection_position ORDER BY name")
        assert [row["name"] for row in c.fetchall()] == ["records", "version"]


def test_a_projection_whose_rebuild_did_not_finish_is_rebuilt_and_said_so(tmp_path, reporting, scenario, caplog):
    """A rebuild cut short (the process killed while it folded) leaves the projection without
    its version mark: it is rebuilt when next opened, and the log says why, not that another
    version built it."""
    env = StoreSettings(data_dir=str(tmp_path)).environment("reporting")
    app = ReportingApplication(env=env)
    app.intake.receive([message(e, reporting) for e in scenario.envelopes])
    with app.projection.sql.transaction() as c:  # as the opening of a stale store leaves it, before the rebuild
        c.execute("DELETE FROM projection_position WHERE name = 'version'")
    caplog.clear()
    reopened = ReportingApplication(env=env)
    assert "projection not marked complete" in caplog.text and "another version" not in caplog.text
    assert reopened.projection.records() == as_stored(reporting.records(scenario.envelopes))


def test_replicas_opening_a_stale_projection_together_all_open_it(tmp_path, reporting, scenario):
    """Replicas started together on a store whose projection must be rebuilt take turns under
    the projection's lock: every one opens, and the projection is that of the whole store."""
    from fieldwork_testing import opened_together

    env = StoreSettings(data_dir=str(tmp_path)).environment("reporting")
    app = ReportingApplication(env=env)
    app.intake.receive([message(e, reporting) for e in scenario.envelopes])
    with app.projection.sql.transaction() as c:
        c.execute("UPDATE projection_position SET position = 1 WHERE name = 'version'")
    replicas, errors = opened_together(lambda: ReportingApplication(env=env))
    assert errors == [] and len(replicas) == 4
    assert all(r.projection.records() == as_stored(reporting.records(scenario.envelopes)) for r in replicas)


def test_two_replicas_catching_up_on_one_store_apply_each_event_once(tmp_path, reporting, scenario):
    """Two processes of the service on one store (competing consumers) both catch up after
    each of their batches: each batch is applied by one of them, so the counts, the events hash
    and the records are those of one projection fed every event once."""
    import threading

    env = StoreSettings(data_dir=str(tmp_path)).environment("reporting")
    replicas = [ReportingApplication(env=env), ReportingApplication(env=env)]
    delivered = deliveries(scenario.envelopes)
    parts = [delivered[0::2], delivered[1::2]]
    errors: list[BaseException] = []

    def consume(app, envelopes):
        try:
            for batch in batches(envelopes, (3, 11, 1, 7)):
                app.intake.receive([message(e, reporting) for e in batch])
                app.projection.catch_up()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=consume, args=pair) for pair in zip(replicas, parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    n = len(scenario.envelopes)
    for app in replicas:
        app.projection.catch_up()
        in_store_order = [envelope["event_id"] for _, envelope, _ in app.projection.all_received()]
        assert len(in_store_order) == n
        assert app.projection.provenance() == {"events": n, "stream_position": n,
                                               "events_hash": hash_of(in_store_order)}
        assert app.projection.records() == as_stored(reporting.records(scenario.envelopes))
        assert app.projection.verify() == []


def test_the_status_finds_a_silent_source_s_last_event_without_reading_the_store(app, reporting, scenario):
    """``last_event_by_source`` (GET /status) names each source's newest event. A source that
    has been silent for a long time is not looked for through the whole store: the projection
    keeps each source's newest event; only what it has not applied yet is read back."""
    meetings = [e for e in scenario.envelopes if reporting.exchange_of(e) == "meetings.events"]
    visits = [e for e in scenario.envelopes if reporting.exchange_of(e) == "visits.events"]
    assert meetings and visits
    for envelope in [*meetings, *visits]:  # the meetings service silent since its last event
        app.intake.receive([message(envelope, reporting)])
    app.projection.catch_up()
    read: list[int] = []
    real_received = app.projection.received

    def counting(start, limit=500):
        rows = real_received(start, limit)
        read.append(len(rows))
        return rows

    app.projection.received = counting
    expected = {
        "meetings.events": {"event_type": meetings[-1]["event_type"], "position": len(meetings)},
        "visits.events": {"event_type": visits[-1]["event_type"], "position": len(scenario.envelopes)},
    }
    newest = app.last_events()
    assert {s: {k: v[k] for k in ("event_type", "position")} for s, v in newest.items()} == expected
    assert newest["visits.events"]["recorded_at"] == visits[-1]["recorded_at"]
    assert sum(read) == 0  # all applied: nothing read back
    # Three more visit events recorded, not yet applied: those three are read back, no more.
    extra = [{**visits[0], "event_id": f"00000000-0000-4000-8000-00000000000{i}", "aggregate_version": 90 + i}
             for i in range(3)]
    app.intake.receive([message(e, reporting) for e in extra])
    newest = app.last_events()
    assert newest["visits.events"]["position"] == len(scenario.envelopes) + 3
    assert newest["meetings.events"]["position"] == len(meetings)
    assert sum(read) == 3


def test_replicas_started_together_on_a_new_store_all_open_it(tmp_path):
    """Processes of the service started at the same moment on one new store (replicas, as
    `fieldwork up --reporting-replicas` starts them) all open it: SQLite refuses at once a
    connection that read the schema before another created a table, and opening again is safe."""
    import os
    import subprocess
    import sys

    code = ("import sys\nfrom shared.store import StoreSettings, opened\n"
            "from reporting.application import ReportingApplication\n"
            f"opened(lambda: ReportingApplication(env=StoreSettings(data_dir={str(tmp_path)!r}).environment('reporting')))\n"
            "print('opened')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    for _ in range(3):  # a race: a few rounds, each on a new store
        for stale in tmp_path.iterdir():
            stale.unlink()
        processes = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=env) for _ in range(4)]
        results = [p.communicate(timeout=60) for p in processes]
        assert [out.strip() for out, _ in results] == ["opened"] * 4, [err[-1500:] for _, err in results]


def test_the_write_ahead_log_is_checkpointed_every_ten_thousand_pages_not_every_thousand(app):
    """A service's SQLite store (``shared.store.SQLiteFactory``) copies its write-ahead log back
    into the database every ``WAL_CHECKPOINT_PAGES`` pages: after commits writing about 3,000
    pages the log still holds them all (SQLite's default would have checkpointed at 1,000 and
    begun the log again), and the store reads and writes as before."""
    from shared.store import WAL_CHECKPOINT_PAGES

    assert WAL_CHECKPOINT_PAGES == 10_000
    sql = app.projection.sql
    with sql.transaction() as c:
        c.execute("CREATE TABLE pages (body BLOB)")
    for _ in range(30):  # about 100 pages a commit
        with sql.transaction() as c:
            c.executemany("INSERT INTO pages (body) VALUES (?)", [(bytes(4000),)] * 100)
    wal = app.recorder.datastore.pool.db_name + "-wal"
    assert os.path.getsize(wal) > 2_500 * 4096
    with sql.transaction(commit=False) as c:
        c.execute("PRAGMA wal_autocheckpoint")
        assert c.fetchone()[0] == WAL_CHECKPOINT_PAGES
        c.execute("SELECT COUNT(*) FROM pages")
        assert c.fetchone()[0] == 3_000


def test_the_write_ahead_log_file_is_cut_back_after_one_large_transaction(app):
    """One transaction larger than ``WAL_SIZE_LIMIT`` (as a projection's rebuild of a large
    store writes) grows the log file beyond it; once a checkpoint has emptied the log, the
    next commit cuts the file back to the limit instead of keeping it that large for good."""
    from shared.store import WAL_SIZE_LIMIT

    sql = app.projection.sql
    with sql.transaction() as c:
        c.execute("CREATE TABLE pages (body BLOB)")
    with sql.transaction() as c:
        c.executemany("INSERT INTO pages (body) VALUES (?)", [(bytes(4000),)] * (WAL_SIZE_LIMIT // 4096 + 2_000))
    wal = app.recorder.datastore.pool.db_name + "-wal"
    assert os.path.getsize(wal) > WAL_SIZE_LIMIT
    with sql.transaction() as c:
        c.execute("INSERT INTO pages (body) VALUES (?)", (b"x",))
    assert os.path.getsize(wal) <= WAL_SIZE_LIMIT
    with sql.transaction(commit=False) as c:
        c.execute("SELECT COUNT(*) FROM pages")
        assert c.fetchone()[0] == WAL_SIZE_LIMIT // 4096 + 2_001


# -- on the library's projection layer -----------------------------------------------------


def test_the_projection_s_position_is_the_library_s_tracking_of_its_view(app, reporting, scenario):
    from eventsourcing.projection import Projection as LibraryProjection

    feed(app, reporting, scenario.envelopes)
    view, last = app.projection.view, app.recorder.max_notification_id()
    assert isinstance(app.projection, LibraryProjection)
    # the library's own tracking recorder says where the view is, and waits on it
    assert view.max_tracking_id("reporting") == last == app.projection.position
    assert view.has_tracking_id("reporting", last) and not view.has_tracking_id("reporting", last + 1)
    view.wait("reporting", last, timeout=0.1)
    # a rebuild tracks the same position from nothing
    app.projection.rebuild()
    assert view.max_tracking_id("reporting") == last


def test_events_handed_over_one_at_a_time_as_the_library_s_runner_does_give_the_batched_records(
        tmp_path, reporting, scenario):
    """The library's subscription hands a projection each event with its tracking
    (``ApplicationSubscription``: the mapper's event, ``Tracking(app name, notification id)``);
    ``process_event`` applies it once, and the records and their provenance are those of the
    batched catch-up. (SQLite's recorder cannot be subscribed to; the same notifications are read
    here as the subscription reads them.)"""
    from eventsourcing.persistence import Tracking

    batched = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path / "a")).environment("reporting"))
    single = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path / "b")).environment("reporting"))
    for target in (batched, single):
        for batch in batches(deliveries(scenario.envelopes)):
            target.intake.receive([message(e, reporting) for e in batch])
    batched.projection.catch_up()
    notifications = single.recorder.select_notifications(1, 10_000)
    handed = [(single.mapper.to_domain_event(n), Tracking(single.name, n.id)) for n in notifications]
    for domain_event, tracking in handed + handed[:5]:  # the first five again: already tracked, not applied twice
        single.projection.process_event(domain_event, tracking)
    assert single.projection.records() == batched.projection.records()
    assert single.projection.provenance() == batched.projection.provenance()
    assert single.projection.verify() == []


def test_the_store_s_transcoder_keeps_an_envelope_as_it_came(app, scenario):
    """The reporting store writes states through its own transcoder (the library's seam): one
    orjson call for a received event, and an object in a payload that looks like one of the
    library's tagged values stays the object it was (the library's JSON transcoder would have
    turned it into a UUID)."""
    from eventsourcing.persistence import JSONTranscoder, Mapper

    from reporting.domain import ReceivedTranscoder

    assert isinstance(app.mapper.transcoder, ReceivedTranscoder)
    envelope = {**scenario.envelopes[0], "payload": {**scenario.envelopes[0]["payload"],
                                                     "note": {"_type_": "uuid_hex", "_data_": "0" * 32}}}
    event = received(envelope, "visits.events")
    assert app.mapper.to_domain_event(app.mapper.to_stored_event(event)).envelope == envelope
    library = JSONTranscoder()
    app.register_transcodings(library)
    by_the_library = Mapper(transcoder=library)
    assert by_the_library.to_domain_event(by_the_library.to_stored_event(event)).envelope != envelope
    # a state the library wrote is read all the same
    assert app.mapper.to_domain_event(by_the_library.to_stored_event(received(scenario.envelopes[1], "x"))).envelope \
        == scenario.envelopes[1]
