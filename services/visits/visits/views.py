"""The read side of the visits service: what its queries take (``ListFilters``) and the
JSON-ready views they answer with, for every interface (HTTP, RPC, CLI)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.contract.vocabulary import COMMITTEES, country_name
from shared.domain import Context
from shared.http import jsonable, load
from shared.listing import Listing, folded, refinement
from visits import iati
from visits.commands import VISITS
from shared.contract.organizations import Organization as DirectoryEntry
from visits.domain import Donor, RegisteredOrganization, Visit, VisitStatus

STATUSES = tuple(s.value for s in VisitStatus)
WAITING_FOR = ("committee_approval", "consent_request", "state_consent", "pre_visit_info", "dates",
               "follow_up_and_closure", "state_answer", "recommendation")


# The board's search, date range and orders (shared.listing): a visit is found by its State's
# name or code, its Committee, status or origin, and dated by its days in the State.
VISIT_LISTING = Listing(
    text=("country", "member_state", "committee", "status", "origin"),
    span=("starts_on", "ends_on"),
    sorts={"proposed": lambda v: v["proposed_at"], "starts": lambda v: v["starts_on"],
           "state": lambda v: folded(v["country"]), "status": lambda v: v["status"]},
    default="proposed",
)


class ListFilters(refinement(tuple(VISIT_LISTING.sorts))):
    state = fields.String(load_default=None, validate=validate.Length(equal=3))
    committee = fields.String(load_default=None, validate=validate.OneOf(COMMITTEES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    waiting_for = fields.String(load_default=None, validate=validate.OneOf(WAITING_FOR))
    overdue = fields.Boolean(load_default=False)
    today = f.date(required=False, load_default=None)


def today() -> date:
    return datetime.now(timezone.utc).date()


def list_filters(query: dict | None) -> dict:
    """The list's filters from a query string (empty values are absent ones); ``today``
    defaults to today (UTC)."""
    given = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    if isinstance(given.get("state"), str):
        given["state"] = given["state"].upper()
    filters = load(ListFilters(), given)
    filters["today"] = filters["today"] or today()
    filters["member_state"] = filters.pop("state")
    return filters


def visit_page(visit: Visit, actor: dict | None) -> dict:
    """One visit's view with the steps its rules allow the caller now, and for each other
    step the rule refusing it (``next_steps``: what the web console offers). Only
    ``GET /visits/{id}`` answers it: each step is tried on a copy of the visit, which costs
    more than a command itself."""
    actor = actor or {}
    probe = Context(occurred_at=datetime.now(timezone.utc), user=actor.get("user") or "next-steps",
                    role=actor.get("role") or "visit_coordinator", correlation_id="next-steps")
    return {**visit_view(visit, today()), "next_steps": VISITS.next_steps(visit, probe)}


def visit_summary(visit: Visit, today: date) -> dict:
    return jsonable(
        {
            "id": visit.id,
            "version": visit.version,
            "member_state": visit.member_state,
            "country": country_name(visit.member_state),
            "committee": visit.committee,
            "origin": visit.origin,
            "status": visit.status,
            "consent": visit.consent,
            "starts_on": visit.starts_on,
            "ends_on": visit.ends_on,
            "proposed_at": visit.proposed_at,
            "waiting_for": visit.waiting_for(today),
        }
    )


def visit_view(visit: Visit, today: date) -> dict:
    view = visit_summary(visit, today)
    view.update(
        jsonable(
            {
                "purpose": visit.purpose,
                "approved_at": visit.approved_at,
                "consent_requested_at": visit.consent_requested_at,
                "consent_due_on": visit.consent_due_on,
                "consent_decided_at": visit.consent_decided_at,
                "organizations": [
                    {
                        "organization": name,
                        "kind": org["kind"],
                        "invited_at": org["invited_at"],
                        "pre_visit_info": {
                            "requested_at": org["info_requested_at"],
                            "due_on": org["info_due_on"],
                            "received_at": org["info_received_at"],
                            "late": org["info_late"],
                            "after_due_date": org["info_after_due_date"],
                        },
                    }
                    for name, org in sorted(visit.organizations.items())
                ],
                "started_at": visit.started_at,
                "completed_at": visit.completed_at,
                "organizations_taking_part": visit.organizations_taking_part,
                "team": visit.team,
                "needs_assessment": {
                    "version": visit.assessment_version,
                    "needs": [n.as_dict() for n in visit.needs.values()],
                    "recorded_at": visit.assessment_recorded_at,
                    # recorded before the visit started: a desk assessment, revised during it
                    "desk": visit.assessment_recorded_at is not None
                    and (visit.started_at is None or visit.assessment_recorded_at < visit.started_at),
                },
                "sharing_consent": visit.sharing_consent,
                "sharing_consent_covers_version": visit.sharing_consent_assessment,
                "shares": [share_view(visit, share) for share in visit.shares],
                "follow_ups": visit.follow_ups,
                "report": report_view(visit, today),
                "follow_up_ended_at": visit.follow_up_ended_at,
                "closed_at": visit.closed_at,
                "ended_reason": visit.ended_reason,
                "postponements": visit.postponements,
                "postponed_dates": visit.postponed_dates,
            }
        )
    )
    return view


def report_view(visit: Visit, today: date) -> dict:
    """The visit's report: its draft, adoption and transmission; what the State owes and when
    (each answer received, late, or overdue as of ``today``, with its reminders); and each
    recommendation with its implementation status over time."""
    return jsonable({
        "draft": visit.report_draft,
        "summary": visit.report_summary,
        "drafted_at": visit.report_drafted_at,
        "adopted_at": visit.report_adopted_at,
        "transmitted_at": visit.report_transmitted_at,
        "state_answers": {
            name: {"due_on": answer.due_on, "received_at": answer.received_at, "days_late": answer.days_late,
                   "summary": answer.summary, "reminded_at": list(answer.reminded_at),
                   "overdue": answer.received_at is None and today > answer.due_on}
            for name, answer in visit.state_answers.items()
        },
        "recommendations": [
            {**r.as_dict(), "status": r.status, "history": list(r.history)} for r in visit.recommendations.values()
        ],
    })


def share_view(visit: Visit, share: dict) -> dict:
    """One share as the coordinator sees it: what was sent, to whom, under which consent (the
    consent's and the share's own event ids name them for ever), and its revocation if any."""
    revoked = share["revoked_at"] is not None
    return jsonable({
        "share_id": share["share_id"],
        "donor_id": share["donor_id"],
        "donor_name": share["donor_name"],
        "need_ids": share["need_ids"],
        "needs": share["needs"],
        "assessment_version": share["assessment_version"],
        "consent_version": share["consent_version"],
        "consent_event_id": share["consent_event_id"],
        "consent_granted_at": share["consent_granted_at"],
        "shared_at": share["shared_at"],
        "revoked": {
            "at": share["revoked_at"],
            "reason": share["revoked_reason"],
            "notice_event_id": share["revocation_event_id"],
        } if revoked else None,
    })


def donor_share_view(visit: Visit, share: dict) -> dict:
    """One share as its donor sees it: the needs sent and the consent they rest on; once the
    State withdrew its consent, the revocation notice instead of the needs."""
    full = share_view(visit, share)
    revoked = full["revoked"] is not None
    return {
        "share_id": full["share_id"],
        "visit_id": str(visit.id),
        "member_state": visit.member_state,
        "country": country_name(visit.member_state),
        "committee": visit.committee,
        "shared_at": full["shared_at"],
        "assessment_version": full["assessment_version"],
        "consent": {"event_id": full["consent_event_id"], "granted_at": full["consent_granted_at"]},
        "needs": [] if revoked else full["needs"],
        "revoked": full["revoked"],
        "iati": None if revoked else {
            "xml": f"/donor/shares/{full['share_id']}/iati.xml",
            "json": f"/donor/shares/{full['share_id']}/iati.json",
        },
    }


class OrganizationQuery(Schema):
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=f.MAX_NAME),
                         metadata={"description": "any of an organization's names: the one it names, or none"})


def organization_view(entry: DirectoryEntry, registered: RegisteredOrganization | None = None) -> dict:
    """One organization of the directory: its name (what invitations record), the names that
    find it, its kind, what it is part of, where it is listed; when the secretariat registered
    it, its id, version and when."""
    return jsonable({
        "name": entry.name,
        "abbreviations": list(entry.abbreviations),
        "also_known_as": list(entry.also_known_as),
        "kind": entry.kind,
        "part_of": entry.part_of,
        "listed_in": entry.listed_in,
        "id": registered.id if registered else None,
        "version": registered.version if registered else None,
        "registered_at": registered.registered_at if registered else None,
    })


def donor_view(donor: Donor) -> dict:
    return jsonable(
        {
            "id": donor.id,
            "version": donor.version,
            "name": donor.name,
            "donor_kind": donor.donor_kind,
            "thematic_areas": donor.thematic_areas,
            "contact": donor.contact,
            "registered_at": donor.registered_at,
        }
    )


def matches_view(visit: Visit, matches: dict) -> dict:
    return jsonable({
        "visit_id": visit.id,
        "assessment_version": visit.assessment_version,
        "sharing_consent": visit.sharing_consent,
        "sharing_consent_in_force": visit.sharing_consent_in_force,
        **matches,
    })


def iati_document(visit: Visit, share: dict, donor: Donor | None, as_xml: bool) -> tuple[bytes, str]:
    """One share as an IATI 2.03 activity: (body, content type), XML or JSON."""
    full = dict(share, consent_event_id=share_view(visit, share)["consent_event_id"])
    activity = iati.activity(visit, full, donor.donor_kind if donor else "other",
                             iati.Publisher.for_committee(visit.committee))
    if not as_xml:
        return json.dumps(jsonable(activity), indent=1).encode(), "application/json"
    xml = iati.to_xml(activity)
    problems = iati.validate(xml)
    if problems:  # a programming error: never hand out an invalid activity
        raise RuntimeError(f"IATI activity not valid against the 2.03 schema: {problems[:3]}")
    return xml, "application/xml"
