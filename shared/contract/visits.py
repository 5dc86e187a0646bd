"""Payload schemas of the events published on ``visits.events``.

One schema per event type and schema version, each defined once here: its docstring says what
the event means, ``aggregate`` which record it belongs to, and each field's ``meaning`` what
the field says; the catalogue (``shared.contract.catalogue``) lists them in this order and
``docs/events.md`` is written from them.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.contract.fields import meant
from shared.contract.files import VISIT_FILE_KINDS, FileFields
from shared.contract.vocabulary import (
    COMMITTEES,
    DONOR_KINDS,
    ORGANIZATION_KINDS,
    ORIGINS,
    PRIORITIES,
    RECOMMENDATION_STATUSES,
    STATE_ANSWERS,
)

# -- country visits ------------------------------------------------------------------------


class VisitProposed(Schema):
    """A visit to a Member State is proposed, by the CTC or the 1540 Committee; a 1540 visit
    may come from the State's own invitation."""

    aggregate = "visit"
    member_state = f.member_state(meaning="The State to visit.")
    committee = f.one_of(COMMITTEES, meaning="The Committee whose visit it is: `ctc` or `1540`.")
    origin = f.one_of(ORIGINS, meaning="How the visit came about: selected by the Committee, or at the "
                                       "State's invitation (1540 visits only; the invitation is the State's consent).")
    purpose = f.text(meaning="What the visit is for, in the coordinator's words.")


class VisitApproved(Schema):
    """The Committee approved the visit; only approved visits are prepared and conducted."""

    aggregate = "visit"


class ConsentRequested(Schema):
    """The State's consent to the visit was asked, optionally with a reply date."""

    aggregate = "visit"
    due_on = f.date(required=False, allow_none=True, load_default=None,
                    meaning="The date the State is asked to answer by; past it, the consent is overdue.")


class ConsentGranted(Schema):
    """The State consented to the visit (an invitation counts as consent)."""

    aggregate = "visit"


class ConsentDeclined(Schema):
    """The State declined the visit; this ends the visit."""

    aggregate = "visit"
    reason = f.text(meaning="The reason the State gave, if any.")


class ConsentWithdrawn(Schema):
    """The State took back its consent (or its invitation) before the visit started: the visit
    is not prepared further without it, its dates (if fixed) given up; its consent may be asked
    again."""

    aggregate = "visit"
    reason = f.text(meaning="The reason the State gave, if any.")
    starts_on = f.date(required=False, allow_none=True, load_default=None,
                       meaning="The first day the visit was scheduled for and gives up, or `null`.")
    ends_on = f.date(required=False, allow_none=True, load_default=None,
                     meaning="The last day it was scheduled for and gives up, or `null`.")


class OrganizationInvited(Schema):
    """An international, regional or subregional organization or UN body was invited to take
    part in the visit."""

    aggregate = "visit"
    organization = f.name(meaning="The organization's name in the directory of organizations (the 2003 annex's "
                                  "and those the secretariat registered), whatever name it was invited by "
                                  "(e.g. `United Nations Office on Drugs and Crime` for `UNODC`).")
    kind = f.one_of(ORGANIZATION_KINDS, meaning="What kind of organization it is.")


class PreVisitInfoRequested(Schema):
    """Pre-visit information was asked of an invited organization, with a due date."""

    aggregate = "visit"
    organization = f.name(meaning="The invited organization asked.")
    due_on = f.date(meaning="The date its information is due.")


class PreVisitInfoReceived(Schema):
    """An organization's pre-visit information arrived; `late` when it arrived after the visit
    started, `after_due_date` when after the date asked."""

    aggregate = "visit"
    organization = f.name(meaning="The organization that gave it.")
    summary = f.text(meaning="What the information covers, in a few words.")
    late = f.flag(meaning="`true` when it arrived once the visit had started: not given in advance.")
    after_due_date = f.flag(meaning="`true` when it arrived after the date it was due.")


