"""Commands, each declared once: a service's table of what can be done to one kind of record.

A row (``Command``) says everything the system needs of one command: its name (the HTTP path's
last segment and the CLI's subcommand), a sentence of help, its input (the event's payload
schema, less what the domain derives, plus ``occurred_at`` and ``expected_version``), the roles
that may run it, the application's use case it runs, the aggregate method that use case calls
and the input to try that method with (``probe``). From the table (``Commands``) the HTTP
entrypoints take their routes' role checks and run the command; the OpenAPI document, the
CLI's subcommands, the next steps offered to a user (and so the console's buttons and forms)
are all made from it. Adding a command is adding a row (docs/architecture.md).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.domain import Context
from shared.errors import Forbidden, InvalidInput, RuleBroken
from shared.http import context_for, load, parse_uuid


class CommandFields(Schema):
    """Accepted with every command: when it happened, and the version the client read."""

    occurred_at = f.when(required=False, load_default=None)
    expected_version = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1))


def command_input(payload_schema: type[Schema], *derived: str, **overrides: Any) -> Schema:
    """A command's input schema: the event's payload schema, less what the domain derives,
    plus the common command fields (and any ``overrides``); the States it names are the United
    Nations' (``fields.as_commanded``)."""
    cls = type(f"{payload_schema.__name__}Input", (CommandFields, payload_schema),
               {**f.as_commanded(payload_schema), **overrides})
    return cls(exclude=derived)


def parse_command(schema: Schema, body: dict, actor: dict | None) -> tuple[dict, Context, int | None]:
    """Validate a command body: (its arguments, its Context, the expected version)."""
    data = load(schema, body)
    expected = data.pop("expected_version", None)
    ctx = context_for(actor, data.pop("occurred_at", None))
    return data, ctx, expected


# A list of objects taken by the CLI as one repeated option, each value in a format of its own:
# field -> (option, help, parse one value).
ListOption = tuple[str, str, Callable[[str], dict]]


@dataclass(frozen=True)
class Command:
    """One command: everything every interface needs of it."""

    name: str  # kebab-case: the HTTP path's last segment, the CLI's subcommand
    help: str  # one sentence: the CLI's help, the console's title for it
    input: Schema  # what it takes (command_input of its event's payload schema)
    roles: tuple[str, ...]  # who may run it (shared.auth); checked by the HTTP entrypoint
    # The application's use case: use_case(app, ctx, **input) for a command that creates a
    # record, use_case(app, ctx, record_id, expected_version=..., **input) otherwise; it returns
    # the record as stored.
    use_case: Callable[..., Any]
    # The aggregate method the use case calls, and the input it is tried with on a copy of a
    # record to tell whether the rules allow the command now (``Commands.next_steps``):
    # probe(record, ctx, **related) -> keyword arguments of ``method``. None: the command
    # creates a record.
    method: Callable[..., Any] | None = None
    probe: Callable[..., dict] | None = None
    list_options: dict[str, ListOption] = field(default_factory=dict)  # the CLI's own formats

    @property
    def creates(self) -> bool:
        return self.method is None


class Commands:
    """The commands on one kind of record: the one that creates it (``POST /<collection>``)
    and its steps (``POST /<collection>/{<ident>}/<name>``)."""

    def __init__(self, kind: str, collection: str, ident: str, *commands: Command) -> None:
        self.kind = kind  # the record's kind, as errors name it: "visit", "working_group"
        self.collection = collection  # the path's first segment: "visits", "groups"
        self.ident = ident  # the path parameter of a record's id: "visit_id", "group_id"
        self._all = {c.name: c for c in commands}
        if len(self._all) != len(commands):
            raise ValueError(f"two commands of one name in the {kind} table")
        creating = [c for c in commands if c.creates]
        if len(creating) > 1:
            raise ValueError(f"the {kind} table has more than one command that creates a record")
        self.create: Command | None = creating[0] if creating else None
        self.steps: dict[str, Command] = {c.name: c for c in commands if not c.creates}

    def __iter__(self) -> Iterator[Command]:
        return iter(self._all.values())

    def __getitem__(self, name: str) -> Command:
        return self._all[name]

    def step(self, name: str) -> Command:
        """The step of that name; an unknown one is bad input naming ``command``."""
        try:
            return self.steps[name]
        except KeyError:
            raise InvalidInput(
                {"command": [f"unknown command {name!r}; one of {', '.join(self.steps)}"]}
            ) from None

    def step_roles(self) -> tuple[str, ...]:
        """Every role that may run one of the steps (the generic step route's gate)."""
        return tuple(dict.fromkeys(role for c in self.steps.values() for role in c.roles))

    # -- running ---------------------------------------------------------------------------

    def run_create(self, app: Any, body: dict, actor: dict | None) -> Any:
        """Check the body against the creating command's input and run its use case."""
        if self.create is None:  # a programming error
            raise RuntimeError(f"the {self.kind} table has no command that creates a record")
        data, ctx, _ = parse_command(self.create.input, body, actor)
        return self.create.use_case(app, ctx, **data)

    def run(self, app: Any, name: str, record_id: str, body: dict, actor: dict | None) -> Any:
        """Run the step ``name`` on one record: its input checked (field errors name the
        field), its use case called; the record as stored is returned."""
        command = self.step(name)
        ident = parse_uuid(record_id, self.kind)
        data, ctx, expected = parse_command(command.input, body, actor)
        return command.use_case(app, ctx, ident, expected_version=expected, **data)

    # -- what the rules allow now ------------------------------------------------------------

    def next_steps(self, record: Any, ctx: Context, **related: Any) -> dict:
        """The steps ``ctx``'s user may take on ``record`` now, and for each other the rule
        that refuses it: the role's, then the domain's, each step tried on a copy of the record
        with its probe's input (so "allowed" means "allowed for some input"; the real command
        is judged again when it comes). ``related``: what the probes need besides the record
        (a meeting's working group). The record itself is not changed."""
        allowed: list[str] = []
        refused: dict[str, str] = {}
        for command in self.steps.values():
            if ctx.role not in command.roles:
                refused[command.name] = "role_may_not_do_this"
                continue
            trial = copy.deepcopy(record)
            try:
                command.method(trial, ctx, **command.probe(trial, ctx, **related))
            except (RuleBroken, Forbidden) as refusal:
                refused[command.name] = refusal.rule
            else:
                allowed.append(command.name)
        return {"allowed": allowed, "refused": refused}

    def fields(self) -> dict[str, list[str]]:
        """Each step and the fields it takes (``GET /commands``)."""
        return {c.name: sorted(c.input.fields) for c in self.steps.values()}
