"""A working group's meeting from the published schedule to the open meeting on its approved
outcomes, over HTTP: each step stored and published exactly once, in order, valid against the
shared contract; the calendar feed follows the meeting when it moves or is cancelled."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from shared.contract import decode_message

pytestmark = pytest.mark.integration

CHAIR = ("chair.fr", "working_group_chair")
SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=10)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def first_group(service) -> dict:
    """Working Group 2, the four loaded as established at the start of 2024 (so that the steps
    the tests date earlier than now still come after it)."""
    ago = datetime(2024, 1, 1, tzinfo=timezone.utc)
    loaded = service.post("/groups/load-reference", {"occurred_at": iso(ago)}).json()
    assert [g["created"] for g in loaded] == [True] * 4
    return next(g for g in service.get("/groups").json() if g["name"].startswith("Working Group 2"))


def test_a_meeting_from_the_schedule_to_the_open_meeting_publishes_each_event_once_in_order(broker, meetings_service):
    service = meetings_service
    tap = broker.tap("meetings.events")
    group = first_group(service)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    assert service.post(f"/groups/{group['id']}/assign-chair",
                        {"chair_member_state": "FRA", "chair_user": "chair.fr",
                         "occurred_at": iso(now - timedelta(days=20))}).status_code == 200
    starts = now - timedelta(hours=1)  # set ten days ago for an hour ago: it is held now
    meeting = service.post("/meetings", {
        "group_id": group["id"], "meeting_kind": "working_group", "title": "Assistance requests, third quarter",
        "starts_at": iso(starts), "ends_at": iso(starts + timedelta(hours=3)), "location": "Conference Room 7",
        "occurred_at": iso(now - timedelta(days=10)),
    })
    assert meeting.status_code == 201, meeting.text
    m = meeting.json()["id"]
    steps = [
        ("announce", {"occurred_at": iso(now - timedelta(days=9))}, None, "meeting_announced"),
        ("circulate-document", {"document_id": "WG2-2025-3", "title": "Matching requests with offers",
                                "symbol": "S/AC.44/WG2/2025/3", "occurred_at": iso(now - timedelta(days=8))},
         None, "document_circulated"),
        ("hold", {"delegations": ["FRA", "USA", "CHN"], "organizations": ["UNODC"]}, None, "meeting_held"),
        ("log-outcome", {"outcome_id": "R1", "outcome_kind": "recommendation",
                         "text": "Match the 12 pending requests"},
         CHAIR, "outcome_logged"),
        ("report-to-committee", {"summary": "Reviewed pending requests"},
         None, "meeting_reported_to_committee"),
        ("approve-outcome", {"outcome_id": "R1"}, None, "outcome_approved"),
        ("communicate-outcome", {"outcome_id": "R1", "member_states": ["KEN", "NGA"]}, None, "outcome_communicated"),
        ("hold-open-meeting", {"outcome_ids": ["R1"]}, None, "open_meeting_held"),
    ]
    for command, body, headers, _ in steps:
        answer = service.post(f"/meetings/{m}/{command}", body, as_=headers)
        if command == "circulate-document":
            assert answer.json()["documents"][0]["late"] is False
        assert answer.status_code == 200, f"{command}: {answer.text}"

    shown = service.get(f"/meetings/{m}").json()
    assert shown["status"] == "reported"
    assert shown["outcomes"][0]["approved_at"] and shown["outcomes"][0]["communicated_at"]

    envelopes = [decode_message(x.body, x.content_type) for x in tap.messages(expected=6 + 1 + len(steps))]
    types = [e["event_type"] for e in envelopes]
    assert types == ["working_group_established"] * 4 + ["chair_assigned", "meeting_scheduled"] + [s[3] for s in steps]
    meeting_events = [e for e in envelopes if str(e["aggregate_id"]) == m]
    assert [e["aggregate_version"] for e in meeting_events] == list(range(1, len(steps) + 2))
    assert len({e["event_id"] for e in envelopes}) == len(envelopes)
    logged = next(e for e in envelopes if e["event_type"] == "outcome_logged")
    assert logged["actor"] == {"user": "chair.fr", "role": "working_group_chair"}
    tap.close()


def test_only_the_chair_logs_outcomes_and_documents_come_before_the_meeting(broker, meetings_service):
    service = meetings_service
    group = first_group(service)
    past = datetime(2025, 3, 3, 10, tzinfo=timezone.utc)
    service.post(f"/groups/{group['id']}/assign-chair", {"chair_member_state": "FRA", "chair_user": "chair.fr",
                                                         "occurred_at": iso(past - timedelta(days=60))})
    m = service.post("/meetings", {
        "group_id": group["id"], "meeting_kind": "working_group", "title": "Q1",
        "starts_at": iso(past), "ends_at": iso(past + timedelta(hours=2)),
        "occurred_at": iso(past - timedelta(days=20)),
    }).json()["id"]
    early = service.post(f"/meetings/{m}/hold", {"occurred_at": iso(past)})
    assert early.status_code == 409 and early.json()["rule"] == "held_only_after_announcement"
    service.post(f"/meetings/{m}/announce", {"occurred_at": iso(past - timedelta(days=7))})
    service.post(f"/meetings/{m}/hold", {"occurred_at": iso(past + timedelta(hours=2))})
    before = service.get(f"/meetings/{m}/history").json()

    late_document = service.post(f"/meetings/{m}/circulate-document", {"document_id": "D1", "title": "Minutes"})
    assert late_document.status_code == 409
    assert late_document.json()["rule"] == "documents_circulated_before_the_meeting_is_held"

    not_chair = service.post(f"/meetings/{m}/log-outcome",
                             {"outcome_id": "D1", "outcome_kind": "decision", "text": "x"},
                             as_=("someone.else", "working_group_chair"))
    assert not_chair.status_code == 403
    assert not_chair.json()["rule"] == "only_the_chair_logs_outcomes"
    assert service.get(f"/meetings/{m}/history").json() == before

    awaiting = service.get("/meetings", params={"awaiting": "report_to_committee"}).json()
    assert [x["id"] for x in awaiting] == [m]


def test_the_calendar_feed_follows_a_meeting_that_moves_and_one_that_is_cancelled(broker, meetings_service):
    service = meetings_service
    group = first_group(service)
    moved = service.post("/meetings", {"group_id": group["id"], "meeting_kind": "working_group", "title": "Moves",
                                       "starts_at": iso(SOON), "ends_at": iso(SOON + timedelta(hours=2))}).json()["id"]
    dropped = service.post("/meetings", {"group_id": group["id"], "meeting_kind": "donor_forum", "title": "Dropped",
                                         "starts_at": iso(SOON), "ends_at": iso(SOON + timedelta(hours=2))}).json()["id"]
    first = Calendar.from_ical(service.get("/schedule.ics").content)
    assert {str(e["uid"]) for e in first.walk("VEVENT")} == {f"{moved}@fieldwork", f"{dropped}@fieldwork"}

    new_start = SOON + timedelta(days=7)
    service.post(f"/meetings/{moved}/postpone", {"reason": "room unavailable", "starts_at": iso(new_start),
                                                 "ends_at": iso(new_start + timedelta(hours=2))})
    service.post(f"/meetings/{dropped}/cancel", {"reason": "no quorum"})

    answer = service.get("/schedule.ics", params={"group_id": group["id"]})
    assert answer.headers["Content-Type"].startswith("text/calendar")
    events = {str(e["uid"]): e for e in Calendar.from_ical(answer.content).walk("VEVENT")}
    assert events[f"{moved}@fieldwork"].decoded("dtstart") == new_start
    assert int(events[f"{moved}@fieldwork"]["sequence"]) == 1
    assert len(events[f"{moved}@fieldwork"].walk("VALARM")) == 2
    assert str(events[f"{dropped}@fieldwork"]["status"]) == "CANCELLED"
    schedule = service.get("/schedule").json()
    assert [x["id"] for x in schedule] == [moved]
    assert schedule[0]["missing_documents"] is True
