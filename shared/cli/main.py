"""``fieldwork``: the one command-line tool of the system.

    fieldwork up                 run the services (as separate processes) until Ctrl-C
    fieldwork broker setup       declare the broker topology from deploy/rabbitmq/definitions.json
    fieldwork events watch       print events as they are published
    fieldwork visits ...         country visits (see `fieldwork visits --help`)
    fieldwork donors ...         the donor registry
    fieldwork organizations ...  the directory of organizations a visit invites from
    fieldwork meetings ...       working groups, meetings, the published schedule
    fieldwork reports ...        semi-annual and annual reports, status, dead letters, rebuild
    fieldwork contacts ...       the directory: delegations, contact points, focal points, donors' contacts
    fieldwork notifications ...  who was told what and when
"""
from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import click
import kombu

from shared.cli.client import UNREACHABLE
from shared.contract import MEETINGS_EXCHANGE, NOTIFICATIONS_EXCHANGE, VISITS_EXCHANGE, ContractViolation, decode_message
from shared.cli.accounts import add_account_commands, development_accounts
from shared.messaging import topology

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/fieldwork"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


@click.group(epilog="Exit codes: 0 done, 1 aborted or the CLI's own error, 2 usage error (nothing sent), "
                     "3 bad input, 4 refused by a rule, 5 not found, 6 not signed in or not allowed, "
                     "7 service unavailable, 8 the service failed.")
@click.version_option(package_name="fieldwork", prog_name="fieldwork", message="%(prog)s %(version)s")
def cli() -> None:
    """Field work of UN Security Council committees: visits, meetings, reports.

    Every command has --help. A write prints a line or two; --json prints the whole record,
    -q only its id."""


@cli.command()
@click.option("--data-dir", envvar="FIELDWORK_DATA_DIR", default="data", show_default=True,
              help="where the SQLite event stores and the logs live")
@click.option("--skip-broker-setup", is_flag=True, help="the broker's topology is managed elsewhere")
@click.option("--reporting-replicas", envvar="FIELDWORK_REPORTING_REPLICAS", type=click.IntRange(1, 8), default=1,
              show_default=True, help="processes of the reporting service on one store (its intake uses one core each)")
def up(data_dir: str, skip_broker_setup: bool, reporting_replicas: int) -> None:
    """Run the system: every service as its own process, restarted if it dies."""
    from shared.supervisor import services, supervise

    os.environ["FIELDWORK_DATA_DIR"] = os.path.abspath(data_dir)
    _require_broker()
    if not skip_broker_setup:
        _setup_broker()
    _development_tokens()
    development_accounts(Path(os.environ["FIELDWORK_DATA_DIR"]) / "dev-accounts.json")
    click.echo(f"event stores: {os.path.abspath(data_dir)} (SQLite) unless FIELDWORK_STORE=postgres")
    sys.exit(supervise(services(os.environ["FIELDWORK_DATA_DIR"], reporting_replicas), echo=click.echo))


def _development_tokens() -> None:
    """On a development machine: one token per role, in the data folder, for the CLI and the
    demo (production tokens come from `fieldwork admin issue-token`)."""
    from shared.auth import TokenRegistry
    from shared.cli.client import dev_tokens_path
    from shared.contract.vocabulary import ROLES
    from shared.store import settings_from_environ

    path = dev_tokens_path()
    if path.exists():
        click.echo(f"development tokens: {path}")
        return
    registry = TokenRegistry(settings_from_environ())
    tokens = {role: registry.issue(f"dev.{role}", role, issued_by="fieldwork up")[1]
              for role in ROLES if role not in ("system", "donor", "working_group_chair")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2) + "\n")
    path.chmod(0o600)
    click.echo(f"development tokens (one per role) written to {path}; the CLI uses them")


