"""The reporting service takes every schema version of an event the contract has: a visit's
postponement without its given-up dates (version 1) and with them (version 2), and a due date
set again after it."""
from __future__ import annotations

from reporting.records import fold


def envelope(event_type: str, version: int, occurred_at: str, payload: dict, schema_version: int = 1) -> dict:
    return {"event_id": f"e{version}", "aggregate_id": "v1", "event_type": event_type, "aggregate_version": version,
            "occurred_at": occurred_at, "schema_version": schema_version, "payload": payload}


SCHEDULED = [
    envelope("visit_proposed", 1, "2025-01-02T09:00:00+00:00",
             {"member_state": "KEN", "committee": "ctc", "origin": "committee_selection", "purpose": ""}),
    envelope("visit_scheduled", 2, "2025-01-03T09:00:00+00:00", {"starts_on": "2025-03-01", "ends_on": "2025-03-05"}),
]


def test_a_version_1_postponement_is_taken_and_the_record_says_which_dates_it_gave_up():
    record = fold("visit", [*SCHEDULED, envelope("visit_postponed", 3, "2025-01-10T09:00:00+00:00",
                                                  {"reason": "elections"})])
    assert record["postponed_dates"] == [{"at": "2025-01-10T09:00:00+00:00", "starts_on": "2025-03-01",
                                          "ends_on": "2025-03-05"}]
    assert (record["starts_on"], record["status"]) == (None, "postponed")


def test_a_version_2_postponement_names_its_dates_and_a_due_date_set_again_moves_the_due_date():
    record = fold("visit", [
        *SCHEDULED,
        envelope("consent_requested", 3, "2025-01-04T09:00:00+00:00", {"due_on": "2025-01-20"}),
        envelope("visit_postponed", 4, "2025-01-10T09:00:00+00:00",
                 {"reason": "elections", "starts_on": "2025-03-01", "ends_on": "2025-03-05"}, schema_version=2),
        envelope("due_date_reset", 5, "2025-01-11T09:00:00+00:00",
                 {"awaited": "consent", "organization": "", "due_on": "2025-04-01", "previous_due_on": "2025-01-20"}),
    ])
    assert record["postponed_dates"][0]["starts_on"] == "2025-03-01"
    assert record["consent"]["due_on"] == "2025-04-01"
