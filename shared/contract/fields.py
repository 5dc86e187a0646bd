"""Field helpers shared by the payload schemas, so that one kind of value is checked one way."""
from __future__ import annotations

import datetime as dt

from marshmallow import ValidationError, fields, validate

from shared.contract.vocabulary import ALL_THEMATIC_AREAS, is_member_state

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
    return fields.String(required=True, validate=_member_state, metadata=meant(meaning))


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
