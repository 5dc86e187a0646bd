"""Records: what the reports need to know about each visit, meeting, group and donor, folded
from that aggregate's events in version order.

Pure functions of the events, so that an incremental update and a full rebuild give the same
record whatever order the events arrived in: ``fold`` builds a record from all its events (in
the order recorded, versions in any order, duplicates ignored, a restored source's new events
in place of those it lost); ``start`` and ``apply`` build it one event at a time, for events
that come in version order, one after the other (what ``fold`` does once it has ordered them).
Times are kept as ISO 8601 strings in UTC, as on the wire.
"""
from __future__ import annotations

from typing import Any

from shared.contract.organizations import common_name


def fold(kind: str, envelopes: list[dict]) -> dict:
    """The record of one aggregate from its envelopes, in the order they were recorded (the
    versions in any order; the same event twice counts once).

    Two events with one version and two ids mean that the source went back in time: its store
    was restored from a backup, and it stored another event at a version it had published
    before. The later one is the source's truth: it replaces the earlier one, and every event
    of a later version recorded before it is dropped too (the restored store no longer has
    them)."""
    by_version: dict[int, dict] = {}
    for envelope in envelopes:
        version = envelope["aggregate_version"]
        held = by_version.get(version)
        if held is not None and held["event_id"] != envelope["event_id"]:
            for later in [v for v in by_version if v >= version]:
                del by_version[later]
        by_version.setdefault(version, envelope)
    versions = sorted(by_version)
    record = start(kind, by_version[versions[0]]["aggregate_id"])
    for version in versions:
        apply(record, by_version[version])
    record["missing_versions"] = sorted(set(range(1, versions[-1] + 1)) - set(versions))
    return record


def start(kind: str, aggregate_id: str) -> dict:
    """A record before any of its events."""
    return {**FOLDS[kind][0](), "id": aggregate_id, "kind": kind, "version": 0, "missing_versions": []}


def apply(record: dict, envelope: dict) -> None:
    """One more event, in version order, applied to the record in place."""
    FOLDS[record["kind"]][1](record, envelope)
    record["version"] = envelope["aggregate_version"]


def follows(record: dict, version: int) -> bool:
    """Whether an event of this version is the very next one of this record (nothing missing
    before it): then ``apply`` gives what ``fold`` of all its events would."""
    return version == record["version"] + 1 and not record["missing_versions"]


def _new_visit() -> dict[str, Any]:
    return {
        "member_state": None, "committee": None, "origin": None, "status": "proposed",
        "proposed_at": None, "approved_at": None,
        "consent": {"requested_at": None, "due_on": None, "decided_at": None, "outcome": None,
                    "by_invitation": False, "withdrawn_at": None, "earlier": []},
        "organizations": {}, "starts_on": None, "ends_on": None, "started_at": None, "completed_at": None,
        "organizations_taking_part": [], "team": [],
        "needs_assessments": [], "sharing_consent": [], "shares": [], "follow_ups": [],
        # the visit's report, what the State owes on it, its recommendations followed over time
        "report": {"draft": 0, "drafted_at": None, "adopted_at": None, "transmitted_at": None},
        "state_answers": {}, "recommendations": {}, "follow_up_ended_at": None,
        "closed_at": None, "cancelled_at": None, "postponed_at": [], "postponed_dates": [],
    }


