"""The read side of the reporting service: what its queries take (a report, the dead letters
to list, the dead letters to replay) and the views it answers with."""
from __future__ import annotations

import base64

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contract import fields as f
from reporting.formats import FORMATS
from reporting.intake import LETTER_STATUSES
from reporting.reports import BASES, KINDS, REPORT_COMMITTEES, Period, annual, semi_annual


class ReportQuery(Schema):
    """A report: its kind and period (``year`` with ``half`` for semi-annual; ``year`` with
    ``starts_in_month`` for annual, e.g. 6 for the 1540 programme year; or ``start``/``end``),
    format, and optionally as of a moment, by when things were recorded or happened."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    committee = fields.String(load_default=None, validate=validate.OneOf(REPORT_COMMITTEES), metadata={
        "description": "whose report: ctc, 1540, or both (both Committees together, labelled so); "
                       "a token limited to one Committee gets its own by default"})
    year = fields.Integer(load_default=None, validate=validate.Range(min=1945, max=2200))
    half = fields.Integer(load_default=None, validate=validate.OneOf([1, 2]))
    starts_in_month = fields.Integer(load_default=1, validate=validate.Range(min=1, max=12))
    start = f.date(required=False, load_default=None)
    end = f.date(required=False, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(list(FORMATS)))
    as_of = f.when(required=False, load_default=None)
    basis = fields.String(load_default="recorded", validate=validate.OneOf(BASES))
    issued_on = f.date(False, "the date of issue the document bears (default: today in the Committee's time zone)",
                       load_default=None)
    symbol = fields.String(load_default=None, validate=[
        validate.Length(min=1, max=60),
        validate.Regexp(r"^[^\x00-\x1f\x7f]+$", error="a symbol is printable characters, e.g. S/2025/400")], metadata={
        "description": "the document symbol the secretariat assigned (e.g. S/2013/400); default: a place to fill in"})

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("start") or data.get("end"):
            if not (data.get("start") and data.get("end")):
                raise ValidationError("give both start and end", "end")
            if data["end"] < data["start"]:
                raise ValidationError("end is before start", "end")
        elif data.get("year") is None:
            raise ValidationError("give year (and half for a semi-annual report), or start and end", "year")
        elif data["kind"] == "semi-annual" and data.get("half") is None:
            raise ValidationError("a semi-annual report needs half: 1 (January-June) or 2 (July-December)", "half")


class DeadLetterQuery(Schema):
    """Which dead letters to list, newest first."""

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=10_000),
                           metadata={"description": "how many dead letters, newest first"})
    status = fields.String(load_default=None, validate=validate.OneOf(LETTER_STATUSES),
                           metadata={"description": "open (not yet dealt with) or dealt_with (a replay recorded it)"})
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                           metadata={"description": "only the letters of this reason"})


class ReplayRequest(Schema):
    """Which open dead letters to replay through the intake: one (``id``), all of one reason
    (``reason``), or all (``all``: true); exactly one of the three."""

    id = fields.UUID(load_default=None, metadata={"description": "one dead letter, by its id"})
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                           metadata={"description": "every open dead letter of this reason"})
    all = fields.Boolean(load_default=False, metadata={"description": "every open dead letter"})

    @validates_schema
    def _one(self, data, **kwargs):
        given = [name for name in ("id", "reason") if data.get(name) is not None] + (["all"] if data.get("all") else [])
        if len(given) != 1:
            raise ValidationError("give exactly one of id, reason or all: true", "body")


def period_of(query: dict) -> Period:
    if query.get("start"):
        return Period(query["start"], query["end"])
    if query["kind"] == "semi-annual":
        return semi_annual(query["year"], query["half"])
    return annual(query["year"], query["starts_in_month"])


def letter_view(letter: dict, replays: list[dict]) -> dict:
    """One dead letter, its whole body (as text, with its size in bytes) and each replay's outcome."""
    raw = base64.b64decode(letter.pop("body_base64"))
    return {**letter, "body": raw.decode("utf-8", errors="replace"), "body_bytes": len(raw), "replays": replays}
