"""``docs/events.md``, rendered from the catalogue so that the documentation cannot drift from
the code.

    python -m shared.contract.docs > docs/events.md          # write it
    python -m shared.contract.docs --check docs/events.md    # exit 1 if it is out of date

Everything about types, required fields, defaults, allowed values and limits is read from the
marshmallow schemas, and what an event and each of its fields mean from the schemas too (the
payload schema's docstring, each field's ``meaning``: ``shared.contract.visits``). Only an
example payload of each event is kept here, keyed by event type; the renderer refuses to run
when an event, a field or an example is undocumented or names something the catalogue does
not have, and every example is checked with ``validate_envelope`` so a documented example is
always a valid message.
The output is plain ASCII and deterministic (catalogue order, declaration order of fields).
"""
from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from marshmallow import RAISE, Schema, fields, missing, validate

from shared.contract import fields as contract_fields
from shared.contract import files as contract_files
from shared.contract import vocabulary
from shared.contract.catalogue import (
    CATALOGUE,
    CONTENT_TYPE,
    EVENT_ID_NAMESPACE,
    MEETINGS_EXCHANGE,
    NOTIFICATIONS_EXCHANGE,
    VISITS_EXCHANGE,
    event_id_for,
    validate_envelope,
)
from shared.contract.envelope import EnvelopeSchema

REGENERATE = "python -m shared.contract.docs > docs/events.md"

# ---------------------------------------------------------------------------------------------
# What the schemas cannot say
# ---------------------------------------------------------------------------------------------

EXCHANGE_OWNERS = {
    VISITS_EXCHANGE: "the visits service (services/visits): country visits and donors",
    MEETINGS_EXCHANGE: "the meetings service (services/meetings): working groups and their meetings",
    NOTIFICATIONS_EXCHANGE: "the notifications service (services/notifications): the directory of contacts and "
                            "the notifications sent to them",
}

# Validators that are plain functions: what they check, in words.
FUNCTION_CHECKS: dict[Callable, str] = {
    contract_fields._member_state: "ISO 3166-1 alpha-3 country code, upper case (e.g. `KEN`)",
    contract_fields._plausible_date: "year 1945 to 2200",
    contract_files._version: "`original`, `Rev.N`, `Corr.N` or `Rev.N/Corr.M`",
    contract_files._symbol: "a United Nations document symbol without its version (e.g. `S/AC.40/2026/WG.2/1`), "
                            "or empty",
}

# ---------------------------------------------------------------------------------------------
# Examples: one payload per event type and schema version, with realistic values
# ---------------------------------------------------------------------------------------------

EXAMPLE_AGGREGATE_IDS = {
    "committee_membership": UUID("9e3c2a71-4b5d-4f8e-8a1c-3d7b6e2f0a58"),
    "visit": UUID("3f2b8c1e-6d4a-4c1b-9e7f-0a5d2c8b4e61"),
    "donor": UUID("b7e4a9d2-1c3f-4a6e-8d5b-2f9c0e7a1d34"),
    "organization": UUID("4d6a1f3e-8c2b-4e9a-b5d7-1a3c9e0f6b28"),
    "working_group": UUID("5a9d3e7c-2b1f-4e8a-a6c4-7d0e3b9f2c15"),
    "meeting": UUID("c1d8f4a6-9e2b-4d7c-b3a5-6e1f0c8d2a97"),
    "contact": UUID("7a1e5c93-4d2b-4f8e-9c6a-1b3d5e7f9a02"),
    "notification": UUID("e2c4a6f8-1b3d-4e5f-8a7c-9d0b2e4f6a81"),
}
EXAMPLE_OCCURRED_AT = "2026-03-02T09:30:00+00:00"
EXAMPLE_RECORDED_AT = "2026-03-02T09:30:00.412000+00:00"
EXAMPLE_ACTORS = {
    "committee_membership": {"user": "l.moreau", "role": "secretariat"},
    "visit": {"user": "a.mensah", "role": "visit_coordinator"},
    "donor": {"user": "l.moreau", "role": "secretariat"},
    "organization": {"user": "a.mensah", "role": "visit_coordinator"},
    "working_group": {"user": "l.moreau", "role": "secretariat"},
    "meeting": {"user": "l.moreau", "role": "secretariat"},
    "contact": {"user": "l.moreau", "role": "secretariat"},
    "notification": {"user": "notifications", "role": "system"},
}
EXAMPLE_ACTOR_OVERRIDES = {
    "outcome_logged": {"user": "wg2.chair", "role": "working_group_chair"},
    "outcome_corrected": {"user": "wg2.chair", "role": "working_group_chair"},
}

