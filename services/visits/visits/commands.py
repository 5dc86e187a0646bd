"""Every command of the visits service, declared once (``shared.commands``): the HTTP routes and
their role checks, the OpenAPI document, the CLI's subcommands and the next steps a visit's
page offers are all made from these two tables.

A probe is the input a step is tried with on a copy of a visit, to tell whether its rules allow
it now: where the outcome depends on what the user enters (which organization, which dates,
which needs) it is the input most likely to be accepted (a new organization, the first one
awaiting that step, dates a month ahead, the first need). "Allowed" therefore means "allowed
for some input"; the real command is judged again when it comes, and a refusal names its rule.
"""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Callable
from uuid import UUID

from marshmallow import fields, validate

from shared.auth import COORDINATION
from shared.commands import Command, Commands, command_input
from shared.contract import fields as f
from shared.contract import visits as contract
from shared.contract import files
from shared.documents import trial_file
from shared.uploads import FileContent
from shared.contract.vocabulary import ALL_THEMATIC_AREAS, ORGANIZATION_KINDS, ORIGINS
from visits.application import VisitsApplication as App
from visits.domain import Donor, Need, Visit

_PROBE_DONOR = UUID(int=0)


def _organization(visit: Visit, waiting_for: str) -> str:
    """The first invited organization that awaits the step (``requested``: asked for its
    information, not yet given; ``request``: not asked yet), else any invited one."""
    names = sorted(visit.organizations)
    for name in names:
        org = visit.organizations[name]
        if waiting_for == "request" and org["info_requested_at"] is None:
            return name
        if waiting_for == "requested" and org["info_requested_at"] is not None and org["info_received_at"] is None:
            return name
    return names[0] if names else "an organization not invited"


def _in_days(ctx, days: int):
    return ctx.occurred_at.date() + timedelta(days=days)


def _due_date_probe(visit: Visit, ctx) -> dict:
    """The consent if it is awaited, else the first organization whose information is."""
    if visit.consent == "requested":
        return {"awaited": "consent", "due_on": _in_days(ctx, 14)}
    return {"awaited": "pre_visit_info", "organization": _organization(visit, "requested"), "due_on": _in_days(ctx, 14)}


def _colon_separated(form: str, *names: str) -> Callable[[str], dict]:
    """The CLI's parser of one value in ``form`` (``ID:AREA:...``, the last part may hold
    colons) into a dict of ``names``."""

    def parse(text: str) -> dict:
        parts = text.split(":", len(names) - 1)
        if len(parts) != len(names):
            raise ValueError(f"{text!r}: use {form}")
        return dict(zip(names, parts))
    return parse


NEED_FORM = "AREA:PRIORITY:DESCRIPTION"  # the one format of a need typed on a line (docs/api.md)
_parse_need_with_id = _colon_separated("ID:AREA:PRIORITY:DESCRIPTION", "need_id", "thematic_area", "priority",
                                       "description")
_parse_numbered_need = _colon_separated(NEED_FORM, "thematic_area", "priority", "description")


def _parse_need(text: str) -> dict:
    """A need as ``AREA:PRIORITY:DESCRIPTION`` (the visit numbers it); the older
    ``ID:AREA:PRIORITY:DESCRIPTION`` still names its id. Told apart by the first part: a
    thematic area begins the new form."""
    if text.split(":", 1)[0] in ALL_THEMATIC_AREAS:
        return _parse_numbered_need(text)
    try:
        return _parse_need_with_id(text)
    except ValueError:
        raise ValueError(f"{text!r}: use {NEED_FORM} (AREA one of the visit's Committee's thematic areas)") from None


class NeedInput(contract.NeedSchema):
    """A need as a command takes it: its id may be left out (the visit numbers it N1, N2, ...)."""

    need_id = f.ident(required=False, meaning="The need's identifier; leave it out and the visit numbers it "
                                              "(N1, N2, ..., after those its assessments used).")
