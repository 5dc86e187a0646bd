"""Closed vocabularies of the contract: committees, roles, thematic areas, kinds.

Thematic areas come from the documents: resolution 1373 (CTC) and resolution 1540 areas.
Adding a value is a compatible change; removing one is not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pycountry

COMMITTEES = ("ctc", "1540")
ORIGINS = ("committee_selection", "state_invitation")
ROLES = (
    "visit_coordinator",
    "working_group_chair",
    "reporting_staff",
    "donor",
    "administrator",
    "secretariat",
    "system",
)
ORGANIZATION_KINDS = ("international", "regional", "subregional", "un_body")
DONOR_KINDS = ("state", "international_organization", "regional_organization", "other")
PRIORITIES = ("high", "medium", "low")
# A visit report's recommendation, followed over time; and what the State owes after it.
RECOMMENDATION_STATUSES = ("not_started", "in_progress", "implemented", "no_longer_relevant")
STATE_ANSWERS = ("observations", "response")  # factual observations, response on implementation

THEMATIC_AREAS = {
    "ctc": (
        "legislation",
        "counter_financing_of_terrorism",
        "law_enforcement",
        "border_control",
        "international_cooperation",
        "human_rights_compliance",
        "incitement_and_recruitment",
        "transport_security",
    ),
    "1540": (
        "accountability",
        "physical_protection",
        "border_controls_and_law_enforcement",
        "export_and_trans_shipment_controls",
    ),
}
ALL_THEMATIC_AREAS = tuple(sorted({a for areas in THEMATIC_AREAS.values() for a in areas}))

MEETING_KINDS = (
    "working_group",
    "committee_plenary",
    "special_meeting_with_organizations",
    "thematic_discussion",
    "informal_briefing",
    "donor_forum",
)
OUTCOME_KINDS = ("decision", "recommendation", "action_item")
COMMITTEE_DECISIONS = ("rejected", "returned", "deferred")  # what the Committee does but approve
ACTION_ITEM_STATUSES = ("open", "done", "dropped")

# The directory (services/notifications): who a person or office in it is to the Committees.
CONTACT_ROLES = (
    "delegation",  # a Council delegation: told of every meeting and its documents
    "national_contact_point",  # a State's contact point (CTC focal point, 1540 point of contact)
    "organization_focal_point",  # an organization's focal point (the directory of organizations)
    "donor_contact",  # whom to tell at a registered donor
    "secretariat",  # the Committee's secretariat (CTED, the 1540 group of experts): reminders
)
CONTACT_COMMITTEES = (*COMMITTEES, "both")  # a contact of one Committee, or of both
# What a notification tells; a reminder before a due date is ``..._due_soon``, after it ``..._overdue``.
NOTICES = (
    "meeting_announced", "meeting_moved", "meeting_postponed", "meeting_cancelled",
    "document_circulated", "outcome_communicated", "pre_visit_info_requested",
    "share_made", "share_revoked",
    "consent_due_soon", "consent_overdue", "pre_visit_info_due_soon", "pre_visit_info_overdue",
    "observations_due_soon", "observations_overdue", "response_due_soon", "response_overdue",
    "action_item_due_soon", "action_item_overdue", "meeting_report_overdue",
)
SUBJECT_KINDS = ("visit", "meeting")


@dataclass(frozen=True)
class MeetingKindRules:
    """What a kind of meeting owes (the meetings service's rules and the reports' judgment)."""

    reports_to_committee: bool  # reported to the Committee after each meeting, its outcomes approved there
    logs_outcomes: bool  # its decisions, recommendations and action items are logged
    needs_documents: bool  # its documents are circulated to all delegations before it


# From the source documents: the 1540 working groups "report to the Committee ... after each
# meeting" and "all meetings documents will be circulated to all Council delegations prior to
# meetings" (the 1540 programme of work); the Committee's own plenary decides (its outcomes
# need no report to itself); the CTC's special meetings with organizations adopt follow-up
# action plans (their outcomes), with documents; thematic discussions, informal briefings and
# donor forums owe none of these.
MEETING_KIND_RULES = {
    "working_group": MeetingKindRules(reports_to_committee=True, logs_outcomes=True, needs_documents=True),
    "committee_plenary": MeetingKindRules(reports_to_committee=False, logs_outcomes=True, needs_documents=True),
    "special_meeting_with_organizations": MeetingKindRules(reports_to_committee=False, logs_outcomes=True,
                                                           needs_documents=True),
    "thematic_discussion": MeetingKindRules(reports_to_committee=False, logs_outcomes=False, needs_documents=False),
    "informal_briefing": MeetingKindRules(reports_to_committee=False, logs_outcomes=False, needs_documents=False),
    "donor_forum": MeetingKindRules(reports_to_committee=False, logs_outcomes=False, needs_documents=False),
}


def is_member_state(code: str) -> bool:
    """True for an ISO 3166-1 alpha-3 country code (upper case)."""
    return isinstance(code, str) and code.isupper() and pycountry.countries.get(alpha_3=code) is not None


# ISO 3166 writes "Iran, Islamic Republic of"; the United Nations write "Iran (Islamic Republic
# of)" for these four and "Republic of Korea" (the qualifier first) for the others.
_UN_PARENTHESIZED = {"Bolivia", "Iran", "Micronesia", "Venezuela"}


@lru_cache(maxsize=None)
def country_name(code: str) -> str:
    """A State's name as the United Nations write it ("Republic of Korea", "Iran (Islamic
    Republic of)", "Democratic Republic of the Congo"); the code itself if it is no country."""
    country = pycountry.countries.get(alpha_3=code)
    if not country:
        return code
    name = country.name
    if ", " not in name:
        return name
    short, qualifier = name.split(", ", 1)
    if short in _UN_PARENTHESIZED:
        return f"{short} ({qualifier})"
    return f"{qualifier.removeprefix('The ')} {short}"


# Codes of the contract as words, where replacing the underscores is not enough.
_WORDS = {
    "counter_financing_of_terrorism": "countering the financing of terrorism",
    "export_and_trans_shipment_controls": "export and trans-shipment controls",
    "human_rights_compliance": "compliance with human rights",
    "un_body": "United Nations body",
    "committee_selection": "selected by the Committee",
    "state_invitation": "at the State's invitation",
    "action_item": "action item",
}


def written(day: str | date | None) -> str:
    """A date as the Committees write it: ``7 December 2026``; ``-`` for none (a report's
    paragraphs and tables, a notification's message)."""
    if not day:
        return "-"
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.day} {day:%B %Y}"


def in_words(code: str) -> str:
    """A code of the contract (a thematic area, a kind, a status) as a person reads it."""
    return _WORDS.get(code) or code.replace("_", " ")