def _example_versions() -> dict[str, int]:
    """Aggregate version of each event type's example: its position in the aggregate's
    events, in catalogue (lifecycle) order."""
    counters: dict[str, int] = {}
    versions = {}
    for name, spec in CATALOGUE.items():
        counters[spec.aggregate] = counters.get(spec.aggregate, 0) + 1
        versions[name] = counters[spec.aggregate]
    return versions


_VISIT_NEED_1 = "KEN-2026-01"
_VISIT_NEED_2 = "KEN-2026-02"
_OUTCOME = "WG2-2026-03-R1"

EXAMPLE_PAYLOADS: dict[str, dict[int, dict[str, Any]]] = {
    "visit_proposed": {
        1: {
            "member_state": "KEN",
            "committee": "ctc",
            "origin": "committee_selection",
            "purpose": "Assess the implementation of resolution 1373 (2001), in particular "
            "border control and counter-financing of terrorism.",
        }
    },
    "visit_approved": {1: {}},
    "consent_requested": {1: {"due_on": "2026-04-15"}},
    "consent_granted": {1: {}},
    "consent_declined": {
        1: {"reason": "The Government proposes to receive the visit in the next programme period."}
    },
    "consent_withdrawn": {
        1: {"reason": "The Government asks that the visit be considered again after the elections.",
            "starts_on": "2026-05-18", "ends_on": "2026-05-22"},
    },
    "organization_invited": {1: {"organization": "United Nations Office on Drugs and Crime", "kind": "un_body"}},
    "pre_visit_info_requested": {1: {"organization": "United Nations Office on Drugs and Crime", "due_on": "2026-05-04"}},
    "pre_visit_info_received": {
        1: {
            "organization": "United Nations Office on Drugs and Crime",
            "summary": "Technical assistance delivered since 2024 on legislative drafting and on "
            "the financing of terrorism.",
            "late": False,
            "after_due_date": False,
        }
    },
    "visit_scheduled": {1: {"starts_on": "2026-05-18", "ends_on": "2026-05-22"}},
    "visit_started": {1: {}},
    "visit_completed": {1: {}, 2: {"organizations_taking_part": ["United Nations Office on Drugs and Crime"],
                                   "team": ["CTED: legal expert", "CTED: border control expert", "UNODC: expert"]}},
    "needs_assessment_recorded": {
        1: {
            "needs": [
                {
                    "need_id": _VISIT_NEED_1,
                    "thematic_area": "border_control",
                    "description": "Advance passenger information system at the main "
                    "international airports.",
                    "priority": "high",
                },
                {
                    "need_id": _VISIT_NEED_2,
                    "thematic_area": "counter_financing_of_terrorism",
                    "description": "Training of financial intelligence unit analysts on "
                    "suspicious transaction reports.",
                    "priority": "medium",
                },
            ],
            "summary": "Needs identified with the national counter-terrorism centre, bearing in "
            "mind international best practices, codes and standards.",
            "assessment_version": 1,
        }
    },
    "donor_sharing_consent_granted": {1: {}},
    "donor_sharing_consent_declined": {
        1: {"reason": "The assessment is to be discussed with the national assembly first."}
    },
    "donor_sharing_consent_withdrawn": {
        1: {"reason": "The assessment is being revised after the follow-up mission."}
    },
    "needs_assessment_shared": {
        1: {
            "donor_id": str(EXAMPLE_AGGREGATE_IDS["donor"]),
            "donor_name": "Government of Canada",
            "need_ids": [_VISIT_NEED_1],
            "assessment_version": 1,
            "consent_version": _example_versions()["donor_sharing_consent_granted"],
        }
    },
    "needs_assessment_share_revoked": {
        1: {
            "donor_id": str(EXAMPLE_AGGREGATE_IDS["donor"]),
            "donor_name": "Government of Canada",
            "share_version": _example_versions()["needs_assessment_shared"],
            "reason": "The assessment is being revised after the follow-up mission.",
        }
    },
    "visit_file_attached": {
        1: {
            "document_kind": "needs_assessment",
            "symbol": "",
            "version": "original",
            "language": "en",
            "file_name": "Kenya needs assessment.pdf",
            "media_type": "application/pdf",
            "size": 482113,
            "sha256": "9f2d6c0b8e4a7d1f3c5b9a0e2d4f6a8c1b3e5d7f9a0c2e4b6d8f1a3c5e7b9d0f",
            "assessment_version": 1,
        }
    },
    "follow_up_recorded": {
        1: {
            "summary": "Committee updated on the follow-up to the visit to Kenya.",
            "results": "Advance passenger information operational at two airports.",
        }
    },
    "visit_report_drafted": {
        1: {
            "summary": "Kenya has criminalized terrorist financing; screening at the borders remains uneven.",
            "recommendations": [
                {"recommendation_id": "R1", "thematic_area": "border_control", "priority": "high",
                 "text": "Introduce advance passenger information at the main international airports.",
                 "due_on": "2027-06-30"},
                {"recommendation_id": "R2", "thematic_area": "counter_financing_of_terrorism", "priority": "medium",
                 "text": "Give the financial reporting centre access to the beneficial ownership register.",
                 "due_on": None},
            ],
            "draft": 1,
        }
    },
    "visit_report_adopted": {1: {"draft": 1, "note": "Adopted by the Committee at its meeting of 12 May."}},
    "visit_report_transmitted": {1: {"observations_due_on": "2026-06-18", "response_due_on": "2026-11-19"}},
    "state_answer_received": {
        1: {"answer": "observations", "summary": "Factual corrections on the border agencies' mandates.",
            "due_on": "2026-06-18", "days_late": 4}
    },
    "state_reminded": {1: {"answer": "response", "due_on": "2026-11-19", "note": "Note verbale to the Permanent Mission."}},
    "recommendation_status_updated": {
        1: {"recommendation_id": "R1", "status": "in_progress", "previous_status": "not_started",
            "evidence": "API system procured; operational at Jomo Kenyatta International Airport from March."}
    },
    "follow_up_ended": {1: {"summary": "The State reported every recommendation implemented or in progress."}},
    "visit_closed": {1: {"summary": "Visit conducted, needs assessed and follow-up recorded."}},
    "visit_cancelled": {1: {"reason": "The State withdrew its invitation."}},
    "visit_postponed": {
        1: {"reason": "Dates conflict with national elections."},
        2: {"reason": "Dates conflict with national elections.", "starts_on": "2026-05-18", "ends_on": "2026-05-22"},
    },
    "due_date_reset": {
        1: {"awaited": "pre_visit_info", "organization": "United Nations Office on Drugs and Crime", "due_on": "2026-08-31",
            "previous_due_on": "2026-05-04"},
    },
    "organization_registered": {
        1: {
            "name": "United Nations Office for Disarmament Affairs",
            "abbreviations": ["UNODA"],
            "also_known_as": ["Office for Disarmament Affairs"],
            "organization_kind": "un_body",
            "part_of": "",
        }
    },
    "donor_registered": {
        1: {
            "name": "Government of Canada",
            "donor_kind": "state",
            "thematic_areas": ["border_control", "counter_financing_of_terrorism"],
            "contact": "Permanent Mission of Canada to the United Nations",
        }
    },
    "donor_interests_updated": {
        1: {"thematic_areas": ["border_control", "counter_financing_of_terrorism", "transport_security"]}
    },
    "working_group_established": {
        1: {
            "name": "Working Group 2: Assistance",
            "committee": "1540",
            "mandate_area": "Matching requests for assistance with offers of assistance.",
        }
    },
    "chair_assigned": {1: {"chair_member_state": "FRA", "chair_user": "wg2.chair"}},
    "committee_membership_recorded": {
        1: {"committee": "1540", "year": 2026,
            "member_states": ["CHN", "FRA", "RUS", "GBR", "USA", "DNK", "GRC", "PAK", "PAN", "SOM", "BHR", "COL",
                              "COD", "LVA", "LBR"]},
    },
    "committee_membership_revised": {
        1: {"member_states": ["CHN", "FRA", "RUS", "GBR", "USA", "DNK", "GRC", "PAK", "PAN", "SOM", "BHR", "COL",
                              "COD", "LVA", "LBR"]},
    },
    "meeting_scheduled": {
        1: {
            "group_id": str(EXAMPLE_AGGREGATE_IDS["working_group"]),
            "meeting_kind": "working_group",
            "title": "Working Group 2: review of assistance requests",
            "starts_at": "2026-06-10T15:00:00+00:00",
            "ends_at": "2026-06-10T17:00:00+00:00",
            "location": "Conference Room 7, United Nations Headquarters, New York",
        }
    },
    "meeting_announced": {
        1: {
            "announced_to": "all_council_delegations",
            "notice": "Open to all delegations of the Security Council.",
        }
    },
    "document_circulated": {
        1: {
            "document_id": "WG2-2026-03",
            "title": "Compilation of assistance requests received since January 2026",
            "symbol": "S/AC.44/2026/WP.3",
            "hours_before_meeting": 72.0,
        }
    },
    "document_file_attached": {
        1: {
            "document_id": "WG2-2026-03",
            "symbol": "S/AC.44/2026/WP.3",
            "version": "Rev.1",
            "language": "fr",
            "file_name": "S_AC.44_2026_WP.3_Rev.1_fr.docx",
            "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "size": 38211,
            "sha256": "4b1e8d2c6a0f3e5d7c9b1a2e4f6d8c0b2a4e6f8d1c3b5a7e9f0d2c4b6a8e1f3d",
        }
    },
    "meeting_held": {1: {"attendance": ["France", "Kenya", "Pakistan", "UNODC"]},
                     2: {"delegations": ["FRA", "KEN", "PAK"],
                         "organizations": ["United Nations Office on Drugs and Crime"],
                         "experts": ["Group of experts of the 1540 Committee"]}},
    "outcome_logged": {
        1: {
            "outcome_id": _OUTCOME,
            "outcome_kind": "recommendation",
            "text": "Forward the three matched assistance requests to the offering States.",
            "amends": None,
        },
        2: {
            "outcome_id": _OUTCOME,
            "outcome_kind": "recommendation",
            "text": "Forward the three matched assistance requests to the offering States.",
            "amends": None,
            "owner": "",
            "due_on": None,
        },
    },
    "outcome_corrected": {
        1: {"outcome_id": _OUTCOME, "text": "Forward the four matched assistance requests to the offering States.",
            "owner": "", "due_on": None}
    },
    "meeting_reported_to_committee": {
        1: {
            "summary": "Working Group 2 reviewed 14 assistance requests and matched three.",
            "report_symbol": "S/AC.44/2026/WG2/1",
        },
        2: {
            "summary": "Working Group 2 reviewed 14 assistance requests and matched three.",
            "report_symbol": "S/AC.44/2026/WG2/1",
            "outcome_ids": [_OUTCOME],
        },
    },
    "outcome_approved": {1: {"outcome_id": _OUTCOME},
                         2: {"outcome_id": _OUTCOME, "note": "Approved at the Committee's 98th meeting."}},
    "outcome_decided": {
        1: {"outcome_id": _OUTCOME, "decision": "returned",
            "note": "Returned to the group: name the offering States."}
    },
    "action_item_status_changed": {
        1: {"outcome_id": _OUTCOME, "status": "done", "previous_status": "open",
            "note": "Requests forwarded on 12 May."}
    },
    "outcome_communicated": {1: {"outcome_id": _OUTCOME, "recipients": "national_contact_points"},
                             2: {"outcome_id": _OUTCOME, "recipients": "national_contact_points",
                                 "member_states": ["GHA", "KEN", "NGA"]}},
    "open_meeting_held": {
        1: {
            "outcome_ids": [_OUTCOME],
            "summary": "Open briefing to Member States on matched assistance requests.",
        }
    },
    "meeting_cancelled": {1: {"reason": "Quorum not expected during the General Assembly week."}},
    "meeting_postponed": {
        1: {
            "reason": "Documents could not be circulated in time.",
            "starts_at": "2026-06-17T15:00:00+00:00",
            "ends_at": "2026-06-17T17:00:00+00:00",
        }
    },
    "contact_listed": {
        1: {
            "role": "delegation", "committee": "both", "name": "Permanent Mission of Kenya to the United Nations",
            "email": "kenya@un.example.org", "member_state": "KEN", "organization": "", "donor_id": None,
            "since": "2026-01-01", "until": "2027-12-31",
        }
    },
    "contact_changed": {1: {"name": "Permanent Mission of Kenya to the United Nations",
                            "email": "kenya.mission@un.example.org"}},
    "contact_ended": {1: {"until": "2027-12-31", "reason": "Kenya's term on the Council ended."}},
    "notification_recorded": {
        1: {
            "cause_event_id": "0b6f3a55-2a43-5d2e-9b1a-6f0e3c2d7a14", "cause_event_type": "meeting_announced",
            "notice": "meeting_announced", "subject_kind": "meeting",
            "subject_id": "c1d8f4a6-9e2b-4d7c-b3a5-6e1f0c8d2a97", "committee": "1540", "regarding_on": "2026-06-10",
            "contact_id": "7a1e5c93-4d2b-4f8e-9c6a-1b3d5e7f9a02", "role": "delegation",
            "recipient": "Permanent Mission of Kenya to the United Nations", "email": "kenya@un.example.org",
            "member_state": "KEN", "organization": "",
            "subject": "Announcement: Working Group 2 (assistance), 10 June 2026",
            "text": "The 1540 Committee announces a meeting of Working Group 2 ...",
            "html": "<p>The 1540 Committee announces a meeting of Working Group 2 ...</p>",
            "attachments": [{"filename": "meeting.ics", "content_type": "text/calendar; method=REQUEST",
                             "content": "BEGIN:VCALENDAR\r\n...\r\nEND:VCALENDAR\r\n"}],
        }
    },
    "notification_sent": {1: {"attempt": 1, "answer": "250 2.0.0 Ok: queued as 4Q2fJd1Xz"}},
    "notification_deferred": {1: {"attempt": 1, "answer": "ConnectionRefusedError: [Errno 111] Connection refused",
                                  "next_attempt_at": "2026-03-02T09:31:00+00:00"}},
    "notification_failed": {1: {"attempt": 3, "answer": "550 5.1.1 <kenya@un.example.org>: Recipient address rejected"}},
}

