"""Every command of the notifications service, declared once (``shared.commands``): the
directory's. Notifications themselves are recorded and sent by the service, never by a command.
"""
from __future__ import annotations

from datetime import timedelta

from marshmallow import fields

from shared.auth import SECRETARIAT
from shared.commands import Command, Commands, command_input
from shared.contract import notifications as contract
from notifications.application import NotificationsApplication as App
from notifications.domain import Contact

CONTACTS = Commands(
    "contact", "contacts", "contact_id",
    Command(
        "list-contact",
        "Put a person or office in the directory: --role, --committee, --name, --email, --since, and the "
        "State (--member-state), organization (--organization) or donor (--donor-id) its role names.",
        command_input(contract.ContactListed, "expected_version", contact_id=fields.UUID(load_default=None)),
        SECRETARIAT, App.list_contact,
    ),
    Command("change-contact", "Change a contact's name and address (--name, --email).",
            command_input(contract.ContactChanged), SECRETARIAT, App.change_contact, Contact.change,
            lambda contact, ctx, **_: {"name": contact.name + " (changed)", "email": contact.email}),
    Command("end-contact", "The last day a contact holds its role (--until, --reason).",
            command_input(contract.ContactEnded), SECRETARIAT, App.end_contact, Contact.end,
            lambda contact, ctx, **_: {"until": max(contact.since, ctx.occurred_at.date() - timedelta(days=0)),
                                       "reason": ""}),
)

TABLES = (CONTACTS,)
