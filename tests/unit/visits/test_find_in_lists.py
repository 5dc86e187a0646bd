"""Finding in the visits board and the meetings list (shared.listing): words in any order, case
or accent; a date range the records' days overlap; an order and its reverse; a wrong order
refused naming the field."""
from __future__ import annotations

import pytest

from meetings.views import MEETING_LISTING, MeetingFilters, read_filters
from shared.errors import InvalidInput
from visits.views import VISIT_LISTING, list_filters


def visit(country, code, starts=None, ends=None, proposed="2026-01-01T00:00:00+00:00", status="approved"):
    return {"country": country, "member_state": code, "committee": "ctc", "status": status, "origin": "committee_selection",
            "starts_on": starts, "ends_on": ends, "proposed_at": proposed}


VISITS = [
    visit("Côte d'Ivoire", "CIV", "2026-03-02", "2026-03-06", "2026-01-05T00:00:00+00:00"),
    visit("Kenya", "KEN", "2026-02-10", "2026-02-14", "2026-01-02T00:00:00+00:00", status="conducted"),
    visit("Kazakhstan", "KAZ", None, None, "2026-01-09T00:00:00+00:00", status="proposed"),
]


def found(query: dict) -> list[str]:
    wanted = list_filters(query)
    return [v["member_state"] for v in VISIT_LISTING.refine(VISITS, wanted)]


def test_words_are_found_in_any_case_or_accent_and_all_must_match():
    assert found({"q": "cote"}) == ["CIV"]
    assert found({"q": "IVOIRE côte"}) == ["CIV"]
    assert found({"q": "ken"}) == ["KEN"]
    assert found({"q": "kenya proposed"}) == []
    assert found({"q": "k"}) == ["KEN", "KAZ"]  # the proposal order by default


def test_a_date_range_keeps_the_visits_whose_days_touch_it_and_leaves_undated_ones_out():
    assert found({"from": "2026-03-06"}) == ["CIV"]  # its last day counts
    assert found({"to": "2026-02-10"}) == ["KEN"]  # its first day counts
    assert found({"from": "2026-02-15", "to": "2026-03-01"}) == []
    assert found({}) == ["KEN", "CIV", "KAZ"]


def test_an_order_and_its_reverse_with_undated_records_last():
    assert found({"sort": "starts"}) == ["KEN", "CIV", "KAZ"]
    assert found({"sort": "-starts"}) == ["CIV", "KEN", "KAZ"]
    assert found({"sort": "state"}) == ["CIV", "KAZ", "KEN"]  # Côte d'Ivoire sorts as Cote
    assert found({"sort": "-proposed"}) == ["KAZ", "CIV", "KEN"]


def test_a_wrong_order_or_date_is_refused_naming_its_field():
    with pytest.raises(InvalidInput) as wrong:
        list_filters({"sort": "size"})
    assert list(wrong.value.fields) == ["sort"]
    with pytest.raises(InvalidInput) as bad_day:
        read_filters(MeetingFilters(), {"from": "next week"})
    assert list(bad_day.value.fields) == ["from"]


def test_meetings_are_found_by_title_group_or_place_and_ordered_by_their_days():
    meetings = [
        {"title": "Working Group 2 meeting", "group": "Working Group 2: Assistance", "location": "Conference Room 7",
         "meeting_kind": "formal", "status": "held", "committee": "1540", "starts_at": "2026-05-04T14:00:00+00:00",
         "ends_at": "2026-05-04T16:00:00+00:00"},
        {"title": "Briefing on border controls", "group": "Working Group 1: Monitoring", "location": "Virtual",
         "meeting_kind": "informal", "status": "scheduled", "committee": "1540",
         "starts_at": "2026-04-01T14:00:00+00:00", "ends_at": "2026-04-01T15:00:00+00:00"},
    ]

    def titles(query):
        return [m["title"] for m in MEETING_LISTING.refine(meetings, read_filters(MeetingFilters(), query))]

    assert titles({}) == ["Briefing on border controls", "Working Group 2 meeting"]
    assert titles({"q": "assistance"}) == ["Working Group 2 meeting"]
    assert titles({"q": "virtual"}) == ["Briefing on border controls"]
    assert titles({"from": "2026-05-01", "to": "2026-05-31"}) == ["Working Group 2 meeting"]
    assert titles({"sort": "-title"}) == ["Working Group 2 meeting", "Briefing on border controls"]