# ---------------------------------------------------------------------------------------------
# Examples as whole envelopes
# ---------------------------------------------------------------------------------------------


def example_envelope(event_type: str, schema_version: int) -> dict:
    """The documented example of one event type and schema version, as a JSON-ready envelope.
    Raises ContractViolation if the example is not a valid message."""
    spec = CATALOGUE[event_type]
    aggregate_id = EXAMPLE_AGGREGATE_IDS[spec.aggregate]
    aggregate_version = _example_versions()[event_type]
    envelope = {
        "event_id": str(event_id_for(aggregate_id, aggregate_version)),
        "event_type": event_type,
        "aggregate_id": str(aggregate_id),
        "aggregate_version": aggregate_version,
        "occurred_at": EXAMPLE_OCCURRED_AT,
        "recorded_at": EXAMPLE_RECORDED_AT,
        "actor": dict(EXAMPLE_ACTOR_OVERRIDES.get(event_type, EXAMPLE_ACTORS[spec.aggregate])),
        "correlation_id": f"req-{aggregate_id.hex[:8]}-{aggregate_version:04d}",
        "schema_version": schema_version,
        "payload": json.loads(json.dumps(EXAMPLE_PAYLOADS[event_type][schema_version])),
    }
    validate_envelope(json.loads(json.dumps(envelope)))
    return envelope


