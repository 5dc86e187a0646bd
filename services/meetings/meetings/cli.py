"""The meetings commands of the ``fieldwork`` CLI: a thin client of the meetings HTTP API."""
from __future__ import annotations

import click

from shared.cli.client import call, print_table, show
from shared.cli.finding import find_options
from shared.cli.schema_commands import add_table_commands, record_commands
from meetings.commands import GROUPS, MEETINGS, MEMBERSHIPS
from meetings.views import MEETING_LISTING


@click.group("meetings")
def meetings() -> None:
    """Working groups, their meetings and the published schedule."""


add_table_commands(meetings, "meetings", GROUPS)
add_table_commands(meetings, "meetings", MEETINGS)
add_table_commands(meetings, "meetings", MEMBERSHIPS)


@meetings.command("load-groups")
@click.option("--occurred-at", help="when those established now were set up (ISO 8601 with offset; default now)")
def load_groups(occurred_at) -> None:
    """Load the four working groups of the 1540 Committee (loading again changes nothing)."""
    for entry in call("meetings", "POST", "/groups/load-reference", {"occurred_at": occurred_at} if occurred_at else {}):
        click.echo(f"{'created' if entry['created'] else 'exists '}  {entry['name']}")


@meetings.command("groups")
@click.option("--name", help="only the groups whose name contains this (any case)")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@click.option("--quiet", "-q", is_flag=True, help="print only their ids")
def groups(name, as_json, quiet) -> None:
    """Every group with its id and chair."""
    rows = [g for g in call("meetings", "GET", "/groups") if not name or name.casefold() in g["name"].casefold()]
    if as_json:
        show(rows)
    elif quiet:
        for group in rows:
            click.echo(group["id"])
    else:
        print_table(rows, [("ID", lambda g: g["id"]), ("COMMITTEE", lambda g: g["committee"]), ("NAME", lambda g: g["name"]),
                           ("CHAIR", lambda g: f"{g['chair']['user']} ({g['chair']['member_state']})" if g["chair"] else "none")],
                    "group")


record_commands(meetings, "meetings", "meetings", "meeting", "status, documents, outcomes, what it awaits")


def _print_meetings(rows: list[dict]) -> None:
    def flags(m: dict) -> str:
        return ", ".join([a.replace("_", " ") for a in m["awaiting"]]
                         + [f"overdue: {a['outcome_id']} (due {a['due_on']}, {a['owner']})"
                            for a in m.get("action_items_overdue", [])])

    print_table(rows, [("ID", lambda m: m["id"]), ("STARTS", lambda m: m["starts_at"] or "-"),
                       ("STATUS", lambda m: m["status"]), ("TITLE", lambda m: m["title"]),
                       ("GROUP", lambda m: m["group"]), ("AWAITING", flags)], "meeting")


@meetings.command("schedule-list")
@click.option("--group-id")
@click.option("--json", "as_json", is_flag=True)
def schedule_list(group_id, as_json) -> None:
    """The published schedule: upcoming meetings, per group or across groups."""
    rows = call("meetings", "GET", "/schedule", params={"group_id": group_id} if group_id else None)
    show(rows) if as_json else _print_meetings(rows)


@meetings.command("list")
@click.option("--group-id")
@click.option("--awaiting", type=click.Choice(["announcement", "documents", "report_to_committee", "outcome_approval"]))
@click.option("--overdue", is_flag=True, help="Only those with an action item open past its due date.")
@click.option("--json", "as_json", is_flag=True)
@find_options(MEETING_LISTING)
def list_meetings(group_id, awaiting, overdue, as_json, finding) -> None:
    """Meetings, e.g. those held but not yet reported (--awaiting report_to_committee), or with an
    action item overdue (--overdue); found by words (a title, a group), dates and put in an order."""
    params = {k: v for k, v in {"group_id": group_id, "awaiting": awaiting, "overdue": "true" if overdue else None,
                                **finding}.items() if v}
    rows = call("meetings", "GET", "/meetings", params=params)
    show(rows) if as_json else _print_meetings(rows)


@meetings.command("outcomes-awaiting-approval")
@click.option("--group-id")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def outcomes_awaiting(group_id, as_json) -> None:
    """Outcomes logged and not yet approved by the Committee."""
    rows = call("meetings", "GET", "/outcomes/awaiting-approval", params={"group_id": group_id} if group_id else None)
    if as_json:
        show(rows)
        return
    print_table(rows, [("MEETING ID", lambda o: o["meeting_id"]), ("MEETING", lambda o: o["meeting"]),
                       ("OUTCOME", lambda o: o["outcome_id"]), ("KIND", lambda o: o["outcome_kind"].replace("_", " ")),
                       ("LOGGED", lambda o: (o["logged_at"] or "")[:10]), ("TEXT", lambda o: o["text"][:60])], "outcome")


@meetings.command("calendar-url")
@click.option("--group-id")
def calendar_url(group_id) -> None:
    """The address of the iCalendar feed to subscribe to."""
    from shared.cli.client import service_url

    click.echo(f"{service_url('meetings')}/schedule.ics" + (f"?group_id={group_id}" if group_id else ""))
