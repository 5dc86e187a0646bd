"""No duration in any report is negative, whatever order the steps are entered in: visits and
meetings driven through their commands with random, back-dated ``occurred_at`` (each step a
random number of days from a base, earlier or later than the last), every refusal skipped, and
the reports built from the events the services stored (as the reporting service folds them)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain import Context
from shared.errors import FieldworkError
from shared.store import StoreSettings
from meetings.application import MeetingsApplication
from reporting.records import fold
from reporting.reports import Period, build_report
from shared.contract import CATALOGUE
from visits.application import VisitsApplication

BASE = datetime(2025, 1, 6, 14, tzinfo=timezone.utc)
YEAR = Period(date(2024, 1, 1), date(2026, 12, 31))

VISIT_STEPS = [
    ("approve", {}), ("request_consent", {}), ("grant_consent", {}),
    ("invite_organization", {"organization": "UNODC", "kind": "un_body"}),
    ("request_pre_visit_info", {"organization": "UNODC", "due_on": date(2025, 2, 1)}),
    ("receive_pre_visit_info", {"organization": "UNODC"}),
    ("schedule", {}),  # dates: the step's own day and four after
    ("start", {}), ("complete", {}),
    ("record_needs_assessment", {"needs": [{"need_id": "n1", "thematic_area": "border_control",
                                            "description": "scanners", "priority": "high"}]}),
    ("record_follow_up", {"summary": "Committee updated"}), ("close_visit", {}),
]
MEETING_STEPS = ["announce", "circulate_document", "hold", "log_outcome", "report_to_committee", "approve_outcome"]

OFFSETS = st.lists(st.integers(min_value=-30, max_value=60), min_size=len(VISIT_STEPS), max_size=len(VISIT_STEPS))


def ctx(offset_days: int, hours: int = 0, user: str = "coordinator", role: str = "visit_coordinator") -> Context:
    return Context(BASE + timedelta(days=offset_days, hours=hours), user, role, "property")


def durations(report: dict) -> list[float]:
    """Every duration a report gives: consent asked to answered, held to reported."""
    found = []
    consent = report["visits"]["consent"]["time_to_answer"]
    found += [v for v in (consent["mean_days"], consent["median_days"], consent["max_days"]) if v is not None]
    for group in report["meetings"]["by_group"]:
        t = group["time_to_report"]
        found += [v for v in (t["mean_days"], t["median_days"], t["max_days"]) if v is not None]
    return found


def envelopes_of(app, ids) -> list[dict]:
    import json

    return json.loads(json.dumps([e for ident in ids for e in app.history(ident)], default=str))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(visit_offsets=OFFSETS, meeting_offsets=st.lists(st.integers(min_value=-20, max_value=40),
                                                       min_size=len(MEETING_STEPS), max_size=len(MEETING_STEPS)),
       start_in=st.integers(min_value=0, max_value=30))
def test_no_duration_in_a_report_is_negative_whatever_the_order_steps_are_entered_in(
        tmp_path_factory, visit_offsets, meeting_offsets, start_in):
    folder = str(tmp_path_factory.mktemp("back-dated"))
    visits = VisitsApplication(env=StoreSettings(data_dir=folder).environment("visits"))
    meetings = MeetingsApplication(env=StoreSettings(data_dir=folder).environment("meetings"))
    try:
        visit = visits.propose_visit(ctx(-40), member_state="KEN", committee="ctc", origin="committee_selection",
                                     purpose="")
        for (step, arguments), offset in zip(VISIT_STEPS, visit_offsets):
            if step == "schedule":
                day = (BASE + timedelta(days=offset)).date()
                arguments = {"starts_on": day, "ends_on": day + timedelta(days=4)}
            try:
                getattr(visits, step)(ctx(offset), visit.id, **arguments)
            except FieldworkError:
                pass

        group = meetings.establish_group(ctx(-60, role="secretariat"), name="Working Group 2", committee="1540",
                                         mandate_area="assistance")
        meetings.assign_chair(ctx(-60, role="secretariat"), group.id, chair_member_state="FRA", chair_user="chair")
        starts = BASE + timedelta(days=start_in)
        meeting = meetings.schedule_meeting(ctx(-50, role="secretariat"), group_id=group.id,
                                            meeting_kind="working_group", title="WG2", starts_at=starts,
                                            ends_at=starts + timedelta(hours=3))
        for step, offset in zip(MEETING_STEPS, meeting_offsets):
            who = ctx(offset, user="chair", role="working_group_chair") if step == "log_outcome" \
                else ctx(offset, role="secretariat")
            arguments = {"circulate_document": {"document_id": "d1", "title": "Agenda"},
                         "log_outcome": {"outcome_id": "o1", "outcome_kind": "decision", "text": "t"},
                         "report_to_committee": {"summary": "s"}, "approve_outcome": {"outcome_id": "o1"}}.get(step, {})
            try:
                getattr(meetings, step)(who, meeting.id, **arguments)
            except FieldworkError:
                pass

        envelopes = envelopes_of(visits, [visit.id]) + envelopes_of(meetings, [group.id, meeting.id])
        records = {}
        for aggregate_id in dict.fromkeys(e["aggregate_id"] for e in envelopes):
            mine = [e for e in envelopes if e["aggregate_id"] == aggregate_id]
            records[aggregate_id] = {**fold(CATALOGUE[mine[0]["event_type"]].aggregate, mine), "id": aggregate_id}
        report = build_report(records, "annual", YEAR, {"as_of": None, "basis": "recorded", "events": len(envelopes),
                                                         "stream_position": len(envelopes), "events_hash": ""})
        assert all(d >= 0 for d in durations(report)), durations(report)
        for stored in (envelopes_of(visits, [visit.id]), envelopes_of(meetings, [meeting.id])):
            moments = [e["occurred_at"] for e in stored]
            assert moments == sorted(moments), "the steps of a record are stored in the order they happened"
    finally:
        visits.close()
        meetings.close()
        UUID  # noqa: B018 - keeps the import for readers of the ids above
