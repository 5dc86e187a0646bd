"""CLI commands made from the services' command tables (``shared.commands``), so that the CLI
takes exactly the fields the API takes: ``--field-name value``, repeated for lists.

Each option is typed from its field: a date is a date (``2026-03-01``), a date-time a moment
with its offset (``2026-03-01T09:00:00Z``), a number a number, an id a UUID, a field with
choices a ``click.Choice`` (``--help`` lists them); a required field is a required option.
All of it is checked before any request: a wrong or missing value is a usage error (exit 2)
that names the option. ``--raw-json`` gives fields as one JSON object; a required field it
gives need not be repeated as an option (its options are then checked by the service).

A write prints what happened in a line or two (the record, its id, its status and what it
waits for); ``--json`` prints the whole record as the service answered, ``-q``/``--quiet``
its id alone (``V=$(fieldwork visits propose ... -q)``)."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from marshmallow import Schema
from marshmallow import fields as mfields
from marshmallow import validate

from shared.cli.client import call, print_audit, print_history, print_record, print_written, show, upload

# The fields every command takes (``shared.commands.CommandFields``), in words.
COMMON_HELP = {
    "occurred_at": "when the step really happened, if not now (e.g. 2026-03-01T09:00:00Z)",
    "expected_version": "refuse the step if the record changed since you read this version",
}

# A nested list field taken as a repeated option: field -> (option, help, parse one value).
NestedOption = tuple[str, str, Callable[[str], dict]]


class IsoDate(click.ParamType):
    name = "date"

    def convert(self, value: Any, param: Any, ctx: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD, e.g. 2026-03-01)", param, ctx)


class IsoMoment(click.ParamType):
    """A moment: ISO 8601 with its offset (``Z`` for UTC), as the services take it."""

    name = "date-time"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date and time (ISO 8601 with its offset, e.g. 2026-03-01T09:00:00Z)",
                      param, ctx)
        if moment.tzinfo is None:
            self.fail(f"{value!r} has no offset: add Z for UTC, or e.g. -05:00 (2026-03-01T09:00:00Z)", param, ctx)
        return moment


class JsonObject(click.ParamType):
    name = "json-object"

    def convert(self, value: Any, param: Any, ctx: Any) -> dict:
        if isinstance(value, dict):
            return value
        try:
            data = json.loads(value)
        except ValueError as error:
            self.fail(f"is not JSON: {error}", param, ctx)
        if not isinstance(data, dict):
            self.fail("must be a JSON object ({\"field\": value, ...})", param, ctx)
        return data


class FieldOption(click.Option):
    """An option made from a schema field; ``field_required``: the service needs it, checked by
    ``FieldCommand`` unless ``--raw-json`` gives it."""

    def __init__(self, *args: Any, field: str, field_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field = field
        self.field_required = field_required

    def get_help_extra(self, ctx: click.Context) -> Any:
        extra = super().get_help_extra(ctx)
        if self.field_required:
            extra["required"] = "required"
        return extra


class FieldCommand(click.Command):
    """A command of a command table: its required fields enforced before the request."""

    def invoke(self, ctx: click.Context) -> Any:
        given = set(ctx.params.get("raw_json") or {})
        for param in self.params:
            if isinstance(param, FieldOption) and param.field_required and param.field not in given \
                    and ctx.params.get(param.name) in (None, ()):
                raise click.MissingParameter(ctx=ctx, param=param)
        return super().invoke(ctx)


def _parsed(parse: Callable[[str], dict], value: str) -> dict:
    try:
        return parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def click_type(field: mfields.Field) -> Any:
    """The click type of a field's value: its choices, a date, a moment, a number, a UUID, text."""
    for check in field.validators:
        if isinstance(check, validate.OneOf):
            return click.Choice([str(c) for c in check.choices])
    if isinstance(field, mfields.DateTime):
        return IsoMoment()
    if isinstance(field, mfields.Date):
        return IsoDate()
    if isinstance(field, mfields.Boolean):
        return click.BOOL
    if isinstance(field, mfields.UUID):
        return click.UUID
    if isinstance(field, (mfields.Integer, mfields.Float)):
        number = int if isinstance(field, mfields.Integer) else float
        for check in field.validators:
            if isinstance(check, validate.Range):
                bounds = (click.IntRange if number is int else click.FloatRange)(
                    check.min, check.max, min_open=not check.min_inclusive, max_open=not check.max_inclusive)
                return bounds
        return click.INT if number is int else click.FLOAT
    return click.STRING


def schema_options(schema: Schema, nested: dict[str, NestedOption] | None = None) -> list[click.Option]:
    nested = nested or {}
    options: list[click.Option] = []
    for name, field in sorted(schema.fields.items()):
        meaning = field.metadata.get("meaning") or COMMON_HELP.get(name)
        if name in nested:
            option, help_text, _ = nested[name]
            options.append(FieldOption([option], multiple=True, help=help_text, field=name,
                                       field_required=field.required))
        elif field.metadata.get("format") == "byte":  # a file's bytes: the file itself, sent as it is
            options.append(FieldOption(["--file"], type=click.Path(exists=True, dir_okay=False), field=name,
                                       field_required=field.required,
                                       help="the file to attach (PDF, Word .docx or plain text), sent as it is"))
        elif isinstance(field, mfields.List):
            options.append(FieldOption([_option_name(name)], type=click_type(field.inner), multiple=True,
                                       help=f"{meaning.rstrip('.') + ' ' if meaning else ''}(repeat for each value)",
                                       field=name, field_required=field.required))
        else:
            options.append(FieldOption([_option_name(name)], type=click_type(field), help=meaning, field=name,
                                       field_required=field.required))
    options.append(click.Option(["--raw-json"], type=JsonObject(),
                                help="fields as one JSON object (a required field given here need not be an option)"))
    options.extend(output_options())
    return options


