"""The read side of the notifications service: the directory's and the notifications' filters
and views."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract.vocabulary import COMMITTEES, CONTACT_ROLES, NOTICES, country_name
from shared.domain import Context
from shared.http import jsonable, load
from notifications.commands import CONTACTS
from notifications.domain import Contact, Notification

STATUSES = ("recorded", "deferred", "sent", "failed")


class ContactFilters(Schema):
    role = fields.String(load_default=None, validate=validate.OneOf(CONTACT_ROLES))
    committee = fields.String(load_default=None, validate=validate.OneOf(COMMITTEES),
                              metadata={"description": "the contacts of this Committee (those of both included)"})
    member_state = fields.String(load_default=None, metadata={"description": "ISO 3166-1 alpha-3"})
    on = fields.Date(load_default=None, metadata={"description": "only those holding their role on this day"})


class NotificationFilters(Schema):
    subject_id = fields.UUID(load_default=None, metadata={"description": "the visit or meeting it is about"})
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    notice = fields.String(load_default=None, validate=validate.OneOf(NOTICES))
    contact_id = fields.UUID(load_default=None)


def read_filters(schema: Schema, query: dict | None) -> dict:
    return load(schema, {k: v for k, v in (query or {}).items() if v not in (None, "")})


def contact_view(contact: Contact) -> dict:
    return jsonable({
        "id": contact.id, "version": contact.version, "role": contact.role, "committee": contact.committee,
        "name": contact.name, "email": contact.email, "member_state": contact.member_state,
        "member_state_name": country_name(contact.member_state) if contact.member_state else None,
        "organization": contact.organization, "donor_id": contact.donor_id, "since": contact.since,
        "until": contact.until, "ended_reason": contact.ended_reason,
    })


def contact_page(contact: Contact, ctx: Context | None) -> dict:
    page = contact_view(contact)
    if ctx is not None:
        page["next_steps"] = CONTACTS.next_steps(contact, ctx)
    return page


def notification_view(n: Notification, whole: bool = False) -> dict:
    view = {
        "id": n.id, "version": n.version, "notice": n.notice, "status": n.status, "subject_kind": n.subject_kind,
        "subject_id": n.subject_id, "committee": n.committee, "regarding_on": n.regarding_on,
        "cause_event_id": n.cause_event_id, "cause_event_type": n.cause_event_type,
        "recipient": n.recipient, "role": n.role, "email": n.email, "member_state": n.member_state,
        "organization": n.organization, "subject": n.subject, "recorded_at": n.recorded_at,
        "attempts": n.attempts, "answer": n.answer, "next_attempt_at": n.next_attempt_at, "settled_at": n.settled_at,
    }
    if whole:
        view.update(text=n.text, html=n.html, attachments=n.attachments)
    return jsonable(view)
