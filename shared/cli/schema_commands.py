"""CLI commands made from the services' command tables (``shared.commands``), so that the CLI
takes exactly the fields the API takes: ``--field-name value``, repeated for lists."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from marshmallow import Schema
from marshmallow import fields as mfields

from shared.cli.client import call, print_audit, show

# A nested list field taken as a repeated option: field -> (option, help, parse one value).
NestedOption = tuple[str, str, Callable[[str], dict]]


def _parsed(parse: Callable[[str], dict], value: str) -> dict:
    try:
        return parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def schema_options(schema: Schema, nested: dict[str, NestedOption] | None = None) -> list[click.Option]:
    nested = nested or {}
    options = []
    for name, field in sorted(schema.fields.items()):
        if name in nested:
            option, help_text, _ = nested[name]
            options.append(click.Option([option], multiple=True, help=help_text))
        elif isinstance(field, mfields.List):
            options.append(click.Option([_option_name(name)], multiple=True, help="repeat for each value"))
        elif isinstance(field, mfields.Integer):
            options.append(click.Option([_option_name(name)], type=int))
        elif isinstance(field, mfields.Float):
            options.append(click.Option([_option_name(name)], type=float))
        else:
            options.append(click.Option([_option_name(name)], help="required" if field.required else None))
    options.append(click.Option(["--raw-json"], help="extra fields as a JSON object"))
    return options


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
            body.update(json.loads(value))
        else:
            body[name] = list(value) if isinstance(value, tuple) else value
    return body


def create_command(
    name: str, service: str, path: str, schema: Schema, help_text: str,
    nested: dict[str, NestedOption] | None = None,
) -> click.Command:
    """``fieldwork <group> NAME --field value``: POST the fields to ``path``."""

    def run(**options) -> None:
        show(call(service, "POST", path, body_from_options(options, nested)))

    return click.Command(name, callback=run, params=schema_options(schema, nested), help=help_text)


def step_command(
    name: str, service: str, collection: str, schema: Schema, help_text: str | None,
    nested: dict[str, NestedOption] | None = None, argument: str = "ident",
) -> click.Command:
    """``fieldwork <group> NAME ID --field value``: POST to ``/<collection>/ID/NAME``."""

    def run(**options) -> None:
        ident = options.pop(argument)
        show(call(service, "POST", f"/{collection}/{ident}/{name}", body_from_options(options, nested)))

    params = [click.Argument([argument]), *schema_options(schema, nested)]
    return click.Command(name, callback=run, params=params, help=help_text)


def record_commands(group: click.Group, service: str, path: str, noun: str, shows: str) -> None:
    """``show``, ``history`` and ``audit`` of one record (a visit, a meeting) on ``group``:
    the record's view, its events as published, and who did what and when from them."""
    argument = f"{noun}_id"

    @group.command("show", help=f"One {noun}: {shows}.")
    @click.argument(argument)
    def show_record(**ids: str) -> None:
        show(call(service, "GET", f"/{path}/{ids[argument]}"))

    @group.command("history", help=f"Every event of one {noun}, as published.")
    @click.argument(argument)
    def history(**ids: str) -> None:
        show(call(service, "GET", f"/{path}/{ids[argument]}/history"))

    @group.command("audit", help=f"Who did what and when to one {noun}, from its events.")
    @click.argument(argument)
    def audit(**ids: str) -> None:
        print_audit(call(service, "GET", f"/{path}/{ids[argument]}/history"))


def add_table_commands(group: click.Group, service: str, table: Any) -> None:
    """Every command of one table (``shared.commands.Commands``) on ``group``: the one that
    creates a record (``fieldwork <group> NAME --field value``: POST /<collection>) and each
    step (``fieldwork <group> NAME ID --field value``: POST /<collection>/ID/NAME)."""
    if table.create is not None:
        group.add_command(create_command(table.create.name, service, f"/{table.collection}", table.create.input,
                                         table.create.help, table.create.list_options))
    for command in table.steps.values():
        group.add_command(step_command(command.name, service, table.collection, command.input, command.help,
                                       command.list_options, argument=table.ident))
