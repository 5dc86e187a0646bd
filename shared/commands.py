"""Command input: one definition of each field (the event's payload schema), plus what every
command takes (when it happened, the version the client read)."""
from __future__ import annotations

from typing import Any, Callable

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.domain import Context
from shared.http import context_for, load


class CommandFields(Schema):
    """Accepted with every command: when it happened, and the version the client read."""

    occurred_at = f.when(required=False, load_default=None)
    expected_version = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1))


def command_input(payload_schema: type[Schema], *derived: str, **overrides: Any) -> Schema:
    """A command's input schema: the event's payload schema, less what the domain derives,
    plus the common command fields (and any ``overrides``)."""
    cls = type(f"{payload_schema.__name__}Input", (CommandFields, payload_schema), dict(overrides))
    return cls(exclude=derived)


def parse_command(schema: Schema, body: dict, actor: dict | None) -> tuple[dict, Context, int | None]:
    """Validate a command body: (its arguments, its Context, the expected version)."""
    data = load(schema, body)
    expected = data.pop("expected_version", None)
    ctx = context_for(actor, data.pop("occurred_at", None))
    return data, ctx, expected


class ServiceAPI:
    """Base of each service's plain-Python facade: its application, the runtime's health
    check (when run by nameko) and the token registry the HTTP glue signs callers in with."""

    auth: Any = None  # set by the runtime: a shared.auth.TokenRegistry

    def __init__(self, app: Any, health: Callable[[], tuple[bool, dict]] | None = None) -> None:
        self.app = app
        self._health = health

    def health(self) -> tuple[bool, dict]:
        """(healthy, report) from the runtime; a facade driven directly (tests) is healthy."""
        return (True, {"status": "ok"}) if self._health is None else self._health()