def _require_broker() -> None:
    try:
        with kombu.Connection(amqp_uri(), connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:  # noqa: BLE001 - explained to the user
        if "vhost" in str(error).lower() or "access" in str(error).lower():
            return  # the broker answers; the vhost is created by the broker setup
        click.echo(f"error: RabbitMQ does not answer at {amqp_uri()}: {error}", err=True)
        click.echo("start it (`rabbitmq-server -detached`) or set AMQP_URI", err=True)
        sys.exit(UNREACHABLE)


def _setup_broker() -> None:
    try:
        topology.load_definitions(amqp_uri())
    except topology.TopologyError as error:
        missing = topology.missing_topology(amqp_uri())
        if missing:
            click.echo(f"error: {error}", err=True)
            click.echo(f"the broker lacks: {', '.join(missing)}", err=True)
            sys.exit(1)
        click.echo(f"note: {error}; the broker already has the topology", err=True)
    else:
        click.echo(f"broker topology loaded into vhost {topology.vhost_of(amqp_uri())}")


@cli.group()
def broker() -> None:
    """The RabbitMQ topology (exchanges, queues, dead letters, policies)."""


@broker.command("setup")
def broker_setup() -> None:
    """Load deploy/rabbitmq/definitions.json into the vhost of AMQP_URI."""
    _setup_broker()


@broker.command("check")
def broker_check() -> None:
    """Say what the definitions declare that the broker lacks."""
    missing = topology.missing_topology(amqp_uri())
    if missing:
        click.echo("missing: " + ", ".join(missing))
        sys.exit(1)
    click.echo("the broker has every exchange and queue of the definitions")


@cli.group()
def admin() -> None:
    """People's accounts and API tokens (run where the system's stores are)."""


add_account_commands(admin)


def _registry():
    from shared.auth import TokenRegistry
    from shared.store import settings_from_environ

    return TokenRegistry(settings_from_environ())


@admin.command("issue-token")
@click.option("--user", required=True, help="the user the token stands for")
@click.option("--role", required=True, help="visit_coordinator, working_group_chair, secretariat, reporting_staff, donor, administrator")
@click.option("--group", "groups", multiple=True, help="a working group the chair chairs (repeat)")
@click.option("--donor-id", help="for a donor: which registered donor it is")
@click.option("--committee", type=click.Choice(["ctc", "1540"]),
              help="limit the token to one Committee's work (a CTED coordinator's: ctc); default: both")
@click.option("--expires-in-days", type=click.IntRange(1, 366), default=90, show_default=True,
              help="the token is refused after this many days")
def issue_token(user, role, groups, donor_id, committee, expires_in_days) -> None:
    """Issue a token and print it (it is shown once; only its hash is kept)."""
    from shared.errors import FieldworkError

    try:
        token_id, token = _registry().issue(user, role, groups=list(groups), donor_id=donor_id, committee=committee,
                                            expires_in_days=expires_in_days)
    except FieldworkError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"token {token_id} for {user} ({role}):", err=True)
    click.echo(token)


@admin.command("tokens")
def list_tokens() -> None:
    """Every token issued: id, user, role, when, revoked or not (never the token itself)."""
    for row in _registry().tokens("api"):
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else f"{row['status']}, expires {row['expires_at'][:10]}"
        committee = row.get("committee") or "both"
        click.echo(f"{row['token_id']}  {row['user_name']:24} {row['role']:20} {committee:5} issued {row['issued_at']}  {state}")


@admin.command("revoke-token")
@click.argument("token_id")
def revoke_token(token_id) -> None:
    """Revoke a token by its id: every call with it is refused (401) from now on."""
    from shared.errors import FieldworkError

    try:
        _registry().revoke(token_id)
    except FieldworkError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"revoked {token_id}")


@cli.group()
def events() -> None:
    """Events on the exchanges."""


@events.command("watch")
@click.option("--exchange", "exchanges", multiple=True, default=[VISITS_EXCHANGE, MEETINGS_EXCHANGE, NOTIFICATIONS_EXCHANGE],
              show_default=True)
@click.option("--count", type=int, default=0, help="stop after this many events (0: until Ctrl-C)")
@click.option("--json", "as_json", is_flag=True, help="print each whole envelope as JSON")
def watch(exchanges: tuple[str, ...], count: int, as_json: bool) -> None:
    """Print each event published from now on (a private, temporary queue of its own)."""
    seen = 0
    with kombu.Connection(amqp_uri(), connect_timeout=5) as connection:
        channel = connection.channel()
        name = f"watch.{uuid.uuid4().hex[:8]}"
        queue = kombu.Queue(name, exclusive=True, auto_delete=True, durable=False, channel=channel)
        queue.declare()
        for exchange in exchanges:
            queue.bind_to(exchange=exchange, routing_key="#")
        click.echo(f"watching {', '.join(exchanges)} (Ctrl-C to stop)", err=True)

        def on_message(body, message):
            nonlocal seen
            raw = message.body
            try:
                envelope = decode_message(raw, message.content_type)
                summary = json.loads(raw)
            except ContractViolation as violation:
                click.echo(f"INVALID ({violation.reason}): {raw[:200]!r}")
            else:
                if as_json:
                    click.echo(json.dumps(summary))
                else:
                    click.echo(
                        f"{summary['recorded_at']}  {envelope['event_type']:32} "
                        f"{summary['aggregate_id']} v{summary['aggregate_version']}  "
                        f"by {summary['actor']['user']}  {json.dumps(summary['payload'])}"
                    )
            message.ack()
            seen += 1

        with kombu.Consumer(channel, queues=[queue], callbacks=[on_message], accept=None):
            try:
                while not count or seen < count:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        continue
            except KeyboardInterrupt:
                pass


def _register_service_commands() -> None:
    """Each service's commands, as its manifest gives them (``shared.services``), then the demo."""
    from shared.cli.demo import demo
    from shared.services import manifests

    for manifest in manifests():
        for group in manifest.cli() if manifest.cli else ():
            cli.add_command(group)
    cli.add_command(demo)


_register_service_commands()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
