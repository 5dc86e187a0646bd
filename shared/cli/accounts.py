"""``fieldwork admin``'s commands for people's accounts (``shared.accounts``): add one, change
it, set its password, unlock, disable or enable it, list them; and the development accounts
``fieldwork up`` makes. Run where the system's stores are, as the token commands are.

A password is never an option (it would sit in the shell's history and the process list): it
is asked at the prompt, or read from a file (``--password-file``), or made up and printed once
(``--generate-password``).
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import click

from shared.contract.vocabulary import COMMITTEES, ROLES

PERSON_ROLES = tuple(r for r in ROLES if r != "system")


def _accounts():
    from shared.accounts import Accounts, SignInPolicy
    from shared.auth import TokenRegistry
    from shared.store import settings_from_environ

    return Accounts(TokenRegistry(settings_from_environ()), SignInPolicy.from_environ())


def _done(action):
    """Run ``action``; a refusal becomes the CLI's own error (its message, exit code 1)."""
    from shared.errors import FieldworkError

    try:
        return action()
    except FieldworkError as error:
        detail = getattr(error, "fields", None)
        if detail:
            raise click.ClickException("; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in detail.items())) from None
        raise click.ClickException(str(error)) from None


def _password(password_file: str | None, generate: bool, user: str) -> str | None:
    if password_file:
        return Path(password_file).read_text(encoding="utf-8").rstrip("\n")
    if generate:
        made = secrets.token_urlsafe(15)
        click.echo(f"password for {user} (shown once): {made}", err=True)
        return made
    return None


def _line(a: dict) -> str:
    state = "disabled" if a["disabled_at"] else "locked" if a["locked"] else "active"
    return (f"{a['user_name']:24} {a['role']:20} {a['committee'] or 'both':5} {state:8} "
            f"{a['email'] or '-':30} {a['full_name']}")


def add_account_commands(admin: click.Group) -> None:
    @admin.command("add-user")
    @click.option("--user", required=True, help="the name the person signs in with, e.g. m.rossi")
    @click.option("--role", required=True, type=click.Choice(PERSON_ROLES))
    @click.option("--full-name", default="", help="as shown in the console")
    @click.option("--email", help="the address the identity provider vouches for (sign-in through it)")
    @click.option("--committee", type=click.Choice(COMMITTEES), help="limit the account to one Committee; default: both")
    @click.option("--group", "groups", multiple=True, help="a working group the chair chairs (repeat)")
    @click.option("--donor-id", help="for a donor: which registered donor it is")
    @click.option("--password-file", type=click.Path(exists=True, dir_okay=False), help="read the first password from this file")
    @click.option("--generate-password", is_flag=True, help="make up a first password and print it once")
    def add_user(user, role, full_name, email, committee, groups, donor_id, password_file, generate_password):
        """Add an account a person signs in to the console with."""
        password = _password(password_file, generate_password, user)
        if password is None and not email:
            password = click.prompt("first password", hide_input=True, confirmation_prompt=True)
        account = _done(lambda: _accounts().add(user, role, full_name=full_name, email=email, password=password,
                                                committee=committee, groups=list(groups), donor_id=donor_id,
                                                created_by="fieldwork admin"))
        click.echo(f"account {account['user_name']} added ({role})")

    @admin.command("users")
    @click.option("--json", "as_json", is_flag=True, help="the whole records, as JSON")
    def users(as_json):
        """Every account: name, role, Committee, active, locked or disabled."""
        found = _accounts().all()
        if as_json:
            click.echo(json.dumps(found, indent=1))
            return
        click.echo(f"{'user':24} {'role':20} {'comm.':5} {'state':8} {'e-mail':30} name")
        for account in found:
            click.echo(_line(account))

    @admin.command("set-password")
    @click.argument("user")
    @click.option("--password-file", type=click.Path(exists=True, dir_okay=False), help="read it from this file")
    @click.option("--generate-password", is_flag=True, help="make one up and print it once")
    def set_password(user, password_file, generate_password):
        """Set an account's password (its sessions end; a locked account is unlocked)."""
        password = _password(password_file, generate_password, user) or click.prompt(
            "new password", hide_input=True, confirmation_prompt=True)
        _done(lambda: _accounts().set_password(user, password))
        click.echo(f"password of {user} set; its sessions have ended")

    @admin.command("change-user")
    @click.argument("user")
    @click.option("--role", type=click.Choice(PERSON_ROLES))
    @click.option("--committee", type=click.Choice((*COMMITTEES, "both")), help="both: no limit")
    @click.option("--full-name")
    @click.option("--email")
    def change_user(user, role, committee, full_name, email):
        """Change an account's role, Committee, name or e-mail (a new role signs it out)."""
        fields = {k: v for k, v in {"role": role, "full_name": full_name, "email": email}.items() if v is not None}
        if committee is not None:
            fields["committee"] = None if committee == "both" else committee
        account = _done(lambda: _accounts().change(user, changed_by="fieldwork admin", **fields))
        click.echo(_line(account))

    for name, help_text in (("unlock", "Unlock an account locked by wrong passwords."),
                            ("disable", "Disable an account: it cannot sign in; its sessions and tokens end."),
                            ("enable", "Enable a disabled account again.")):
        def step(user, _name=name):
            account = _done(lambda: getattr(_accounts(), _name)(user))
            click.echo(_line(account))
        admin.add_command(click.Command(f"{name}-user", callback=step, help=help_text,
                                        params=[click.Argument(["user"])]))


def development_accounts(path: Path) -> None:
    """On a development machine: one account per staff role, ``dev.<role>``, with a made-up
    password, written with the development tokens' care to ``path`` (mode 600)."""
    if path.exists():
        click.echo(f"development accounts: {path}")
        return
    accounts = _accounts()
    known = {a["user_name"] for a in accounts.all()}
    passwords = {}
    for role in PERSON_ROLES:
        if role in ("donor", "working_group_chair"):
            continue  # a donor names its donor, a chair its groups: added as they are known
        user = f"dev.{role}"
        passwords[user] = secrets.token_urlsafe(12)
        if user in known:
            accounts.set_password(user, passwords[user])
        else:
            accounts.add(user, role, full_name=f"Development {role.replace('_', ' ')}", password=passwords[user],
                         created_by="fieldwork up")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(passwords, indent=2) + "\n")
    path.chmod(0o600)
    click.echo(f"development accounts (user name: password) written to {path}; sign in to the console with one")
