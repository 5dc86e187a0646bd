"""Builders for the reporting tests: valid wire envelopes for visits, donors, working groups and
meetings, and one scenario with known answers (``build_scenario``).

Every envelope is made by ``shared.contract.build_envelope`` exactly as a publisher makes it,
checked with ``validate_envelope`` (and must come back unchanged from ``canonical_envelope``),
and numbered per aggregate: version 1, 2, 3 … in the order the builder is called, which is the
order the owning service would have stored them. ``recorded_at`` is ``occurred_at`` + 5 minutes
unless a step says otherwise (an event told late to the service, e.g. a consent recorded a week
after it happened).

The builders mirror what the owning services put on the wire and no more: ``late`` /
``after_due_date`` of pre-visit information as ``Visit.receive_pre_visit_info`` computes them,
``hours_before_meeting`` of a document as ``Meeting.circulate_document`` does, the sharing
consent version and assessment version as ``Visit.share_needs_assessment`` does.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

import pytest

from shared.contract import (
    CATALOGUE,
    MEETINGS_EXCHANGE,
    VISITS_EXCHANGE,
    build_envelope,
    canonical_envelope,
    encode_envelope,
    validate_envelope,
)
from shared.contract.organizations import common_name
from reporting.records import fold
from reporting.reports import build_report
from reporting.projection import EMPTY_HASH, chain

RECORDING_DELAY = timedelta(minutes=5)


def at(moment: str) -> datetime:
    """``"2025-01-10"`` (09:00 UTC) or ``"2025-01-10T15:30"``, in UTC."""
    if "T" not in moment:
        moment += "T09:00"
    return datetime.fromisoformat(moment).replace(tzinfo=timezone.utc)


def day(moment: str) -> date:
    return date.fromisoformat(moment)


def visit_id(n: int) -> UUID:
    """Visit ids sort in the order they are numbered (ties between two visits on one day are
    listed by member State, then visit id)."""
    return UUID(f"10000000-0000-4000-8000-{n:012d}")


def donor_id(n: int) -> UUID:
    return UUID(f"20000000-0000-4000-8000-{n:012d}")


def group_id(n: int) -> UUID:
    return UUID(f"30000000-0000-4000-8000-{n:012d}")


def meeting_id(n: int) -> UUID:
    return UUID(f"40000000-0000-4000-8000-{n:012d}")


def notification_id(n: int) -> UUID:
    return UUID(f"50000000-0000-4000-8000-{n:012d}")


def contact_id(member_state: str, n: int) -> UUID:
    """A delegation's ``n``th contact (address) in the directory."""
    return uuid5(NAMESPACE_URL, f"contact:{member_state}:{n}")


def exchange_of(envelope: dict) -> str:
    return CATALOGUE[envelope["event_type"]].exchange


class Stream:
    """Envelopes in the order they were published, versions numbered per aggregate."""

    def __init__(self) -> None:
        self.envelopes: list[dict] = []
        self.versions: dict[UUID, int] = defaultdict(int)

    def emit(
        self,
        event_type: str,
        aggregate_id: UUID,
        when: datetime,
        payload: dict | None = None,
        *,
        recorded: datetime | None = None,
        user: str = "coordinator@un.org",
        role: str = "visit_coordinator",
    ) -> dict:
        payload = dict(payload or {})
        schema_fields = set(CATALOGUE[event_type].schema().fields)
        unknown = set(payload) - schema_fields
        assert not unknown, f"{event_type} has no payload field {sorted(unknown)}: the builder would drop it"
        version = self.versions[aggregate_id] + 1
        envelope = build_envelope(
            event_type=event_type,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            occurred_at=when,
            recorded_at=recorded or when + RECORDING_DELAY,
            user=user,
            role=role,
            correlation_id=f"req-{aggregate_id}-{version:04d}",
            payload_source=payload,
        )
        # Valid on the wire, and already in the canonical form the reporting service stores.
        checked = validate_envelope(json.loads(encode_envelope(envelope)))
        assert canonical_envelope(checked) == envelope
        self.versions[aggregate_id] = version
        self.envelopes.append(envelope)
        return envelope

    def visit(self, n: int) -> VisitEvents:
        return VisitEvents(self, visit_id(n))

    def donor(self, n: int) -> DonorEvents:
        return DonorEvents(self, donor_id(n))

    def group(self, n: int) -> GroupEvents:
        return GroupEvents(self, group_id(n))

    def meeting(self, n: int, group: GroupEvents) -> MeetingEvents:
        return MeetingEvents(self, meeting_id(n), group)

    def notification(self, n: int) -> NotificationEvents:
        return NotificationEvents(self, notification_id(n))