class VisitScheduled(Schema):
    """The visit's dates were fixed (only after consent)."""

    aggregate = "visit"
    starts_on = f.date(meaning="The visit's first day.")
    ends_on = f.date(meaning="The visit's last day.")


class VisitStarted(Schema):
    """The visit started."""

    aggregate = "visit"


class VisitCompletedV1(Schema):
    """The visit ended (schema version 1: who took part is not said)."""

    aggregate = "visit"
    event_type = "visit_completed"
    schema_version = 1


class VisitCompleted(Schema):
    """The visit ended, with the invited organizations that took part and the visiting team."""

    aggregate = "visit"
    schema_version = 2
    organizations_taking_part = fields.List(
        f.name(), load_default=list, validate=validate.Length(max=100),
        metadata=meant("The invited organizations that took part in the visit, by their names in the directory."))
    team = fields.List(f.name(), load_default=list, validate=validate.Length(max=100),
                       metadata=meant("Who made up the visiting team (e.g. `CTED: legal expert`), each as noted."))


class NeedSchema(Schema):
    need_id = f.ident(meaning="The need's identifier, unique within the assessment (e.g. `KEN-2026-01`).")
    thematic_area = f.thematic_area(meaning="The thematic area of the need (the visit's Committee's own list).")
    description = f.text(required=True, meaning="What is needed.")
    priority = f.one_of(PRIORITIES, meaning="Its priority: `high`, `medium` or `low`.")


class NeedsAssessmentRecorded(Schema):
    """The needs and priorities identified during the visit were recorded, each with a thematic
    area and a priority; a new version replaces the previous one."""

    aggregate = "visit"
    needs = fields.List(
        fields.Nested(NeedSchema), required=True, validate=validate.Length(min=1, max=500),
        metadata=meant("Every need identified, the whole list (it replaces the previous version's)."),
    )
    summary = f.text(meaning="The assessment in a few sentences.")
    assessment_version = f.version(meaning="The assessment's version: 1, then one more each time it is recorded again.")


class DonorSharingConsentGranted(Schema):
    """The State consented to share its needs assessment with donors (separate from the visit
    consent); the consent covers the version of the assessment recorded when it is given, and a
    later version needs the State's consent again."""

    aggregate = "visit"


class DonorSharingConsentDeclined(Schema):
    """The State declined to share its needs assessment with donors."""

    aggregate = "visit"
    reason = f.text(meaning="The reason the State gave, if any.")


class DonorSharingConsentWithdrawn(Schema):
    """The State withdrew its consent to share its needs assessment with donors."""

    aggregate = "visit"
    reason = f.text(meaning="The reason the State gave, if any (each revocation notice repeats it).")


class NeedsAssessmentShared(Schema):
    """Needs of the assessment were shared with one registered donor, under the sharing consent
    in force; `consent_version` is the visit's version after the
    `donor_sharing_consent_granted` event that gave it (its `event_id` is derived from the
    visit's id and that version), and `assessment_version` the version of the needs assessment
    sent, which that consent covered."""

    aggregate = "visit"
    donor_id = fields.UUID(required=True, metadata=meant("The registered donor it was shared with."))
    donor_name = f.name(meaning="The donor's name when it was shared.")
    need_ids = fields.List(f.ident(), required=True, validate=validate.Length(min=1, max=500),
                           metadata=meant("The needs shared (`need_id`s of that version of the assessment)."))
    assessment_version = f.version(meaning="The version of the needs assessment shared.")
    consent_version = f.version(meaning="The visit's version after the consent event the share rests on.")


class NeedsAssessmentShareRevoked(Schema):
    """The State withdrew its sharing consent: a revocation notice to a donor that received a
    share, one per share; `share_version` is the visit's version at the
    `needs_assessment_shared` event revoked."""

    aggregate = "visit"
    donor_id = fields.UUID(required=True, metadata=meant("The donor the revoked share was made to."))
    donor_name = f.name(meaning="The donor's name when it was shared.")
    share_version = f.version(meaning="The visit's version at the `needs_assessment_shared` event revoked.")
    reason = f.text(meaning="The reason the State gave for withdrawing its consent, if any.")


