"""Field helpers shared by the payload schemas, so that one kind of value is checked one way."""
from __future__ import annotations

import copy
import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate

from shared.contract.vocabulary import ALL_THEMATIC_AREAS, is_member_state, is_un_state

MAX_TEXT = 10_000
MAX_NAME = 300


def meant(meaning: str) -> dict:
    """A field's ``metadata``: what the field means (``docs/events.md`` is written from it)."""
    return {"meaning": meaning} if meaning else {}


def text(required: bool = False, max_length: int = MAX_TEXT, meaning: str = "") -> fields.String:
    """Free text. Optional text defaults to the empty string."""
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length), metadata=meant(meaning))
    return fields.String(load_default="", validate=validate.Length(max=max_length), metadata=meant(meaning))


def name(required: bool = True, meaning: str = "") -> fields.String:
    return text(required=required, max_length=MAX_NAME, meaning=meaning)


def one_of(choices, required: bool = True, meaning: str = "", **kwargs) -> fields.String:
    return fields.String(required=required, validate=validate.OneOf(choices), metadata=meant(meaning), **kwargs)


def _member_state(value: str) -> None:
    if not is_member_state(value):
        raise ValidationError("not an ISO 3166-1 alpha-3 country code (e.g. KEN)")


def member_state(meaning: str = "") -> fields.String:
    """A State an event names: any ISO 3166-1 alpha-3 code, so that every event recorded stays
    valid; a command names a State of the United Nations (``as_commanded``)."""
    return fields.String(required=True, validate=_member_state, metadata=meant(meaning))


def _un_state(value: str) -> None:
    if not is_un_state(value):
        raise ValidationError("not a Member State or observer State of the United Nations: give its ISO 3166-1 "
                              "alpha-3 code (e.g. KEN for Kenya)")


def _as_commanded(field: fields.Field) -> fields.Field | None:
    """A copy of a State field (or list of them) that takes the United Nations' States only."""
    if isinstance(field, fields.List):
        inner = _as_commanded(field.inner)
        if inner is None:
            return None
        field = copy.deepcopy(field)
        field.inner = inner
        return field
    if _member_state not in getattr(field, "validators", ()):
        return None
    field = copy.deepcopy(field)
    field.validators = [_un_state if v is _member_state else v for v in field.validators]
    return field


def as_commanded(payload_schema: type[Schema]) -> dict[str, fields.Field]:
    """The fields of an event's payload schema that a command takes more strictly: each State
    it names is one of the 193 Member States of the United Nations or its two observer States
    (a territory, Antarctica or a code ISO 3166 reserves is refused with 400 naming the field).
    The event schema itself keeps any ISO code, so that an event recorded before still loads."""
    strict = {}
    for name, field in payload_schema._declared_fields.items():
        changed = _as_commanded(field)
        if changed is not None:
            strict[name] = changed
    return strict


def thematic_area(meaning: str = "") -> fields.String:
    return fields.String(required=True, validate=validate.OneOf(ALL_THEMATIC_AREAS), metadata=meant(meaning))


def date(required: bool = True, meaning: str = "", **kwargs) -> fields.Date:
    return fields.Date(required=required, validate=_plausible_date, metadata=meant(meaning), **kwargs)


def _plausible_date(value) -> None:
    # A committee record has no business with dates far from now; a year 9999 is a typo.
    # A date-time is judged in UTC, the form it is stored and published in.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        try:
            value = value.astimezone(dt.timezone.utc)
        except OverflowError:  # year 1 or 9999 shifted past the calendar's ends
            raise ValidationError("date out of range (years 1945 to 2200)") from None
    if not (1945 <= value.year <= 2200):
        raise ValidationError("date out of range (years 1945 to 2200)")


def when(required: bool = True, meaning: str = "", **kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(required=required, validate=_plausible_date, metadata=meant(meaning), **kwargs)


def version(meaning: str = "") -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1), metadata=meant(meaning))


def ident(required: bool = True, meaning: str = "") -> fields.String:
    """An identifier chosen by a user (a need, an outcome, a document): short, no spaces."""
    # \Z, not $: "$" also matches before a trailing newline, which would let "o-1\n" through.
    checks = [validate.Length(min=1, max=100), validate.Regexp(r"^[A-Za-z0-9._:/-]+\Z")]
    if required:
        return fields.String(required=True, validate=checks, metadata=meant(meaning))
    return fields.String(load_default=None, allow_none=True, validate=checks, metadata=meant(meaning))


class _StrictBoolean(fields.Boolean):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):  # 1 == True in Python: check the type, not equality
            raise self.make_error("invalid")
        return value


def flag(meaning: str = "") -> fields.Boolean:
    """A JSON true or false, nothing that merely looks like one ("yes", 1)."""
    return _StrictBoolean(required=True, metadata=meant(meaning))


class _StrictNumber(fields.Float):
    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._validated(value)


def number(meaning: str = "") -> fields.Float:
    """A JSON number, not a string of digits."""
    return _StrictNumber(required=True, metadata=meant(meaning))
