"""The visits and donors commands of the ``fieldwork`` CLI: a thin client of the HTTP API.

Each command is a subcommand made from its row of the command tables (``visits.commands``),
so the CLI takes exactly the fields the API takes:
``fieldwork visits schedule VISIT_ID --starts-on 2025-03-01 --ends-on 2025-03-05``.
"""
from __future__ import annotations

import click

from shared.cli.client import call, print_table, show
from shared.cli.finding import find_options
from shared.cli.schema_commands import add_table_commands, record_commands
from visits.commands import DONORS, ORGANIZATIONS, VISITS
from visits.views import STATUSES, VISIT_LISTING, WAITING_FOR


@click.group("visits")
def visits() -> None:
    """Country visits: propose, drive through their lifecycle, look them up."""


add_table_commands(visits, "visits", VISITS)


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
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--waiting-for", type=click.Choice(WAITING_FOR), help="what the visits wait for")
@click.option("--overdue", is_flag=True, help="only what is awaited past its due date")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@find_options(VISIT_LISTING)
def list_visits(state, committee, status, waiting_for, overdue, as_json, finding) -> None:
    """Visits filtered by State, committee, status; what is awaited or overdue; found by words
    (a State's name), dates and put in an order."""
    params = {"state": state, "committee": committee, "status": status, "waiting_for": waiting_for, **finding}
    if overdue:
        params["overdue"] = "true"
    rows = call("visits", "GET", "/visits", params={k: v for k, v in params.items() if v})
    if as_json:
        show(rows)
        return

    def waits(row: dict) -> str:
        return ", ".join(w["what"] + (f" ({w['organization']})" if "organization" in w else "")
                         + (" OVERDUE" if w.get("overdue") else "") for w in row["waiting_for"])

    print_table(rows, [("ID", lambda r: r["id"]), ("STATE", lambda r: r["member_state"]),
                       ("COMMITTEE", lambda r: r["committee"]), ("STATUS", lambda r: r["status"]),
                       ("DATES", lambda r: f"{r['starts_on']} to {r['ends_on']}" if r.get("starts_on") else ""),
                       ("WAITING FOR", waits)], "visit")


@click.group("donors")
def donors() -> None:
    """The donor registry: who may receive needs assessments, and their thematic areas."""


add_table_commands(donors, "visits", DONORS)


@donors.command("list")
@click.option("--name", help="only the donors of this name (any case)")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def list_donors(name: str | None, as_json: bool) -> None:
    """The registered donors: id, name, kind, thematic areas, contact (what tells two of one name apart)."""
    rows = [d for d in call("visits", "GET", "/donors") if not name or d["name"].casefold() == name.casefold()]
    if as_json:
        show(rows)
        return
    print_table(rows, [("ID", lambda d: d["id"]), ("NAME", lambda d: d["name"]), ("KIND", lambda d: d["donor_kind"]),
                       ("THEMATIC AREAS", lambda d: ", ".join(d["thematic_areas"])),
                       ("CONTACT", lambda d: d.get("contact")), ("REGISTERED", lambda d: (d["registered_at"] or "")[:10])],
                "donor")


@click.group("organizations")
def organizations() -> None:
    """The directory of organizations a visit invites from: the 2003 annex's, and those added."""


add_table_commands(organizations, "visits", ORGANIZATIONS)


@organizations.command("list")
@click.option("--name", help="any name of one organization (UNODC, Office on Drugs and Crime): that one")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def list_organizations(name: str | None, as_json: bool) -> None:
    """Every organization of the directory (or the one --name names), with the names that find it."""
    found = call("visits", "GET", "/organizations", params={"name": name} if name else None)
    if as_json:
        show(found)
        return
    print_table(found, [("NAME", lambda o: o["name"]),
                        ("ALSO KNOWN AS", lambda o: ", ".join([*o["abbreviations"], *o["also_known_as"]])),
                        ("KIND", lambda o: o["kind"]), ("LISTED IN", lambda o: o["listed_in"])], "organization")