_parse_recommendation = _colon_separated("ID:AREA:PRIORITY:TEXT", "recommendation_id", "thematic_area", "priority",
                                         "text")


def _awaited_answer(visit: Visit) -> str:
    """The first answer the State still owes, else the observations."""
    return next((name for name, answer in visit.state_answers.items() if answer.received_at is None), "observations")


def _recommendation_probe(visit: Visit, ctx) -> dict:
    first = next(iter(visit.recommendations.values()), None)
    if first is None:
        return {"recommendation_id": "a recommendation", "status": "in_progress", "evidence": ""}
    return {"recommendation_id": first.recommendation_id, "evidence": "",
            "status": "in_progress" if first.status != "in_progress" else "implemented"}


def _step(name: str, help_text: str, payload, use_case, method, probe, *derived: str, **extra) -> Command:
    return Command(name, help_text, command_input(payload, *derived), COORDINATION, use_case, method, probe, **extra)


VISITS = Commands(
    "visit", "visits", "visit_id",
    Command(
        "propose", "Propose a visit to a State (ISO 3166 alpha-3) for the CTC or the 1540 Committee.",
        command_input(
            contract.VisitProposed, "expected_version",
            origin=f.one_of(ORIGINS, required=False, load_default="committee_selection"),
            visit_id=fields.UUID(load_default=None),
        ),
        COORDINATION, App.propose_visit,
    ),
    _step("approve", "The Committee approves the visit.", contract.VisitApproved,
          App.approve, Visit.approve, lambda visit, ctx: {}),
    _step("request-consent", "Ask the State's consent (optionally with --due-on).", contract.ConsentRequested,
          App.request_consent, Visit.request_consent, lambda visit, ctx: {"due_on": None}),
    _step("grant-consent", "The State consents.", contract.ConsentGranted,
          App.grant_consent, Visit.grant_consent, lambda visit, ctx: {}),
    _step("decline-consent", "The State declines: the visit ends.", contract.ConsentDeclined,
          App.decline_consent, Visit.decline_consent, lambda visit, ctx: {"reason": ""}),
    _step("withdraw-consent", "The State takes back its consent before the visit (--reason); ask it again later.",
          contract.ConsentWithdrawn, App.withdraw_consent, Visit.withdraw_consent,
          lambda visit, ctx: {"reason": ""}, "starts_on", "ends_on"),
    Command(
        "invite-organization", "Invite an organization of the directory to take part (--organization: any of "
        "its names, e.g. UNODC).",
        command_input(contract.OrganizationInvited, kind=f.one_of(
            ORGANIZATION_KINDS, required=False, load_default=None,
            meaning="What kind of organization it is: leave it out, the directory says it; another is refused.")),
        COORDINATION, App.invite_organization, Visit.invite_organization,
        lambda visit, ctx: {"organization": "\x00a new organization", "kind": "un_body"},
    ),
    _step("request-pre-visit-info", "Ask an invited organization for pre-visit information (--due-on).",
          contract.PreVisitInfoRequested, App.request_pre_visit_info, Visit.request_pre_visit_info,
          lambda visit, ctx: {"organization": _organization(visit, "request"), "due_on": _in_days(ctx, 14)}),
    _step("receive-pre-visit-info", "Pre-visit information arrived (late if the visit already started).",
          contract.PreVisitInfoReceived, App.receive_pre_visit_info, Visit.receive_pre_visit_info,
          lambda visit, ctx: {"organization": _organization(visit, "requested"), "summary": ""},
          "late", "after_due_date"),
    _step("schedule", "Fix the dates (only after consent).", contract.VisitScheduled,
          App.schedule, Visit.schedule,
          lambda visit, ctx: {"starts_on": _in_days(ctx, 30), "ends_on": _in_days(ctx, 34)}),
    _step("start", "The visit starts.", contract.VisitStarted, App.start, Visit.start, lambda visit, ctx: {}),
    _step("complete", "The visit ends: --organizations-taking-part (of those invited) and --team, each repeated.",
          contract.VisitCompleted, App.complete, Visit.complete, lambda visit, ctx: {}),
    Command(
        "record-needs-assessment", f"Record the needs identified: --need {NEED_FORM}, repeated (each numbered N1, "
        "N2, ...; the older ID:AREA:PRIORITY:DESCRIPTION names the id itself).",
        command_input(contract.NeedsAssessmentRecorded, "assessment_version", needs=fields.List(
            fields.Nested(NeedInput), required=True, validate=validate.Length(min=1, max=500),
            metadata=f.meant("Every need identified, the whole list (it replaces the previous version's)."))),
        COORDINATION, App.record_needs_assessment, Visit.record_needs_assessment,
        lambda visit, ctx: {"needs": [Need(None, "border_control", "a need", "high")], "summary": ""},
        list_options={"needs": ("--need", f"{NEED_FORM}, repeated", _parse_need)}),
    _step("grant-sharing-consent", "The State consents to share its needs assessment with donors.",
          contract.DonorSharingConsentGranted, App.grant_sharing_consent, Visit.grant_sharing_consent,
          lambda visit, ctx: {}),
    _step("decline-sharing-consent", "The State declines to share its needs assessment.",
          contract.DonorSharingConsentDeclined, App.decline_sharing_consent, Visit.decline_sharing_consent,
          lambda visit, ctx: {"reason": ""}),
    _step("withdraw-sharing-consent", "The State withdraws its consent to share: no later sharing.",
          contract.DonorSharingConsentWithdrawn, App.withdraw_sharing_consent, Visit.withdraw_sharing_consent,
          lambda visit, ctx: {"reason": ""}),
    _step("share-needs-assessment", "Share needs with a registered donor (--donor-id, --need-ids, repeated).",
          contract.NeedsAssessmentShared, App.share_needs_assessment, Visit.share_needs_assessment,
          lambda visit, ctx: {"donor": SimpleNamespace(name="a registered donor"), "donor_id": _PROBE_DONOR,
                              "need_ids": [next(iter(visit.needs), "a need")]},
          "donor_name", "assessment_version", "consent_version"),
    Command(
        "attach-file", "Keep a document of the visit as a file (a PDF, Word .docx or plain text): --document-kind "
        "(needs_assessment, consent_letter), --language (ar, zh, en, fr, ru, es), the file (its bytes as the body "
        "of POST /visits/{id}/files; the CLI: --file PATH; a JSON body: content in base64), --symbol, --version (original, Rev.1, Corr.1).",
        command_input(contract.VisitFileAttached, "media_type", "size", "sha256", "assessment_version",
                      content=FileContent(), version=files.version(required=False),
                      file_name=files.file_name(required=False)),
        COORDINATION, App.attach_file, Visit.attach_file,
        lambda visit, ctx: {"document_kind": "needs_assessment" if visit.needs else "consent_letter",
                            **trial_file(visit.files, "needs_assessment" if visit.needs else "consent_letter")}),
    _step("record-follow-up", "Record follow-up (--summary, --results).", contract.FollowUpRecorded,
          App.record_follow_up, Visit.record_follow_up, lambda visit, ctx: {"summary": "follow-up"}),
    _step("close", "Close a conducted visit's field stage (its follow-up goes on).", contract.VisitClosed,
          App.close_visit, Visit.close, lambda visit, ctx: {}),
    _step("draft-report", "Draft the visit's report (--summary) with its recommendations: --recommendation "
          "ID:AREA:PRIORITY:TEXT, repeated; a new draft replaces the last until adopted.",
          contract.VisitReportDrafted, App.draft_report, Visit.draft_report,
          lambda visit, ctx: {"summary": "a report", "recommendations": []}, "draft",
          list_options={"recommendations": ("--recommendation", "ID:AREA:PRIORITY:TEXT, repeated",
                                            _parse_recommendation)}),
    _step("adopt-report", "The Committee adopts the report as last drafted (--note).", contract.VisitReportAdopted,
          App.adopt_report, Visit.adopt_report, lambda visit, ctx: {"note": ""}, "draft"),
    Command(
        "transmit-report", "Transmit the adopted report to the State: its observations are due in 30 days, its "
        "response in six months, unless --observations-due-on / --response-due-on say otherwise.",
        command_input(
            contract.VisitReportTransmitted,
            observations_due_on=f.date(required=False, allow_none=True, load_default=None,
                                       meaning="When the State's factual observations are due; by default the "
                                               "Committee's setting (30 days after transmission)."),
            response_due_on=f.date(required=False, allow_none=True, load_default=None,
                                   meaning="When the State's response on implementation is due; by default the "
                                           "Committee's setting (six months after transmission)."),
        ),
        COORDINATION, App.transmit_report, Visit.transmit_report,
        lambda visit, ctx: {"observations_due_on": None, "response_due_on": None},
    ),
    _step("receive-state-answer", "The State's factual observations or its response arrived (--answer "
          "observations|response, --summary); lateness is recorded.", contract.StateAnswerReceived,
          App.receive_state_answer, Visit.receive_state_answer,
          lambda visit, ctx: {"answer": _awaited_answer(visit), "summary": ""}, "due_on", "days_late"),
    _step("remind-state", "Remind the State of an answer it owes (--answer observations|response, --note).",
          contract.StateReminded, App.remind_state, Visit.remind_state,
          lambda visit, ctx: {"answer": _awaited_answer(visit), "note": ""}, "due_on"),
    _step("update-recommendation", "A recommendation's implementation status changed (--recommendation-id, "
          "--status, --evidence).", contract.RecommendationStatusUpdated, App.update_recommendation,
          Visit.update_recommendation, _recommendation_probe, "previous_status"),
    _step("end-follow-up", "End the follow-up of a closed visit (--summary): nothing more is followed.",
          contract.FollowUpEnded, App.end_follow_up, Visit.end_follow_up, lambda visit, ctx: {"summary": "ended"}),
    _step("cancel", "Call the visit off (--reason).", contract.VisitCancelled, App.cancel, Visit.cancel,
          lambda visit, ctx: {"reason": "cancelled"}),
    _step("postpone", "Put the visit off (--reason); fix dates again later.", contract.VisitPostponed,
          App.postpone, Visit.postpone, lambda visit, ctx: {"reason": "postponed"}, "starts_on", "ends_on"),
    _step("reset-due-date", "After a postponement, set again when the State's consent or an organization's "
          "pre-visit information is due (--awaited, --due-on, --organization).", contract.DueDateReset,
          App.reset_due_date, Visit.reset_due_date, _due_date_probe, "previous_due_on"),
)

DONORS = Commands(
    "donor", "donors", "donor_id",
    Command(
        "register", "Register a donor (--name, --donor-kind, --thematic-areas repeated).",
        command_input(contract.DonorRegistered, "expected_version", donor_id=fields.UUID(load_default=None)),
        COORDINATION, App.register_donor,
    ),
    Command(
        "update-interests", "Replace a donor's thematic areas of interest (--thematic-areas, repeated).",
        command_input(contract.DonorInterestsUpdated), COORDINATION, App.update_donor_interests,
        Donor.update_interests, lambda donor, ctx: {"thematic_areas": []},
    ),
)

ORGANIZATIONS = Commands(
    "organization", "organizations", "organization_id",
    Command(
        "register", "Add an organization to the directory a visit invites from (--name, --abbreviations, "
        "--also-known-as repeated, --organization-kind).",
        command_input(contract.OrganizationRegistered, "expected_version",
                      organization_id=fields.UUID(load_default=None)),
        COORDINATION, App.register_organization,
    ),
)

TABLES = (VISITS, DONORS, ORGANIZATIONS)
