"""The visits and donors commands of the ``fieldwork`` CLI: a thin client of the HTTP API.

Each lifecycle step is a subcommand made from its input schema, so the CLI takes exactly the
fields the API takes: ``fieldwork visits schedule VISIT_ID --starts-on 2025-03-01 --ends-on
2025-03-05``.
"""
from __future__ import annotations

import click

from shared.cli.client import call, show
from shared.cli.schema_commands import create_command, record_commands, step_command
from visits.api import COMMAND_INPUTS, PROPOSE, REGISTER_DONOR

HELP = {
    "approve": "The Committee approves the visit.",
    "request-consent": "Ask the State's consent (optionally with --due-on).",
    "grant-consent": "The State consents.",
    "decline-consent": "The State declines: the visit ends.",
    "invite-organization": "Invite an organization to take part (--organization, --kind).",
    "request-pre-visit-info": "Ask an invited organization for pre-visit information (--due-on).",
    "receive-pre-visit-info": "Pre-visit information arrived (late if the visit already started).",
    "schedule": "Fix the dates (only after consent).",
    "start": "The visit starts.",
    "complete": "The visit ends.",
    "record-needs-assessment": "Record the needs identified: --need ID:AREA:PRIORITY:DESCRIPTION, repeated.",
    "grant-sharing-consent": "The State consents to share its needs assessment with donors.",
    "decline-sharing-consent": "The State declines to share its needs assessment.",
    "withdraw-sharing-consent": "The State withdraws its consent to share: no later sharing.",
    "share-needs-assessment": "Share needs with a registered donor (--donor-id, --need-ids, repeated).",
    "record-follow-up": "Record follow-up (--summary, --results).",
    "close": "Close a conducted visit.",
    "cancel": "Call the visit off (--reason).",
    "postpone": "Put the visit off (--reason); fix dates again later.",
}


def _parse_need(text: str) -> dict:
    parts = text.split(":", 3)
    if len(parts) != 4:
        raise click.BadParameter(f"{text!r}: use ID:AREA:PRIORITY:DESCRIPTION")
    need_id, area, priority, description = parts
    return {"need_id": need_id, "thematic_area": area, "priority": priority, "description": description}


NEEDS = {"needs": ("--need", "ID:AREA:PRIORITY:DESCRIPTION, repeated", _parse_need)}


@click.group("visits")
def visits() -> None:
    """Country visits: propose, drive through their lifecycle, look them up."""


visits.add_command(create_command(
    "propose", "visits", "/visits", PROPOSE,
    "Propose a visit to a State (ISO 3166 alpha-3) for the CTC or the 1540 Committee.",
))
for _command, _schema in COMMAND_INPUTS.items():
    visits.add_command(step_command(
        _command, "visits", "visits", _schema, HELP.get(_command), NEEDS, argument="visit_id"
    ))


record_commands(visits, "visits", "visits", "visit", "its status, what it waits for, its organizations, needs and shares")


@visits.command("matches")
@click.argument("visit_id")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of lines")
def matches(visit_id: str, as_json: bool) -> None:
    """The registered donors interested in each need of the visit's needs assessment, and why."""
    found = call("visits", "GET", f"/visits/{visit_id}/donor-matches")
    if as_json:
        show(found)
        return
    consent = "in force" if found["sharing_consent_in_force"] else f"not in force ({found['sharing_consent']})"
    click.echo(f"needs assessment version {found['assessment_version']}; sharing consent {consent}")
    for need in found["needs"]:
        names = ", ".join(d["name"] for d in need["donors"]) or "no interested donor"
        click.echo(f"{need['need_id']}  {need['thematic_area']:36} {need['priority']:6}  {names}")
    for donor in found["donors"]:
        shared = "  (already shared)" if donor["already_shared"] else ""
        click.echo(f"{donor['donor_id']}  {donor['name']}: {', '.join(donor['need_ids'])}{shared}")


@visits.command("list")
@click.option("--state", help="ISO 3166 alpha-3 code")
@click.option("--committee", type=click.Choice(["ctc", "1540"]))
@click.option("--status")
@click.option("--waiting-for", help="e.g. state_consent, pre_visit_info")
@click.option("--overdue", is_flag=True, help="only what is awaited past its due date")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def list_visits(state, committee, status, waiting_for, overdue, as_json) -> None:
    """Visits filtered by State, committee, status; what is awaited or overdue."""
    params = {"state": state, "committee": committee, "status": status, "waiting_for": waiting_for}
    if overdue:
        params["overdue"] = "true"
    rows = call("visits", "GET", "/visits", params={k: v for k, v in params.items() if v})
    if as_json:
        show(rows)
        return
    for row in rows:
        waits = ", ".join(
            w["what"] + (f" ({w['organization']})" if "organization" in w else "") + (" OVERDUE" if w.get("overdue") else "")
            for w in row["waiting_for"]
        )
        click.echo(f"{row['id']}  {row['member_state']}  {row['committee']:4}  {row['status']:16} {waits}")
    click.echo(f"{len(rows)} visit(s)")


@click.group("donors")
def donors() -> None:
    """The donor registry: who may receive needs assessments, and their thematic areas."""


donors.add_command(create_command(
    "register", "visits", "/donors", REGISTER_DONOR,
    "Register a donor (--name, --donor-kind, --thematic-areas repeated).",
))


@donors.command("list")
def list_donors() -> None:
    show(call("visits", "GET", "/donors"))
