"""Hypothesis strategies derived from the marshmallow schemas of the contract and the commands.

``valid_values(field)`` draws Python values a field dumps and loads back as valid (the kind a
publisher hands to ``build_envelope``, or a client sends once JSON-encoded);
``wrong_json(field)`` draws JSON values of a type the field must refuse. Both read the field's
class and validators (OneOf, Length, Range, Regexp, the member-state and plausible-date checks),
so a new field or event type is covered without touching the tests.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pycountry
from hypothesis import strategies as st
from marshmallow import Schema, fields, validate

from shared.contract import fields as contract_fields
from shared.contract import files as contract_files
from shared.contract.vocabulary import UN_STATES

# Every ISO 3166-1 alpha-3 code pycountry knows (what ``is_member_state`` accepts).
MEMBER_STATES = tuple(sorted(country.alpha_3 for country in pycountry.countries))
# The States a command takes: the United Nations' Member States and observer States.
UN_STATE_CODES = tuple(sorted(UN_STATES))

# The plausible range of every contract date (``shared.contract.fields._plausible_date``).
FIRST_DAY = date(1945, 1, 1)
LAST_DAY = date(2200, 12, 31)

# Generated free text is short (speed); the longest allowed text is drawn now and then.
SHORT_TEXT = 24
SHORT_LIST = 3

# Characters of generated text: anything UTF-8 can encode, so no lone surrogates (the contract
# and the commands refuse those: see the tests about them). Note: a bare ``st.characters()``, a
# bare ``st.text()`` and ``st.from_regex`` without an alphabet all draw surrogates.
CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cs",))
# Any text that UTF-8 can encode (what every valid-data strategy draws).
def texts(min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(CHARACTERS, min_size=min_size, max_size=max_size)


# And with lone surrogates (legal in JSON through \\udxxx escapes): for the tests that they are refused.
CHARACTERS_AND_SURROGATES = st.characters(codec=None, categories=None, exclude_categories=())

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARACTERS, max_size=SHORT_TEXT)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(CHARACTERS, max_size=12), children, max_size=4),
    max_leaves=12,
)
JSON_OBJECTS = st.dictionaries(st.text(CHARACTERS, max_size=12), JSON_VALUES, max_size=6)


def _validator(field: fields.Field, kind: type) -> Any:
    return next((v for v in field.validators if isinstance(v, kind)), None)


def _bounds(field: fields.Field, default_max: int | None = None) -> tuple[int, int | None]:
    length = _validator(field, validate.Length)
    if length is None:
        return 0, default_max
    if length.equal is not None:
        return length.equal, length.equal
    return length.min or 0, length.max if length.max is not None else default_max


# Any IANA time zone, or UTC (built once: listing the zones is slow).
TIMEZONES = st.timezones() | st.just(timezone.utc)


def aware_datetimes(first: date = FIRST_DAY, last: date = LAST_DAY) -> st.SearchStrategy[datetime]:
    """Aware datetimes in any time zone whose local date, and date in UTC, lie in [first, last].

    (The contract judges a date-time in UTC, so a local 2200-12-31T23:00-05:00 is refused:
    valid data stays clear of that edge.)"""
    return st.datetimes(
        min_value=datetime.combine(first, datetime.min.time()),
        max_value=datetime.combine(last, datetime.max.time()),
        timezones=TIMEZONES,
    ).filter(lambda moment: first <= moment.astimezone(timezone.utc).date() <= last)


def past_moments() -> st.SearchStrategy[datetime]:
    """Aware moments up to now (what a client may say as ``occurred_at``)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return st.datetimes(min_value=datetime(1946, 1, 2), max_value=now - timedelta(hours=1), timezones=st.just(timezone.utc))


def text_values(field: fields.Field, characters: st.SearchStrategy[str] = CHARACTERS) -> st.SearchStrategy[str]:
    low, high = _bounds(field)
    regexp = _validator(field, validate.Regexp)
    if regexp is not None:
        pattern = regexp.regex
        return st.from_regex(pattern, fullmatch=True, alphabet=characters).filter(lambda s: low <= len(s) <= (high or len(s)))
    short = st.text(characters, min_size=low, max_size=max(low, min(high or SHORT_TEXT, SHORT_TEXT)))
    if high is None or high <= SHORT_TEXT:
        return short
    # The boundary: exactly the longest text allowed (one character repeated: cheap to draw).
    longest = characters.map(lambda c: c * high)
    return st.one_of(short, short, short, longest)


