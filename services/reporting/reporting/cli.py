"""The reporting commands of the ``fieldwork`` CLI: a thin client of the reporting HTTP API."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import click

from shared.cli.client import CLIENT, ServiceRefused, ServiceUnreachable, call, explain, print_record, show
from reporting.formats import FORMATS


@click.group("reports")
def reports() -> None:
    """Semi-annual and annual reports, built only from the event stream."""


@reports.command("build")
@click.option("--kind", type=click.Choice(["semi-annual", "annual"]), required=True)
@click.option("--committee", type=click.Choice(["ctc", "1540", "both"]),
              help="whose report (both: the two Committees together); default: the token's Committee, if one")
@click.option("--year", type=int, help="the year (with --half for a semi-annual report)")
@click.option("--half", type=click.Choice(["1", "2"]), help="1: January-June, 2: July-December")
@click.option("--starts-in-month", type=int, default=1, show_default=True,
              help="first month of an annual report's year (6 for the 1540 programme year)")
@click.option("--start", help="or any period: first day (YYYY-MM-DD)")
@click.option("--end", help="and last day")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="html", show_default=True)
@click.option("--as-of", help="the record as it stood at this moment (ISO 8601 with offset)")
@click.option("--basis", type=click.Choice(["recorded", "occurred"]), default="recorded", show_default=True,
              help="as of: by when things were recorded, or by when they happened")
@click.option("--issued-on", help="the date of issue the document bears (YYYY-MM-DD; default: today)")
@click.option("--symbol", help="the document symbol the secretariat assigned (default: a place to fill in)")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="file to write (default: reports/<name>)")
def build(kind, committee, year, half, starts_in_month, start, end, fmt, as_of, basis, issued_on, symbol,
          output) -> None:
    """Build a report and write it to a file; prints the file's path."""
    params = {"kind": kind, "committee": committee, "year": year, "half": half, "starts_in_month": starts_in_month, "start": start,
              "end": end, "format": fmt, "as_of": as_of, "basis": basis, "issued_on": issued_on, "symbol": symbol}
    try:
        body, name = CLIENT.download("reporting", "/reports", {k: v for k, v in params.items() if v is not None})
    except ServiceUnreachable as unreachable:
        click.echo(f"error: {unreachable}", err=True)
        raise SystemExit(unreachable.exit_code) from None
    except ServiceRefused as refused:
        explain(refused.status, refused.data)
        raise SystemExit(refused.exit_code) from None
    name = name or f"report.{fmt}"
    path = Path(output) if output else Path("reports") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    click.echo(str(path.resolve()))


JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="print the whole answer as JSON")


@reports.command("status")
@JSON_OPTION
def status(as_json) -> None:
    """Events recorded, the last event per source, lag behind the broker, dead letters."""
    answer = call("reporting", "GET", "/status")
    show(answer) if as_json else print_record(answer)


@reports.group("dead-letters", invoke_without_command=True)
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--status", type=click.Choice(["open", "dealt_with"]), help="only open letters, or those dealt with")
@click.option("--reason", help="only the letters of this reason (e.g. broker_delivery_limit)")
@click.pass_context
def dead_letters(ctx, limit, status, reason) -> None:
    """Messages refused, newest first, with the reason and the raw body (cut at 4,096
    characters); `replay` sends them through the intake again once their cause is fixed."""
    if ctx.invoked_subcommand:
        return
    params = {"limit": limit, "status": status, "reason": reason}
    for letter in call("reporting", "GET", "/dead-letters", params={k: v for k, v in params.items() if v}):
        click.echo(f"{letter['received_at']}  {letter['id']}  {letter['status']:10} {letter['reason']:24} "
                   f"{letter['exchange']} {letter['routing_key']}"
                   + (f"  (delivered {letter['deliveries']} times)" if letter.get("deliveries", 1) > 1 else "")
                   + (f"  last replay: {letter['last_outcome']}" if letter.get("last_outcome") else ""))
        click.echo(f"    {letter['detail'][:200]}")
        click.echo(f"    body: {letter['body'][:200]!r}")


@dead_letters.command("replay")
@click.option("--id", "letter_id", help="one dead letter, by its id")
@click.option("--reason", help="every open dead letter of this reason")
@click.option("--all", "everything", is_flag=True, help="every open dead letter")
def replay(letter_id, reason, everything) -> None:
    """Replay open dead letters through the intake (one, all of a reason, or all); prints each
    outcome. A letter whose message is now recorded is dealt with; one still refused stays open."""
    given = [name for name, value in (("--id", letter_id), ("--reason", reason), ("--all", everything)) if value]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --id, --reason or --all")
    body = {"id": letter_id} if letter_id else {"reason": reason} if reason else {"all": True}
    answer = call("reporting", "POST", "/dead-letters/replay", body, timeout=3600)
    for letter in answer["letters"]:
        click.echo(f"{letter['id']}  {letter['outcome']}" + (f"  {letter['detail'][:200]}" if letter["detail"] else ""))
    click.echo(f"replayed {answer['replayed']}: "
               + (", ".join(f"{n} {outcome}" for outcome, n in sorted(answer["outcomes"].items())) or "nothing open"))


@reports.command("rebuild")
@JSON_OPTION
def rebuild(as_json) -> None:
    """Rebuild the projections from the reporting service's own event store."""
    result: dict = {}

    def run() -> None:
        result["answer"] = call("reporting", "POST", "/projections/rebuild", {}, timeout=24 * 3600)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    time.sleep(0.2)
    progress = call("reporting", "GET", "/projections/rebuild")
    with click.progressbar(length=max(progress.get("total") or 1, 1), label="rebuilding") as bar:
        done = 0
        while worker.is_alive():
            now = call("reporting", "GET", "/projections/rebuild").get("done", done)
            bar.update(max(0, now - done))
            done = now
            time.sleep(0.2)
        bar.update(bar.length)
    worker.join()
    if "answer" not in result:  # the request failed; call() said why
        raise SystemExit(1)
    show(result["answer"]) if as_json else print_record(result["answer"])


@reports.command("verify")
@JSON_OPTION
def verify(as_json) -> None:
    """Check that a full rebuild equals the incremental projections (exit 1 if not)."""
    answer = call("reporting", "GET", "/projections/verify", timeout=24 * 3600)
    show(answer) if as_json else print_record(answer)
    raise SystemExit(0 if answer["equal"] else 1)
