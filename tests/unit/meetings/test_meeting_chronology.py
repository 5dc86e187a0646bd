"""A meeting's steps keep the order they happened in; it is held at or after its start and after
an announcement of its present dates; an announcement or a document after the start is recorded
and flagged, not refused; dates are not set in the past."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain import document_notice
from shared.errors import RuleBroken
from meetings.views import meeting_view


def test_a_report_dated_before_the_meeting_was_held_is_refused(make):
    meeting = make.held_meeting()  # held day 20 + 3 h
    with pytest.raises(RuleBroken) as refused:
        meeting.report_to_committee(make.ctx(19), summary="early")
    assert refused.value.rule == "steps_in_order"
    assert "before the meeting's latest step, meeting_held of" in refused.value.detail
    assert meeting.reported_at is None and meeting.collect_events() == []


def test_a_meeting_is_held_at_or_after_its_start(make):
    meeting = make.announced_meeting()  # starts day 20 09:00
    with pytest.raises(RuleBroken) as refused:
        meeting.hold(make.ctx(make.STARTS, hours=-1))
    assert refused.value.rule == "held_at_or_after_its_start"
    meeting.hold(make.ctx(make.STARTS))
    assert meeting.status == "held"


def test_an_announcement_after_the_start_is_recorded_and_flagged(make):
    meeting = make.scheduled_meeting()
    meeting.announce(make.ctx(make.STARTS, hours=2), notice="late")
    assert meeting.announced_after_start_hours == 2.0
    meeting.hold(make.ctx(make.STARTS, hours=3))
    view = meeting_view(meeting, make.group)
    assert view["announced_after_start_hours"] == 2.0 and view["status"] == "held"


def test_a_document_circulated_after_the_start_is_recorded_and_flagged(make):
    meeting = make.announced_meeting()
    meeting.circulate_document(make.ctx(make.STARTS, hours=1), document_id="doc-late", title="Agenda")
    [document] = meeting_view(meeting, make.group)["documents"]
    assert (document["hours_before_meeting"], document["late"], document["after_start"]) == (-1.0, True, True)


def test_a_moved_meeting_is_announced_again_before_it_is_held(make):
    meeting = make.announced_meeting()
    meeting.postpone(make.ctx(5), reason="clash", starts_at=make.at(62), ends_at=make.at(62, hours=3))
    assert meeting.status == "scheduled" and "announcement" in meeting.awaiting()
    with pytest.raises(RuleBroken) as refused:
        meeting.hold(make.ctx(62, hours=3))
    assert refused.value.rule == "held_only_after_announcement"
    assert "since it moved" in refused.value.detail
    meeting.announce(make.ctx(6))
    meeting.hold(make.ctx(62, hours=3))
    assert [a["starts_at"] for a in meeting.announcements] == [make.at(make.STARTS), make.at(62)]


@pytest.mark.parametrize("step", ["schedule", "postpone"])
def test_dates_in_the_past_are_refused(make, step):
    if step == "schedule":
        from uuid import uuid4

        from meetings.domain import Meeting

        with pytest.raises(RuleBroken) as refused:
            Meeting.schedule(make.ctx(10), meeting_id=uuid4(), group=make.group, group_id=make.group.id,
                             meeting_kind="working_group", title="t", starts_at=make.at(9), ends_at=make.at(9, hours=2))
    else:
        meeting = make.announced_meeting()
        with pytest.raises(RuleBroken) as refused:
            meeting.postpone(make.ctx(10), reason="r", starts_at=make.at(9), ends_at=make.at(9, hours=2))
        assert meeting.moves == 0
    assert refused.value.rule == "meeting_dates_not_in_the_past"


def test_the_notice_a_document_needs_is_the_committees_setting(make, monkeypatch):
    meeting = make.announced_meeting()  # a 1540 group's
    meeting.circulate_document(make.ctx(make.STARTS, hours=-100), document_id="doc-1", title="Agenda")
    assert meeting_view(meeting, make.group)["documents"][0]["late"] is False  # 100 h >= 72 h
    monkeypatch.setenv("FIELDWORK_DOCUMENT_NOTICE_HOURS_1540", "120")
    assert document_notice("1540") == timedelta(hours=120) and document_notice("ctc") == timedelta(hours=72)
    assert meeting_view(meeting, make.group)["documents"][0]["late"] is True


# -- meeting kinds: each by its own rules ------------------------------------------------------


def meeting_of_kind(make, kind):
    from uuid import uuid4

    from meetings.domain import Meeting

    meeting = Meeting.schedule(make.ctx(1), meeting_id=uuid4(), group=make.group, group_id=make.group.id,
                               meeting_kind=kind, title=kind, starts_at=make.at(make.STARTS),
                               ends_at=make.at(make.STARTS, hours=3))
    meeting.announce(make.ctx(2))
    meeting.hold(make.ctx(make.STARTS, hours=3))
    meeting.collect_events()
    return meeting


@pytest.mark.parametrize("kind", ["informal_briefing", "donor_forum", "thematic_discussion"])
def test_a_briefing_a_forum_or_a_discussion_owes_no_report_outcomes_or_documents(make, kind):
    meeting = meeting_of_kind(make, kind)
    assert meeting.awaiting() == [] and meeting.missing_documents is False
    with pytest.raises(RuleBroken) as no_report:
        meeting.report_to_committee(make.ctx(22), summary="s")
    assert no_report.value.rule == "meeting_kind_reports_to_the_committee"
    with pytest.raises(RuleBroken) as no_outcomes:
        meeting.log_outcome(make.chair(21), group=make.group, outcome_id="o-1", outcome_kind="decision", text="t")
    assert no_outcomes.value.rule == "meeting_kind_logs_outcomes"


@pytest.mark.parametrize("kind", ["committee_plenary", "special_meeting_with_organizations"])
def test_the_plenary_and_special_meetings_log_outcomes_the_committee_approves_without_a_report(make, kind):
    meeting = meeting_of_kind(make, kind)
    assert meeting.awaiting() == []  # no report to the Committee awaited
    meeting.log_outcome(make.chair(21), group=make.group, outcome_id="o-1", outcome_kind="decision", text="t")
    assert meeting.awaiting() == ["outcome_approval"]
    meeting.approve_outcome(make.ctx(22), outcome_id="o-1")
    assert meeting.outcomes["o-1"].approved_at == make.ctx(22).occurred_at


def test_a_working_group_meeting_still_awaits_its_report_and_documents(make):
    meeting = meeting_of_kind(make, "working_group")
    assert meeting.awaiting() == ["report_to_committee"] and meeting.missing_documents is True
