"""A source store restored from a backup, end to end, as docs/operations.md tells an operator
to do it: the visits service stopped, its SQLite store put back as the backup had it, started
again. The events it stored after the backup are gone from it; the reporting service kept
them. The next command stores an event at a version the visits service had published before:
it has a new id, so the reporting service records it (before, it took it for the old one and
dropped it in silence), and the record follows the restored source, not the lost events."""
from __future__ import annotations

import sqlite3
import time

import pytest

from fieldwork_testing import ServiceProcess
from shared.store import StoreSettings

pytestmark = pytest.mark.integration


def back_up(data_dir, name: str, to) -> None:
    """`sqlite3 data/visits.sqlite ".backup visits-backup.sqlite"`, while the service runs."""
    source, target = sqlite3.connect(data_dir / f"{name}.sqlite"), sqlite3.connect(to)
    source.backup(target)
    source.close()
    target.close()


def restore(data_dir, name: str, backup) -> None:
    """With the service stopped: the backup in place of the store (its WAL files removed)."""
    for suffix in ("-wal", "-shm"):
        (data_dir / f"{name}.sqlite{suffix}").unlink(missing_ok=True)
    (data_dir / f"{name}.sqlite").write_bytes(backup.read_bytes())


def recorded(reporting: ServiceProcess, count: int) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = reporting.get("/status").json()
        if state["events_recorded"] >= count and state["projection"]["behind"] == 0:
            return state
        time.sleep(0.2)
    raise AssertionError(f"{count} events not recorded: {reporting.get('/status').json()}")


def test_new_events_after_a_source_store_is_restored_are_recorded_and_the_record_follows_the_source(broker, tmp_path):
    visits = ServiceProcess("visits", broker.uri, tmp_path).start()
    reporting = ServiceProcess("reporting", broker.uri, tmp_path).start()
    try:
        created = visits.post("/visits", {"member_state": "KEN", "committee": "ctc"})
        visit = created.json()["id"]
        assert visits.post(f"/visits/{visit}/approve", {"expected_version": 1}).status_code == 200
        recorded(reporting, 2)
        backup = tmp_path / "visits-backup.sqlite"
        back_up(tmp_path, "visits", backup)

        assert visits.post(f"/visits/{visit}/request-consent",
                           {"due_on": "2031-01-31", "expected_version": 2}).status_code == 200
        assert visits.post(f"/visits/{visit}/grant-consent", {"expected_version": 3}).status_code == 200
        recorded(reporting, 4)

        visits.stop()
        restore(tmp_path, "visits", backup)
        visits = ServiceProcess("visits", broker.uri, tmp_path, port=visits.port).start()
        assert visits.get(f"/visits/{visit}").json()["version"] == 2  # the source went back in time

        # The next step stores another event at version 3, which the visits service published
        # before (request-consent due 31 January): a new event, with an id of its own.
        answer = visits.post(f"/visits/{visit}/request-consent", {"due_on": "2031-03-31", "expected_version": 2})
        assert answer.status_code == 200, answer.text
        state = recorded(reporting, 5)
        assert state["dead_letters"] == {}  # recorded, not a duplicate, not a conflict

        from reporting.application import ReportingApplication

        app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
        record = app.projection.records()[visit]
        # as the restored source has it: consent asked (due 31 March), not granted
        assert (record["status"], record["consent"]["due_on"], record["consent"]["outcome"]) == (
            "awaiting_consent", "2031-03-31", None)
        assert record["version"] == 3
        assert reporting.get("/projections/verify").json()["equal"] is True
    finally:
        visits.stop()
        reporting.stop()
