"""The one envelope every event travels in (DOMAIN.md section 4)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.contract.vocabulary import ROLES

MAX_TEXT = 10_000


class ActorSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class EnvelopeSchema(Schema):
    """Validated before any payload is looked at; ``payload`` is checked by its own schema."""

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    aggregate_id = fields.UUID(required=True)
    aggregate_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = f.when()
    recorded_at = f.when()
    actor = fields.Nested(ActorSchema, required=True)
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    payload = fields.Dict(required=True)