@dataclass
class VisitEvents:
    stream: Stream
    id: UUID
    started_at: datetime | None = None
    due_on: dict[str, date] = field(default_factory=dict)
    assessment_version: int = 0
    sharing_consent_version: int | None = None
    unrevoked_shares: list = field(default_factory=list)  # (share version, donor)
    answers_due: dict[str, date] = field(default_factory=dict)  # what the State owes on the report
    recommendations: dict[str, str] = field(default_factory=dict)  # id -> status

    def _emit(self, event_type: str, when: str, payload: dict | None = None, **kwargs) -> dict:
        return self.stream.emit(event_type, self.id, at(when), payload, **kwargs)

    def proposed(self, when: str, member_state: str, committee: str = "ctc",
                 origin: str = "committee_selection") -> VisitEvents:
        self._emit("visit_proposed", when, {"member_state": member_state, "committee": committee, "origin": origin,
                                            "purpose": f"Visit to {member_state}"})
        return self

    def approved(self, when: str) -> VisitEvents:
        self._emit("visit_approved", when)
        return self

    def consent_withdrawn(self, when: str, starts_on: str | None = None, ends_on: str | None = None) -> VisitEvents:
        """The State withdraws its consent (the dates it had agreed to, if any, given up)."""
        self._emit("consent_withdrawn", when, {"reason": "To be considered again after the elections.",
                                               "starts_on": starts_on, "ends_on": ends_on})
        return self

    def consent_requested(self, when: str, due_on: str | None = None) -> VisitEvents:
        self._emit("consent_requested", when, {"due_on": day(due_on) if due_on else None})
        return self

    def consent_granted(self, when: str, *, recorded: str | None = None) -> VisitEvents:
        self._emit("consent_granted", when, recorded=at(recorded) if recorded else None)
        return self

    def consent_declined(self, when: str, reason: str = "Not in this programme period.") -> VisitEvents:
        self._emit("consent_declined", when, {"reason": reason})
        return self

    def invited(self, when: str, organization: str, kind: str) -> VisitEvents:
        self._emit("organization_invited", when, {"organization": organization, "kind": kind})
        return self

    def info_requested(self, when: str, organization: str, due_on: str) -> VisitEvents:
        self.due_on[common_name(organization)] = day(due_on)  # asked and answered under any of its names
        self._emit("pre_visit_info_requested", when, {"organization": organization, "due_on": day(due_on)})
        return self

    def info_received(self, when: str, organization: str) -> VisitEvents:
        # As Visit.receive_pre_visit_info marks it: late once the visit started, after the
        # due date when received on a later day.
        moment = at(when)
        late = self.started_at is not None and moment >= self.started_at
        after_due_date = moment.date() > self.due_on[common_name(organization)]
        self._emit("pre_visit_info_received", when, {"organization": organization, "summary": "information",
                                                     "late": late, "after_due_date": after_due_date})
        return self

    def scheduled(self, when: str, starts_on: str, ends_on: str) -> VisitEvents:
        self._emit("visit_scheduled", when, {"starts_on": day(starts_on), "ends_on": day(ends_on)})
        return self

    def started(self, when: str) -> VisitEvents:
        self.started_at = at(when)
        self._emit("visit_started", when)
        return self

    def completed(self, when: str) -> VisitEvents:
        """The first organization asked for its information took part, with a team of two."""
        self._emit("visit_completed", when, {"organizations_taking_part": list(self.due_on)[:1],
                                             "team": ["CTED: legal expert", "CTED: border expert"]})
        return self

    def needs(self, when: str, *needs: tuple[str, str, str]) -> VisitEvents:
        """``needs``: (need_id, thematic_area, priority); a new version replaces the last."""
        self.assessment_version += 1
        self._emit("needs_assessment_recorded", when, {
            "needs": [{"need_id": n, "thematic_area": area, "description": f"{area} support", "priority": priority}
                      for n, area, priority in needs],
            "summary": "needs identified", "assessment_version": self.assessment_version,
        })
        return self

    def sharing_granted(self, when: str) -> VisitEvents:
        envelope = self._emit("donor_sharing_consent_granted", when)
        self.sharing_consent_version = envelope["aggregate_version"]
        return self

    def sharing_declined(self, when: str) -> VisitEvents:
        self._emit("donor_sharing_consent_declined", when, {"reason": "not now"})
        self.sharing_consent_version = None
        return self

    def sharing_withdrawn(self, when: str) -> VisitEvents:
        # As Visit.withdraw_sharing_consent does: a revocation notice for every share not yet
        # revoked, at the same moment.
        reason = "assessment under revision"
        self._emit("donor_sharing_consent_withdrawn", when, {"reason": reason})
        self.sharing_consent_version = None
        for share_version, donor in self.unrevoked_shares:
            self._emit("needs_assessment_share_revoked", when, {
                "donor_id": donor.id, "donor_name": donor.name, "share_version": share_version, "reason": reason,
            })
        self.unrevoked_shares = []
        return self

    def shared(self, when: str, donor: DonorEvents, *need_ids: str) -> VisitEvents:
        assert self.sharing_consent_version is not None, "sharing needs a consent in force"
        envelope = self._emit("needs_assessment_shared", when, {
            "donor_id": donor.id, "donor_name": donor.name, "need_ids": list(need_ids),
            "assessment_version": self.assessment_version, "consent_version": self.sharing_consent_version,
        })
        self.unrevoked_shares.append((envelope["aggregate_version"], donor))
        return self

    def follow_up(self, when: str, summary: str) -> VisitEvents:
        self._emit("follow_up_recorded", when, {"summary": summary, "results": ""})
        return self

    def closed(self, when: str) -> VisitEvents:
        self._emit("visit_closed", when, {"summary": "closed"})
        return self

    def report(self, drafted: str, adopted: str, transmitted: str, observations_due_on: str, response_due_on: str,
               *recommendations: tuple[str, ...]) -> VisitEvents:
        """The visit's report drafted, adopted and transmitted; ``recommendations``: (id, area)
        or (id, area, due date)."""
        self.answers_due = {"observations": day(observations_due_on), "response": day(response_due_on)}
        self.recommendations = {rid: "not_started" for rid, *_ in recommendations}
        self._emit("visit_report_drafted", drafted, {"summary": "findings", "draft": 1, "recommendations": [
            {"recommendation_id": rid, "thematic_area": area, "priority": "high", "text": "do",
             "due_on": day(due[0]) if due else None}
            for rid, area, *due in recommendations]})
        self._emit("visit_report_adopted", adopted, {"draft": 1, "note": ""})
        self._emit("visit_report_transmitted", transmitted, {"observations_due_on": day(observations_due_on),
                                                             "response_due_on": day(response_due_on)})
        return self

    def state_answered(self, when: str, answer: str) -> VisitEvents:
        """As Visit.receive_state_answer records it (days late in New York, the Committees' zone)."""
        received = at(when).astimezone(ZoneInfo("America/New_York")).date()
        due_on = self.answers_due[answer]
        self._emit("state_answer_received", when, {"answer": answer, "summary": "", "due_on": due_on,
                                                   "days_late": max(0, (received - due_on).days)})
        return self

    def state_reminded(self, when: str, answer: str) -> VisitEvents:
        self._emit("state_reminded", when, {"answer": answer, "due_on": self.answers_due[answer], "note": ""})
        return self

    def recommendation(self, when: str, recommendation_id: str, status: str) -> VisitEvents:
        self._emit("recommendation_status_updated", when, {
            "recommendation_id": recommendation_id, "status": status, "evidence": "",
            "previous_status": self.recommendations[recommendation_id]})
        self.recommendations[recommendation_id] = status
        return self

    def follow_up_ended(self, when: str) -> VisitEvents:
        self._emit("follow_up_ended", when, {"summary": "ended"})
        return self

    def cancelled(self, when: str, reason: str = "The State withdrew its agreement.") -> VisitEvents:
        self._emit("visit_cancelled", when, {"reason": reason})
        return self

    def postponed(self, when: str, reason: str = "Dates conflict with national elections.") -> VisitEvents:
        self._emit("visit_postponed", when, {"reason": reason})
        return self


