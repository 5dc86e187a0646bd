"""What each event tells, and whom: one notification per cause, notice and contact, recorded
before it is sent; an event met twice records nothing twice; a bad message is a dead letter."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from uuid import uuid4

import pytest

from contacts_helpers import ctx, list_delegations
from event_builders import Events, wire
from notifications.mail import email_of
from shared.domain import committee_day


def announced(app, events=None, committee="1540", starts_in=timedelta(days=10)):
    events = events or Events()
    group, established = events.group(committee)
    meeting, scheduled = events.meeting(group, starts_in)
    announcement = events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations",
                                                               "notice": "Interpretation in all six languages."})
    assert app.receive(wire([established, scheduled, announcement])) == ["recorded"] * 3
    return events, group, meeting, announcement


def test_an_announcement_tells_every_delegation_once_with_the_meeting_s_calendar_entry(app):
    list_delegations(app)
    app.list_contact(ctx(), role="delegation", committee="ctc", name="CTC only", email="ctc@missions.example.org",
                     member_state="USA", since=date(2020, 1, 1))
    _, _, meeting, announcement = announced(app)
    told = app.notifications(subject_id=meeting)
    assert sorted(n.member_state for n in told) == ["FRA", "GBR", "KEN"]  # a CTC-only delegation is not told
    assert {(n.notice, n.status, n.role, n.committee) for n in told} == {
        ("meeting_announced", "recorded", "delegation", "1540")}
    assert {str(n.cause_event_id) for n in told} == {announcement["event_id"]}
    message = message_from_bytes(bytes(email_of(app.get_notification(told[0].id), "Secretariat <s@example.org>")), policy=policy.default)
    assert message["Message-ID"] == f"<{told[0].id}@fieldwork>"
    assert message["Subject"].startswith("The 1540 Committee: meeting announced, Matrices review")
    parts = {part.get_content_type(): part for part in message.walk()}
    assert "Interpretation in all six languages." in parts["text/plain"].get_content()
    assert "<th scope=\"row\"" in parts["text/html"].get_content()
    ics = parts["text/calendar"].get_content()
    assert "METHOD:REQUEST" in ics and f"UID:{meeting}@fieldwork" in ics and "SEQUENCE:0" in ics


def test_the_index_keeps_no_message_and_the_store_keeps_each_whole(app):
    list_delegations(app)
    _, _, meeting, _ = announced(app)
    for listed in app.notifications(subject_id=meeting):
        assert (listed.text, listed.html, listed.attachments) == ("", "", [])  # years of them: little memory
        whole = app.get_notification(listed.id)
        assert whole.text and whole.html and whole.attachments[0]["filename"] == "meeting.ics"
    assert all(n.text and n.attachments for n in app.due(datetime.now(timezone.utc) + timedelta(seconds=1)))


def test_an_event_delivered_again_records_nothing_more(app):
    list_delegations(app)
    events, _, meeting, announcement = announced(app)
    before = {n.id for n in app.notifications()}
    assert app.receive(wire([announcement, announcement])) == ["recorded", "recorded"]
    assert {n.id for n in app.notifications()} == before and len(before) == 3


def test_a_crash_after_recording_and_before_the_subject_was_saved_records_nothing_twice(app, monkeypatch):
    list_delegations(app)
    events = Events()
    group, established = events.group()
    meeting, scheduled = events.meeting(group)
    announcement = events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations"})
    app.receive(wire([established, scheduled]))
    monkeypatch.setattr(app, "_save_subject", lambda *a: (_ for _ in ()).throw(OSError("disk I/O error")))
    with pytest.raises(OSError):
        app.receive(wire([announcement]))
    assert len(app.notifications()) == 3  # recorded before the crash
    monkeypatch.undo()
    app.receive(wire([announcement]))  # the broker delivers it again
    assert len(app.notifications()) == 3


def test_a_message_that_is_not_an_event_is_a_dead_letter_alone(app):
    list_delegations(app)
    events = Events()
    group, established = events.group()
    decisions = app.receive([(b"{not json", "application/json")] + wire([established])
                            + [(b'{"event_type": "x"}', "application/json")])
    assert decisions == ["dead_letter", "recorded", "dead_letter"]
    assert sorted(d["reason"] for d in app.dead_letters()) == ["invalid_envelope", "not_json"]


def test_moves_cancellations_and_documents_are_told_to_the_delegations(app):
    list_delegations(app, ("KEN",))
    events, group, meeting, _ = announced(app)
    new_start = events.at + timedelta(days=20)
    moved = events.event("meeting_postponed", meeting, {"reason": "Room unavailable", "starts_at": new_start,
                                                         "ends_at": new_start + timedelta(hours=2)})
    again = events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations"})
    document = events.event("document_circulated", meeting, {"document_id": "WG2-1", "title": "Draft matrix",
                                                             "symbol": "S/AC.44/2026/WG.2/1",
                                                             "hours_before_meeting": 400.0})
    cancelled = events.event("meeting_cancelled", meeting, {"reason": "No quorum"})
    app.receive(wire([moved, again, document, cancelled]))
    told = {n.notice: n for n in app.notifications(subject_id=meeting)}
    assert sorted(told) == ["document_circulated", "meeting_announced", "meeting_cancelled", "meeting_moved"]
    assert "SEQUENCE:1" in app.get_notification(told["meeting_moved"].id).attachments[0]["content"]
    assert "METHOD:CANCEL" in app.get_notification(told["meeting_cancelled"].id).attachments[0]["content"]
    assert "S/AC.44/2026/WG.2/1" in told["document_circulated"].subject
    assert len(app.notifications(subject_id=meeting, notice="meeting_announced")) == 2  # first and new dates


def test_an_approved_outcome_goes_to_the_contact_points_of_the_states_it_names_only(app):
    for state in ("KEN", "FRA", "PER"):
        app.list_contact(ctx(), role="national_contact_point", committee="1540", name=f"Point of contact {state}",
                         email=f"poc@{state.lower()}.example.org", member_state=state, since=date(2020, 1, 1))
    events, _, meeting, _ = announced(app)
    logged = events.event("outcome_logged", meeting, {"outcome_id": "D-1", "outcome_kind": "decision",
                                                      "text": "Update the matrices by June."})
    communicated = events.event("outcome_communicated", meeting, {"outcome_id": "D-1",
                                                                   "recipients": "national_contact_points",
                                                                   "member_states": ["KEN", "PER", "NOR"]})
    app.receive(wire([logged, communicated]))
    told = app.notifications(notice="outcome_communicated")
    assert sorted(n.member_state for n in told) == ["KEN", "PER"]
    assert "Update the matrices by June." in app.get_notification(told[0].id).text


def test_a_visit_tells_the_focal_point_and_the_donor_and_reminds_the_state(app):
    app.list_contact(ctx(), role="organization_focal_point", committee="ctc", name="UNODC focal point",
                     email="fp@unodc.example.org", organization="UNODC", since=date(2020, 1, 1))
    donor = uuid4()
    app.list_contact(ctx(), role="donor_contact", committee="both", name="Norway, MFA", email="mfa@norway.example.org",
                     donor_id=donor, since=date(2020, 1, 1))
    app.list_contact(ctx(), role="national_contact_point", committee="ctc", name="Kenya CTC focal point",
                     email="ctc@ke.example.org", member_state="KEN", since=date(2020, 1, 1))
    events = Events()
    visit, proposed = events.visit("KEN", "ctc")
    today = committee_day(events.at, "ctc")  # the reminders count the Committee's days (New York's), not UTC's
    evs = [proposed,
           events.event("consent_requested", visit, {"due_on": today + timedelta(days=5)}),
           events.event("pre_visit_info_requested", visit, {"organization": "Office on Drugs and Crime (UNODC)",
                                                             "due_on": today + timedelta(days=20)}),
           events.event("needs_assessment_shared", visit, {"donor_id": donor, "donor_name": "Norway", "need_ids": ["N1"],
                                                           "assessment_version": 1, "consent_version": 3}),
           events.event("needs_assessment_share_revoked", visit, {"donor_id": donor, "donor_name": "Norway",
                                                                  "share_version": 4, "reason": "consent withdrawn"})]
    app.receive(wire(evs))
    told = {n.notice: n for n in app.notifications(subject_id=visit)}
    assert sorted(told) == ["pre_visit_info_requested", "share_made", "share_revoked"]
    assert told["pre_visit_info_requested"].email == "fp@unodc.example.org"
    assert told["share_revoked"].email == "mfa@norway.example.org" and "consent withdrawn" in app.get_notification(told["share_revoked"].id).text
    # the consent is due in 5 days: "due soon" now, once; overdue the day after it, once
    assert app.remind(events.at) == 1
    assert app.remind(events.at) == 0
    assert [n.notice for n in app.notifications(notice="consent_due_soon")] == ["consent_due_soon"]
    assert app.remind(events.at + timedelta(days=6)) == 1
    assert app.remind(events.at + timedelta(days=7)) == 0
    # the information is due in 20 days: due soon from day 13, overdue from day 21
    assert app.remind(events.at + timedelta(days=13)) == 1
    received = events.event("pre_visit_info_received", visit, {"organization": "UNODC", "summary": "",
                                                                "late": False, "after_due_date": False})
    app.receive(wire([received]))
    assert app.remind(events.at + timedelta(days=25)) == 0  # received: no overdue reminder
    assert sorted(n.notice for n in app.notifications(subject_id=visit)) == [
        "consent_due_soon", "consent_overdue", "pre_visit_info_due_soon", "pre_visit_info_requested",
        "share_made", "share_revoked"]


def test_reminders_of_an_old_due_date_entered_after_the_fact_are_not_sent(app):
    app.list_contact(ctx(), role="national_contact_point", committee="ctc", name="Kenya", email="ctc@ke.example.org",
                     member_state="KEN", since=date(2020, 1, 1))
    events = Events(at=datetime.now(timezone.utc) - timedelta(days=200))
    visit, proposed = events.visit("KEN", "ctc")
    asked = events.event("consent_requested", visit, {"due_on": events.at.date() + timedelta(days=30)})
    app.receive(wire([proposed, asked]))
    assert app.remind() == 0 and app.notifications() == []
    assert sorted(app.subject(visit)["dues"]["consent"]["reminded"]) == ["overdue", "soon"]  # passed, never sent


def test_a_meeting_held_and_not_reported_reminds_the_secretariat_and_action_items_too(app):
    app.list_contact(ctx(), role="secretariat", committee="1540", name="1540 group of experts",
                     email="experts@un.example.org", since=date(2020, 1, 1))
    events, _, meeting, _ = announced(app, starts_in=timedelta(days=0))
    held = events.event("meeting_held", meeting, {})
    item = events.event("outcome_logged", meeting, {"outcome_id": "A-1", "outcome_kind": "action_item",
                                                    "text": "Circulate the survey", "owner": "Secretariat",
                                                    "due_on": events.at.date() + timedelta(days=30)})
    app.receive(wire([held, item]))
    assert app.remind(events.at + timedelta(days=15)) == 1  # 14 days after it was held
    assert app.remind(events.at + timedelta(days=24)) == 1  # the action item due in 6 days
    done = events.event("action_item_status_changed", meeting, {"outcome_id": "A-1", "status": "done",
                                                                "previous_status": "open", "note": ""})
    app.receive(wire([done]))
    assert app.remind(events.at + timedelta(days=32)) == 0
    assert sorted(n.notice for n in app.notifications(subject_id=meeting)) == [
        "action_item_due_soon", "meeting_report_overdue"]


def test_nothing_is_told_for_a_meeting_of_a_group_never_heard_of(app):
    list_delegations(app)
    events = Events()
    meeting, scheduled = events.meeting(uuid4())
    announcement = events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations"})
    assert app.receive(wire([scheduled, announcement])) == ["recorded", "recorded"]
    assert app.notifications() == []


def test_a_line_break_typed_in_a_title_or_a_name_does_not_break_the_message(app):
    app.list_contact(ctx(), role="delegation", committee="both", name="Permanent Mission\nof Kenya",
                     email="kenya@missions.example.org", member_state="KEN", since=date(2020, 1, 1))
    events = Events()
    group, established = events.group()
    meeting, scheduled = events.meeting(group, title="Matrices\r\nBcc: someone@example.org")
    app.receive(wire([established, scheduled,
                      events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations"})]))
    [told] = app.notifications()
    message = message_from_bytes(bytes(email_of(app.get_notification(told.id), "S <s@example.org>")), policy=policy.default)
    assert message["Bcc"] is None and "Matrices Bcc: someone@example.org" in message["Subject"]
    assert message["To"] == "Permanent Mission of Kenya <kenya@missions.example.org>"


def test_a_meeting_never_heard_of_being_scheduled_is_told_nothing_and_the_consumer_carries_on(app):
    list_delegations(app)
    events = Events()
    group, established = events.group()
    meeting = uuid4()
    events.versions[meeting] = 1  # scheduled before the service's queue existed
    announcement = events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations"})
    cancelled = events.event("meeting_cancelled", meeting, {"reason": "No quorum"})
    assert app.receive(wire([established, announcement, cancelled])) == ["recorded"] * 3
    assert app.notifications() == [] and app.dead_letters() == []


def test_an_event_the_fold_cannot_make_sense_of_is_a_dead_letter_alone(app, monkeypatch):
    import notifications.application as application

    list_delegations(app)
    events, _, meeting, _ = announced(app)
    def broken(*args, **kwargs):
        raise KeyError("starts_at")
    monkeypatch.setattr(application, "observe", broken)
    circulated = events.event("document_circulated", meeting, {"document_id": "D-1", "title": "Agenda",
                                                               "hours_before_meeting": 100.0})
    assert app.receive(wire([circulated])) == ["dead_letter"]
    [letter] = app.dead_letters()
    assert letter["reason"] == "not_understood" and "document_circulated" in letter["detail"]


def test_a_sweep_never_undoes_an_event_folded_while_it_ran(app, monkeypatch):
    """The sweep read a visit awaiting consent; the consent was granted while it recorded its
    reminder; the sweep's marks must not bring the answered consent back."""
    app.list_contact(ctx(), role="national_contact_point", committee="ctc", name="Kenya", email="ctc@ke.example.org",
                     member_state="KEN", since=date(2020, 1, 1))
    events = Events()
    visit, proposed = events.visit("KEN", "ctc")
    asked = events.event("consent_requested", visit, {"due_on": events.at.date() + timedelta(days=3)})
    granted = events.event("consent_granted", visit, {})
    app.receive(wire([proposed, asked]))
    record = app.record

    def record_while_the_consent_is_granted(intents, at=None):
        made = record(intents, at)
        app.receive(wire([granted]))  # the consumer, meanwhile
        return made
    monkeypatch.setattr(app, "record", record_while_the_consent_is_granted)
    assert app.remind(events.at) == 1
    monkeypatch.undo()
    assert "consent" not in app.subject(visit)["dues"]
    assert app.remind(events.at + timedelta(days=5)) == 0  # no overdue reminder of an answered consent