def example_envelopes() -> list[dict]:
    """Every documented example, one per (event type, schema version), validated."""
    return [
        example_envelope(name, version)
        for name, spec in CATALOGUE.items()
        for version in sorted(spec.versions)
    ]


# ---------------------------------------------------------------------------------------------
# Describing fields
# ---------------------------------------------------------------------------------------------


def _code(value: Any) -> str:
    return f"`{value}`"


def _schema_title(schema: Schema) -> str:
    name = type(schema).__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def _type_name(field: fields.Field) -> str:
    if isinstance(field, fields.List):
        return f"List of {_type_name(field.inner)}"
    if isinstance(field, fields.Nested):
        return f"Nested {_schema_title(field.schema)}"
    for kind, label in (
        (fields.UUID, "UUID"),
        (fields.AwareDateTime, "DateTime"),
        (fields.Date, "Date"),
        (fields.DateTime, "DateTime"),
        (fields.Boolean, "Boolean"),
        (fields.Integer, "Integer"),
        (fields.Float, "Number"),
        (fields.String, "String"),
        (fields.Dict, "Object"),
    ):
        if isinstance(field, kind):
            return label
    raise TypeError(f"docs.py does not know how to name {type(field).__name__}: add it to _type_name")


def _required(field: fields.Field) -> str:
    if field.required:
        text = "required"
    elif field.load_default is missing:
        text = "optional"
    else:
        default = field.load_default() if callable(field.load_default) else field.load_default
        text = f"optional, default {_code(json.dumps(default))}"
    if field.allow_none and "null" not in text:
        text += ", may be null"
    return text


