"""Payload schemas of the events published on ``visits.events``.

One schema per event type and schema version; ``docs/events.md`` documents each.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.contract.vocabulary import (
    COMMITTEES,
    DONOR_KINDS,
    ORGANIZATION_KINDS,
    ORIGINS,
    PRIORITIES,
)


class VisitProposed(Schema):
    member_state = f.member_state()
    committee = f.one_of(COMMITTEES)
    origin = f.one_of(ORIGINS)
    purpose = f.text()


class VisitApproved(Schema):
    pass


class ConsentRequested(Schema):
    due_on = f.date(required=False, allow_none=True, load_default=None)


class ConsentGranted(Schema):
    pass


class ConsentDeclined(Schema):
    reason = f.text()


class OrganizationInvited(Schema):
    organization = f.name()
    kind = f.one_of(ORGANIZATION_KINDS)


class PreVisitInfoRequested(Schema):
    organization = f.name()
    due_on = f.date()


class PreVisitInfoReceived(Schema):
    organization = f.name()
    summary = f.text()
    late = f.flag()
    after_due_date = f.flag()


class VisitScheduled(Schema):
    starts_on = f.date()
    ends_on = f.date()


class VisitStarted(Schema):
    pass


class VisitCompleted(Schema):
    pass


class NeedSchema(Schema):
    need_id = f.ident()
    thematic_area = f.thematic_area()
    description = f.text(required=True)
    priority = f.one_of(PRIORITIES)


class NeedsAssessmentRecorded(Schema):
    needs = fields.List(
        fields.Nested(NeedSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    summary = f.text()
    assessment_version = f.version()


class DonorSharingConsentGranted(Schema):
    pass


class DonorSharingConsentDeclined(Schema):
    reason = f.text()


class DonorSharingConsentWithdrawn(Schema):
    reason = f.text()


class NeedsAssessmentShared(Schema):
    donor_id = fields.UUID(required=True)
    donor_name = f.name()
    need_ids = fields.List(f.ident(), required=True, validate=validate.Length(min=1, max=500))
    assessment_version = f.version()
    consent_version = f.version()


class NeedsAssessmentShareRevoked(Schema):
    """The State withdrew its sharing consent: a notice to a donor that received a share.
    ``share_version`` is the visit's version at the ``needs_assessment_shared`` event revoked."""

    donor_id = fields.UUID(required=True)
    donor_name = f.name()
    share_version = f.version()
    reason = f.text()


class FollowUpRecorded(Schema):
    summary = f.text(required=True)
    results = f.text()


class VisitClosed(Schema):
    summary = f.text()


class VisitCancelled(Schema):
    reason = f.text(required=True)


class VisitPostponed(Schema):
    reason = f.text(required=True)


class DonorRegistered(Schema):
    name = f.name()
    donor_kind = f.one_of(DONOR_KINDS)
    thematic_areas = fields.List(f.thematic_area(), required=True, validate=validate.Length(min=1))
    contact = f.text(max_length=f.MAX_NAME)


class DonorInterestsUpdated(Schema):
    thematic_areas = fields.List(f.thematic_area(), required=True, validate=validate.Length(min=1))
