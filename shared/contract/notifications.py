"""Payload schemas of the events published on ``notifications.events``: the directory of
contacts and the notifications sent to them (services/notifications).

One schema per event type and schema version, each defined once here, as in
``shared.contract.visits``: its docstring, ``aggregate`` and each field's ``meaning``.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.contract.fields import meant
from shared.contract.vocabulary import COMMITTEES, CONTACT_COMMITTEES, CONTACT_ROLES, NOTICES, SUBJECT_KINDS

MAX_BODY = 100_000


def _email(meaning: str) -> fields.Email:
    return fields.Email(required=True, validate=validate.Length(max=254), metadata=meant(meaning))


# -- the directory ------------------------------------------------------------------------------


class ContactListed(Schema):
    """A person or office was put in the directory: who, in which role, for which Committee,
    from when (and until when, if known)."""

    aggregate = "contact"
    role = f.one_of(CONTACT_ROLES, meaning="What the contact is: a Council delegation, a State's national contact "
                                            "point, an organization's focal point, a donor's contact, the secretariat.")
    committee = f.one_of(CONTACT_COMMITTEES, meaning="The Committee whose work it is told of: `ctc`, `1540` or `both`.")
    name = f.name(meaning="The person's or office's name, e.g. `Permanent Mission of Kenya`.")
    email = _email("The address notifications go to.")
    member_state = fields.String(load_default=None, allow_none=True, validate=f._member_state, metadata=meant(
        "A delegation's or contact point's State (ISO 3166-1 alpha-3); `null` for others."))
    organization = f.name(required=False, meaning="A focal point's organization, by its name in the directory of "
                                                  "organizations; `\"\"` for others.")
    donor_id = fields.UUID(load_default=None, allow_none=True, metadata=meant(
        "A donor contact's registered donor; `null` for others."))
    since = f.date(meaning="The first day the contact holds the role.")
    until = f.date(required=False, load_default=None, allow_none=True,
                   meaning="The last day it holds the role, or `null`: until further notice.")


class ContactChanged(Schema):
    """A contact's name or address changed (the whole new values)."""

    aggregate = "contact"
    name = f.name(meaning="The name now.")
    email = _email("The address now.")


class ContactEnded(Schema):
    """A contact no longer holds the role after a day (a delegation that left the Council, a
    focal point replaced)."""

    aggregate = "contact"
    until = f.date(meaning="The last day it held the role.")
    reason = f.text(meaning="Why, if said.")


# -- notifications ------------------------------------------------------------------------------


class AttachmentSchema(Schema):
    filename = f.name(meaning="The file's name, e.g. `meeting.ics`.")
    content_type = f.name(meaning="Its media type, e.g. `text/calendar; method=REQUEST`.")
    content = fields.String(required=True, validate=validate.Length(max=MAX_BODY), metadata=meant("Its text."))


class NotificationRecorded(Schema):
    """A notification was recorded, before it is sent: one per causing event (or due date) and
    recipient; its id follows from both, so a redelivered event records nothing twice."""

    aggregate = "notification"
    cause_event_id = fields.UUID(required=True, metadata=meant(
        "The event that caused it (for a reminder: the event that set the due date)."))
    cause_event_type = f.name(meaning="That event's type.")
    notice = f.one_of(NOTICES, meaning="What it tells.")
    subject_kind = f.one_of(SUBJECT_KINDS, meaning="What it is about: a `visit` or a `meeting`.")
    subject_id = fields.UUID(required=True, metadata=meant("Which visit or meeting."))
    committee = f.one_of(COMMITTEES, meaning="The Committee whose visit or meeting it is.")
    regarding_on = f.date(meaning="The day it is about: the meeting's start, the due date, the day of the step.")
    contact_id = fields.UUID(required=True, metadata=meant("The contact in the directory it is sent to."))
    role = f.one_of(CONTACT_ROLES, meaning="The contact's role.")
    recipient = f.name(meaning="The contact's name.")
    email = _email("The address it is sent to.")
    member_state = fields.String(load_default=None, allow_none=True, validate=f._member_state, metadata=meant(
        "The recipient's State (a delegation, a contact point), or `null`."))
    organization = f.name(required=False, meaning="The recipient's organization (a focal point), or `\"\"`.")
    subject = f.name(meaning="The message's subject line.")
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY),
                         metadata=meant("The message in plain text."))
    html = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY),
                         metadata=meant("The message in HTML."))
    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list, validate=validate.Length(max=5),
                              metadata=meant("What is attached (a meeting's `.ics`)."))


class NotificationSent(Schema):
    """The mail server accepted the notification (or, where no server is configured, it was
    written to the data folder)."""

    aggregate = "notification"
    attempt = f.version(meaning="Which attempt succeeded (1: the first).")
    answer = f.text(meaning="What the server answered, e.g. `250 OK`.")


class NotificationDeferred(Schema):
    """An attempt failed for a reason that may pass (the server down, a 4xx answer): tried again later."""

    aggregate = "notification"
    attempt = f.version(meaning="Which attempt failed.")
    answer = f.text(meaning="The server's answer, or why it could not be reached.")
    next_attempt_at = f.when(meaning="When it is tried again.")


class NotificationFailed(Schema):
    """The notification cannot be delivered: the server refused it for good (a 5xx answer), or
    it was deferred for longer than the retry period."""

    aggregate = "notification"
    attempt = f.version(meaning="The last attempt.")
    answer = f.text(meaning="The server's answer, or why it was given up.")