def _length(check: validate.Length, unit: str) -> str:
    plural = unit + "s"
    if check.equal is not None:
        return f"exactly {check.equal} {plural if check.equal != 1 else unit}"
    if check.min is not None and check.max is not None:
        return f"{check.min} to {check.max} {plural}"
    if check.max is not None:
        return f"at most {check.max} {plural if check.max != 1 else unit}"
    return f"at least {check.min} {plural if check.min != 1 else unit}"


def _range(check: validate.Range) -> str:
    parts = []
    if check.min is not None:
        parts.append(f"{'>=' if check.min_inclusive else '>'} {check.min}")
    if check.max is not None:
        parts.append(f"{'<=' if check.max_inclusive else '<'} {check.max}")
    return " and ".join(parts)


def _describe(field: fields.Field, prefix: str = "") -> tuple[list[str], list[str], list[str]]:
    """(allowed values, length limits, other checks) of a field, items of a list included."""
    allowed: list[str] = []
    lengths: list[str] = []
    other: list[str] = []
    unit = "item" if isinstance(field, fields.List) else "character"
    for check in field.validators:
        if isinstance(check, validate.OneOf):
            allowed.append(prefix + "one of " + ", ".join(_code(c) for c in check.choices))
        elif isinstance(check, validate.Length):
            lengths.append(prefix + _length(check, unit))
        elif isinstance(check, validate.Range):
            other.append(prefix + _range(check))
        elif isinstance(check, validate.Regexp):
            other.append(prefix + "matches " + _code(check.regex.pattern))
        elif isinstance(check, validate.Email):
            other.append(prefix + "an e-mail address (`name@domain`)")
        elif check in FUNCTION_CHECKS:
            other.append(prefix + FUNCTION_CHECKS[check])
        else:
            raise TypeError(f"docs.py cannot describe validator {check!r}: add it to FUNCTION_CHECKS")
    if isinstance(field, fields.AwareDateTime):
        other.insert(0, prefix + "ISO 8601 with UTC offset (naive refused)")
    elif isinstance(field, fields.Date):
        other.insert(0, prefix + "ISO 8601 date `YYYY-MM-DD`")
    elif isinstance(field, fields.Integer) and field.strict:
        other.insert(0, prefix + "JSON integer")
    elif isinstance(field, fields.Float) and not field.allow_nan:
        other.insert(0, prefix + "finite")
    if isinstance(field, fields.List):
        inner_allowed, inner_lengths, inner_other = _describe(field.inner, prefix="each: ")
        allowed += inner_allowed
        lengths += inner_lengths
        other += inner_other
    return allowed, lengths, other