def _visit(r: dict[str, Any], e: dict) -> None:
    t, p, at = e["event_type"], e["payload"], e["occurred_at"]
    if t == "visit_proposed":
        r.update(member_state=p["member_state"], committee=p["committee"], origin=p["origin"], proposed_at=at)
        r["consent"]["by_invitation"] = p["origin"] == "state_invitation"
    elif t == "visit_approved":
        r["approved_at"] = at
        r["status"] = "approved"
    elif t == "consent_requested":
        consent = r["consent"]
        if consent["decided_at"]:  # asked again (after a withdrawal): the earlier round is kept whole
            consent["earlier"].append({k: consent[k] for k in ("requested_at", "decided_at", "outcome", "withdrawn_at")})
            consent.update(decided_at=None, outcome=None, withdrawn_at=None)
        consent.update(requested_at=at, due_on=p.get("due_on"))
        r["status"] = "awaiting_consent"
    elif t == "consent_granted":
        r["consent"].update(decided_at=at, outcome="granted")
        r["status"] = "consented"
    elif t == "consent_withdrawn":  # asked again later: a new request starts anew
        r["consent"].update(withdrawn_at=at, outcome="withdrawn")
        r.update(starts_on=None, ends_on=None, status="approved" if r["approved_at"] else "proposed")
    elif t == "consent_declined":
        r["consent"].update(decided_at=at, outcome="declined")
        r["status"] = "declined"
    elif t == "organization_invited":
        r["organizations"][common_name(p["organization"])] = {
            "kind": p["kind"], "invited_at": at, "info_requested_at": None, "info_due_on": None,
            "info_received_at": None, "late": None, "after_due_date": None,
        }
    elif t == "pre_visit_info_requested":
        org = r["organizations"].setdefault(common_name(p["organization"]), {
            "kind": None, "invited_at": None, "info_received_at": None, "late": None, "after_due_date": None})
        org.update(info_requested_at=at, info_due_on=p["due_on"])
    elif t == "pre_visit_info_received":
        org = r["organizations"].setdefault(common_name(p["organization"]), {
            "kind": None, "invited_at": None, "info_requested_at": None, "info_due_on": None})
        org.update(info_received_at=at, late=p["late"], after_due_date=p["after_due_date"])
    elif t == "visit_scheduled":
        r.update(starts_on=p["starts_on"], ends_on=p["ends_on"], status="scheduled")
    elif t == "visit_started":
        r.update(started_at=at, status="in_progress")
    elif t == "visit_completed":  # version 2 says who took part
        r.update(completed_at=at, status="conducted", team=p.get("team", []),
                 organizations_taking_part=[common_name(o) for o in p.get("organizations_taking_part", [])])
    elif t == "needs_assessment_recorded":
        r["needs_assessments"].append(
            {"recorded_at": at, "assessment_version": p["assessment_version"], "needs": p["needs"]}
        )
    elif t.startswith("donor_sharing_consent_"):
        r["sharing_consent"].append({"decision": t.rsplit("_", 1)[1], "at": at})
    elif t == "needs_assessment_shared":
        r["shares"].append({
            "at": at, "donor_id": p["donor_id"], "donor_name": p["donor_name"], "need_ids": p["need_ids"],
            "assessment_version": p["assessment_version"], "consent_version": p["consent_version"],
            "share_version": e["aggregate_version"], "revoked_at": None,
        })
    elif t == "needs_assessment_share_revoked":
        for share in r["shares"]:
            if share["share_version"] == p["share_version"]:
                share["revoked_at"] = at
    elif t == "follow_up_recorded":
        r["follow_ups"].append({"at": at, "summary": p["summary"]})
    elif t == "visit_report_drafted":
        r["report"].update(draft=p["draft"], drafted_at=at)
        r["recommendations"] = {
            x["recommendation_id"]: {"thematic_area": x["thematic_area"], "priority": x["priority"],
                                     "due_on": x.get("due_on"), "status": "not_started", "history": []}
            for x in p["recommendations"]}
    elif t == "visit_report_adopted":
        r["report"]["adopted_at"] = at
    elif t == "visit_report_transmitted":
        r["report"]["transmitted_at"] = at
        r["state_answers"] = {answer: {"due_on": p[f"{answer}_due_on"], "received_at": None, "days_late": None,
                                       "reminded_at": []} for answer in ("observations", "response")}
    elif t == "state_answer_received":
        answer = r["state_answers"].setdefault(p["answer"], {"due_on": p["due_on"], "reminded_at": []})
        answer.update(received_at=at, days_late=p["days_late"])
    elif t == "state_reminded":
        r["state_answers"].setdefault(p["answer"], {"due_on": p["due_on"], "received_at": None, "days_late": None,
                                                    "reminded_at": []})["reminded_at"].append(at)
    elif t == "recommendation_status_updated":
        recommendation = r["recommendations"].setdefault(p["recommendation_id"], {
            "thematic_area": None, "priority": None, "status": p["previous_status"], "history": []})
        recommendation["status"] = p["status"]
        recommendation["history"].append({"status": p["status"], "at": at})
    elif t == "follow_up_ended":
        r["follow_up_ended_at"] = at
    elif t == "visit_closed":
        r.update(closed_at=at, status="closed")
    elif t == "visit_cancelled":
        r.update(cancelled_at=at, status="cancelled")
    elif t == "visit_postponed":  # schema version 2 says the dates given up; version 1 does not
        r["postponed_at"].append(at)
        r["postponed_dates"].append({"at": at, "starts_on": p.get("starts_on", r["starts_on"]),
                                     "ends_on": p.get("ends_on", r["ends_on"])})
        r.update(starts_on=None, ends_on=None, status="postponed")
    elif t == "due_date_reset":
        if p["awaited"] == "consent":
            r["consent"]["due_on"] = p["due_on"]
        elif common_name(p["organization"]) in r["organizations"]:
            r["organizations"][common_name(p["organization"])]["info_due_on"] = p["due_on"]