@dataclass
class DonorEvents:
    stream: Stream
    id: UUID
    name: str = ""

    def registered(self, when: str, name: str, donor_kind: str, *areas: str) -> DonorEvents:
        self.name = name
        self.stream.emit("donor_registered", self.id, at(when),
                         {"name": name, "donor_kind": donor_kind, "thematic_areas": list(areas), "contact": ""},
                         user="secretariat@un.org", role="secretariat")
        return self

    def interests(self, when: str, *areas: str) -> DonorEvents:
        self.stream.emit("donor_interests_updated", self.id, at(when), {"thematic_areas": list(areas)},
                         user="secretariat@un.org", role="secretariat")
        return self


@dataclass
class GroupEvents:
    stream: Stream
    id: UUID
    name: str = ""
    chair_user: str | None = None
    committee: str = ""

    def established(self, when: str, name: str, committee: str = "1540") -> GroupEvents:
        self.name, self.committee = name, committee
        self.stream.emit("working_group_established", self.id, at(when),
                         {"name": name, "committee": committee, "mandate_area": name},
                         user="secretariat@un.org", role="secretariat")
        return self

    def chair(self, when: str, member_state: str, user: str) -> GroupEvents:
        self.chair_user = user
        self.stream.emit("chair_assigned", self.id, at(when), {"chair_member_state": member_state, "chair_user": user},
                         user="secretariat@un.org", role="secretariat")
        return self