def _cell(parts: list[str]) -> str:
    return "; ".join(parts) if parts else "-"


def _nested_of(field: fields.Field) -> Schema | None:
    if isinstance(field, fields.List):
        return _nested_of(field.inner)
    if isinstance(field, fields.Nested):
        return field.schema
    return None


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def meaning_of(schema: Schema, name: str) -> str:
    """What a field means (its ``meaning`` metadata); an undocumented field stops the renderer."""
    meaning = schema.fields[name].metadata.get("meaning")
    if not meaning:
        raise KeyError(f"{type(schema).__name__}.{name} says nothing of its meaning: give it meaning=...")
    return meaning


def summary_of(schema_class: type[Schema]) -> str:
    """What an event means: its payload schema's docstring, on one line."""
    doc = schema_class.__dict__.get("__doc__")  # its own: not marshmallow's Schema's
    if not doc:
        raise KeyError(f"{schema_class.__name__} says nothing of what its event means: give it a docstring")
    return " ".join(doc.split())


def _fields_table(schema: Schema) -> list[str]:
    """The table of a schema's fields, then one table per nested schema."""
    _require_strict(schema)
    header = ["field", "type", "required", "allowed values", "length", "other checks", "meaning"]
    rows = []
    nested: list[tuple[str, Schema]] = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        allowed, lengths, other = _describe(field)
        rows.append([_code(key), _type_name(field), _required(field), _cell(allowed), _cell(lengths), _cell(other),
                     meaning_of(schema, name)])
        inner = _nested_of(field)
        if inner is not None:
            nested.append((key + ("[]" if isinstance(field, fields.List) else ""), inner))
    lines = _table(header, rows)
    for where, inner in nested:
        lines += ["", f"Fields of {_code(where)} ({_schema_title(inner)}):", ""]
        lines += _fields_table(inner)
    return lines


