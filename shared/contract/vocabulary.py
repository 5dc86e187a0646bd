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
    """True for an ISO 3166-1 alpha-3 country code (upper case): what an event may name (an
    event recorded before the United Nations' list was checked names one of these)."""
    return isinstance(code, str) and code.isupper() and pycountry.countries.get(alpha_3=code) is not None


# The States a command names: the 193 Member States of the United Nations and its two observer
# States, as the United Nations write their names (https://www.un.org/en/about-us/member-states),
# by their ISO 3166-1 alpha-3 codes. Written out, not taken from ISO 3166, which also lists
# territories (Puerto Rico, Antarctica); tests/unit/contract/test_united_nations_states.py counts
# them. A State admitted later is a line added here.
UN_MEMBER_STATES = {
    "AFG": "Afghanistan", "ALB": "Albania", "DZA": "Algeria", "AND": "Andorra", "AGO": "Angola",
    "ATG": "Antigua and Barbuda", "ARG": "Argentina", "ARM": "Armenia", "AUS": "Australia", "AUT": "Austria",
    "AZE": "Azerbaijan", "BHS": "Bahamas", "BHR": "Bahrain", "BGD": "Bangladesh", "BRB": "Barbados",
    "BLR": "Belarus", "BEL": "Belgium", "BLZ": "Belize", "BEN": "Benin", "BTN": "Bhutan",
    "BOL": "Bolivia (Plurinational State of)", "BIH": "Bosnia and Herzegovina", "BWA": "Botswana",
    "BRA": "Brazil", "BRN": "Brunei Darussalam", "BGR": "Bulgaria", "BFA": "Burkina Faso", "BDI": "Burundi",
    "CPV": "Cabo Verde", "KHM": "Cambodia", "CMR": "Cameroon", "CAN": "Canada", "CAF": "Central African Republic",
    "TCD": "Chad", "CHL": "Chile", "CHN": "China", "COL": "Colombia", "COM": "Comoros", "COG": "Congo",
    "CRI": "Costa Rica", "CIV": "Côte d'Ivoire", "HRV": "Croatia", "CUB": "Cuba", "CYP": "Cyprus",
    "CZE": "Czechia", "PRK": "Democratic People's Republic of Korea", "COD": "Democratic Republic of the Congo",
    "DNK": "Denmark", "DJI": "Djibouti", "DMA": "Dominica", "DOM": "Dominican Republic", "ECU": "Ecuador",
    "EGY": "Egypt", "SLV": "El Salvador", "GNQ": "Equatorial Guinea", "ERI": "Eritrea", "EST": "Estonia",
    "SWZ": "Eswatini", "ETH": "Ethiopia", "FJI": "Fiji", "FIN": "Finland", "FRA": "France", "GAB": "Gabon",
    "GMB": "Gambia", "GEO": "Georgia", "DEU": "Germany", "GHA": "Ghana", "GRC": "Greece", "GRD": "Grenada",
    "GTM": "Guatemala", "GIN": "Guinea", "GNB": "Guinea-Bissau", "GUY": "Guyana", "HTI": "Haiti",
    "HND": "Honduras", "HUN": "Hungary", "ISL": "Iceland", "IND": "India", "IDN": "Indonesia",
    "IRN": "Iran (Islamic Republic of)", "IRQ": "Iraq", "IRL": "Ireland", "ISR": "Israel", "ITA": "Italy",
    "JAM": "Jamaica", "JPN": "Japan", "JOR": "Jordan", "KAZ": "Kazakhstan", "KEN": "Kenya", "KIR": "Kiribati",
    "KWT": "Kuwait", "KGZ": "Kyrgyzstan", "LAO": "Lao People's Democratic Republic", "LVA": "Latvia",
    "LBN": "Lebanon", "LSO": "Lesotho", "LBR": "Liberia", "LBY": "Libya", "LIE": "Liechtenstein",
    "LTU": "Lithuania", "LUX": "Luxembourg", "MDG": "Madagascar", "MWI": "Malawi", "MYS": "Malaysia",
    "MDV": "Maldives", "MLI": "Mali", "MLT": "Malta", "MHL": "Marshall Islands", "MRT": "Mauritania",
    "MUS": "Mauritius", "MEX": "Mexico", "FSM": "Micronesia (Federated States of)", "MCO": "Monaco",
    "MNG": "Mongolia", "MNE": "Montenegro", "MAR": "Morocco", "MOZ": "Mozambique", "MMR": "Myanmar",
    "NAM": "Namibia", "NRU": "Nauru", "NPL": "Nepal", "NLD": "Netherlands (Kingdom of the)",
    "NZL": "New Zealand", "NIC": "Nicaragua", "NER": "Niger", "NGA": "Nigeria", "MKD": "North Macedonia",
    "NOR": "Norway", "OMN": "Oman", "PAK": "Pakistan", "PLW": "Palau", "PAN": "Panama",
    "PNG": "Papua New Guinea", "PRY": "Paraguay", "PER": "Peru", "PHL": "Philippines", "POL": "Poland",
    "PRT": "Portugal", "QAT": "Qatar", "KOR": "Republic of Korea", "MDA": "Republic of Moldova",
    "ROU": "Romania", "RUS": "Russian Federation", "RWA": "Rwanda", "KNA": "Saint Kitts and Nevis",
    "LCA": "Saint Lucia", "VCT": "Saint Vincent and the Grenadines", "WSM": "Samoa", "SMR": "San Marino",
    "STP": "Sao Tome and Principe", "SAU": "Saudi Arabia", "SEN": "Senegal", "SRB": "Serbia",
    "SYC": "Seychelles", "SLE": "Sierra Leone", "SGP": "Singapore", "SVK": "Slovakia", "SVN": "Slovenia",
    "SLB": "Solomon Islands", "SOM": "Somalia", "ZAF": "South Africa", "SSD": "South Sudan", "ESP": "Spain",
    "LKA": "Sri Lanka", "SDN": "Sudan", "SUR": "Suriname", "SWE": "Sweden", "CHE": "Switzerland",
    "SYR": "Syrian Arab Republic", "TJK": "Tajikistan", "THA": "Thailand", "TLS": "Timor-Leste", "TGO": "Togo",
    "TON": "Tonga", "TTO": "Trinidad and Tobago", "TUN": "Tunisia", "TUR": "Türkiye", "TKM": "Turkmenistan",
    "TUV": "Tuvalu", "UGA": "Uganda", "UKR": "Ukraine", "ARE": "United Arab Emirates",
    "GBR": "United Kingdom of Great Britain and Northern Ireland", "TZA": "United Republic of Tanzania",
    "USA": "United States of America", "URY": "Uruguay", "UZB": "Uzbekistan", "VUT": "Vanuatu",
    "VEN": "Venezuela (Bolivarian Republic of)", "VNM": "Viet Nam", "YEM": "Yemen", "ZMB": "Zambia",
    "ZWE": "Zimbabwe",
}
OBSERVER_STATES = {"VAT": "Holy See", "PSE": "State of Palestine"}
UN_STATES = {**UN_MEMBER_STATES, **OBSERVER_STATES}