@dataclass
class MeetingEvents:
    stream: Stream
    id: UUID
    group: GroupEvents
    title: str = ""
    starts_at: datetime | None = None
    unreported: list[str] = field(default_factory=list)  # outcomes no report carried yet
    statuses: dict[str, str] = field(default_factory=dict)  # action item -> status
    announcement: dict | None = None  # the envelope of the announcement in force

    def _emit(self, event_type: str, when: str, payload: dict | None = None, *, chair: bool = False) -> dict:
        if chair:
            return self.stream.emit(event_type, self.id, at(when), payload,
                                    user=self.group.chair_user, role="working_group_chair")
        return self.stream.emit(event_type, self.id, at(when), payload, user="secretariat@un.org", role="secretariat")

    def scheduled(self, when: str, title: str, starts_at: str, hours: int = 2,
                  meeting_kind: str = "working_group") -> MeetingEvents:
        self.title = title
        self.starts_at = at(starts_at)
        self._emit("meeting_scheduled", when, {
            "group_id": self.group.id, "meeting_kind": meeting_kind, "title": title, "starts_at": self.starts_at,
            "ends_at": self.starts_at + timedelta(hours=hours), "location": "Conference Room 7",
        })
        return self

    def announced(self, when: str) -> MeetingEvents:
        self.announcement = self._emit("meeting_announced", when, {"announced_to": "all_council_delegations",
                                                                    "notice": ""})
        return self

    def document(self, when: str, document_id: str) -> MeetingEvents:
        # As Meeting.circulate_document computes it, against the meeting's start at that time.
        hours = round((self.starts_at - at(when)).total_seconds() / 3600, 2)  # negative: after the start
        self._emit("document_circulated", when, {"document_id": document_id, "title": f"Document {document_id}",
                                                 "symbol": "", "hours_before_meeting": hours})
        return self

    def held(self, when: str | None = None) -> MeetingEvents:
        self._emit("meeting_held", when or self.starts_at.isoformat()[:16], {"delegations": ["FRA", "KEN"], "organizations": ["UNODC"], "experts": []})
        return self

    def outcome(self, when: str, outcome_id: str, outcome_kind: str, amends: str | None = None,
                due_on: str | None = None) -> MeetingEvents:
        """An action item's owner is the group's chair, due ``due_on`` (a month after by default)."""
        action = outcome_kind == "action_item"
        if action:
            self.statuses[outcome_id] = "open"
        self.unreported = [o for o in self.unreported if o != amends] + [outcome_id]
        self._emit("outcome_logged", when, {
            "outcome_id": outcome_id, "outcome_kind": outcome_kind, "text": f"{outcome_kind} {outcome_id}",
            "amends": amends, "owner": "the group's chair" if action else "",
            "due_on": (day(due_on) if due_on else at(when).date() + timedelta(days=30)) if action else None,
        }, chair=True)
        return self

    def reported(self, when: str) -> MeetingEvents:
        carried, self.unreported = self.unreported, []
        self._emit("meeting_reported_to_committee", when, {"summary": f"Report on {self.title}", "report_symbol": "",
                                                           "outcome_ids": carried})
        return self

    def approved(self, when: str, outcome_id: str) -> MeetingEvents:
        self._emit("outcome_approved", when, {"outcome_id": outcome_id, "note": ""})
        return self

    def decided(self, when: str, outcome_id: str, decision: str) -> MeetingEvents:
        self._emit("outcome_decided", when, {"outcome_id": outcome_id, "decision": decision, "note": ""})
        return self

    def action_item(self, when: str, outcome_id: str, status: str) -> MeetingEvents:
        self._emit("action_item_status_changed", when, {"outcome_id": outcome_id, "status": status, "note": "",
                                                        "previous_status": self.statuses[outcome_id]})
        self.statuses[outcome_id] = status
        return self

    def communicated(self, when: str, outcome_id: str, *member_states: str) -> MeetingEvents:
        self._emit("outcome_communicated", when, {"outcome_id": outcome_id, "recipients": "national_contact_points",
                                                  "member_states": list(member_states or ("KEN", "NGA"))})
        return self

    def open_meeting(self, when: str, *outcome_ids: str) -> MeetingEvents:
        self._emit("open_meeting_held", when, {"outcome_ids": list(outcome_ids), "summary": "open briefing"})
        return self

    def cancelled(self, when: str, reason: str = "No quorum expected.") -> MeetingEvents:
        self._emit("meeting_cancelled", when, {"reason": reason})
        return self

    def postponed(self, when: str, starts_at: str | None = None, hours: int = 2,
                  reason: str = "Documents not ready.") -> MeetingEvents:
        new = at(starts_at) if starts_at else None
        if new is not None:
            self.starts_at = new
        self.announcement = None  # its new dates are announced again
        self._emit("meeting_postponed", when, {"reason": reason, "starts_at": new,
                                               "ends_at": new + timedelta(hours=hours) if new else None})
        return self


@dataclass
class NotificationEvents:
    """A notification of the notifications service (``notifications.events``): recorded for a
    contact, then sent, deferred or failed, as its sender reports them."""

    stream: Stream
    id: UUID

    def _emit(self, event_type: str, when: str, payload: dict) -> dict:
        return self.stream.emit(event_type, self.id, at(when), payload, user="notifications", role="system")

    def recorded(self, when: str, meeting: MeetingEvents, member_state: str, contact: int = 1) -> NotificationEvents:
        """The announcement in force of ``meeting`` told to a delegation's contact (a delegation
        may have several), as the notifications service records it on hearing of it."""
        assert meeting.announcement is not None, "the meeting has no announcement in force to notify"
        return self.told(when, meeting.announcement, meeting.group.committee, meeting.starts_at.date(), member_state,
                         contact)

    def told(self, when: str, announcement: dict, committee: str, starts_on: date, member_state: str,
             contact: int = 1) -> NotificationEvents:
        """``recorded``, from the ``meeting_announced`` envelope itself (a meeting built elsewhere)."""
        self._emit("notification_recorded", when, {
            "cause_event_id": announcement["event_id"], "cause_event_type": announcement["event_type"],
            "notice": "meeting_announced", "subject_kind": "meeting", "subject_id": announcement["aggregate_id"],
            "committee": committee, "regarding_on": starts_on, "contact_id": contact_id(member_state, contact),
            "role": "delegation", "recipient": f"Permanent Mission {member_state} ({contact})",
            "email": f"{member_state.lower()}{contact}@un.example.org", "member_state": member_state,
            "organization": "", "subject": "Announcement of a meeting", "text": "A meeting is announced.",
            "html": "<p>A meeting is announced.</p>", "attachments": [],
        })
        return self

    def sent(self, when: str, attempt: int = 1) -> NotificationEvents:
        self._emit("notification_sent", when, {"attempt": attempt, "answer": "250 2.0.0 Ok"})
        return self

    def deferred(self, when: str, attempt: int = 1) -> NotificationEvents:
        self._emit("notification_deferred", when, {"attempt": attempt, "answer": "421 Try again later",
                                                   "next_attempt_at": at(when) + timedelta(minutes=30)})
        return self

    def failed(self, when: str, attempt: int = 1) -> NotificationEvents:
        self._emit("notification_failed", when, {"attempt": attempt, "answer": "550 5.1.1 Recipient address rejected"})
        return self


# -- the scenario with known answers ---------------------------------------------------------

WG1_NAME = "Working Group 1: Monitoring and national implementation"
WG2_NAME = "Working Group 2: Assistance"


@dataclass
class Scenario:
    envelopes: list[dict]
    visits: dict[str, UUID]  # by member state
    donors: dict[str, UUID]  # "CAN", "EU"
    groups: dict[str, UUID]  # "WG1", "WG2"
    meetings: dict[str, tuple[UUID, str]]  # "M1" -> (id, title)


