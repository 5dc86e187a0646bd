"""The meetings application on a real SQLite store: use cases, the published schedule, what
meetings wait for, and a round trip through the store (same state, same types).

A rejected command stores nothing: the notification log (the outbox) does not grow.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from uuid import UUID, uuid4

import pytest

from shared.errors import Forbidden, InvalidInput, RuleBroken
from meetings.application import REFERENCE_GROUPS, MeetingsApplication
from meetings.commands import MEETINGS
from meetings.domain import Meeting, MeetingStatus, Outcome, WorkingGroup

WG1 = "Working Group 1: Monitoring and national implementation"
WG2 = "Working Group 2: Assistance"


def establish(app: MeetingsApplication, make, name: str = WG2, *, chair: str | None = "chair.fr") -> UUID:
    group_id = app.establish_group(make.ctx(0), name=name, committee="1540", mandate_area="assistance").id
    if chair is not None:
        app.assign_chair(make.ctx(0), group_id, chair_member_state="FRA", chair_user=chair)
    return group_id


def schedule(app: MeetingsApplication, make, group_id: UUID, day: int = 20, *, title: str = "WG meeting") -> UUID:
    """A meeting scheduled on day 1, running ``day`` 09:00-12:00 UTC."""
    return app.schedule_meeting(
        make.ctx(1), group_id=group_id, meeting_kind="working_group", title=title,
        starts_at=make.at(day), ends_at=make.at(day, hours=3), location="Conference Room 7",
    ).id


def take(app: MeetingsApplication, make, meeting_id: UUID, upto: str, day: int = 20) -> None:
    """Drives a meeting (starting on ``day``) through its steps, up to and including ``upto``."""
    steps = [
        ("announce", make.ctx(2), {}),
        ("circulate-document", make.ctx(day - 10), {"document_id": "doc-1", "title": "Agenda", "symbol": "S/1"}),
        ("hold", make.ctx(day, hours=3), {"delegations": ["FRA", "KEN"]}),
        ("log-outcome", make.chair(day + 1),
         {"outcome_id": "o-1", "outcome_kind": "decision", "text": "Revise the matrices"}),
        ("log-outcome", make.chair(day + 1),
         {"outcome_id": "o-2", "outcome_kind": "action_item", "text": "Write to the States",
          "owner": "the secretariat", "due_on": make.at(day + 30).date()}),
        ("report-to-committee", make.ctx(day + 2), {"summary": "two outcomes"}),
        ("approve-outcome", make.ctx(day + 5), {"outcome_id": "o-1"}),
    ]
    names = [name for name, _, _ in steps]
    for name, ctx, arguments in steps[: len(names) - names[::-1].index(upto)]:
        MEETINGS[name].use_case(app, ctx, meeting_id, **arguments)


def public_state(aggregate) -> dict:
    return {name: value for name, value in vars(aggregate).items() if not name.startswith("_")}


def is_aware_datetime(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


# -- working groups --------------------------------------------------------------------------------


def test_loading_the_reference_groups_establishes_the_four_working_groups_of_the_1540_committee(open_app, ctx):
    app = open_app()

    loaded = app.load_reference_groups(ctx(0))

    reference = [g["name"] for g in json.loads(REFERENCE_GROUPS.read_text(encoding="utf-8"))["groups"]]
    assert [entry["name"] for entry in loaded] == reference
    assert all(entry["created"] for entry in loaded)
    groups = app.list_groups()
    assert sorted(g.name for g in groups) == sorted(reference)
    assert [g.name[:15] for g in groups] == [f"Working Group {n}" for n in range(1, 5)]
    assert {g.committee for g in groups} == {"1540"}
    assert all(g.chair_user is None for g in groups)


def test_loading_the_reference_groups_a_second_time_creates_nothing(open_app, ctx):
    app = open_app()
    app.load_reference_groups(ctx(0))
    ids = {g.name: g.id for g in app.list_groups()}
    stored = app.recorder.max_notification_id()

    loaded = open_app().load_reference_groups(ctx(1))

    assert [entry["name"] for entry in loaded] == list(ids)
    assert [entry["created"] for entry in loaded] == [False] * 4
    assert {entry["name"]: entry["id"] for entry in loaded} == {name: str(i) for name, i in ids.items()}
    assert app.recorder.max_notification_id() == stored
    assert len(app.list_groups()) == 4


@pytest.mark.parametrize("name", [WG2, WG2.upper()], ids=["same-name", "same-name-other-case"])
def test_a_working_group_name_is_used_once(open_app, make, name):
    app = open_app()
    establish(app, make)
    stored = app.recorder.max_notification_id()

    with pytest.raises(RuleBroken) as broken:
        app.establish_group(make.ctx(1), name=name, committee="1540", mandate_area="again")

    assert broken.value.rule == "working_group_names_unique"
    assert app.recorder.max_notification_id() == stored
    assert [g.name for g in app.list_groups()] == [WG2]


def test_two_groups_of_one_name_set_up_at_once_are_one_group(open_app, make, monkeypatch):
    """Two ``establish`` calls whose checks both ran before either stored (another process, or a
    second thread past the check): the store refuses the second, since a group's id follows from
    its name; the second caller is told the name is taken, and one group is stored."""
    first, second = open_app(), open_app()
    monkeypatch.setattr(second.index, "all", lambda cls: [])  # its check saw no group yet
    establish(first, make, chair=None)
    stored = first.recorder.max_notification_id()
    with pytest.raises(RuleBroken) as broken:
        second.establish_group(make.ctx(1), name=f"  {WG2.upper()} ", committee="1540", mandate_area="again")
    assert broken.value.rule == "working_group_names_unique"
    assert second.recorder.max_notification_id() == stored
    assert [g.name for g in open_app().list_groups()] == [WG2]


def test_a_group_s_id_follows_from_its_name_and_a_given_id_must_be_that_one(open_app, make):
    app = open_app()
    assert establish(app, make, chair=None) == WorkingGroup.id_for(WG2) == WorkingGroup.id_for("working  group 2: ASSISTANCE")
    with pytest.raises(InvalidInput) as refused:
        app.establish_group(make.ctx(1), group_id=uuid4(), name=WG1, committee="1540", mandate_area="m")
    assert list(refused.value.fields) == ["group_id"]
    assert app.establish_group(make.ctx(1), group_id=WorkingGroup.id_for(WG1), name=WG1, committee="1540",
                               mandate_area="m").id == WorkingGroup.id_for(WG1)


def test_a_chair_assigned_through_the_application_is_stored(open_app, make):
    app = open_app()
    group_id = establish(app, make, chair=None)

    app.assign_chair(make.ctx(3), group_id, chair_member_state="FRA", chair_user="chair.fr")

    group = open_app().get_group(group_id)
    assert (group.chair_member_state, group.chair_user) == ("FRA", "chair.fr")
    assert is_aware_datetime(group.chairs[0]["from"])


# -- meetings ----------------------------------------------------------------------------------------


def test_a_meeting_is_not_scheduled_for_a_group_that_was_not_established(open_app, make):
    app = open_app()
    establish(app, make)
    stored = app.recorder.max_notification_id()

    with pytest.raises(RuleBroken) as broken:
        schedule(app, make, uuid4())

    assert broken.value.rule == "meetings_belong_to_an_established_group"
    assert app.recorder.max_notification_id() == stored
    assert app.meetings() == []


def test_the_chair_logs_an_outcome_through_the_application(open_app, make):
    app = open_app()
    meeting_id = schedule(app, make, establish(app, make))
    take(app, make, meeting_id, "hold")

    app.log_outcome(make.chair(21), meeting_id, outcome_id="o-1", outcome_kind="decision", text="x")

    outcome = open_app().get_meeting(meeting_id).outcomes["o-1"]
    assert (outcome.logged_by, outcome.text) == ("chair.fr", "x")


@pytest.mark.parametrize("user", ["secretariat@un.org", "delegate.ken"])
def test_an_outcome_logged_by_someone_other_than_the_chair_is_forbidden_and_stores_nothing(open_app, make, user):
    app = open_app()
    meeting_id = schedule(app, make, establish(app, make))
    take(app, make, meeting_id, "hold")
    stored = app.recorder.max_notification_id()

    with pytest.raises(Forbidden) as forbidden:
        app.log_outcome(make.ctx(21, user=user), meeting_id, outcome_id="o-1", outcome_kind="decision", text="x")

    assert forbidden.value.rule == "only_the_chair_logs_outcomes"
    assert app.recorder.max_notification_id() == stored
    meeting = open_app().get_meeting(meeting_id)
    assert (meeting.outcomes, meeting.status, meeting.version) == ({}, MeetingStatus.HELD, 4)


def test_an_unknown_command_is_invalid_input_and_stores_nothing(open_app, make):
    app = open_app()
    meeting_id = schedule(app, make, establish(app, make))
    stored = app.recorder.max_notification_id()

    with pytest.raises(InvalidInput) as invalid:
        MEETINGS.run(app, "reschedule", str(meeting_id), {}, {"user": "secretariat@un.org", "role": "secretariat"})

    assert "command" in invalid.value.fields
    assert app.recorder.max_notification_id() == stored


# -- the published schedule ---------------------------------------------------------------------------


def test_the_published_schedule_lists_upcoming_meetings_per_group_and_across_groups(open_app, make):
    app = open_app()
    wg1, wg2 = establish(app, make, WG1), establish(app, make, WG2)
    later = schedule(app, make, wg1, 30, title="WG1 second")
    first = schedule(app, make, wg1, 20, title="WG1 first")
    announced = schedule(app, make, wg2, 25, title="WG2")
    take(app, make, announced, "announce", 25)

    everything = app.upcoming(now=make.at(5))
    of_wg1 = app.upcoming(group_id=wg1, now=make.at(5))
    of_wg2 = app.upcoming(group_id=wg2, now=make.at(5))

    assert [m.id for m in everything] == [first, announced, later]
    assert [m.id for m in of_wg1] == [first, later]
    assert [(m.id, m.status) for m in of_wg2] == [(announced, MeetingStatus.ANNOUNCED)]


def test_the_published_schedule_leaves_out_held_cancelled_postponed_and_past_meetings(open_app, make):
    app = open_app()
    group_id = establish(app, make)
    upcoming = schedule(app, make, group_id, 40, title="upcoming")
    moved = schedule(app, make, group_id, 35, title="moved to new dates")
    app.postpone(make.ctx(3), moved, reason="clash", starts_at=make.at(45), ends_at=make.at(45, hours=2))
    running = schedule(app, make, group_id, 30, title="running now")
    held = schedule(app, make, group_id, 20, title="held")
    take(app, make, held, "hold", 20)
    past = schedule(app, make, group_id, 25, title="past, never held")
    cancelled = schedule(app, make, group_id, 41, title="cancelled")
    app.cancel(make.ctx(3), cancelled, reason="no quorum")
    postponed = schedule(app, make, group_id, 42, title="postponed without dates")
    app.postpone(make.ctx(3), postponed, reason="no quorum")

    listed = [m.title for m in app.upcoming(group_id=group_id, now=make.at(30, hours=1))]

    assert listed == ["running now", "upcoming", "moved to new dates"]
    assert {held, past, cancelled, postponed}.isdisjoint(m.id for m in app.upcoming(now=make.at(30, hours=1)))
    assert {upcoming, moved, running} <= {m.id for m in app.upcoming(now=make.at(30, hours=1))}


# -- what meetings wait for ----------------------------------------------------------------------------


def test_meetings_held_but_not_reported_await_their_report_to_the_committee(open_app, make):
    app = open_app()
    group_id = establish(app, make)
    meetings = {upto: schedule(app, make, group_id, title=upto) for upto in
                ("announce", "circulate-document", "hold", "log-outcome", "report-to-committee")}
    for upto, meeting_id in meetings.items():
        take(app, make, meeting_id, upto)

    awaiting_report = app.awaiting("report_to_committee")

    assert sorted(m.title for m in awaiting_report) == ["hold", "log-outcome"]
    assert [m.title for m in app.awaiting("announcement")] == []
    assert [m.title for m in app.awaiting("documents")] == ["announce"]
    assert [m.title for m in app.awaiting("outcome_approval")] == ["report-to-committee"]
    assert [m.title for m in app.awaiting("report_to_committee", group_id=uuid4())] == []


def test_outcomes_of_reported_meetings_await_the_committees_approval_until_approved(open_app, make):
    app = open_app()
    group_id = establish(app, make)
    reported = schedule(app, make, group_id, title="reported")
    take(app, make, reported, "report-to-committee")
    approved = schedule(app, make, group_id, title="one approved")
    take(app, make, approved, "approve-outcome")

    pending = app.outcomes_awaiting_approval(group_id=group_id)

    assert sorted((m.title, o.outcome_id) for m, o in pending) == [
        ("one approved", "o-2"), ("reported", "o-1"), ("reported", "o-2"),
    ]
    assert all(isinstance(o, Outcome) and o.approved_at is None for _, o in pending)
    app.approve_outcome(make.ctx(26), reported, outcome_id="o-1")
    app.approve_outcome(make.ctx(26), reported, outcome_id="o-2")
    assert [(m.title, o.outcome_id) for m, o in app.outcomes_awaiting_approval()] == [("one approved", "o-2")]


def test_outcomes_of_a_meeting_not_yet_reported_do_not_await_the_committees_approval(open_app, make):
    app = open_app()
    meeting_id = schedule(app, make, establish(app, make))
    take(app, make, meeting_id, "log-outcome")

    pending = app.outcomes_awaiting_approval()

    assert app.awaiting("outcome_approval") == []
    with pytest.raises(RuleBroken):
        app.approve_outcome(make.ctx(22), meeting_id, outcome_id="o-1")
    assert pending == []


# -- a round trip through the store ---------------------------------------------------------------------


def run_a_meeting_to_its_open_meeting(app: MeetingsApplication, make) -> tuple[UUID, UUID]:
    group_id = establish(app, make)
    meeting_id = schedule(app, make, group_id)
    app.postpone(make.ctx(1), meeting_id, reason="clash", starts_at=make.at(21), ends_at=make.at(21, hours=3))
    take(app, make, meeting_id, "approve-outcome", day=21)
    for ctx, command, arguments in [
        (make.ctx(27), "communicate-outcome", {"outcome_id": "o-1", "member_states": ["KEN", "NGA"]}),
        (make.chair(27, hours=2), "log-outcome",
         {"outcome_id": "o-1a", "outcome_kind": "decision", "text": "Revise by December", "amends": "o-1"}),
        (make.ctx(28), "report-to-committee", {"summary": "the amendment"}),
        (make.ctx(28, hours=2), "approve-outcome", {"outcome_id": "o-1a", "note": "as amended"}),
        (make.ctx(30), "hold-open-meeting", {"outcome_ids": ["o-1a"], "summary": "briefing"}),
    ]:
        MEETINGS[command].use_case(app, ctx, meeting_id, **arguments)
    return group_id, meeting_id


def test_a_meeting_comes_back_from_the_store_as_it_was(open_app, make):
    writer = open_app()
    group_id, meeting_id = run_a_meeting_to_its_open_meeting(writer, make)
    written = writer.get_meeting(meeting_id)

    reloaded = open_app().get_meeting(meeting_id)

    assert type(reloaded) is Meeting
    assert reloaded.status == MeetingStatus.REPORTED
    assert reloaded.version == written.version == 14
    assert public_state(reloaded) == public_state(written)


def test_a_reloaded_meeting_has_aware_datetimes_uuids_and_outcomes_of_the_right_types(open_app, make):
    group_id, meeting_id = run_a_meeting_to_its_open_meeting(open_app(), make)

    meeting = open_app().get_meeting(meeting_id)

    assert isinstance(meeting.id, UUID) and meeting.id == meeting_id
    assert isinstance(meeting.group_id, UUID) and meeting.group_id == group_id
    for moment in (meeting.starts_at, meeting.ends_at, meeting.scheduled_at, meeting.announced_at,
                   meeting.held_at, meeting.reported_at):
        assert is_aware_datetime(moment), moment
    assert (meeting.starts_at, meeting.ends_at) == (make.at(21), make.at(21, hours=3))
    assert meeting.moves == 1
    assert is_aware_datetime(meeting.documents["doc-1"]["circulated_at"])
    assert meeting.notice_of("doc-1") == (240.0, False)

    assert list(meeting.outcomes) == ["o-1", "o-2", "o-1a"]
    assert all(type(o) is Outcome for o in meeting.outcomes.values())
    original, amendment = meeting.outcomes["o-1"], meeting.outcomes["o-1a"]
    assert original.approved_at == make.ctx(26).occurred_at
    for moment in (original.logged_at, original.approved_at, original.communicated_at, original.reported_at,
                   amendment.taken_to_open_meeting_at, amendment.approved_at, amendment.decisions[0]["at"]):
        assert is_aware_datetime(moment), moment
    assert (amendment.amends, amendment.logged_by, original.superseded_by) == ("o-1", "chair.fr", "o-1a")
    assert original.communicated_to == ["KEN", "NGA"]
    assert meeting.outcomes["o-2"].approved_at is None
    assert type(meeting.outcomes["o-2"].due_on) is date and meeting.outcomes["o-2"].owner == "the secretariat"
    assert [r["outcome_ids"] for r in meeting.reports] == [["o-1", "o-2"], ["o-1a"]]

    [open_meeting] = meeting.open_meetings
    assert open_meeting["outcome_ids"] == ["o-1a"]
    assert is_aware_datetime(open_meeting["held_at"])


def test_a_working_group_comes_back_from_the_store_with_its_chairs(open_app, make):
    writer = open_app()
    group_id = establish(writer, make)
    writer.assign_chair(make.ctx(40), group_id, chair_member_state="MEX", chair_user="chair.mx")

    group = open_app().get_group(group_id)

    assert type(group) is WorkingGroup
    assert public_state(group) == public_state(writer.get_group(group_id))
    assert [(c["member_state"], c["user"]) for c in group.chairs] == [("FRA", "chair.fr"), ("MEX", "chair.mx")]
    assert all(is_aware_datetime(c["from"]) for c in group.chairs)
    assert is_aware_datetime(group.established_at)