def is_un_state(code: str) -> bool:
    """True for a Member State or an observer State of the United Nations (its alpha-3 code)."""
    return isinstance(code, str) and code in UN_STATES


# ISO 3166 writes "Iran, Islamic Republic of"; the United Nations write "Iran (Islamic Republic
# of)" for these four and "Republic of Korea" (the qualifier first) for the others.
_UN_PARENTHESIZED = {"Bolivia", "Iran", "Micronesia", "Venezuela"}


@lru_cache(maxsize=None)
def country_name(code: str) -> str:
    """A State's name as the United Nations write it ("Republic of Korea", "Iran (Islamic
    Republic of)", "Türkiye"); for another ISO 3166 code (a territory an older record names) its
    ISO name in the same order; the code itself if it is no country."""
    if code in UN_STATES:
        return UN_STATES[code]
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


def for_people() -> dict:
    """What a page needs to show the contract's codes to a person: each code of the closed
    vocabularies in words, and the States a command may name by their names (the services'
    OpenAPI documents carry it; the console reads it there)."""
    codes = {*COMMITTEES, *ORIGINS, *ROLES, *ORGANIZATION_KINDS, *DONOR_KINDS, *PRIORITIES, *RECOMMENDATION_STATUSES,
             *STATE_ANSWERS, *ALL_THEMATIC_AREAS, *MEETING_KINDS, *OUTCOME_KINDS, *COMMITTEE_DECISIONS,
             *ACTION_ITEM_STATUSES, *CONTACT_ROLES, *CONTACT_COMMITTEES, *NOTICES, *SUBJECT_KINDS}
    return {"words": {code: in_words(code) for code in sorted(codes)},
            "thematic_areas": {committee: list(areas) for committee, areas in THEMATIC_AREAS.items()},
            "states": dict(sorted(UN_STATES.items(), key=lambda item: item[1]))}
