"""Outcomes and documents are numbered by their meeting when the user gives no id (O1, O2 ...;
D1, D2 ...); an id given is kept, and a number is never given twice."""
from __future__ import annotations


def test_a_document_without_an_id_is_numbered_by_the_meeting(make, ctx):
    meeting = make.announced_meeting()
    meeting.circulate_document(ctx(5), title="Draft matrix")
    meeting.circulate_document(ctx(6), document_id="WG2/2025/1", title="Agenda")
    meeting.circulate_document(ctx(7), title="Annex")
    assert list(meeting.documents) == ["D1", "WG2/2025/1", "D2"]
    assert [e.document_id for e in meeting.collect_events()] == ["D1", "WG2/2025/1", "D2"]


def test_an_outcome_without_an_id_is_numbered_and_an_amendment_names_it(make):
    meeting = make.held_meeting()
    day = make.STARTS + 1
    meeting.log_outcome(make.chair(day), group=make.group, outcome_kind="decision", text="Adopt the matrix")
    meeting.log_outcome(make.chair(day), group=make.group, outcome_kind="decision", text="Adopt it as amended",
                        amends="O1")
    assert list(meeting.outcomes) == ["O1", "O2"]
    assert meeting.outcomes["O1"].superseded_by == "O2"
