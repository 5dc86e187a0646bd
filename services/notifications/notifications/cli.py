"""The directory's and the notifications' commands of the ``fieldwork`` CLI: a thin client of
the HTTP API. ``fieldwork contacts list-contact --role delegation --committee both --name ...``;
``fieldwork notifications list --subject-id MEETING_ID``."""
from __future__ import annotations

import click

from shared.cli.client import call, print_record, print_table, show
from shared.cli.schema_commands import add_table_commands, record_commands
from notifications.commands import CONTACTS


@click.group("contacts")
def contacts() -> None:
    """The directory: delegations, national contact points, focal points, donors' contacts, secretariats."""


add_table_commands(contacts, "notifications", CONTACTS)
record_commands(contacts, "notifications", "contacts", "contact", "its role, address and the days it holds the role")


@contacts.command("list")
@click.option("--role", type=click.Choice(["delegation", "national_contact_point", "organization_focal_point",
                                           "donor_contact", "secretariat"]))
@click.option("--committee", type=click.Choice(["ctc", "1540"]))
@click.option("--member-state", help="ISO 3166-1 alpha-3 code")
@click.option("--on", help="only those holding their role on this day (YYYY-MM-DD)")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def list_contacts(role, committee, member_state, on, as_json) -> None:
    """The directory, filtered by role, Committee, State, day."""
    params = {"role": role, "committee": committee, "member_state": member_state, "on": on}
    rows = call("notifications", "GET", "/contacts", params={k: v for k, v in params.items() if v})
    if as_json:
        show(rows)
        return
    print_table(rows, [("ID", lambda c: c["id"]), ("ROLE", lambda c: c["role"]), ("COMMITTEE", lambda c: c["committee"]),
                       ("FOR", lambda c: (c["member_state_name"] or c["organization"] or c["donor_id"] or "")[:40]),
                       ("NAME", lambda c: c["name"][:40]), ("E-MAIL", lambda c: c["email"]),
                       ("FROM", lambda c: c["since"]), ("UNTIL", lambda c: c["until"] or "...")], "contact")


@click.group("notifications")
def notifications() -> None:
    """Who was told what and when: the notifications recorded and sent."""


@notifications.command("list")
@click.option("--subject-id", help="a visit's or meeting's id")
@click.option("--status", type=click.Choice(["recorded", "deferred", "sent", "failed"]))
@click.option("--notice", help="e.g. meeting_announced, consent_overdue")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def list_notifications(subject_id, status, notice, as_json) -> None:
    """Notifications, filtered by visit or meeting, status, notice."""
    params = {"subject_id": subject_id, "status": status, "notice": notice}
    rows = call("notifications", "GET", "/notifications", params={k: v for k, v in params.items() if v})
    if as_json:
        show(rows)
        return
    print_table(rows, [("RECORDED", lambda n: n["recorded_at"][:16]), ("NOTICE", lambda n: n["notice"]),
                       ("STATUS", lambda n: n["status"]), ("TO", lambda n: n["recipient"][:40]),
                       ("E-MAIL", lambda n: n["email"])], "notification")


@notifications.command("show")
@click.argument("notification_id")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of lines")
def show_notification(notification_id: str, as_json: bool) -> None:
    """One notification, with its message."""
    found = call("notifications", "GET", f"/notifications/{notification_id}")
    show(found) if as_json else print_record(found)
