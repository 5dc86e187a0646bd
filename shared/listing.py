"""Finding in a list: the search, date range and order every list route of the services offers
(the visits board, the meetings), applied to the list's views, the same way for each.

- ``q``: words that must all appear (in any order, any case, with or without accents) in the
  record's searched fields: a State's name or code, a meeting's title, its group...
- ``from`` and ``to``: the days a record must touch (its span overlaps them, both days
  included); a record with no date then is left out.
- ``sort``: one of the list's orders, ``-`` before it for the reverse (``-starts``).

A list declares what it searches, its dates and its orders once (``Listing``); its filter
schema inherits ``Refinement`` with those orders, so the OpenAPI documents and the CLI know the
parameters like any other filter.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from marshmallow import Schema, fields, validate


def refinement(sorts: tuple[str, ...]) -> type[Schema]:
    """The schema of the search, date range and order of a list whose orders are ``sorts``."""
    choices = tuple(sorts) + tuple(f"-{s}" for s in sorts)
    return Schema.from_dict({
        "q": fields.String(load_default=None, validate=validate.Length(max=200), metadata={
            "description": "words that must all appear in the record (any order, any case, accents or not)"}),
        "from_": fields.Date(data_key="from", load_default=None, metadata={
            "description": "only records that touch this day or later (their dates overlap from..to)"}),
        "to": fields.Date(load_default=None, metadata={"description": "only records that touch this day or earlier"}),
        "sort": fields.String(load_default=None, validate=validate.OneOf(choices), metadata={
            "description": f"the order: {', '.join(sorts)}; a '-' before it reverses it"}),
    }, name="Refinement")


def folded(text: Any) -> str:
    """``text`` lower-cased, without accents: "Côte d'Ivoire" -> "cote d'ivoire"."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Listing:
    """What a list searches (``text``: its views' fields, a list's items joined), the fields of
    its first and last day (``span``), and its orders (name -> key of a view)."""

    text: tuple[str, ...]
    span: tuple[str, str]
    sorts: dict[str, Callable[[dict], Any]]
    default: str

    def refine(self, views: list[dict], wanted: dict) -> list[dict]:
        """The views that match ``wanted``'s ``q``, ``from_`` and ``to``, in its ``sort``
        (else the list's default order)."""
        words = folded(wanted.get("q")).split()
        start, end = wanted.get("from_"), wanted.get("to")
        found = []
        for view in views:
            if words:
                haystack = " ".join(folded(" ".join(map(str, v)) if isinstance(v, list) else v)
                                    for v in (view.get(name) for name in self.text))
                if not all(word in haystack for word in words):
                    continue
            if start or end:
                first = _day(view.get(self.span[0]))
                last = _day(view.get(self.span[1])) or first
                if first is None or (start and last < start) or (end and first > end):
                    continue
            found.append(view)
        order = wanted.get("sort") or self.default
        key = self.sorts[order.lstrip("-")]
        present = [v for v in found if key(v) is not None]
        absent = [v for v in found if key(v) is None]  # undated records last, whatever the order
        return sorted(present, key=key, reverse=order.startswith("-")) + absent