def _require_strict(schema: Schema) -> None:
    # The intro promises that fields not listed are refused; keep it true.
    if schema.unknown != RAISE:
        raise ValueError(f"{type(schema).__name__} does not refuse unknown fields; docs say it does")


def _require_same_names(have: set, documented: set, what: str) -> None:
    if have != documented:
        raise KeyError(
            f"{what}: missing {sorted(have - documented)}, not in the contract {sorted(documented - have)}"
        )


# ---------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------


def _intro() -> list[str]:
    exchanges = ", ".join(_code(e) for e in _exchanges())
    return [
        "# Events",
        "",
        "<!-- Generated from shared/contract (the catalogue); do not edit by hand.",
        f"     Regenerate: {REGENERATE} -->",
        "",
        "The services talk only through events. This is the public contract: other systems may",
        "publish to or read from these exchanges.",
        "",
        "## Transport",
        "",
        "- Every event travels in **one envelope**, as JSON (content type "
        f"{_code(CONTENT_TYPE)}, UTF-8).",
        "- It is published on the **durable topic exchange of the service that owns it** "
        f"({exchanges}; nameko's `<service>.events` convention), with the **event type as routing "
        "key** (e.g. `consent_granted`).",
        "- Messages are published **persistent** (delivery mode 2), with **publisher confirms** and "
        "**`mandatory`**: a message that no queue would take is an error for the publisher, "
        "not a silent loss.",
        "- `event_id` is a UUID derived from (`aggregate_id`, `aggregate_version`) and the id of "
        "the command that stored the event (a random hex string kept with the event): "
        f"`uuid5({EVENT_ID_NAMESPACE}, \"<aggregate_id>/<aggregate_version>/<command_id>\")`; "
        "an event stored before command ids (before 2026-12-03) keeps "
        f"`uuid5({EVENT_ID_NAMESPACE}, \"<aggregate_id>/<aggregate_version>\")`. "
        "A re-publish (e.g. after a crash of the outbox relay) carries the same id; a source store "
        "restored from a backup, which stores new events at versions it had published before, gives "
        "them new ids, so that no consumer takes them for the old ones. "
        "**Consumers deduplicate on `event_id`**, and a consumer that meets a known id with other "
        "content has met a forged or broken message, not a duplicate.",
        "- `schema_version` is per event type. **A consumer refuses a schema version it does not "
        "know.**",
        "- **The contract changes only by adding a schema version** (or a value to a vocabulary); "
        "an existing version is never changed.",
        "- Envelope and payloads are strict: a field not listed here is refused, a required field "
        "missing is refused, values are checked for type, allowed values and length.",
        "",
        "A consumer decodes a message with `shared.contract.decode_message(body, content_type)`, "
        "which raises `ContractViolation` with one of these `reason`s:",
        "",
        *_table(
            ["reason", "when"],
            [
                ["`wrong_content_type`", f"the content type is set and is not {_code(CONTENT_TYPE)}"],
                ["`not_json`", "the body is not JSON"],
                ["`not_an_object`", "the JSON is not an object"],
                ["`invalid_envelope`", "an envelope field is missing, unknown or invalid (`detail` names it)"],
                ["`unknown_event_type`", "the event type is not in this document"],
                ["`unknown_schema_version`", "the event type has no such schema version"],
                ["`invalid_payload`", "the payload does not match the event's schema (`detail` names the field)"],
            ],
        ),
    ]


def _envelope_section() -> list[str]:
    return [
        "## The envelope",
        "",
        *_fields_table(EnvelopeSchema()),
    ]


def _exchanges() -> list[str]:
    seen: list[str] = []
    for spec in CATALOGUE.values():
        if spec.exchange not in seen:
            seen.append(spec.exchange)
    return seen


