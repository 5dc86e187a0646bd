"""The one envelope every event travels in (DOMAIN.md section 4)."""
from __future__ import annotations

import datetime as dt
import functools
import uuid

from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.utils import is_aware

from shared.contract import fields as f
from shared.contract.fields import meant
from shared.contract.vocabulary import ROLES

MAX_TEXT = 10_000


class ActorSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=meant(
        "The user name of whoever caused the event (`system` for automatic steps)."))
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata=meant("The role the user acted in."))


class EnvelopeSchema(Schema):
    """Validated before any payload is looked at; ``payload`` is checked by its own schema."""

    event_id = fields.UUID(required=True, metadata=meant(
        "Unique per event, derived from (`aggregate_id`, `aggregate_version`, the command that stored it): a "
        "re-publish carries the same id, and a source store restored from a backup never makes an old id again. "
        "Consumers deduplicate on it."))
    event_type = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata=meant(
        "The snake_case event type, e.g. `consent_granted`; also the routing key."))
    aggregate_id = fields.UUID(required=True, metadata=meant(
        "Which visit, donor, working group or meeting the event belongs to."))
    aggregate_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1), metadata=meant(
        "The aggregate's version after this event (1 for the first event)."))
    occurred_at = f.when(meaning="When it happened, as the user says (publishers write UTC).")
    recorded_at = f.when(meaning="When it was stored (publishers write UTC).")
    actor = fields.Nested(ActorSchema, required=True, metadata=meant(
        "Who caused it: `{\"user\": ..., \"role\": ...}`."))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=meant(
        "The command (request) that caused it, carried across services."))
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1), metadata=meant(
        "Version of this event type's payload schema. A consumer refuses a version it does not know."))
    payload = fields.Dict(required=True, metadata=meant(
        "The event's own fields, checked by the payload schema of (`event_type`, `schema_version`) documented below."))


# -- the same load, quickly, for what the services publish --------------------------------


class _NotPlain(Exception):
    pass


def _text(value):
    if type(value) is not str:
        raise _NotPlain
    return value


def _uuid(value):
    if type(value) is not str:
        raise _NotPlain
    return uuid.UUID(value)


def _integer(value):
    if type(value) is not int:  # not a bool, not a float: what a strict Integer takes as it is
        raise _NotPlain
    return value


def _aware(value):
    if type(value) is not str:
        raise _NotPlain
    moment = dt.datetime.fromisoformat(value)  # AwareDateTime's own parser
    if not is_aware(moment):
        raise _NotPlain
    return moment


def _mapping(value):
    if type(value) is not dict:
        raise _NotPlain
    return dict(value)


_CONVERT = {fields.String: _text, fields.UUID: _uuid, fields.Integer: _integer, fields.AwareDateTime: _aware,
            fields.Dict: _mapping}


def _plan(schema: Schema) -> tuple[frozenset, list] | None:
    """(keys, [(name, convert, check)]) for a schema of required fields ``_CONVERT`` knows (a
    nested schema planned the same way), in the schema's order; None if it has any other
    field, or hooks (pre- or post-load, schema validators) that only its load would run."""
    if any(schema._hooks.values()):
        return None
    steps = []
    for name, field in schema.fields.items():
        if type(field) is fields.Nested and not field.many:
            inner = _plan(field.schema)
            if inner is None:
                return None
            convert = functools.partial(_plain, inner)
        elif type(field) in _CONVERT and field.required and not field.allow_none and not (
                type(field) is fields.Dict and (field.key_field or field.value_field)):
            convert = _CONVERT[type(field)]
        else:
            return None
        steps.append((name, convert, validate.And(*field.validators) if field.validators else None))
    return frozenset(schema.fields), steps


def _plain(plan: tuple[frozenset, list], message):
    keys, steps = plan
    if type(message) is not dict or message.keys() != keys:
        raise _NotPlain
    out = {}
    for name, convert, check in steps:
        value = convert(message[name])
        if check is not None:
            check(value)
        out[name] = value
    return out


_PLAN = _plan(EnvelopeSchema())


def plain_envelope(message) -> dict | None:
    """What ``EnvelopeSchema().load(message)`` returns, made without the schema's machinery
    (seven times faster), for a message in the form the services publish: every field there
    and nothing more, each value of its field's own JSON type and passing the field's own
    validators. None for anything else, which the schema then decides and explains. The
    property tests hold it to the schema's result."""
    if _PLAN is None:
        return None
    try:
        return _plain(_PLAN, message)
    except (_NotPlain, ValueError, TypeError, ValidationError):
        return None