def _new_meeting() -> dict[str, Any]:
    return {
        "group_id": None, "meeting_kind": None, "title": None, "starts_at": None, "ends_at": None,
        "scheduled_at": None, "announced_at": None, "announcement_id": None, "documents": [], "held_at": None,
        "outcomes": {}, "reported_at": None, "cancelled_at": None, "postponed_at": [], "open_meetings": [],
        "attendance": {"delegations": [], "organizations": [], "experts": [], "noted": []},
    }


def _meeting(r: dict[str, Any], e: dict) -> None:
    t, p, at = e["event_type"], e["payload"], e["occurred_at"]
    if t == "meeting_scheduled":
        r.update(group_id=p["group_id"], meeting_kind=p["meeting_kind"], title=p["title"],
                 starts_at=p["starts_at"], ends_at=p["ends_at"], scheduled_at=at)
    elif t == "meeting_announced":  # its id: the cause of the notifications that told the delegations of it
        r.update(announced_at=at, announcement_id=e["event_id"])
    elif t == "document_circulated":
        r["documents"].append({"document_id": p["document_id"], "title": p["title"], "circulated_at": at,
                               "hours_before_meeting": p["hours_before_meeting"]})
    elif t == "meeting_held":  # version 2 says who attended by kind; version 1 in one list (``noted``)
        r["held_at"] = at
        r["attendance"] = {"delegations": p.get("delegations", []),
                           "organizations": [common_name(o) for o in p.get("organizations", [])],
                           "experts": p.get("experts", []), "noted": p.get("attendance", [])}
    elif t == "outcome_logged":  # schema version 2 gives an action item's owner and due date
        action = p["outcome_kind"] == "action_item"
        r["outcomes"][p["outcome_id"]] = {
            "outcome_kind": p["outcome_kind"], "text": p["text"], "amends": p.get("amends"), "logged_at": at,
            "approved_at": None, "communicated_at": None, "communicated_to": [], "decision": None, "decided_at": None,
            "superseded_by": None, "owner": p.get("owner", ""), "due_on": p.get("due_on"),
            "status": "open" if action else None, "status_history": []}
        if p.get("amends") in r["outcomes"]:
            r["outcomes"][p["amends"]]["superseded_by"] = p["outcome_id"]
    elif t == "outcome_corrected":
        r["outcomes"].setdefault(p["outcome_id"], {}).update(text=p["text"], owner=p["owner"], due_on=p["due_on"],
                                                             decision=None)
    elif t == "meeting_reported_to_committee":  # the first report is the meeting's; v2 names what it carries
        r["reported_at"] = r["reported_at"] or at
    elif t == "outcome_approved":
        r["outcomes"].setdefault(p["outcome_id"], {}).update(approved_at=at, decision="approved", decided_at=at)
    elif t == "outcome_decided":
        r["outcomes"].setdefault(p["outcome_id"], {}).update(decision=p["decision"], decided_at=at)
    elif t == "action_item_status_changed":
        outcome = r["outcomes"].setdefault(p["outcome_id"], {})
        outcome["status"] = p["status"]
        outcome.setdefault("status_history", []).append({"status": p["status"], "at": at})
    elif t == "outcome_communicated":  # v2 names the States whose contact points received it
        r["outcomes"].setdefault(p["outcome_id"], {}).update(communicated_at=at,
                                                             communicated_to=p.get("member_states", []))
    elif t == "open_meeting_held":
        r["open_meetings"].append({"at": at, "outcome_ids": p["outcome_ids"]})
    elif t == "meeting_cancelled":
        r["cancelled_at"] = at
    elif t == "meeting_postponed":
        r["postponed_at"].append(at)
        r.update(announced_at=None, announcement_id=None)  # its new dates are announced again
        if p.get("starts_at"):
            r.update(starts_at=p["starts_at"], ends_at=p["ends_at"])