def _event_section(name: str) -> list[str]:
    spec = CATALOGUE[name]
    lines = [f"### `{name}`", "", summary_of(spec.versions[spec.current_version]), ""]
    lines += [
        f"- exchange: {_code(spec.exchange)}",
        f"- routing key: {_code(name)}",
        f"- aggregate: {_code(spec.aggregate)}",
        f"- schema version: {', '.join(str(v) for v in sorted(spec.versions))}"
        + (f" (current: {spec.current_version})" if len(spec.versions) > 1 else ""),
    ]
    for version in sorted(spec.versions):
        schema = spec.schema(version)
        lines += ["", f"Payload, schema version {version}:", ""]
        if schema.fields:
            lines += _fields_table(schema)
        else:
            _require_strict(schema)
            lines.append("No fields: the payload is `{}`.")
        example = json.dumps(example_envelope(name, version), indent=2, ensure_ascii=True)
        lines += ["", f"Example (schema version {version}):", "", "```json", *example.splitlines(), "```"]
    return lines


def _exchange_section(exchange: str) -> list[str]:
    names = [n for n, spec in CATALOGUE.items() if spec.exchange == exchange]
    lines = [f"## Exchange `{exchange}`", "", f"Published by {EXCHANGE_OWNERS[exchange]}.", ""]
    lines += _table(
        ["event type", "aggregate", "schema versions"],
        [
            [_code(n), _code(CATALOGUE[n].aggregate), ", ".join(str(v) for v in sorted(CATALOGUE[n].versions))]
            for n in names
        ],
    )
    for name in names:
        lines += [""] + _event_section(name)
    return lines


def _values(values) -> str:
    return ", ".join(_code(v) for v in values)


def _vocabulary_section() -> list[str]:
    lines = [
        "## Vocabularies",
        "",
        "Closed lists of values (`shared/contract/vocabulary.py`). Adding a value is a compatible "
        "change; removing one is not. Member States are ISO 3166-1 alpha-3 codes, upper case "
        "(e.g. `KEN`).",
        "",
        f"- committees: {_values(vocabulary.COMMITTEES)}",
        f"- visit origins: {_values(vocabulary.ORIGINS)}",
        f"- roles: {_values(vocabulary.ROLES)}",
        "- thematic areas:",
    ]
    for committee, areas in vocabulary.THEMATIC_AREAS.items():
        lines.append(f"  - {_code(committee)}: {_values(areas)}")
    lines += [
        f"- organization kinds: {_values(vocabulary.ORGANIZATION_KINDS)}",
        f"- donor kinds: {_values(vocabulary.DONOR_KINDS)}",
        f"- priorities: {_values(vocabulary.PRIORITIES)}",
        f"- meeting kinds: {_values(vocabulary.MEETING_KINDS)}",
        f"- outcome kinds: {_values(vocabulary.OUTCOME_KINDS)}",
    ]
    return lines


def _check_documentation_complete() -> None:
    _require_same_names(set(CATALOGUE), set(EXAMPLE_PAYLOADS), "EXAMPLE_PAYLOADS")
    for name, spec in CATALOGUE.items():
        _require_same_names(
            set(spec.versions),
            set(EXAMPLE_PAYLOADS[name]),
            f"EXAMPLE_PAYLOADS[{name!r}] schema versions",
        )
    _require_same_names(set(_exchanges()), set(EXCHANGE_OWNERS), "EXCHANGE_OWNERS")


def render_events_markdown() -> str:
    """The full text of ``docs/events.md``. Raises if the catalogue has something undocumented
    or if a documented example is not a valid message (ContractViolation)."""
    _check_documentation_complete()
    lines = _intro() + [""] + _envelope_section()
    for exchange in _exchanges():
        lines += [""] + _exchange_section(exchange)
    lines += [""] + _vocabulary_section()
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.contract.docs",
        description="Print docs/events.md rendered from the event catalogue, or check a file.",
    )
    parser.add_argument("--check", metavar="PATH", help="exit 1 if PATH differs from the rendering")
    args = parser.parse_args(argv)
    text = render_events_markdown()
    if args.check is None:
        sys.stdout.write(text)
        return 0
    path = Path(args.check)
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as error:
        print(f"{path}: cannot read ({error}); run `{REGENERATE}`", file=sys.stderr)
        return 1
    if current == text:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "rendered", n=1
    )
    sys.stderr.writelines(list(diff)[:40])
    print(f"{path} is out of date with the event catalogue; run `{REGENERATE}`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
