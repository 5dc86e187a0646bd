"""The meetings commands of the ``fieldwork`` CLI: a thin client of the meetings HTTP API."""
from __future__ import annotations

import click

from shared.cli.client import call, show
from shared.cli.schema_commands import add_table_commands, record_commands
from meetings.commands import GROUPS, MEETINGS, MEMBERSHIPS


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
def groups() -> None:
    """Every group with its id and chair."""
    for group in call("meetings", "GET", "/groups"):
        chair = group["chair"]
        chaired = f"chair {chair['user']} ({chair['member_state']})" if chair else "no chair"
        click.echo(f"{group['id']}  {group['committee']:4}  {group['name']}  [{chaired}]")


record_commands(meetings, "meetings", "meetings", "meeting", "status, documents, outcomes, what it awaits")


def _print_meetings(rows: list[dict]) -> None:
    for m in rows:
        flags = " ".join(m["awaiting"] + [f"overdue:{a['outcome_id']} (due {a['due_on']}, {a['owner']})"
                                          for a in m.get("action_items_overdue", [])])
        click.echo(f"{m['id']}  {m['starts_at'] or '-':25}  {m['status']:9}  {m['title']}  ({m['group']})  {flags}")
    click.echo(f"{len(rows)} meeting(s)")


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
def list_meetings(group_id, awaiting, overdue, as_json) -> None:
    """Meetings, e.g. those held but not yet reported (--awaiting report_to_committee), or with an
    action item overdue (--overdue)."""
    params = {k: v for k, v in {"group_id": group_id, "awaiting": awaiting, "overdue": "true" if overdue else None}.items()
              if v}
    rows = call("meetings", "GET", "/meetings", params=params)
    show(rows) if as_json else _print_meetings(rows)


@meetings.command("outcomes-awaiting-approval")
@click.option("--group-id")
def outcomes_awaiting(group_id) -> None:
    """Outcomes logged and not yet approved by the Committee."""
    show(call("meetings", "GET", "/outcomes/awaiting-approval", params={"group_id": group_id} if group_id else None))


@meetings.command("calendar-url")
@click.option("--group-id")
def calendar_url(group_id) -> None:
    """The address of the iCalendar feed to subscribe to."""
    from shared.cli.client import service_url

    click.echo(f"{service_url('meetings')}/schedule.ics" + (f"?group_id={group_id}" if group_id else ""))