def valid_values(field: fields.Field, characters: st.SearchStrategy[str] = CHARACTERS) -> st.SearchStrategy[Any]:
    """Python values that ``field`` dumps to JSON and loads back as valid."""
    one_of = _validator(field, validate.OneOf)
    if isinstance(field, fields.Nested):
        return object_values(field.schema, characters)
    if isinstance(field, fields.List):
        low, high = _bounds(field)
        return st.lists(valid_values(field.inner, characters), min_size=low, max_size=max(low, min(high or SHORT_LIST, SHORT_LIST)))
    if one_of is not None:
        return st.sampled_from(list(one_of.choices))
    if isinstance(field, fields.AwareDateTime):
        return aware_datetimes()
    if isinstance(field, fields.DateTime):  # none in the contract; naive ones would be refused
        raise NotImplementedError(f"no strategy for a naive DateTime field {field!r}")
    if isinstance(field, fields.Date):
        return st.dates(FIRST_DAY, LAST_DAY)
    if isinstance(field, fields.UUID):
        return st.uuids()
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Float):
        return st.floats(allow_nan=field.allow_nan, allow_infinity=field.allow_nan)
    if isinstance(field, fields.Integer):
        bounds = _validator(field, validate.Range)
        low = bounds.min if bounds is not None and bounds.min is not None else -(2**63)
        high = bounds.max if bounds is not None and bounds.max is not None else 2**63
        return st.integers(min_value=low, max_value=high)
    if isinstance(field, fields.Email):  # an address marshmallow's check takes
        return st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,15}(\.[a-z0-9_-]{1,15})?)?@[a-z0-9]{1,20}\.(org|int|example)", fullmatch=True)
    if isinstance(field, fields.String):
        if contract_fields._member_state in field.validators:
            return st.sampled_from(MEMBER_STATES)
        if contract_fields._un_state in field.validators:  # a command's: the United Nations' States
            return st.sampled_from(UN_STATE_CODES)
        if contract_files._version in field.validators:  # a document's version (shared.documents)
            return st.sampled_from(["original", "Rev.1", "Corr.2", "Rev.3/Corr.1"])
        if contract_files._symbol in field.validators:  # a United Nations document symbol, or none
            return st.sampled_from(["", "S/AC.40/2026/WG.2/1", "S/RES/1540 (2004)", "A/80/L.5"])
        return text_values(field, characters)
    if isinstance(field, fields.Dict):
        return JSON_OBJECTS
    raise NotImplementedError(f"no strategy for {field!r}: teach schema_strategies about it")


def object_values(
    schema: Schema,
    characters: st.SearchStrategy[str] = CHARACTERS,
    overrides: dict[str, st.SearchStrategy[Any] | None] | None = None,
) -> st.SearchStrategy[dict]:
    """Valid objects of ``schema``: every required field, any of the optional ones (``None``
    too where the field allows it). ``overrides`` replaces a field's strategy; an override of
    ``None`` leaves the field out."""
    overrides = overrides or {}
    required, optional = {}, {}
    for name, field in schema.fields.items():
        if name in overrides:
            if overrides[name] is not None:
                (required if field.required else optional)[name] = overrides[name]
            continue
        values = valid_values(field, characters)
        if field.allow_none:
            values = values | st.none()
        (required if field.required else optional)[name] = values
    return st.fixed_dictionaries(required, optional=optional)


def to_json(value: Any) -> Any:
    """The JSON form of a value drawn by ``valid_values`` (as a client would send it)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)  # UUID


# -- values a field must refuse --------------------------------------------------------------

_SMALL_LISTS = st.lists(JSON_SCALARS, max_size=3)
# (encodable text, so that a refusal names the field rather than a lone surrogate)
_SMALL_OBJECTS = st.dictionaries(texts(max_size=8), JSON_SCALARS, max_size=3)
_INTEGERS = st.integers()
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_TEXT = texts(max_size=SHORT_TEXT)


def _is_number_text(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except (ValueError, OverflowError):
        return False


def wrong_json(field: fields.Field) -> st.SearchStrategy[Any]:
    """JSON values whose type ``field`` must refuse.

    Left out on purpose: the numeric strings a plain Float field converts (the contract's
    ``number()`` fields refuse them, so for those they are drawn), and whatever a Boolean field
    takes as true or false (for the contract's ``flag()`` fields that is only JSON true/false;
    the tests of flags draw the rest)."""
    nulls = [] if field.allow_none else [st.none()]
    if isinstance(field, (fields.Nested, fields.Dict)):
        kinds = [_INTEGERS, _FLOATS, st.booleans(), _TEXT, _SMALL_LISTS]
    elif isinstance(field, fields.List):
        kinds = [_INTEGERS, _FLOATS, st.booleans(), _TEXT, _SMALL_OBJECTS]
    elif isinstance(field, fields.Boolean):
        lenient = field.truthy | field.falsy
        kinds = [
            _INTEGERS.filter(lambda v: v not in lenient),
            _FLOATS.filter(lambda v: v not in lenient),
            _TEXT.filter(lambda v: v not in lenient),
            _SMALL_LISTS,
            _SMALL_OBJECTS,
        ]
    elif isinstance(field, contract_fields._StrictNumber):
        numeric = st.one_of(_INTEGERS.map(str), _FLOATS.map(repr))
        kinds = [st.booleans(), _TEXT, numeric, _SMALL_LISTS, _SMALL_OBJECTS]
    elif isinstance(field, fields.Float):
        kinds = [st.booleans(), _TEXT.filter(lambda v: not _is_number_text(v)), _SMALL_LISTS, _SMALL_OBJECTS]
    elif isinstance(field, fields.Integer):  # strict: JSON integers only
        kinds = [_FLOATS, st.booleans(), _TEXT, _SMALL_LISTS, _SMALL_OBJECTS]
    elif isinstance(field, (fields.String, fields.UUID, fields.Date, fields.DateTime)):
        kinds = [_INTEGERS, _FLOATS, st.booleans(), _SMALL_LISTS, _SMALL_OBJECTS]
    else:
        raise NotImplementedError(f"no wrong values for {field!r}")
    return st.one_of(*kinds, *nulls)