def build_scenario() -> Scenario:
    """Half a year (1 January-30 June 2025) of CTC and 1540 work, with 2024 before it and the
    second half of 2025 after it. Times are 09:00 UTC unless written.

    Visits (numbered: their ids sort in this order)
      1 KEN ctc   2024-11-04 proposed, 11-06 approved; 2025-01-10 consent asked (due 02-10),
                  01-20 granted (10 days); 01-22 UNODC (un_body) and Interpol (international)
                  invited, 01-23 information asked of both, due 03-01; 02-05 scheduled 03-10..14;
                  UNODC answers 02-20 (on time), Interpol 03-05 (after the due date, before the
                  visit: not late); started 03-10, completed 03-14 17:00; needs v1 03-20
                  (KEN-01 border_control high, KEN-02 cft medium, KEN-03 legislation low), v2
                  04-15 (KEN-01 border_control high, KEN-02 cft high, KEN-04 law_enforcement
                  medium); sharing consent granted 04-20; shared with Canada 05-02 (KEN-01,
                  KEN-02) and with the EU 05-10 (KEN-04); follow-up 06-10; after the period:
                  needs v3 07-10 (KEN-01 border_control high, KEN-04 law_enforcement medium,
                  KEN-05 human_rights_compliance medium), follow-up 07-15, shared with Canada
                  08-01 (KEN-05).
      2 MAR ctc   2024-12-02 proposed, 12-03 approved, 12-16 consent asked; 2025-01-06 declined
                  (21 days).
      3 PHL ctc   2025-05-05 proposed, 05-06 approved, 05-12 consent asked (due 06-12); 05-20
                  ICAO (international) and OSCE (regional, by its full name) invited; 05-21 information asked of
                  ICAO (due 06-20) and OSCE (due 07-15); ICAO answers 07-02 (after due date);
                  consent GRANTED 06-26 but RECORDED 07-03 (45 days; told a week late); OSCE
                  answers 07-10 (on time).
      4 IDN ctc   2025-06-02 proposed, 06-03 approved, 06-16 consent asked (due 07-16);
                  granted 07-21 21:00 (35.5 days, after the period).
      5 KAZ 1540  2025-02-03 proposed at the State's invitation (its consent), 02-05
                  approved; 02-10 OSCE invited, 02-11 information asked (due 04-01); 02-20
                  scheduled 04-07..10; started 04-07, OSCE answers 04-08 (late and after the
                  due date); completed 04-10; needs 04-25 (KAZ-01 export_and_trans_shipment_controls
                  high, KAZ-02 physical_protection medium, KAZ-03 accountability low);
                  sharing consent declined 05-05; follow-up 06-20.
      6 JOR ctc   2025-01-15 proposed, 01-17 approved, 01-20 consent asked (due 02-20); 01-21
                  IMO (international) invited; 03-03 visit cancelled (no answer).
      7 NGA ctc   2024-03-04 proposed, 03-05 approved, 03-11 consent asked, 03-25 granted
                  (14 days); 03-26 UNODC invited, 03-27 asked (due 05-01), 04-20 answered;
                  04-02 scheduled 05-13..17; started 2024-05-13, completed 05-17; needs
                  2024-05-30 (NGA-01 law_enforcement high, NGA-02 border_control medium);
                  follow-up 2025-02-14; closed 2025-03-01.
      8 SEN 1540  2024-06-10 proposed, 06-12 approved, 06-17 consent asked, 07-01 granted (14
                  days); 07-05 scheduled 09-09..12; started 2024-09-09, completed 09-12;
                  needs 09-20 (SEN-01 border_controls_and_law_enforcement high); sharing consent
                  granted 10-01, shared with the EU 10-15 (SEN-01); follow-up 2024-12-05;
                  sharing consent withdrawn 2025-02-10.
      9 TUN ctc   2025-03-03 proposed, 03-04 approved, 03-10 consent asked, 03-13 18:36 granted
                  (3.4 days); 03-20 Interpol invited (as "International Criminal Police Organization (INTERPOL)", asked as "INTERPOL"), 03-21 asked (due 06-30); 04-01 scheduled
                  06-30..07-04; started 2025-06-30 08:00 (last day of the period); Interpol
                  answers 06-30 10:00 (late: the visit had started; not after the due date);
                  needs 07-02 (TUN-01 transport_security medium, TUN-02 border_control low);
                  completed 07-04 16:00.
     10 VNM ctc   2024-12-31 23:59 proposed; 2025-01-02 approved, 01-06 consent asked, 02-03
                  granted (28 days); 05-01 scheduled 07-01..03; started 2025-07-01 00:30 (just
                  after the period), completed 07-03.

    Donors: 1 "Government of Canada" (state) registered 2024-01-15, interests updated
    2025-03-01; 2 "European Union" (regional_organization) registered 2024-02-01.

    1540 working groups, established 2024-06-03 with chairs: WG1 (chair.fr, FRA), WG2
    (chair.ke, KEN). Meetings start at 15:00 and are held at their start:
      M8 WG1 "WG1 meeting 4/2024"  on 2024-12-31: document 12-27 15:00 (96 h); held;
                                   M8-D1 decision logged 2024-12-31 17:00, M8-R1
                                   recommendation 2025-01-02; reported 2025-01-03 15:00 (3 days).
      M1 WG1 "WG1 meeting 1/2025"  on 2025-02-03: document 01-27 15:00 (168 h); held;
                                   M1-D1 decision, M1-R1 recommendation logged 02-04;
                                   reported 02-06 15:00 (3 days); M1-D1 approved 02-20,
                                   communicated 02-25, open meeting 03-05.
      M2 WG1 "WG1 meeting 2/2025"  on 2025-04-07: documents 03-31 15:00 (168 h) and 04-05
                                   15:00 (48 h: late); held; M2-A1 action item 04-08;
                                   reported 04-14 15:00 (7 days); M2-A1 approved 2025-07-02.
      M3 WG1 "WG1 meeting 3/2025"  for 2025-06-02: announced, cancelled 05-20.
      M6 WG2 "WG2 meeting 3/2024"  on 2024-10-07: document 10-03 15:00 (96 h); held; M6-D1
                                   decision 10-08; reported 10-09 15:00 (2 days); approved 10-20.
      M4 WG2 "WG2 meeting 1/2025"  on 2025-05-12: no document; held; M4-R1 recommendation and
                                   M4-D1 decision 05-13; never reported to the Committee.
      M5 WG2 "WG2 meeting 2/2025"  on 2025-06-27 15:00: document 06-26 09:00 (30 h: late);
                                   announced only 06-27 16:00 (an hour after its start);
                                   document 06-27 15:30 (after the start: -0.5 h); held 17:00;
                                   M5-A1 action item 06-28; reported 07-03 15:00 (6 days,
                                   after the period).
    """
    s = Stream()
    canada = s.donor(1).registered("2024-01-15", "Government of Canada", "state",
                                   "border_control", "counter_financing_of_terrorism")
    eu = s.donor(2).registered("2024-02-01", "European Union", "regional_organization",
                               "border_controls_and_law_enforcement", "law_enforcement")

    # -- 2024 ----------------------------------------------------------------------------
    nga = s.visit(7).proposed("2024-03-04", "NGA").approved("2024-03-05")
    nga.consent_requested("2024-03-11", "2024-04-11").consent_granted("2024-03-25")
    nga.invited("2024-03-26", "UNODC", "un_body").info_requested("2024-03-27", "UNODC", "2024-05-01")
    nga.scheduled("2024-04-02", "2024-05-13", "2024-05-17").info_received("2024-04-20", "UNODC")
    nga.started("2024-05-13").completed("2024-05-17T17:00")
    nga.needs("2024-05-30", ("NGA-01", "law_enforcement", "high"), ("NGA-02", "border_control", "medium"))

    wg1 = s.group(1).established("2024-06-03", WG1_NAME).chair("2024-06-03T10:00", "FRA", "chair.fr")
    wg2 = s.group(2).established("2024-06-03", WG2_NAME).chair("2024-06-03T10:00", "KEN", "chair.ke")

    sen = s.visit(8).proposed("2024-06-10", "SEN", "1540").approved("2024-06-12")
    sen.consent_requested("2024-06-17", "2024-07-17").consent_granted("2024-07-01")
    sen.scheduled("2024-07-05", "2024-09-09", "2024-09-12").started("2024-09-09").completed("2024-09-12T17:00")
    sen.needs("2024-09-20", ("SEN-01", "border_controls_and_law_enforcement", "high"))
    sen.sharing_granted("2024-10-01").shared("2024-10-15", eu, "SEN-01")

    m6 = s.meeting(6, wg2).scheduled("2024-09-02", "WG2 meeting 3/2024", "2024-10-07T15:00").announced("2024-09-03")
    m6.document("2024-10-03T15:00", "WG2-2024-03-A").held().outcome("2024-10-08", "M6-D1", "decision")
    m6.reported("2024-10-09T15:00").approved("2024-10-20", "M6-D1")

    ken = s.visit(1).proposed("2024-11-04", "KEN").approved("2024-11-06")
    mar = s.visit(2).proposed("2024-12-02", "MAR").approved("2024-12-03").consent_requested("2024-12-16")
    sen.follow_up("2024-12-05", "Committee updated on the follow-up to the visit to Senegal.")

    m8 = s.meeting(8, wg1).scheduled("2024-12-02", "WG1 meeting 4/2024", "2024-12-31T15:00").announced("2024-12-03")
    m8.document("2024-12-27T15:00", "WG1-2024-04-A").held().outcome("2024-12-31T17:00", "M8-D1", "decision")

    vnm = s.visit(10).proposed("2024-12-31T23:59", "VNM")

    # -- 1 January - 30 June 2025 -----------------------------------------------------------
    vnm.approved("2025-01-02")
    m8.outcome("2025-01-02", "M8-R1", "recommendation").reported("2025-01-03T15:00")
    mar.consent_declined("2025-01-06")
    vnm.consent_requested("2025-01-06", "2025-02-06")
    m1 = s.meeting(1, wg1).scheduled("2025-01-06", "WG1 meeting 1/2025", "2025-02-03T15:00").announced("2025-01-07")
    ken.consent_requested("2025-01-10", "2025-02-10")
    jor = s.visit(6).proposed("2025-01-15", "JOR").approved("2025-01-17").consent_requested("2025-01-20", "2025-02-20")
    ken.consent_granted("2025-01-20")
    jor.invited("2025-01-21", "IMO", "international")
    ken.invited("2025-01-22", "UNODC", "un_body").invited("2025-01-22T10:00", "Interpol", "international")
    ken.info_requested("2025-01-23", "UNODC", "2025-03-01").info_requested("2025-01-23T10:00", "Interpol", "2025-03-01")
    m1.document("2025-01-27T15:00", "WG1-2025-01-A")
    kaz = s.visit(5).proposed("2025-02-03", "KAZ", "1540", "state_invitation")
    vnm.consent_granted("2025-02-03")
    m1.held().outcome("2025-02-04", "M1-D1", "decision").outcome("2025-02-04T10:00", "M1-R1", "recommendation")
    kaz.approved("2025-02-05")
    ken.scheduled("2025-02-05", "2025-03-10", "2025-03-14")
    m1.reported("2025-02-06T15:00")
    sen.sharing_withdrawn("2025-02-10")
    kaz.invited("2025-02-10", "OSCE", "regional").info_requested("2025-02-11", "OSCE", "2025-04-01")
    nga.follow_up("2025-02-14", "Committee updated on the follow-up to the visit to Nigeria.")
    ken.info_received("2025-02-20", "UNODC")
    m1.approved("2025-02-20", "M1-D1")
    kaz.scheduled("2025-02-20", "2025-04-07", "2025-04-10")
    m1.communicated("2025-02-25", "M1-D1")
    canada.interests("2025-03-01", "border_control", "counter_financing_of_terrorism", "law_enforcement")
    nga.closed("2025-03-01")
    tun = s.visit(9).proposed("2025-03-03", "TUN")
    m2 = s.meeting(2, wg1).scheduled("2025-03-03", "WG1 meeting 2/2025", "2025-04-07T15:00")
    jor.cancelled("2025-03-03")
    tun.approved("2025-03-04")
    m2.announced("2025-03-04")
    ken.info_received("2025-03-05", "Interpol")
    m1.open_meeting("2025-03-05", "M1-D1")
    ken.started("2025-03-10")
    tun.consent_requested("2025-03-10")
    tun.consent_granted("2025-03-13T18:36")
    ken.completed("2025-03-14T17:00")
    ken.needs("2025-03-20", ("KEN-01", "border_control", "high"), ("KEN-02", "counter_financing_of_terrorism", "medium"),
              ("KEN-03", "legislation", "low"))
    # recorded under other names of Interpol than KEN's: one organization in the reports
    tun.invited("2025-03-20", "International Criminal Police Organization (INTERPOL)", "international")
    tun.info_requested("2025-03-21", "INTERPOL", "2025-06-30")
    m2.document("2025-03-31T15:00", "WG1-2025-02-A")
    tun.scheduled("2025-04-01", "2025-06-30", "2025-07-04")
    m4 = s.meeting(4, wg2).scheduled("2025-04-01", "WG2 meeting 1/2025", "2025-05-12T15:00").announced("2025-04-02")
    m2.document("2025-04-05T15:00", "WG1-2025-02-B")
    kaz.started("2025-04-07")
    m2.held()
    kaz.info_received("2025-04-08", "OSCE")
    m2.outcome("2025-04-08", "M2-A1", "action_item")
    kaz.completed("2025-04-10T17:00")
    m2.reported("2025-04-14T15:00")
    ken.needs("2025-04-15", ("KEN-01", "border_control", "high"), ("KEN-02", "counter_financing_of_terrorism", "high"),
              ("KEN-04", "law_enforcement", "medium"))
    ken.sharing_granted("2025-04-20")
    kaz.needs("2025-04-25", ("KAZ-01", "export_and_trans_shipment_controls", "high"),
              ("KAZ-02", "physical_protection", "medium"), ("KAZ-03", "accountability", "low"))
    vnm.scheduled("2025-05-01", "2025-07-01", "2025-07-03")
    ken.shared("2025-05-02", canada, "KEN-01", "KEN-02")
    phl = s.visit(3).proposed("2025-05-05", "PHL")
    m3 = s.meeting(3, wg1).scheduled("2025-05-05", "WG1 meeting 3/2025", "2025-06-02T15:00").announced("2025-05-06")
    kaz.sharing_declined("2025-05-05")
    phl.approved("2025-05-06")
    ken.shared("2025-05-10", eu, "KEN-04")
    phl.consent_requested("2025-05-12", "2025-06-12")
    m4.held().outcome("2025-05-13", "M4-R1", "recommendation").outcome("2025-05-13T10:00", "M4-D1", "decision")
    m5 = s.meeting(5, wg2).scheduled("2025-05-19", "WG2 meeting 2/2025", "2025-06-27T15:00")
    phl.invited("2025-05-20", "ICAO", "international")
    phl.invited("2025-05-20T10:00", "Organization for Security and Co-operation in Europe", "regional")
    m3.cancelled("2025-05-20")
    phl.info_requested("2025-05-21", "ICAO", "2025-06-20").info_requested("2025-05-21T10:00", "OSCE", "2025-07-15")
    idn = s.visit(4).proposed("2025-06-02", "IDN").approved("2025-06-03")
    ken.follow_up("2025-06-10", "Committee updated on the visit to Kenya.")
    idn.consent_requested("2025-06-16", "2025-07-16")
    kaz.follow_up("2025-06-20", "Committee updated on the visit to Kazakhstan.")
    m5.document("2025-06-26T09:00", "WG2-2025-02-A").announced("2025-06-27T16:00")
    m5.document("2025-06-27T15:30", "WG2-2025-02-B").held("2025-06-27T17:00").outcome("2025-06-28", "M5-A1", "action_item")
    tun.started("2025-06-30T08:00").info_received("2025-06-30T10:00", "INTERPOL")

    # -- after the period ---------------------------------------------------------------------
    vnm.started("2025-07-01T00:30")
    m2.approved("2025-07-02", "M2-A1")
    phl.info_received("2025-07-02", "ICAO")
    tun.needs("2025-07-02", ("TUN-01", "transport_security", "medium"), ("TUN-02", "border_control", "low"))
    # Granted on 26 June, told to the visits service (and recorded) a week later.
    phl.consent_granted("2025-06-26", recorded="2025-07-03")
    m5.reported("2025-07-03T15:00")
    vnm.completed("2025-07-03T17:00")
    tun.completed("2025-07-04T16:00")
    ken.needs("2025-07-10", ("KEN-01", "border_control", "high"), ("KEN-04", "law_enforcement", "medium"),
              ("KEN-05", "human_rights_compliance", "medium"))
    phl.info_received("2025-07-10", "Organization for Security and Co-operation in Europe")
    ken.follow_up("2025-07-15", "Committee updated on the follow-up to the visit to Kenya.")
    idn.consent_granted("2025-07-21T21:00")
    ken.shared("2025-08-01", canada, "KEN-05")

    return Scenario(
        envelopes=s.envelopes,
        visits={v: visit_id(n) for v, n in (("KEN", 1), ("MAR", 2), ("PHL", 3), ("IDN", 4), ("KAZ", 5),
                                            ("JOR", 6), ("NGA", 7), ("SEN", 8), ("TUN", 9), ("VNM", 10))},
        donors={"CAN": canada.id, "EU": eu.id},
        groups={"WG1": wg1.id, "WG2": wg2.id},
        meetings={k: (m.id, m.title) for k, m in (("M1", m1), ("M2", m2), ("M3", m3), ("M4", m4), ("M5", m5),
                                                   ("M6", m6), ("M8", m8))},
    )


