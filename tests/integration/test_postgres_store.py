"""The visits service's event store on PostgreSQL: the same aggregate, the same outbox."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.contract import VISITS_EXCHANGE
from shared.domain import Context
from shared.errors import VersionConflict
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import ConfirmingPublisher
from shared.store import envelope_of
from visits.application import VisitsApplication
from visits.commands import VISITS
from visits.domain import Need

pytestmark = pytest.mark.integration

CTX = Context(datetime(2025, 3, 1, 8, tzinfo=timezone.utc), "ana", "visit_coordinator", "req")


def test_a_visit_stored_in_postgresql_comes_back_with_its_types(postgres_settings):
    app = VisitsApplication(env=postgres_settings.environment("visits"))
    visit_id = app.propose_visit(CTX, member_state="KEN", committee="ctc", origin="committee_selection", purpose="").id
    for command, args in [
        ("approve", {}), ("request-consent", {"due_on": date(2025, 2, 1)}), ("grant-consent", {}),
        ("schedule", {"starts_on": date(2025, 3, 1), "ends_on": date(2025, 3, 5)}), ("start", {}),
        ("record-needs-assessment", {"needs": [Need("N1", "legislation", "a law", "high")]}),
    ]:
        VISITS[command].use_case(app, CTX, visit_id, **args)

    reloaded = VisitsApplication(env=postgres_settings.environment("visits")).get_visit(visit_id)
    assert reloaded.status == "in_progress" and reloaded.version == 7
    assert reloaded.starts_on == date(2025, 3, 1) and type(reloaded.starts_on) is date
    assert reloaded.started_at == CTX.occurred_at
    assert reloaded.needs == {"N1": Need("N1", "legislation", "a law", "high")}


def test_two_commands_on_the_same_visit_at_once_one_is_refused_as_a_conflict(postgres_settings):
    first = VisitsApplication(env=postgres_settings.environment("visits"))
    second = VisitsApplication(env=postgres_settings.environment("visits"))
    visit_id = first.propose_visit(CTX, member_state="KEN", committee="ctc", origin="committee_selection", purpose="").id
    mine, theirs = first.get_visit(visit_id), second.get_visit(visit_id)
    mine.approve(CTX)
    theirs.cancel(CTX, reason="security situation")
    first.store(mine)
    with pytest.raises(VersionConflict):
        second.store(theirs)
    assert first.get_visit(visit_id).status == "approved"


def test_the_outbox_relay_keeps_its_position_in_postgresql(postgres_settings, broker):
    app = VisitsApplication(env=postgres_settings.environment("visits"))
    tap = broker.tap()
    for _ in range(5):
        app.propose_visit(CTX, member_state="PER", committee="1540", origin="state_invitation", purpose="")
    relay = OutboxRelay(app, ConfirmingPublisher(broker.uri), exchange=VISITS_EXCHANGE, envelope_of=envelope_of)
    assert relay.drain() == 5
    again = OutboxRelay(
        VisitsApplication(env=postgres_settings.environment("visits")),
        ConfirmingPublisher(broker.uri), exchange=VISITS_EXCHANGE, envelope_of=envelope_of,
    )
    assert again.position == 5 and again.drain() == 0
    assert len(tap.envelopes(expected=5)) == 5
    tap.close()


def test_the_reporting_projection_on_postgresql_is_the_one_on_sqlite(postgres_settings, tmp_path):
    """The reporting service reads its store's events table itself (by position, to fold a
    record again): on PostgreSQL, through the mapper, the records and reports are those of a
    SQLite store fed the same messages, events arriving out of order and twice."""
    import random

    from bench.run import history
    from shared.contract import encode_envelope
    from shared.store import StoreSettings
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming
    from reporting.reports import annual, semi_annual

    items = history(600)  # whole visit lifecycles, 2000-2025
    rng = random.Random(11)
    for start in range(0, len(items), 40):  # out of order within windows, some sent twice
        window = items[start:start + 40]
        rng.shuffle(window)
        items[start:start + 40] = window
    messages = [Incoming(encode_envelope(e), "application/json", "visits.events", e["event_type"])
                for e in items + rng.sample(items, 30)]
    postgres = ReportingApplication(env=postgres_settings.environment("reporting"))
    sqlite = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
    for app in (postgres, sqlite):
        for start in range(0, len(messages), 50):
            app.intake.receive(messages[start:start + 50])
            app.projection.catch_up()
    records = sqlite.projection.records()
    assert len(records) == -(-len(items) // 13)
    assert postgres.projection.records() == records
    assert postgres.projection.verify() == []
    assert postgres.projection.rebuild() == len(items)
    assert postgres.projection.records() == records
    for kind, period in (("semi-annual", semi_annual(2024, 2)), ("annual", annual(2024))):
        on_postgres, on_sqlite = postgres.report(kind, period), sqlite.report(kind, period)
        assert on_postgres["provenance"]["events"] == on_sqlite["provenance"]["events"] == len(items)
        on_postgres.pop("provenance"), on_sqlite.pop("provenance")  # store positions may differ
        assert on_postgres == on_sqlite and on_sqlite["visits"]["conducted"]
    # as of a moment (each record's times, the log's blocks, read in one repeatable-read
    # transaction): what folding the whole log with the same events kept gives
    from dataclasses import replace
    from datetime import datetime, timezone

    from reporting.reports import build_report
    for moment in (datetime(2012, 3, 1, tzinfo=timezone.utc), datetime(2024, 9, 30, tzinfo=timezone.utc)):
        for basis, field in (("recorded", "recorded_at"), ("occurred", "occurred_at")):
            kept, used = postgres.projection.fold_log(lambda e, _: datetime.fromisoformat(e[field]) <= moment)
            got = postgres.report("semi-annual", semi_annual(2024, 2), as_of=moment, basis=basis)
            in_new_york = replace(semi_annual(2024, 2), zone="America/New_York")  # the Committees' days
            assert got == build_report(kept, "semi-annual", in_new_york,
                                       {"as_of": moment.isoformat(), "basis": basis, **used})
            assert 0 < got["provenance"]["events"] < len(items)
    # as an earlier version left it (a row a day, other records): opened, dropped and rebuilt
    table, schema = postgres.projection.sql.table, postgres.projection.sql.datastore.schema
    with postgres.projection.sql.transaction() as c:
        c.execute(f"UPDATE {table('projection_position')} SET position = 4 WHERE name = 'version'")
        c.execute(f"CREATE TABLE {table('projection_days')} (day TEXT, aggregate_id TEXT)")
        c.execute(f"UPDATE {table('projection_records')} SET record = '{{}}'")
    reopened = ReportingApplication(env=postgres_settings.environment("reporting"))
    assert reopened.projection.records() == records
    with reopened.projection.sql.transaction(commit=False) as c:
        c.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                  "AND table_name = 'projection_days'", (schema,))
        assert c.fetchall() == []


def test_two_reporting_replicas_on_postgresql_apply_each_event_once(postgres_settings):
    """Two replicas of the reporting service on one PostgreSQL schema, each recording its share
    of the messages and catching the projection up after every batch at the same time: the
    row lock on the projection's position lets one apply each batch, so the count and the
    events hash are those of every event once, and the records those of a full fold."""
    import threading

    from bench.run import history
    from shared.contract import encode_envelope
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming

    items = history(520)
    messages = [Incoming(encode_envelope(e), "application/json", "visits.events", e["event_type"]) for e in items]
    replicas = [ReportingApplication(env=postgres_settings.environment("reporting")) for _ in range(2)]
    errors: list[BaseException] = []

    def consume(app, share):
        try:
            for start in range(0, len(share), 13):
                app.intake.receive(share[start:start + 13])
                app.projection.catch_up()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=consume, args=(app, messages[k::2])) for k, app in enumerate(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for app in replicas:
        app.projection.catch_up()
        provenance = app.projection.provenance()  # each event counted once, in log order
        assert provenance["events"] == len(items) and provenance == app.projection.fold_log()[1]
        assert app.projection.verify() == []
        newest = app.last_events()  # what GET /status says, from projection_latest
        assert list(newest) == ["visits.events"] and newest["visits.events"]["position"] == provenance["stream_position"]


def test_reporting_replicas_opening_a_stale_projection_together_on_postgresql_all_start(postgres_settings):
    """Replicas of a new release started together on a PostgreSQL store whose projection an
    earlier version built (as operations.md says to upgrade them): they take turns dropping and
    rebuilding it under one advisory lock, so every one of them starts (two at once making the
    same tables failed with "tuple concurrently updated", two rebuilds' writes with a
    duplicate key), and the projection is that of a full fold of the store."""
    from bench.run import history
    from fieldwork_testing import opened_together
    from shared.contract import encode_envelope
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming

    env = postgres_settings.environment("reporting")
    first = ReportingApplication(env=env)
    items = history(2_600)
    first.intake.receive([Incoming(encode_envelope(e), "application/json", "visits.events", e["event_type"])
                          for e in items])
    first.projection.catch_up()
    with first.projection.sql.transaction() as c:
        c.execute(f"DELETE FROM {first.projection.position_table} WHERE name = 'version'")
    for _ in range(2):  # a race: twice
        opened_apps, errors = opened_together(lambda: ReportingApplication(env=env))
        assert errors == [] and len(opened_apps) == 4
        for app in opened_apps:
            assert app.projection.provenance()["events"] == len(items)
            assert app.projection.verify() == []
        with first.projection.sql.transaction() as c:  # stale again for the second round
            c.execute(f"UPDATE {first.projection.position_table} SET position = 1 WHERE name = 'version'")


def test_dead_letters_on_postgresql_are_kept_once_and_replayed(postgres_settings):
    """The dead-letter record's upsert and replay on PostgreSQL, as on SQLite."""
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming

    app = ReportingApplication(env=postgres_settings.environment("reporting"))
    refused = Incoming(b"not json", "application/json", "visits.events", "visit_proposed")
    app.intake.receive([refused])
    app.intake.receive([refused])  # delivered again: one letter, counted twice
    (letter,) = app.dead_letters.list()
    assert (letter["reason"], letter["deliveries"], letter["status"]) == ("not_json", 2, "open")
    result = app.intake.replay(letter["id"], by="rita")
    assert result["outcomes"] == {"dead_letter:not_json": 1}
    assert app.dead_letters.find(letter["id"])["replays"] == 1
    assert [r["replayed_by"] for r in app.dead_letters.replays_of(letter["id"])] == ["rita"]


