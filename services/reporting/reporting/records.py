"""Records: what the reports need to know about each visit, meeting, group and donor, folded
from that aggregate's events in version order.

Pure functions of the events, so that an incremental update (fold the aggregate again when one
of its events arrives, in whatever order they arrive) and a full rebuild give the same record.
Times are kept as ISO 8601 strings in UTC, as on the wire.
"""
from __future__ import annotations

from typing import Any

KIND_OF_EVENT_PREFIX = {
    "visit": "visit", "donor": "donor", "working_group": "working_group", "meeting": "meeting",
}


def fold(kind: str, envelopes: list[dict]) -> dict:
    """The record of one aggregate from its envelopes (any order; duplicates ignored)."""
    by_version: dict[int, dict] = {}
    for envelope in envelopes:
        by_version.setdefault(envelope["aggregate_version"], envelope)
    ordered = [by_version[v] for v in sorted(by_version)]
    record = FOLDS[kind](ordered)
    versions = sorted(by_version)
    record["id"] = ordered[0]["aggregate_id"]
    record["kind"] = kind
    record["version"] = versions[-1]
    record["missing_versions"] = sorted(set(range(1, versions[-1] + 1)) - set(versions))
    return record


def _visit(events: list[dict]) -> dict:
    r: dict[str, Any] = {
        "member_state": None, "committee": None, "origin": None, "status": "proposed",
        "proposed_at": None, "approved_at": None,
        "consent": {"requested_at": None, "due_on": None, "decided_at": None, "outcome": None,
                    "by_invitation": False},
        "organizations": {}, "starts_on": None, "ends_on": None, "started_at": None, "completed_at": None,
        "needs_assessments": [], "sharing_consent": [], "shares": [], "follow_ups": [],
        "closed_at": None, "cancelled_at": None, "postponed_at": [],
    }
    for e in events:
        t, p, at = e["event_type"], e["payload"], e["occurred_at"]
        if t == "visit_proposed":
            r.update(member_state=p["member_state"], committee=p["committee"], origin=p["origin"], proposed_at=at)
            r["consent"]["by_invitation"] = p["origin"] == "state_invitation"
        elif t == "visit_approved":
            r["approved_at"] = at
            r["status"] = "approved"
        elif t == "consent_requested":
            r["consent"].update(requested_at=at, due_on=p.get("due_on"))
            r["status"] = "awaiting_consent"
        elif t == "consent_granted":
            r["consent"].update(decided_at=at, outcome="granted")
            r["status"] = "consented"
        elif t == "consent_declined":
            r["consent"].update(decided_at=at, outcome="declined")
            r["status"] = "declined"
        elif t == "organization_invited":
            r["organizations"][p["organization"]] = {
                "kind": p["kind"], "invited_at": at, "info_requested_at": None, "info_due_on": None,
                "info_received_at": None, "late": None, "after_due_date": None,
            }
        elif t == "pre_visit_info_requested":
            org = r["organizations"].setdefault(p["organization"], {"kind": None, "invited_at": None,
                                                                    "info_received_at": None, "late": None,
                                                                    "after_due_date": None})
            org.update(info_requested_at=at, info_due_on=p["due_on"])
        elif t == "pre_visit_info_received":
            org = r["organizations"].setdefault(p["organization"], {"kind": None, "invited_at": None,
                                                                    "info_requested_at": None, "info_due_on": None})
            org.update(info_received_at=at, late=p["late"], after_due_date=p["after_due_date"])
        elif t == "visit_scheduled":
            r.update(starts_on=p["starts_on"], ends_on=p["ends_on"], status="scheduled")
        elif t == "visit_started":
            r.update(started_at=at, status="in_progress")
        elif t == "visit_completed":
            r.update(completed_at=at, status="conducted")
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
        elif t == "visit_closed":
            r.update(closed_at=at, status="closed")
        elif t == "visit_cancelled":
            r.update(cancelled_at=at, status="cancelled")
        elif t == "visit_postponed":
            r["postponed_at"].append(at)
            r.update(starts_on=None, ends_on=None, status="postponed")
    return r


def _meeting(events: list[dict]) -> dict:
    r: dict[str, Any] = {
        "group_id": None, "meeting_kind": None, "title": None, "starts_at": None, "ends_at": None,
        "scheduled_at": None, "announced_at": None, "documents": [], "held_at": None, "outcomes": {},
        "reported_at": None, "cancelled_at": None, "postponed_at": [], "open_meetings": [],
    }
    for e in events:
        t, p, at = e["event_type"], e["payload"], e["occurred_at"]
        if t == "meeting_scheduled":
            r.update(group_id=p["group_id"], meeting_kind=p["meeting_kind"], title=p["title"],
                     starts_at=p["starts_at"], ends_at=p["ends_at"], scheduled_at=at)
        elif t == "meeting_announced":
            r["announced_at"] = at
        elif t == "document_circulated":
            r["documents"].append({"document_id": p["document_id"], "title": p["title"], "circulated_at": at,
                                   "hours_before_meeting": p["hours_before_meeting"]})
        elif t == "meeting_held":
            r["held_at"] = at
        elif t == "outcome_logged":
            r["outcomes"][p["outcome_id"]] = {"outcome_kind": p["outcome_kind"], "text": p["text"],
                                              "amends": p.get("amends"), "logged_at": at, "approved_at": None,
                                              "communicated_at": None}
        elif t == "meeting_reported_to_committee":
            r["reported_at"] = at
        elif t == "outcome_approved":
            r["outcomes"].setdefault(p["outcome_id"], {})["approved_at"] = at
        elif t == "outcome_communicated":
            r["outcomes"].setdefault(p["outcome_id"], {})["communicated_at"] = at
        elif t == "open_meeting_held":
            r["open_meetings"].append({"at": at, "outcome_ids": p["outcome_ids"]})
        elif t == "meeting_cancelled":
            r["cancelled_at"] = at
        elif t == "meeting_postponed":
            r["postponed_at"].append(at)
            if p.get("starts_at"):
                r.update(starts_at=p["starts_at"], ends_at=p["ends_at"])
    return r


def _group(events: list[dict]) -> dict:
    r: dict[str, Any] = {"name": None, "committee": None, "mandate_area": None, "chairs": []}
    for e in events:
        p = e["payload"]
        if e["event_type"] == "working_group_established":
            r.update(name=p["name"], committee=p["committee"], mandate_area=p["mandate_area"])
        elif e["event_type"] == "chair_assigned":
            r["chairs"].append({"member_state": p["chair_member_state"], "user": p["chair_user"], "from": e["occurred_at"]})
    return r


def _donor(events: list[dict]) -> dict:
    """A donor and its thematic areas of interest over time (``interests``: each set of areas
    from when it held), so that a report can say who was interested in what at a given moment."""
    r: dict[str, Any] = {"name": None, "donor_kind": None, "thematic_areas": [], "interests": []}
    for e in events:
        p = e["payload"]
        if e["event_type"] == "donor_registered":
            r.update(name=p["name"], donor_kind=p["donor_kind"], thematic_areas=p["thematic_areas"])
        elif e["event_type"] == "donor_interests_updated":
            r["thematic_areas"] = p["thematic_areas"]
        else:
            continue
        r["interests"].append({"from": e["occurred_at"], "areas": p["thematic_areas"]})
    return r


FOLDS = {"visit": _visit, "meeting": _meeting, "working_group": _group, "donor": _donor}