def _new_group() -> dict[str, Any]:
    return {"name": None, "committee": None, "mandate_area": None, "chairs": []}


def _group(r: dict[str, Any], e: dict) -> None:
    p = e["payload"]
    if e["event_type"] == "working_group_established":
        r.update(name=p["name"], committee=p["committee"], mandate_area=p["mandate_area"])
    elif e["event_type"] == "chair_assigned":
        r["chairs"].append({"member_state": p["chair_member_state"], "user": p["chair_user"], "from": e["occurred_at"]})


def _new_donor() -> dict[str, Any]:
    """A donor and its thematic areas of interest over time (``interests``: each set of areas
    from when it held), so that a report can say who was interested in what at a given moment."""
    return {"name": None, "donor_kind": None, "thematic_areas": [], "interests": []}


def _donor(r: dict[str, Any], e: dict) -> None:
    p = e["payload"]
    if e["event_type"] == "donor_registered":
        r.update(name=p["name"], donor_kind=p["donor_kind"], thematic_areas=p["thematic_areas"])
    elif e["event_type"] == "donor_interests_updated":
        r["thematic_areas"] = p["thematic_areas"]
    else:
        return
    r["interests"].append({"from": e["occurred_at"], "areas": p["thematic_areas"]})


def _new_organization() -> dict[str, Any]:
    """An organization the secretariat added to the directory (those of the 2003 annex are in
    ``shared.contract.organizations``)."""
    return {"name": None, "abbreviations": [], "also_known_as": [], "organization_kind": None, "part_of": ""}


def _organization(r: dict[str, Any], e: dict) -> None:
    if e["event_type"] == "organization_registered":
        r.update({k: e["payload"][k] for k in ("name", "abbreviations", "also_known_as", "organization_kind", "part_of")})


def _new_membership() -> dict[str, Any]:
    return {"committee": None, "year": None, "member_states": []}


def _membership(r: dict[str, Any], e: dict) -> None:
    p = e["payload"]
    if e["event_type"] == "committee_membership_recorded":
        r.update(committee=p["committee"], year=p["year"])
    r["member_states"] = p["member_states"]


def _new_contact() -> dict[str, Any]:
    """A contact of the directory (services/notifications): who the notifications went to."""
    return {"role": None, "committee": None, "member_state": None, "since": None, "until": None}


def _contact(r: dict[str, Any], e: dict) -> None:
    p = e["payload"]
    if e["event_type"] == "contact_listed":
        r.update({k: p[k] for k in ("role", "committee", "member_state", "since", "until")})
    elif e["event_type"] == "contact_ended":
        r["until"] = p["until"]


def _new_notification() -> dict[str, Any]:
    """A notification (services/notifications): what it told whom about which visit or meeting,
    and whether it was delivered."""
    return {"notice": None, "subject_id": None, "subject_kind": None, "committee": None, "cause_event_id": None,
            "role": None, "member_state": None, "contact_id": None, "regarding_on": None, "recorded_at": None,
            "status": None, "attempts": 0, "settled_at": None}


def _notification(r: dict[str, Any], e: dict) -> None:
    t, p, at = e["event_type"], e["payload"], e["occurred_at"]
    if t == "notification_recorded":
        r.update({k: p[k] for k in ("notice", "subject_id", "subject_kind", "committee", "cause_event_id", "role",
                                    "member_state", "contact_id", "regarding_on")}, recorded_at=at, status="recorded")
    elif t in ("notification_sent", "notification_deferred", "notification_failed"):
        r.update(status=t.removeprefix("notification_"), attempts=p["attempt"])
        if t != "notification_deferred":
            r["settled_at"] = at


# kind -> (the record before any event, what one event does to it)
FOLDS = {"visit": (_new_visit, _visit), "meeting": (_new_meeting, _meeting), "working_group": (_new_group, _group),
         "donor": (_new_donor, _donor), "committee_membership": (_new_membership, _membership),
         "organization": (_new_organization, _organization), "contact": (_new_contact, _contact),
         "notification": (_new_notification, _notification)}