def output_options() -> list[click.Option]:
    return [click.Option(["--json", "as_json"], is_flag=True, help="print the whole record as JSON"),
            click.Option(["--quiet", "-q"], is_flag=True, help="print only the record's id (for scripts)")]


def _wire(value: Any) -> Any:
    """A typed option's value as JSON takes it."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def body_from_options(options: dict, nested: dict[str, NestedOption] | None = None) -> dict:
    by_option = {opt.lstrip("-").replace("-", "_"): (field, parse) for field, (opt, _, parse) in (nested or {}).items()}
    body: dict = {}
    for name, value in options.items():
        if value in (None, ()):
            continue
        if name in by_option:
            field, parse = by_option[name]
            body[field] = [_parsed(parse, v) for v in value]
        elif name == "raw_json":
            body.update(value)
        else:
            body[name] = [_wire(v) for v in value] if isinstance(value, tuple) else _wire(value)
    return body


def written(answer: dict, command: str, kind: str, as_json: bool, quiet: bool) -> None:
    """What a write prints: the whole record (``--json``), its id (``--quiet``), or a line or two."""
    if as_json:
        show(answer)
    elif quiet:
        click.echo(answer.get("id", ""))
    else:
        print_written(command, kind, answer)


def create_command(
    name: str, service: str, path: str, schema: Schema, help_text: str,
    nested: dict[str, NestedOption] | None = None, kind: str = "record",
) -> click.Command:
    """``fieldwork <group> NAME --field value``: POST the fields to ``path``."""

    def run(as_json: bool, quiet: bool, **options) -> None:
        written(call(service, "POST", path, body_from_options(options, nested)), name, kind, as_json, quiet)

    return FieldCommand(name, callback=run, params=schema_options(schema, nested), help=help_text)


def step_command(
    name: str, service: str, collection: str, schema: Schema, help_text: str | None,
    nested: dict[str, NestedOption] | None = None, argument: str = "ident", kind: str = "record",
) -> click.Command:
    """``fieldwork <group> NAME ID --field value``: POST to ``/<collection>/ID/NAME``."""

    def run(as_json: bool, quiet: bool, **options) -> None:
        ident = str(options.pop(argument))
        path = options.pop("file", None)
        if path is None:
            answer = call(service, "POST", f"/{collection}/{ident}/{name}", body_from_options(options, nested))
        else:  # to the record's files route: the bytes as the body, the other fields as the query
            fields = {k: v for k, v in body_from_options(options, nested).items()}
            fields.setdefault("file_name", Path(path).name)
            answer = upload(service, f"/{collection}/{ident}/files", Path(path).read_bytes(),
                            {k: str(v) for k, v in fields.items()})
        written(answer, name, kind, as_json, quiet)

    params = [click.Argument([argument], type=click.UUID), *schema_options(schema, nested)]
    return FieldCommand(name, callback=run, params=params, help=help_text)


def record_commands(group: click.Group, service: str, path: str, noun: str, shows: str) -> None:
    """``show``, ``history`` and ``audit`` of one record (a visit, a meeting) on ``group``:
    the record's view, its events as published, and who did what and when from them."""
    argument = f"{noun}_id"
    as_json = click.option("--json", "as_json", is_flag=True, help="print the whole answer as JSON")

    @group.command("show", help=f"One {noun}: {shows}.")
    @click.argument(argument)
    @as_json
    def show_record(as_json: bool, **ids: str) -> None:
        record = call(service, "GET", f"/{path}/{ids[argument]}")
        show(record) if as_json else print_record(record)

    @group.command("history", help=f"Every event of one {noun}, as published (--json: whole envelopes).")
    @click.argument(argument)
    @as_json
    def history(as_json: bool, **ids: str) -> None:
        envelopes = call(service, "GET", f"/{path}/{ids[argument]}/history")
        show(envelopes) if as_json else print_history(envelopes)

    @group.command("audit", help=f"Who did what and when to one {noun}, from its events.")
    @click.argument(argument)
    def audit(**ids: str) -> None:
        print_audit(call(service, "GET", f"/{path}/{ids[argument]}/history"))


def add_table_commands(group: click.Group, service: str, table: Any) -> None:
    """Every command of one table (``shared.commands.Commands``) on ``group``: the one that
    creates a record (``fieldwork <group> NAME --field value``: POST /<collection>) and each
    step (``fieldwork <group> NAME ID --field value``: POST /<collection>/ID/NAME)."""
    kind = table.kind.replace("_", " ")
    if table.create is not None:
        group.add_command(create_command(table.create.name, service, f"/{table.collection}", table.create.input,
                                         table.create.help, table.create.list_options, kind=kind))
    for command in table.steps.values():
        group.add_command(step_command(command.name, service, table.collection, command.input, command.help,
                                       command.list_options, argument=table.ident, kind=kind))
