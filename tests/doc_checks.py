"""Reading a Markdown API doc and a service's code, for the tests that keep the two in step
(``tests/unit/visits/test_api_docs.py``, ``tests/unit/meetings/test_meetings_api_docs.py``).

The code is read from itself (the service class's ``@http`` and ``@rpc`` entrypoints, the
command tables and their input schemas); the doc by its headings and tables, outside fenced
code blocks.
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path

from marshmallow import Schema, fields as mfields


def declared_routes(service_class: type) -> list[tuple[str, str]]:
    """("METHOD", "/path") of every HTTP route of the service class (its ``@http`` entrypoints,
    those of its base included), with ``<string:visit_id>`` written ``{visit_id}`` as the docs
    write it: read from the class itself, as the OpenAPI document is."""
    from shared.openapi import routes_of

    return [(route.method, route.path) for route in routes_of(service_class)]


def declared_rpc_methods(service_class: type) -> list[str]:
    """The service class's ``@rpc`` entrypoints, by name."""
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from nameko.rpc import Rpc

    return [name for name, method in inspect.getmembers(service_class, inspect.isfunction)
            if any(isinstance(e, Rpc) for e in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()))]


def field_names(schema: Schema) -> set[str]:
    """A schema's fields and those of the objects nested in it (e.g. each need)."""
    names = set(schema.fields)
    for field in schema.fields.values():
        inner = field.inner if isinstance(field, mfields.List) else field
        if isinstance(inner, mfields.Nested):
            names |= field_names(inner.schema)
    return names


def mentions(name: str, text: str) -> bool:
    return f"`{name}`" in text


def table_rows(text: str, first_column: str | None = None, name: str = r"\w+") -> dict[str, list[str]]:
    """Rows of the Markdown tables in ``text`` whose first cell is a `code` name (matching
    ``name``): name -> cells; only of the tables whose first column is headed
    ``first_column``, when given."""
    rows, header, previous = {}, None, ""
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            header, previous = None, ""
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None and re.fullmatch(r"-+", cells[0].strip(":")):
            header = previous  # the line before the |---| line heads the table
            continue
        previous = cells[0]
        match = re.fullmatch(f"`({name})`", cells[0])
        if match and header is not None and (first_column is None or header == first_column):
            rows[match.group(1)] = cells
    return rows


class MarkdownDoc:
    """One Markdown document: its headings and the text under each."""

    def __init__(self, path: Path) -> None:
        self.name = f"{path.parent.name}/{path.name}"
        self.text = path.read_text(encoding="utf-8")

    def headings(self) -> list[tuple[int, str, int]]:
        """(level, title, line number) of each heading outside fenced code blocks."""
        found, fenced = [], False
        for number, line in enumerate(self.text.splitlines()):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            match = re.match(r"(#{1,6})\s+(.*?)\s*$", line)
            if match and not fenced:
                found.append((len(match.group(1)), match.group(2), number))
        return found

    def section(self, title: str) -> str:
        """The text under the one heading titled ``title``, up to the next heading of the same
        or a higher level."""
        marks = self.headings()
        matching = [i for i, (_, t, _) in enumerate(marks) if t == title]
        assert len(matching) == 1, f"{self.name} needs exactly one heading {title!r}; found {len(matching)}"
        index = matching[0]
        level, _, start = marks[index]
        end = next((line for lvl, _, line in marks[index + 1:] if lvl <= level), None)
        return "\n".join(self.text.splitlines()[start:end])

    def subsections(self, title: str) -> list[str]:
        """Titles of the headings one level below the heading ``title``."""
        marks = self.headings()
        index = next(i for i, (_, t, _) in enumerate(marks) if t == title)
        level = marks[index][0]
        titles = []
        for lvl, t, _ in marks[index + 1:]:
            if lvl <= level:
                break
            if lvl == level + 1:
                titles.append(t)
        return titles