class FollowUpRecorded(Schema):
    """Follow-up to the visit was recorded: results assessed, Committee updated."""

    aggregate = "visit"
    summary = f.text(required=True, meaning="What was followed up, and how the Committee was updated.")
    results = f.text(meaning="The results assessed, if any.")


class RecommendationSchema(Schema):
    recommendation_id = f.ident(meaning="The recommendation's identifier, unique within the report (e.g. `R1`).")
    thematic_area = f.thematic_area(meaning="The thematic area it concerns (the visit's Committee's own list).")
    priority = f.one_of(PRIORITIES, meaning="Its priority: `high`, `medium` or `low`.")
    text = f.text(required=True, meaning="What the State is recommended to do.")
    due_on = f.date(required=False, allow_none=True, load_default=None,
                    meaning="When it is to be implemented by, if the report says; past it, an open one is overdue.")


class VisitReportDrafted(Schema):
    """The visit's report was drafted, with its recommendations (each with its thematic area
    and priority); a new draft replaces the previous one until the Committee adopts it."""

    aggregate = "visit"
    summary = f.text(required=True, meaning="The report's findings, in brief.")
    recommendations = fields.List(
        fields.Nested(RecommendationSchema), load_default=list, validate=validate.Length(max=200),
        metadata=meant("Every recommendation of this draft, the whole list (it replaces the previous draft's)."))
    draft = f.version(meaning="The draft's number: 1, then one more each time the report is drafted again.")


class VisitReportAdopted(Schema):
    """The Committee adopted the visit's report as last drafted; its recommendations are then
    fixed and followed."""

    aggregate = "visit"
    draft = f.version(meaning="The draft adopted.")
    note = f.text(meaning="The Committee's note, if any (e.g. the meeting that adopted it).")


class VisitReportTransmitted(Schema):
    """The adopted report was transmitted to the State, which is asked for its factual
    observations and, later, its response on implementation by the dates said."""

    aggregate = "visit"
    observations_due_on = f.date(meaning="When the State's factual observations are due (30 days unless set).")
    response_due_on = f.date(meaning="When the State's response on implementation is due (six months unless set).")


class StateAnswerReceived(Schema):
    """The State's factual observations on the report, or its response on implementation, arrived."""

    aggregate = "visit"
    answer = f.one_of(STATE_ANSWERS, meaning="Which answer: `observations` or `response`.")
    summary = f.text(meaning="What the State said, in brief.")
    due_on = f.date(meaning="When it was due.")
    days_late = fields.Integer(required=True, validate=validate.Range(min=0),
                               metadata=meant("Days after its due date it arrived (in the Committee's time zone); 0 on time."))


class StateReminded(Schema):
    """The State was reminded of an answer it owes (its observations or its response)."""

    aggregate = "visit"
    answer = f.one_of(STATE_ANSWERS, meaning="Which answer it was reminded of.")
    due_on = f.date(meaning="When that answer is (or was) due.")
    note = f.text(meaning="How, or what was said, if noted.")


class RecommendationStatusUpdated(Schema):
    """A recommendation's implementation status changed, with the evidence for it."""

    aggregate = "visit"
    recommendation_id = f.ident(meaning="The recommendation, by its identifier in the adopted report.")
    status = f.one_of(RECOMMENDATION_STATUSES,
                      meaning="Its status now: `not_started`, `in_progress`, `implemented` or `no_longer_relevant`.")
    previous_status = f.one_of(RECOMMENDATION_STATUSES, meaning="Its status before.")
    evidence = f.text(meaning="What shows it (a law adopted, a report received, a donor's project ...).")


class FollowUpEnded(Schema):
    """The follow-up to the visit ended: nothing more is awaited from the State or followed."""

    aggregate = "visit"
    summary = f.text(required=True, meaning="Why the follow-up ends, and how it stands.")


class VisitClosed(Schema):
    """The visit was closed."""

    aggregate = "visit"
    summary = f.text(meaning="A closing summary, if any.")


