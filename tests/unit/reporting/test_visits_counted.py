"""Which visits a report counts as conducted: started in the period, unless cancelled while in
progress (a visit called off before it ended was not conducted)."""
from __future__ import annotations

from reporting.records import fold
from reporting.reports import build_report, semi_annual

PROVENANCE = {"as_of": None, "basis": "recorded", "events": 0, "stream_position": 0, "events_hash": ""}


def visit(ident: str, *steps: tuple[str, str, dict]) -> dict:
    envelopes = [{"event_id": f"{ident}-{n}", "aggregate_id": ident, "aggregate_version": n, "event_type": t,
                  "occurred_at": at, "payload": p} for n, (t, at, p) in enumerate(steps, start=1)]
    return {**fold("visit", envelopes), "id": ident}


def started(ident: str, *more: tuple[str, str, dict]) -> dict:
    return visit(ident,
                 ("visit_proposed", "2025-01-02T09:00:00+00:00",
                  {"member_state": "KEN", "committee": "ctc", "origin": "state_invitation", "purpose": ""}),
                 ("visit_approved", "2025-01-03T09:00:00+00:00", {}),
                 ("visit_scheduled", "2025-01-04T09:00:00+00:00", {"starts_on": "2025-03-01", "ends_on": "2025-03-05"}),
                 ("visit_started", "2025-03-01T09:00:00+00:00", {}), *more)


def test_a_visit_cancelled_while_in_progress_is_not_counted_as_conducted():
    records = {"a": started("a", ("visit_completed", "2025-03-05T17:00:00+00:00", {})),
               "b": started("b", ("visit_cancelled", "2025-03-02T09:00:00+00:00", {"reason": "security"}))}
    report = build_report(records, "semi-annual", semi_annual(2025, 1), PROVENANCE)
    assert [v["visit_id"] for v in report["visits"]["conducted"]] == ["a"]
    assert report["key_figures"]["visits conducted"] == 1