def test_the_library_s_subscription_on_postgresql_keeps_the_reporting_projection_up(postgres_settings):
    """On PostgreSQL the library's ``ApplicationSubscription`` (LISTEN/NOTIFY) hands each recorded
    event to the projection's ``process_event`` while the intake records: the records and their
    tracking follow the store, equal to a fold of the whole log."""
    import threading

    from eventsourcing.projection import ApplicationSubscription

    from bench.run import history
    from shared.contract import encode_envelope
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming

    app = ReportingApplication(env=postgres_settings.environment("reporting"))
    items = history(300)
    done = threading.Event()
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            with ApplicationSubscription(app, gt=app.projection.position, topics=app.projection.topics) as events:
                for domain_event, tracking in events:
                    app.projection.process_event(domain_event, tracking)
                    if app.projection.provenance()["events"] >= len(items):
                        break
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            done.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    for start in range(0, len(items), 50):
        app.intake.receive([Incoming(encode_envelope(e), "application/json", "visits.events", e["event_type"])
                            for e in items[start:start + 50]])
    assert done.wait(60) and not errors
    last = app.recorder.max_notification_id()
    assert app.projection.position == app.projection.view.max_tracking_id("reporting") == last
    rebuilt, provenance = app.projection.fold_log()
    assert app.projection.records() == rebuilt and app.projection.provenance() == provenance