class VisitCancelled(Schema):
    """The visit was cancelled."""

    aggregate = "visit"
    reason = f.text(required=True, meaning="Why the visit was called off.")


class VisitPostponedV1(Schema):
    """The visit was postponed (schema version 1: the dates it gave up are not said)."""

    aggregate = "visit"
    event_type = "visit_postponed"
    schema_version = 1
    reason = f.text(required=True, meaning="Why the visit was put off.")


class VisitPostponed(Schema):
    """The visit was postponed; the dates it gives up are kept (null for a visit not yet
    scheduled), and its dates are fixed again later."""

    aggregate = "visit"
    schema_version = 2
    reason = f.text(required=True, meaning="Why the visit was put off.")
    starts_on = f.date(required=False, allow_none=True, load_default=None,
                       meaning="The first day it was scheduled for and gives up, or `null`.")
    ends_on = f.date(required=False, allow_none=True, load_default=None,
                     meaning="The last day it was scheduled for and gives up, or `null`.")


class DueDateReset(Schema):
    """After a postponement, a due date is set again: the State's answer to the consent request,
    or an organization's pre-visit information, still awaited."""

    aggregate = "visit"
    awaited = f.one_of(("consent", "pre_visit_info"),
                       meaning="What is awaited by the date: the State's consent, or pre-visit information.")
    organization = f.name(required=False, meaning="For pre-visit information: the organization; else `\"\"`.")
    due_on = f.date(meaning="The new due date.")
    previous_due_on = f.date(required=False, allow_none=True, load_default=None,
                             meaning="The due date it replaces, or `null` (none was set).")


class VisitFileAttached(FileFields):
    """A file of the visit was kept: the needs assessment as a document (attached to the version
    of the assessment recorded when it came; a donor may read it only while a share of that
    version with it stands) or the State's consent letter. The bytes stay in the visits
    service's store; the event carries their hash."""

    aggregate = "visit"
    document_kind = f.one_of(VISIT_FILE_KINDS, meaning="Which document of the visit it is.")
    assessment_version = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=1),
                                        metadata=meant("For a needs assessment, the version of the assessment it "
                                                       "was attached to; `null` for a consent letter."))



# -- the directory of organizations ----------------------------------------------------------


class OrganizationRegistered(Schema):
    """The secretariat added an organization to the directory of organizations a visit may
    invite (beside those of the 2003 follow-up action plan's annex)."""

    aggregate = "organization"
    name = f.name(meaning="Its name, the one invitations record (e.g. `United Nations Office for Disarmament Affairs`).")
    abbreviations = fields.List(f.name(), load_default=list, validate=validate.Length(max=10),
                                metadata=meant("Its abbreviations (e.g. `UNODA`); each finds it."))
    also_known_as = fields.List(f.name(), load_default=list, validate=validate.Length(max=10),
                                metadata=meant("Other names it is known by (former names, other languages); each finds it."))
    organization_kind = f.one_of(ORGANIZATION_KINDS, meaning="What kind of organization it is.")
    part_of = f.text(max_length=f.MAX_NAME, meaning="The organization it is part of, if any, by name.")


# -- donors ---------------------------------------------------------------------------------


class DonorRegistered(Schema):
    """A donor (interested State, international or regional organization) was registered with
    the thematic areas that interest it."""

    aggregate = "donor"
    name = f.name(meaning="The donor's name (e.g. `Government of Canada`).")
    donor_kind = f.one_of(DONOR_KINDS, meaning="What kind of donor it is.")
    thematic_areas = fields.List(f.thematic_area(), required=True, validate=validate.Length(min=1),
                                 metadata=meant("The thematic areas that interest it: needs in them are matched to it."))
    contact = f.text(max_length=f.MAX_NAME, meaning="Whom to contact at the donor, if known.")


class DonorInterestsUpdated(Schema):
    """A donor's thematic areas of interest were replaced."""

    aggregate = "donor"
    thematic_areas = fields.List(f.thematic_area(), required=True, validate=validate.Length(min=1),
                                 metadata=meant("Its thematic areas of interest from now on, the whole list."))