# -- building records and reports the way the service does -----------------------------------


def records_of(envelopes: list[dict]) -> dict[str, dict]:
    """``{id: fold(kind, envelopes)}``, as the projection keeps them."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for envelope in envelopes:
        grouped[envelope["aggregate_id"]].append(envelope)
        kinds[envelope["aggregate_id"]] = CATALOGUE[envelope["event_type"]].aggregate
    return {a: fold(kinds[a], events) for a, events in grouped.items()}


def provenance_of(envelopes: list[dict]) -> dict:
    """What an in-memory report was built from: the distinct events, in the order first seen."""
    seen: dict[str, None] = {}
    for envelope in envelopes:
        seen.setdefault(envelope["event_id"], None)
    events_hash = EMPTY_HASH
    for event_id in seen:
        events_hash = chain(events_hash, event_id)
    return {"as_of": None, "basis": "recorded", "events": len(seen), "stream_position": len(seen),
            "events_hash": events_hash}


def report_of(envelopes: list[dict], kind: str, period, provenance: dict | None = None,
              committee: str = "both") -> dict:
    return build_report(records_of(envelopes), kind, period, provenance or provenance_of(envelopes), committee)


ZONE_SETTINGS = ("FIELDWORK_TIME_ZONE", "FIELDWORK_TIME_ZONE_CTC", "FIELDWORK_TIME_ZONE_1540")


@contextmanager
def days_in(zone: str):
    """The reporting service counts days in ``zone`` (for every Committee) while it is open."""
    saved = {name: os.environ.pop(name, None) for name in ZONE_SETTINGS}
    os.environ["FIELDWORK_TIME_ZONE"] = zone
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


class Reporting:
    """The helpers, for tests (conftest modules are not imported by test modules)."""

    at = staticmethod(at)
    records = staticmethod(records_of)
    provenance = staticmethod(provenance_of)
    report = staticmethod(report_of)
    exchange_of = staticmethod(exchange_of)
    days_in = staticmethod(days_in)
    visit_id = staticmethod(visit_id)
    meeting_id = staticmethod(meeting_id)
    group_id = staticmethod(group_id)
    donor_id = staticmethod(donor_id)
    notification_id = staticmethod(notification_id)
    Stream = Stream
    VISITS_EXCHANGE = VISITS_EXCHANGE
    MEETINGS_EXCHANGE = MEETINGS_EXCHANGE


@pytest.fixture(autouse=True, scope="module")
def _days_in_utc():
    """The scenario's days are worked out in UTC (its times are UTC): the reporting service
    here counts days in UTC, unless a test says otherwise (``days_in``); the Committees' own
    zone, New York unless set, has tests of its own."""
    with days_in("UTC"):
        yield


@pytest.fixture
def reporting() -> type[Reporting]:
    return Reporting


@pytest.fixture
def stream() -> Stream:
    return Stream()


@pytest.fixture
def projected(tmp_path, stream):
    """A reporting application (a store in ``tmp_path``) that has received and projected the
    ``stream``'s envelopes when the test calls it."""
    from shared.contract import encode_envelope
    from shared.store import StoreSettings
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming

    opened = []

    def project() -> ReportingApplication:
        application = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
        opened.append(application)
        application.intake.receive([Incoming(encode_envelope(e), "application/json", exchange_of(e), e["event_type"])
                                    for e in stream.envelopes])
        application.projection.catch_up()
        return application

    yield project
    for application in opened:
        application.close()


@pytest.fixture(scope="session")
def _scenario_once() -> Scenario:
    return build_scenario()


@pytest.fixture
def scenario(_scenario_once: Scenario) -> Scenario:
    """A fresh copy of the scenario (tests may shuffle or alter it)."""
    return Scenario(
        envelopes=json.loads(json.dumps(_scenario_once.envelopes)),
        visits=dict(_scenario_once.visits),
        donors=dict(_scenario_once.donors),
        groups=dict(_scenario_once.groups),
        meetings=dict(_scenario_once.meetings),
    )
